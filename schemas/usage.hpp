#pragma once
// What a job counts against its user's quotas (maxQueuedPerUser, maxPayloadMBPerUser), in one place. The
// scheduler, storage recovery and the one-time rebuild of the counters (storage/usage.hpp) all count by these
// rules, so the counters they keep agree with a scan of the jobs. Pure: no clock, no storage.
//
// A job counts while it is unfinished: BLOCKED, SCHEDULED, READY or RUNNING (not PENDING, which is never stored,
// nor SUCCEEDED, FAILED, DEAD or CANCELLED). It counts once towards its user's jobs (JobSpec.user; the empty user
// is a user too) and with its payload's bytes towards the user's payload.

#include <cstdint>

#include "schemas/troupe.pb.h"

namespace troupe {

// Whether a job in `state` counts towards its user's usage.
bool counts_toward_usage(Job::State state);

// A job's payload size as quotas and maxJobPayloadSizeMB see it: the bytes of its serialized payload
// (spec.payload().ByteSizeLong()); 0 without a payload. The payload never changes after a job is accepted.
uint64_t payload_bytes(const JobSpec& spec);

// What one user's unfinished jobs hold. A plain value; owned by whoever keeps the counters.
struct usage_counter {
  uint64_t jobs = 0;
  uint64_t payload_bytes = 0;
  bool empty() const { return jobs == 0 && payload_bytes == 0; }
  bool operator==(const usage_counter&) const = default;
};

// Applies a job's change from state `before` to `after` (PENDING before: a new job) to its user's counter: +1 job
// and its payload when it starts counting, -1 and minus its payload when it stops. Returns whether the counter
// changed. Never goes below zero.
bool count_change(usage_counter& counter, const JobSpec& spec, Job::State before, Job::State after);

}  // namespace troupe
