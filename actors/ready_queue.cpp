#include "actors/ready_queue.hpp"

namespace troupe {

void ready_queue::push(int lane, uint64_t seq, uint64_t id, std::string record) {
  if (cached_bytes_ + record.size() > cache_budget_) record = std::string{};
  cached_bytes_ += record.size();
  lanes_[lane].push_back(entry{seq, id, std::move(record)});
}

void ready_queue::remove(uint64_t id, int lane) {
  if (removed_.insert(id).second) ++removed_in_lane_[lane];
}

size_t ready_queue::size() const {
  size_t n = 0;
  for (int lane = 0; lane < lifecycle::lane_count; ++lane) n += size(lane);
  return n;
}

int ready_queue::next_lane() const {
  int best = -1;
  for (int lane = 0; lane < lifecycle::lane_count; ++lane) {
    if (lanes_[lane].empty()) continue;
    if (strict_priority_) return lane;
    if (best < 0 || lanes_[lane].front().seq < lanes_[best].front().seq) best = lane;
  }
  return best;
}

std::optional<ready_queue::entry> ready_queue::pop(int* lane_out) {
  for (;;) {
    int lane = next_lane();
    if (lane < 0) return std::nullopt;
    auto e = std::move(lanes_[lane].front());
    lanes_[lane].pop_front();
    cached_bytes_ -= e.record.size();
    if (!removed_.empty() && removed_.erase(e.id) > 0) {
      --removed_in_lane_[lane];
      continue;
    }
    if (lane_out != nullptr) *lane_out = lane;
    return e;
  }
}

}  // namespace troupe
