#pragma once
// Recovery when a node opens its store: the jobs that were RUNNING when the process stopped go back to READY
// with their attempt counted (or DEAD when that was their last attempt). Runs before any actor starts.

#include <cstdint>

#include "schemas/time.hpp"
#include "storage/store.hpp"

namespace troupe::storage {

struct recovery_report {
  uint64_t requeued = 0;  // RUNNING -> READY
  uint64_t dead = 0;      // RUNNING -> DEAD (no attempts left)
};

// Requeues every RUNNING job in one synced write. `now` stamps the transitions.
status recover_interrupted(job_store& store, micros now, recovery_report* report);

}  // namespace troupe::storage
