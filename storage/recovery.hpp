#pragma once
// Recovery when a node opens its store: the jobs that were RUNNING when the process stopped go back to READY
// with their attempt counted (or DEAD when that was their last attempt), and the per-user usage counters follow
// (storage/usage.hpp); a store without counters gets them counted once. Runs before any actor starts.

#include <cstdint>

#include "schemas/time.hpp"
#include "storage/store.hpp"

namespace troupe::storage {

struct recovery_report {
  uint64_t requeued = 0;       // RUNNING -> READY
  uint64_t dead = 0;           // RUNNING -> DEAD (no attempts left)
  bool usage_rebuilt = false;  // the store had no usage counters: they were counted from its jobs
  size_t usage_users = 0;      // then: the users with unfinished jobs
};

// Requeues every RUNNING job in one synced write, with the usage counters it changes. `now` stamps the
// transitions.
status recover_interrupted(job_store& store, micros now, recovery_report* report);

}  // namespace troupe::storage
