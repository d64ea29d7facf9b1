#pragma once
// The scheduler's state and the functions that work on it, shared by scheduler.cpp (requests), and
// scheduler_dispatch.cpp (claims, runs, outcomes, commits). Internal to the scheduler.
//
// Where a job can be, as the scheduler sees it (at most one at a time):
//   ready queue -> loading (record being read) -> running (claim written; then in a slot) -> finishing (final
//   write in flight) -> gone (terminal) or back in the ready queue (retried, handed back)
// A job in none of these is either terminal, unknown, or READY in the queue; the store says which.
//
// Every change the scheduler makes goes into `batch`; one commit per turn (a self-sent flush after the messages
// already queued) carries them all to the journal, and `after` says what to do once they are durable.

#include <algorithm>
#include <array>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <queue>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include <caf/stateful_actor.hpp>
#include <caf/typed_event_based_actor.hpp>
#include <caf/typed_response_promise.hpp>

#include "actors/engine_context.hpp"
#include "actors/interfaces.hpp"
#include "actors/metrics_recorder.hpp"
#include "actors/rate_limiter.hpp"
#include "actors/ready_queue.hpp"
#include "schemas/backoff.hpp"
#include "schemas/cron.hpp"
#include "schemas/usage.hpp"

namespace troupe {

struct running_job {
  // cancel: a client cancelled it; hand_back: to READY without counting the attempt (shutdown, a draining
  // worker's grace over); lost: its worker was lost before the claim was durable (to READY, attempt counted).
  enum class stop_reason : uint8_t { none, cancel, hand_back, lost };
  uint32_t slot = 0;
  uint32_t attempt = 0;
  uint64_t token = 0;  // the lease's fencing token
  int lane = 0;
  stop_reason stop = stop_reason::none;
  std::optional<Job> starting;  // the RUNNING record until its claim is durable; then the slot holds it
};

struct slot_entry {
  slot_actor handle;
  uint32_t pool = 0;  // index into scheduler_state::pools
  bool alive = true;
  bool busy = false;
  ready_queue::flow_key key = {};  // while busy: the user and kind of its job, counted as running by the queue
};

// A pool of slots offered to the scheduler: the node's local pool or a worker's (actors/scheduler_pools.cpp).
// Its free slots are offered for jobs of its kinds only while it accepts (it is not draining and not gone).
struct pool_entry {
  std::string name;
  bool remote = false;
  bool draining = false;
  bool gone = false;                  // left, or lost: its slots are forgotten
  std::vector<uint32_t> kinds;        // the kinds it runs (ready queue kind keys), sorted
  std::vector<std::string> kind_names;  // and their names, sorted
  std::vector<uint32_t> tracked;      // those of its kinds not run by every accepting pool (placement counts them)
  std::vector<uint32_t> free;         // its free slots, while it accepts (at most `limit` minus busy)
  std::vector<uint32_t> held;         // free slots the concurrency limit keeps back
  uint32_t alive = 0;                 // slots alive
  uint32_t busy = 0;                  // slots holding a job
  uint64_t requeued = 0;              // jobs sent back to READY because it was lost
  // Concurrency (resource manager, adaptiveThrottling): jobs it may run at once, why, when it last changed.
  uint32_t limit = UINT32_MAX;
  std::string limit_reason;
  micros limit_changed_at = 0;
  uint64_t limit_changes = 0;
  // What it ran since it came (the resource manager takes differences): attempts started and the sum of their
  // pickup latencies, attempts finished and of those failed.
  uint64_t started = 0;
  double pickup_seconds = 0;
  uint64_t finished = 0;
  uint64_t failed = 0;
  bool accepts() const { return !draining && !gone && alive > 0; }
  bool runs(uint32_t kind) const { return std::binary_search(kinds.begin(), kinds.end(), kind); }
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

// What to do once the writes of one commit are durable.
struct after_commit {
  struct submitted {
    caf::typed_response_promise<std::vector<job_id>> promise;
    std::vector<job_id> ids;
    std::vector<ready_queue::entry> entries;
    std::vector<int> lanes;
    std::vector<ready_queue::flow_key> keys;
    std::vector<std::pair<std::string, job_id>> unique;  // idempotency keys this submit stores (pending_unique)
  };
  struct queued {
    int lane = 0;
    ready_queue::flow_key key;
    ready_queue::entry entry;
  };
  struct terminal {
    job_id id = 0;
    std::optional<Job> record;  // kept only when someone waits for the job
  };
  std::vector<submitted> submits;
  std::vector<job_id> started;  // claims: send to their slots
  std::vector<queued> requeued; // retried or handed back: queue again
  std::vector<terminal> ended;  // terminal: answer waiters
  std::vector<dependency_event> dep_events;  // for the dependency manager
  std::vector<std::pair<micros, job_id>> scheduled;  // SCHEDULED until then: into the timer queue
  std::vector<std::pair<caf::typed_response_promise<Job>, Job>> job_answers;  // controls: answer with the record
  std::vector<caf::typed_response_promise<QueueList>> queue_answers;         // queue controls
  std::vector<std::pair<caf::typed_response_promise<CronList>, CronList>> cron_answers;  // cron controls
  bool empty() const {
    return submits.empty() && started.empty() && requeued.empty() && ended.empty() && dep_events.empty() &&
           scheduled.empty() && job_answers.empty() && queue_answers.empty() && cron_answers.empty();
  }
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

// A cron schedule as the scheduler runs it (actors/scheduler_cron.cpp).
struct cron_entry {
  CronSchedule record;         // as stored, progress included
  cron_expression expression;
  cron_zone zone;
  std::optional<micros> next;  // its next occurrence; nullopt while paused, or if it has none
};

// Per-user quotas from the options (maxQueuedPerUser, maxPayloadMBPerUser and their overrides; 0: no limit).
struct quota_limits {
  uint64_t jobs = 0;
  uint64_t payload_bytes = 0;
  std::unordered_map<std::string, uint32_t> user_jobs = {};        // userQueuedLimits
  std::unordered_map<std::string, uint32_t> user_payload_mb = {};  // userPayloadLimitsMB
  uint64_t jobs_of(const std::string& user) const;
  uint64_t payload_bytes_of(const std::string& user) const;
};

// One user's usage as the scheduler keeps it: every unfinished job it accepted or changed, durable or not.
struct user_usage {
  usage_counter counter = {};
  bool dirty = false;  // changed since the last commit: written into the next one (scheduler_state.usage_dirty)
};

struct scheduler_state {
  static inline const char* name = "troupe.scheduler";

