#pragma once
// The job state machine: every change of a Job's state goes through these functions, whoever makes it (the
// scheduler at runtime, the journal when it claims, storage recovery at open). They are pure: the caller passes
// the time and, for READY, the job's new FIFO position; nothing here reads a clock or touches storage.
//
//   PENDING -> READY | SCHEDULED | BLOCKED           (accept: SCHEDULED while its run_at is ahead; accept_blocked)
//   BLOCKED -> READY | SCHEDULED                      (release: what it waited for is done)
//   SCHEDULED -> READY                                (make_due: its time came)
//   READY -> RUNNING                                  (start_attempt: attempts + 1, lease set)
//   RUNNING -> SUCCEEDED | FAILED | DEAD | CANCELLED  (finish_attempt)
//   RUNNING -> READY | SCHEDULED                      (finish_attempt with attempts left: SCHEDULED for a backoff;
//                                                      requeue_interrupted; hand_back, which refunds the attempt)
//   any non-terminal -> CANCELLED                     (cancel)
//   DEAD | FAILED | CANCELLED -> READY                (retry, by an operator)

#include <cstdint>
#include <string_view>

#include "schemas/time.hpp"
#include "schemas/troupe.pb.h"
#include "troupe/outcome.hpp"

namespace troupe::lifecycle {

// Transitions kept per job: the first one (creation) and the most recent ones.
constexpr int max_transitions = 32;
// Errors of failed attempts kept per job: the most recent ones.
constexpr int max_attempt_errors = 32;
// Number of priority lanes, served in lane order (CRITICAL first).
constexpr int lane_count = 4;

bool is_terminal(Job::State state);

// 0 for CRITICAL, 1 HIGH, 2 NORMAL, 3 LOW.
int lane_of(JobSpec::Priority priority);

// The state name as in the schema ("READY").
const char* state_name(Job::State state);

// Sets `state` and records the transition. REQUIRES: the transition is allowed (callers below check).
void enter(Job& job, Job::State state, micros now, std::string_view reason = {});

// A new job: id, creation time; enters READY (position `ready_seq`), or SCHEDULED until its run_at if that is
// ahead of `now`.
void accept(Job& job, uint64_t id, micros now, uint64_t ready_seq);

// A new job that waits for dependencies or a batch: id, creation time, resolved defaults; enters BLOCKED.
void accept_blocked(Job& job, uint64_t id, micros now);

// BLOCKED -> READY (position `ready_seq`), or SCHEDULED until its run_at if that is ahead: what the job waited
// for is done.
void release(Job& job, micros now, uint64_t ready_seq, std::string_view reason);

// SCHEDULED -> READY (position `ready_seq`): its time came, or an operator ran it now.
void make_due(Job& job, micros now, uint64_t ready_seq, std::string_view reason = {});

// READY -> RUNNING: counts the attempt before it runs, so recovery after a crash sees it.
void start_attempt(Job& job, const Lease& lease, micros now, std::string_view reason = {});

// RUNNING -> the state that `result` leads to. A failure with attempts left is retried: SCHEDULED until
// `retry_at` when that is ahead of `now` (its backoff), else READY at position `ready_seq`; without attempts left
// it ends DEAD; a permanent failure ends FAILED. A failure's error is kept in job.errors.
void finish_attempt(Job& job, const outcome& result, micros duration, micros now, uint64_t ready_seq,
                    micros retry_at = 0);

// RUNNING -> READY after the node that ran it died: the attempt stays counted, so a job whose attempts are used
// up ends DEAD instead. `keep_lease`: the READY record keeps the interrupted attempt's lease, so that a worker that
// still finishes the attempt may report its result (resume_reported) until the job is claimed again; without it
// (a lost worker) any later result of the attempt is stale.
void requeue_interrupted(Job& job, micros now, uint64_t ready_seq, std::string_view reason,
                         bool keep_lease = false);

// READY -> RUNNING again for the interrupted attempt whose lease the record kept (requeue_interrupted with
// keep_lease), because its worker reported the attempt's result; finish_attempt follows.
// REQUIRES: job READY with a lease.
void resume_reported(Job& job, micros now, std::string_view reason);

// RUNNING -> READY without counting the attempt: the node handed the job back (shutdown grace expired).
void hand_back(Job& job, micros now, uint64_t ready_seq, std::string_view reason);

// DEAD, FAILED or CANCELLED -> READY (position `ready_seq`), attempts reset: an operator retries the job.
void retry(Job& job, micros now, uint64_t ready_seq, std::string_view reason);

// A job that has not started: takes `priority`; a READY job moves to the end of its new lane (`ready_seq`).
// Recorded as a transition to the state it is in.
void reprioritize(Job& job, JobSpec::Priority priority, micros now, uint64_t ready_seq, std::string_view reason);

// Any non-terminal state -> CANCELLED. REQUIRES: !is_terminal(job.state()).
void cancel(Job& job, micros now, std::string_view reason);

// The wait that just ended in `state`, in seconds: from the transition that entered it (re-entries into the same
// state, as a reprioritization makes, do not restart it) to the newest transition. Negative if the record does not
// say (its previous transition is not in `state`).
double wait_in(const Job& job, Job::State state);

}  // namespace troupe::lifecycle
