#pragma once
// The scheduler's in-memory ready queue: one FIFO lane per priority, served strictly CRITICAL > HIGH > NORMAL >
// LOW, or as one FIFO across all lanes (by ready_seq) when priority scheduling is off. An entry may carry the
// job's serialized record (within a byte budget), so that claiming it needs no read from the store; entries
// without one are loaded when claimed. Removal is lazy: a removed job's entry is dropped when it reaches the head
// of its lane, but sizes count only jobs still queued. Not thread-safe: owned by the scheduler actor.

#include <array>
#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <unordered_set>

#include "schemas/lifecycle.hpp"

namespace troupe {

class ready_queue {
 public:
  struct entry {
    uint64_t seq = 0;
    uint64_t id = 0;
    std::string record;  // the READY record, or empty when not cached
  };

  ready_queue(bool strict_priority, size_t cache_bytes)
      : strict_priority_(strict_priority), cache_budget_(cache_bytes) {}

  // Queues a job. `record` is kept if the cache budget allows, dropped otherwise.
  // REQUIRES: within a lane, entries arrive in increasing seq.
  void push(int lane, uint64_t seq, uint64_t id, std::string record = {});
  // Marks a queued job as removed; its entry is dropped when it reaches the head of its lane.
  // REQUIRES: the job is queued in `lane` (and not removed already).
  void remove(uint64_t id, int lane);
  // The next job to dispatch, skipping removed ones; `lane` receives its lane.
  std::optional<entry> pop(int* lane = nullptr);

  // Jobs queued in a lane, or in all lanes (removed ones not counted).
  size_t size(int lane) const { return lanes_[lane].size() - removed_in_lane_[lane]; }
  size_t size() const;
  bool empty() const { return size() == 0; }
  size_t cached_bytes() const { return cached_bytes_; }

 private:
  int next_lane() const;

  bool strict_priority_;
  size_t cache_budget_;
  size_t cached_bytes_ = 0;
  std::array<std::deque<entry>, lifecycle::lane_count> lanes_;
  std::unordered_set<uint64_t> removed_;
  std::array<size_t, lifecycle::lane_count> removed_in_lane_{};
};

}  // namespace troupe