  explicit scheduler_state(caf::local_actor*) {}

  engine_context_ptr ctx;
  journal_actor journal;
  reader_actor reader;
  dependency_actor deps;
  ready_queue ready;
  rate_limiter limiter;          // kindRateLimits, userRateLimits
  micros refill_at = INT64_MAX;  // the time the refill timer is armed for
  // SCHEDULED jobs by due time, earliest first (entries of jobs that left SCHEDULED meanwhile are dropped when
  // they come due), the number of SCHEDULED jobs, and the time the next timer is armed for.
  std::priority_queue<std::pair<micros, job_id>, std::vector<std::pair<micros, job_id>>, std::greater<>> timers;
  uint64_t scheduled_jobs = 0;
  micros timer_at = INT64_MAX;
  bool due_loading = false;  // a chunk of due jobs is being loaded: the next waits for it
  // Keys of the stored node-wide control events (meta "audit:"), oldest first, and the next one's sequence number.
  std::deque<std::string> audit_keys;
  uint64_t audit_seq = 0;
  // Cron schedules by name, and the time the cron timer is armed for.
  std::map<std::string, cron_entry> cron;
  micros cron_at = INT64_MAX;
  // BLOCKED jobs (stored or being stored). While there are any, the dependency manager hears of every job that
  // ends and every job of a batch that is stored; without any, nothing can wait, so it hears nothing.
  uint64_t blocked_jobs = 0;
  std::unordered_set<job_id> loading;
  std::unordered_set<job_id> cancel_after_load;
  std::unordered_map<job_id, running_job> running;
  std::unordered_set<job_id> finishing;
  std::unordered_set<job_id> cancel_after_write;  // cancelled while finishing: cancelled if it comes back READY
  std::unordered_map<job_id, std::string> cancelled_by;  // who asked to cancel a job, until it ends
  std::unordered_map<job_id, std::vector<waiter>> waiters;

