#pragma once
// Errors about jobs that several actors report the same way.

#include <string>

#include "storage/store.hpp"
#include "troupe/error.hpp"

namespace troupe {

// A job id the store does not hold. An id the node handed out once most likely belonged to a finished job that
// retention deleted: say so, so that `troupe wait` on an old id does not look like a typo.
inline caf::error unknown_job(const storage::job_store& store, uint64_t id) {
  if (store.issued(id))
    return make_error(ec::unknown_job, "unknown job id " + std::to_string(id) +
                                           ": not in the store (finished jobs are deleted past "
                                           "maxCompletedJobsToKeep / maxJobHistoryDays)");
  return make_error(ec::unknown_job, "unknown job id " + std::to_string(id));
}

}  // namespace troupe
