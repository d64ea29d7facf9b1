#pragma once
// The scheduler's state and the functions that work on it, shared by scheduler.cpp (request handlers) and
// scheduler_dispatch.cpp (claim, run, outcome, flush). Internal to the scheduler.
//
// Where a job can be, as the scheduler sees it (exactly one at a time):
//   ready queue -> claiming (claim in flight) -> running (in a slot) -> finishing (final write in flight)
//   ready queue -> cancelling (cancel in flight)
// A job in none of these is either terminal or unknown; the store says which.

#include <array>
#include <functional>
#include <memory>
#include <optional>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include <caf/stateful_actor.hpp>
#include <caf/typed_event_based_actor.hpp>
#include <caf/typed_response_promise.hpp>

#include "actors/engine_context.hpp"
#include "actors/interfaces.hpp"
#include "actors/ready_queue.hpp"

namespace troupe {

struct running_job {
  enum class stop_reason : uint8_t { none, cancel, hand_back };
  Job job;  // the RUNNING record: attempt counted, lease set
  uint32_t slot = 0;
  stop_reason stop = stop_reason::none;
};

struct slot_entry {
  slot_actor handle;
  std::string pool;
  bool alive = true;
  bool busy = false;
};

// One await (or cancel) request: answered when every job it names is terminal.
struct await_request {
  std::vector<Job> results;
  size_t remaining = 0;
  bool answered = false;
  std::function<void(std::vector<Job>&)> on_done;
  std::function<void(caf::error)> on_error;
};

struct waiter {
  std::shared_ptr<await_request> request;
  size_t index = 0;
};

// Jobs finished per second over the last minute, for status.
class throughput_window {
 public:
  void record(micros now, uint64_t count = 1);
  double per_second(micros now, int seconds) const;

 private:
  static constexpr int size = 64;
  std::array<uint64_t, size> buckets_{};
  int64_t last_second_ = 0;
};

struct scheduler_counters {
  uint64_t submitted = 0;
  uint64_t succeeded = 0;
  uint64_t failed_attempts = 0;  // every failed attempt, retried or not
  uint64_t dead = 0;
  uint64_t failed = 0;           // ended FAILED (permanent)
  uint64_t cancelled = 0;
};

struct scheduler_state {
  static inline const char* name = "troupe.scheduler";

  explicit scheduler_state(caf::local_actor*) {}

  engine_context_ptr ctx;
  journal_actor journal;
  ready_queue ready;
  std::unordered_set<job_id> claiming;
  std::unordered_set<job_id> cancel_after_claim;
  std::unordered_set<job_id> cancelling;
  std::unordered_map<job_id, running_job> running;
  std::unordered_set<job_id> finishing;
  std::unordered_map<job_id, std::vector<waiter>> waiters;

  std::vector<slot_entry> slots;
  std::vector<uint32_t> free_slots;
  std::unordered_map<caf::actor_addr, uint32_t> slot_by_addr;

  journal_writes pending;        // final records waiting for the next flush
  bool flush_scheduled = false;
  bool dispatch_scheduled = false;
  uint64_t writes_in_flight = 0; // commits sent and not yet acknowledged

  bool draining = false;
  std::vector<caf::typed_response_promise<ok_atom>> drain_promises;

  scheduler_counters counters;
  throughput_window throughput;
  micros started_at = 0;
};

using scheduler_self = scheduler_actor::stateful_pointer<scheduler_state>;

// --- scheduler_dispatch.cpp ---
// Claims ready jobs for free slots, up to maxJobsPerRun in this turn.
void dispatch(scheduler_self self);
// Hands a finished (or handed back, or cancelled) job's record to the next flush.
void queue_final(scheduler_self self, Job job, const storage::job_position& before);
// Writes the queued records; on success requeues retried jobs and answers waiters.
void flush(scheduler_self self);
// Answers drain requests once nothing runs and every write is durable.
void check_drained(scheduler_self self);

// --- scheduler.cpp ---
// Registers `w` to be answered with job `id`'s record once it is terminal.
void add_waiter(scheduler_self self, job_id id, waiter w);
// Job `id` is terminal with record `job` (or, without one, as the store says): answers its waiters.
void notify_waiters(scheduler_self self, job_id id, const Job* job);

}  // namespace troupe
