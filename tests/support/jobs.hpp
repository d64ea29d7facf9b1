#pragma once
// Jobs for tests: a Job record in any state, built field by field as the lifecycle would leave it,
// so that a test can write it to a store (storage/write_batch.hpp) without running the job through
// the scheduler.

#include <cstdint>
#include <string>

#include "schemas/time.hpp"
#include "schemas/troupe.pb.h"

namespace troupe::test {

// A fixed instant (2023-11-14T22:13:20Z), so that no test reads the clock.
inline constexpr micros t0 = 1'700'000'000'000'000;

// The fields of a test job besides its id and state. Designated initializers keep call sites short:
// make_job(7, Job::READY, {.priority = JobSpec::HIGH, .ready_seq = 3}).
struct job_fields {
  JobSpec::Priority priority = JobSpec::NORMAL;
  uint64_t ready_seq = 0;  // kept in every state (a finished job keeps its last position)
  uint32_t attempts = 0;
  uint32_t max_attempts = 3;
  micros created_at = t0;
  micros finished_at = 0;  // set only for terminal states; 0: created_at
  micros run_at = 0;       // 0: unset
  std::string kind = "sleep";
  std::string user = "alice";
  std::string batch = {};
  std::string node = "node-a";  // the lease's node, for RUNNING jobs
};

// A job `id` in `state`: the spec from `fields`, a creation transition, a lease for the current
// attempt when RUNNING, and finished_at when terminal.
Job make_job(uint64_t id, Job::State state, const job_fields& fields = {});

}  // namespace troupe::test