  std::vector<slot_entry> slots;
  std::unordered_map<caf::actor_addr, uint32_t> slot_by_addr;
  // Pools and placement (actors/scheduler_pools.cpp): free slots of accepting pools; per kind key, whether every
  // accepting pool runs it (universal) and otherwise how many free slots run it; kinds evaluated so far.
  std::vector<pool_entry> pools;
  std::unordered_map<std::string, uint32_t> pool_by_name;
  uint32_t free_total = 0;
  uint64_t slots_lost = 0;  // slots that died, or were lost with their worker (not drained ones that left)
  std::vector<uint8_t> kind_universal;
  std::vector<uint32_t> kind_free;
  // Jobs whose worker reported a result while their record is being read: set when the job leaves the ready queue
  // meanwhile (then the report is stale).
  std::unordered_map<job_id, bool> reporting;

  storage::write_batch batch;  // changes for the next commit
  after_commit after;          // and what follows once they are durable
  bool flush_scheduled = false;
  bool dispatch_scheduled = false;
  uint64_t writes_in_flight = 0;  // commits sent and not yet acknowledged

  bool draining = false;
  bool runner_stopped = false;  // an operator stopped dispatch (durable: meta "runner_stopped")
  Admission admission;          // memory-aware admission (resource manager): held, no job starts
  std::vector<caf::typed_response_promise<ok_atom>> drain_promises;

