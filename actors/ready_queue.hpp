#pragma once
// The scheduler's in-memory ready queue: one FIFO lane per priority, served strictly CRITICAL > HIGH > NORMAL >
// LOW, or as one FIFO across all lanes (by ready_seq) when priority scheduling is off. Entries are 16 bytes; the
// job records stay in the store. Removal is lazy: a cancelled job's entry is skipped when it reaches the head.
// Not thread-safe: owned by the scheduler actor.

#include <array>
#include <cstdint>
#include <deque>
#include <optional>
#include <unordered_set>

#include "schemas/lifecycle.hpp"

namespace troupe {

class ready_queue {
 public:
  struct entry {
    uint64_t seq = 0;
    uint64_t id = 0;
  };

  explicit ready_queue(bool strict_priority = true) : strict_priority_(strict_priority) {}

  // REQUIRES: within a lane, entries arrive in increasing seq, except after a restart's rebuild, which also
  // pushes in seq order.
  void push(int lane, uint64_t seq, uint64_t id);
  // Marks a queued job as removed; its entry is dropped when it reaches the head of its lane.
  void remove(uint64_t id) { removed_.insert(id); }
  // The next job to dispatch, skipping removed ones.
  std::optional<entry> pop();

  // Jobs in a lane that were not removed (approximate while removed entries wait at the head).
  size_t size(int lane) const { return lanes_[lane].size(); }
  size_t size() const;
  bool empty() const { return size() == 0; }

 private:
  int next_lane() const;

  bool strict_priority_;
  std::array<std::deque<entry>, lifecycle::lane_count> lanes_;
  std::unordered_set<uint64_t> removed_;
};

}  // namespace troupe
