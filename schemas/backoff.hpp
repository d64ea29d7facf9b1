#pragma once
// Retry backoff: how long a job waits after a failed attempt before the next one. Exponential with jitter,
// capped; pure (no clock, no randomness source: the jitter is a hash of the job id and the attempt, so a schedule
// is the same on every node and after a restart, yet spread across jobs that failed together).

#include <cstdint>

#include "schemas/time.hpp"
#include "schemas/troupe.pb.h"

namespace troupe {

struct backoff_policy {
  micros base = 1'000'000;      // wait after the first failed attempt
  double factor = 2;            // growth per further attempt (>= 1)
  micros cap = 3'600'000'000;   // longest wait
  double jitter = 0.2;          // the wait is scaled by a factor in [1 - jitter, 1 + jitter]
};

// `fallback` with every field that `spec` sets replaced by the spec's.
backoff_policy apply(const RetryPolicy& spec, backoff_policy fallback);

// The wait after failed attempt `attempt` (1 for the first) of job `id`: min(base * factor^(attempt-1), cap),
// times the jitter factor, never negative.
micros backoff_delay(const backoff_policy& policy, uint32_t attempt, uint64_t id);

// What is wrong with a job's retry policy ("" when it is fine): names the field.
const char* check_retry_policy(const RetryPolicy& spec);

}  // namespace troupe