  backoff_policy node_retry;                                  // from the retry* options
  std::unordered_map<std::string, backoff_policy> kind_retry;  // from kindRetry
  // Idempotency keys (storage::keys::unique_prefix) of jobs accepted but not durable yet, and their ids: a second
  // submit with the same key in the meantime finds them here rather than in the store.
  std::unordered_map<std::string, job_id> pending_unique;
  // Per-user usage (actors/scheduler_quotas.cpp): counters of unfinished jobs by user, those accepted but not
  // durable yet included, so that admission sees every submit before it; the users whose counters changed since
  // the last commit, whose absolute values the next commit carries with the changes of state that made them.
  std::unordered_map<std::string, user_usage> usage;
  std::vector<std::string> usage_dirty;
  quota_limits quotas;
  scheduler_counters counters;
  throughput_window throughput;
  metrics_recorder metrics;  // with metricsEnabled: every write counted for the metrics actor
  bool metrics_on = false;
  micros started_at = 0;
};

using scheduler_self = scheduler_actor::stateful_pointer<scheduler_state>;

// --- scheduler_dispatch.cpp ---
// Claims ready jobs for free slots, up to maxJobsPerRun in this turn.
void dispatch(scheduler_self self);
// Has the next turn's commit carry what `batch` and `after` hold.
void schedule_flush(scheduler_self self);
// Sends the accumulated changes to the journal; acts on `after` once they are durable.
void flush(scheduler_self self);
// Whether a job of `key` that is READY now may take a free slot at once rather than queue: nothing waits in the
// ready queue or is being claimed, dispatch runs, and the key's limits allow it.
bool can_start_at_once(scheduler_state& st, ready_queue::flow_key key);
// Starts an attempt of a READY job in `slot`: its RUNNING record (attempt counted) goes into the next commit, and
// the job goes to the slot once that is durable. `before`: where the stored job sits (nullptr: the job was just
// accepted and has no record yet).
void start_attempt_in(scheduler_self self, Job job, uint32_t slot, const storage::job_position* before);
// Reports what became durable to the dependency manager and carries out its decisions.
void report_to_dependencies(scheduler_self self, std::vector<dependency_event> events);

// --- scheduler_controls.cpp ---
// An operator's action on a job: answered with the record once its new state is durable.
caf::result<Job> control_job(scheduler_self self, const JobControl& control);
// Lists, pauses or resumes queues and the runner: answered once the change is durable.
caf::result<QueueList> control_queues(scheduler_self self, const QueueControl& control);
// The queues as they are now.
QueueList queue_list(const scheduler_state& st);
// Restores paused queues, a stopped runner and the controls' history from the store (at start).
storage::status restore_pauses(scheduler_self self);
// Who asked for a control: `by`, or "an operator".
std::string operator_name(const std::string& by);
// Records a node-wide control (who, now, what) in the next commit and the log; keeps the latest 1,000.
void record_control(scheduler_self self, const std::string& by, std::string what);
// The resource manager's order (actors/resources.cpp): hold (no job starts; the cache of queued records is
// dropped; a running cap is set: Admission.running_cap) or resume admission (up to the cap, which a resume while
// not held raises), with memory as a percent of maxMemoryMB and the reason.
void set_admission(scheduler_self self, bool held, double memory_percent, const std::string& reason);
// How many more jobs admission lets start now (its running cap; SIZE_MAX without one, 0 while held).
size_t admission_room(const scheduler_state& st);
// Whether the scheduler is changing the job (a claim, an attempt, a write in flight).
bool in_flight(const scheduler_state& st, job_id id);

// --- scheduler_timers.cpp ---
// Adds SCHEDULED jobs (due time, id) to the timer queue and arms the timer for the earliest.
void add_timers(scheduler_self self, const std::vector<std::pair<micros, job_id>>& due);
// The timer fired: jobs whose time came turn READY (their records are loaded, then written READY).
void fire_timers(scheduler_self self);
// Records a job's new state after an attempt (or a cancel before it ran): into the next commit, and then into
// the ready queue (READY) or to its waiters (terminal).
void queue_final(scheduler_self self, Job job, const storage::job_position& before);
// Answers drain requests once nothing runs and every write is durable.
void check_drained(scheduler_self self);
// A rate limit's bucket may hold a token again: lets go of the parties that have one, and arms the next refill.
void refill_rates(scheduler_self self);
// The ready queue's key of a job.
ready_queue::flow_key flow_key_of(scheduler_state& st, const Job& job);
// How a job's failed attempts are retried: its own policy, then its kind's (kindRetry), then the node's.
backoff_policy retry_policy_of(const scheduler_state& st, const Job& job);
// The reason a cancelled job's transition gives: "cancelled by WHO" (WHO: who asked, or "a client") and `when`.
std::string cancel_reason(const scheduler_state& st, job_id id, std::string_view when = {});
// Cancels job `id` as stored (it is not in flight): into the next commit.
void cancel_stored(scheduler_self self, job_id id);
// Cancels `job` (its latest record; not terminal) for a client: CANCELLED in the next commit. `in_ready_queue`:
// a READY job's entry is still in the ready queue and is removed from it.
void cancel_record(scheduler_self self, Job job, bool in_ready_queue);
// The slot died (`reason`): fails the attempt it was running. Its run request is never answered: CAF 0.17 does
// not break the promises of an actor that dies, so the down message is the only news of it.
void fail_attempts_in(scheduler_self self, uint32_t slot, const caf::error& reason);
// Reads job `id` from the store (it counts as finishing meanwhile) and runs `then` with the record if the job is
// still RUNNING at `attempt`: what follows an attempt whose slot is gone. `what` names the occasion if the read
// fails.
void with_running_record(scheduler_self self, job_id id, uint32_t attempt, std::string what,
                         std::function<void(Job)> then);
// Applies an attempt's outcome to the job's RUNNING record (into the next commit).
void finish(scheduler_self self, Job job, running_job::stop_reason stop, outcome result, micros duration);
// An outcome arrived from a slot: applied if (id, attempt, token) is still the job's running attempt.
void on_outcome(scheduler_self self, job_id id, uint32_t attempt, uint64_t token, Job job, outcome result,
                micros duration);

// Takes a free slot for a job of `key` (take_free_slot). `counted`: the ready queue already counts the job as
// running (it popped it); otherwise it is counted now. Takes the job's tokens from its rate limits.
// REQUIRES: placeable(st, key.kind).
uint32_t occupy_slot(scheduler_self self, ready_queue::flow_key key, bool counted);
// Gives a slot back (return_slot); its job no longer counts as running.
void release_slot(scheduler_self self, uint32_t slot);

// --- scheduler_pools.cpp ---
// Takes a free slot in the accepting pool that runs `kind` with the most free slots (load balancing by free
// slots). REQUIRES: placeable(st, kind).
uint32_t take_free_slot(scheduler_state& st, uint32_t kind);
// A busy slot is free again: back to its pool's free slots if it is alive and the pool accepts.
void return_slot(scheduler_state& st, uint32_t slot);
// Whether a free slot runs `kind` now (evaluates kinds interned since the last call).
bool placeable(scheduler_state& st, uint32_t kind);
// Evaluates placement for kinds the ready queue interned since the last call (before a pop).
void place_new_kinds(scheduler_state& st);
// A job left the ready queue (popped, removed): a report being checked for it is stale.
inline void note_left_queue(scheduler_state& st, job_id id) {
  if (st.reporting.empty()) return;
  if (auto it = st.reporting.find(id); it != st.reporting.end()) it->second = true;
}
// Pool messages (pool_scheduler_actor).
void add_slots(scheduler_self self, const pool_offer& offer, std::vector<slot_actor>& handles);
void drain_pool(scheduler_self self, const std::string& pool);
void hand_back_pool(scheduler_self self, const std::string& pool);
uint32_t remove_pool(scheduler_self self, const std::string& pool, const std::string& why);
caf::result<uint32_t> apply_reports(scheduler_self self, std::vector<attempt_report>& reports);
WorkerList pool_list(const scheduler_state& st);
// The resource manager's order (actors/resources.cpp): set a pool's concurrency limit (slots above it are kept
// back until it rises; running jobs are never stopped for it).
void set_pool_limit(scheduler_self self, const std::string& pool, uint32_t limit, const std::string& reason);
// What each pool ran so far, for the resource manager; and each pool's limit, for status and metrics.
PoolLoads pool_loads(const scheduler_state& st);
void fill_pool_limits(const scheduler_state& st, google::protobuf::RepeatedPtrField<PoolLimit>* out);
// An attempt started in, or finished from, `slot`: counted for its pool.
void count_pool_start(scheduler_state& st, uint32_t slot, const Job& job);
void count_pool_finish(scheduler_state& st, uint32_t slot, const outcome& result);
// A slot died: a local slot's attempt fails; a worker's slot's job goes back to READY with the attempt counted.
void on_slot_down(scheduler_self self, const caf::down_msg& msg);
// Takes a job whose worker was lost (the claim was durable) back to READY with the attempt counted: the record
// comes back from the store.
void requeue_lost(scheduler_self self, job_id id, uint32_t attempt, std::string why);
// The reason a lost worker's jobs give.
std::string lost_reason(const scheduler_state& st, uint32_t slot);

// --- scheduler_cron.cpp ---
// Adds, lists, pauses, resumes or deletes cron schedules: answered once the change is durable.
caf::result<CronList> control_cron(scheduler_self self, const CronControl& control);
// Loads the cron schedules from the store and handles occurrences missed while the node was down (at start).
storage::status restore_cron(scheduler_self self);
// The cron timer fired: each schedule whose occurrence came produces its job.
void fire_cron(scheduler_self self);

// --- scheduler_quotas.cpp ---
// The quotas that the options set (they were validated when parsed).
quota_limits quota_limits_of(const node_options& options);
// Puts a job's record into the next commit: a new job (`before` nullptr) or a change from `before`. Counts the
// change against its user's usage (schemas/usage.hpp). Every job record the scheduler writes goes through here.
// Returns the serialized record.
const std::string& write_job(scheduler_state& st, const Job& job, const storage::job_position* before);
// Admission: an error (ec::quota_exceeded) naming each user of `specs` whose usage plus what the specs marked
// `fresh` (the ones that make new jobs) add would exceed a quota; none if they all fit.
caf::error check_quotas(const scheduler_state& st, const std::vector<JobSpec>& specs,
                        const std::vector<bool>& fresh);
// Puts the counters of the users whose usage changed into the next commit (at its flush).
void write_usage(scheduler_state& st);
// Loads the counters from the store (at start; storage recovery has brought them up to date).
storage::status restore_usage(scheduler_state& st);
// A user's usage, running jobs and quotas, as the usage message answers.
UserUsage usage_of(const scheduler_state& st, const std::string& user);

// --- scheduler.cpp ---
// Cancels a job for `by` (empty: a client); answered with the record it ends with.
caf::result<Job> cancel_job(scheduler_self self, job_id id, const std::string& by);
// Accepts `specs` (validated) as new jobs in the next commit and returns their ids; `sub.promise`, if pending, is
// answered with them once they are durable. `origin`: the cron occurrence that produced them (nullptr: a submit).
// All or nothing: a request over a user's quota is refused (ec::quota_exceeded) before anything is written.
caf::expected<std::vector<job_id>> accept_specs(scheduler_self self, std::vector<JobSpec>& specs,
                                                after_commit::submitted sub, const CronOrigin* origin);
// Registers `w` to be answered with job `id`'s record once it is terminal.
void add_waiter(scheduler_self self, job_id id, waiter w);
// Job `id` is terminal with record `job` (or, without one, as the store says): answers its waiters.
void notify_waiters(scheduler_self self, job_id id, const Job* job);

}  // namespace troupe
