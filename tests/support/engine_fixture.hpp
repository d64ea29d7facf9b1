#pragma once
// A whole troupe node (supervisor, journal, reader, retention, scheduler, pool of slots, gateway) under CAF's
// deterministic test coordinator, on a real RocksDB store in a temporary directory, with a manual wall clock.
// Nothing runs until the test says so: run() lets every actor handle what is in its mailbox, advance() moves
// time (CAF's test clock and the engine's wall clock together) and fires the timers that come due on the way,
// one deadline at a time. No threads of its own, no sleeps; only the worker pool has threads, so tests that
// must stay deterministic avoid the cpu kind and worker_pool functions.
//
//   engine_fixture f{engine_fixture::options_with_slots(1)};
//   auto id = f.submit(f.spec("sleep", R"({"ms": 1000})"));
//   f.advance(std::chrono::seconds{1});
//   BOOST_TEST(f.get(id).state() == Job::SUCCEEDED);
//
// Requests go through the gateway from a hidden scoped actor: send, run until idle, then take the answer with
// a zero timeout, so a request the node did not answer fails the test instead of hanging it. The try_* forms
// return the error; the plain forms fail the test on one.
//
// Test kinds, on top of the built-in ones:
//   record  (inline) appends the job id to started() when an attempt starts, and succeeds;
//   throws  start() throws std::runtime_error("kind exploded").
//
// Lifecycle: the constructor opens the store and starts the engine. shutdown() stops it gracefully, crash()
// kills every actor without a drain; close() then destroys the actor system and the store, open() reopens the
// store (running storage recovery like node::start) and start() spawns the engine again; restart() is all three.
// The destructor stops whatever still runs. Internal actors are found by their state name (actors_named:
// "troupe.supervisor", "troupe.scheduler", "troupe.journal", "troupe.pool", "troupe.slot", "troupe.gateway",
// "troupe.retention"), from the actors the fixture saw run.
//
// Notes for tests on top of it (CAF 0.17):
// - Boost builds a check's message even when the check passes: describe(x.error()) on a value is undefined;
//   use error_text(x).
// - An exit message with reason `kill` is fatal to every actor linked to its target, exit handlers or not. To
//   have a single actor fail, send another reason (exit_reason::unhandled_exception, as a throwing handler).
// - Timers fire only in advance(); run() never moves time. Retention ticks every retentionIntervalMs, so there
//   is always a pending timer: wait for a condition with await_for() or a bounded advance(), not "until idle".

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/scheduler/test_coordinator.hpp>
#include <caf/scoped_actor.hpp>
#include <boost/test/unit_test.hpp>

#include "actors/clock.hpp"
#include "actors/engine_context.hpp"
#include "actors/gateway.hpp"
#include "actors/interfaces.hpp"
#include "actors/supervisor.hpp"
#include "storage/recovery.hpp"
#include "support/temp_dir.hpp"
#include "troupe/kind.hpp"
#include "troupe/protocol.hpp"

namespace troupe::test {

// Readable values for checks: "SUCCEEDED", "unknown_kind" ("none" for no error).
std::string state_of(const Job& job);
std::string code_name(const caf::error& err);
// The error of `x` described, or "no error": safe in a check's message, which is built even when it passes.
template <class T>
std::string error_text(const caf::expected<T>& x) {
  return x ? std::string{"no error"} : describe(x.error());
}
// Sets a spec's per-attempt timeout.
void set_timeout(JobSpec& spec, std::chrono::microseconds timeout);

class engine_fixture {
 public:
  // Adds test-specific kinds to the registry (called on every open).
  using kind_setup = std::function<void(kind_registry&)>;

  // Options for tests: `slots` local slots, one worker thread, node name "test-node", retries without backoff. `data` is set by the
  // fixture.
  static node_options options_with_slots(uint32_t slots);

  explicit engine_fixture(node_options options = options_with_slots(2), kind_setup extra_kinds = {});
  ~engine_fixture();
  engine_fixture(const engine_fixture&) = delete;
  engine_fixture& operator=(const engine_fixture&) = delete;

  // --- the system --------------------------------------------------------------------------------------------
  caf::actor_system& sys() { return *sys_; }
  caf::scheduler::test_coordinator& sched() { return *sched_; }
  caf::scoped_actor& self() { return *self_; }
  const gateway_internal_actor& gateway() const { return gateway_; }
  const supervisor_actor& supervisor() const { return supervisor_; }
  const engine_context& ctx() const { return *ctx_; }
  engine_context_ptr context_ptr() const { return ctx_; }
  manual_clock& wall() { return *wall_; }
  const node_options& options() const { return options_; }
  // Options for the next open() (as a node restarted with another configuration); `data` stays.
  void set_options(node_options options);
  const storage::recovery_report& last_recovery() const { return last_recovery_; }

  // --- driving -----------------------------------------------------------------------------------------------
  // Lets every actor handle its messages until none is left (timers do not fire). Returns the messages handled.
  size_t run();
  // Moves time forward by `span`, stopping at every timer that comes due on the way (both clocks move to it, it
  // fires, run()), so that what a timer starts sees the right time.
  void advance(caf::timespan span);
  // CAF's test clock, as the slots see it.
  caf::actor_clock::time_point caf_now() { return sched_->clock().now(); }

  // --- requests through the gateway ---------------------------------------------------------------------------
  caf::expected<std::vector<job_id>> try_submit(std::vector<JobSpec> specs);
  std::vector<job_id> submit(std::vector<JobSpec> specs);
  job_id submit(JobSpec spec);
  caf::expected<Job> try_get(job_id id);
  Job get(job_id id);
  caf::expected<JobPage> try_list(JobQuery query = {});
  caf::expected<Job> try_cancel(job_id id);
  Job cancel(job_id id);
  caf::expected<NodeStatus> try_status();
  NodeStatus status();
  caf::expected<ExecutionPlan> try_plan(job_id id);
  caf::expected<BatchSummary> try_batch(const std::string& name);
  caf::expected<Job> try_control(const JobControl& control);
  caf::expected<QueueList> try_queues(const QueueControl& control);
  caf::expected<CronList> try_cron(const CronControl& control);
  // A user's usage, asked of the scheduler itself (the gateway does not offer it).
  caf::expected<UserUsage> try_usage(const std::string& user);
  UserUsage usage(const std::string& user);
  // Lower level: send without running, to put several requests in the mailboxes at once; then run() and take
  // the answers (nullopt: none came). Answers of different types can be taken in any order.
  void send_submit(std::vector<JobSpec> specs);
  void send_cancel(job_id id);
  std::optional<caf::expected<std::vector<job_id>>> submit_answer();
  std::optional<caf::expected<Job>> job_answer();
  // Waits for `ids` without moving time: fails the test unless every job is terminal already.
  std::vector<Job> await(std::vector<job_id> ids);
  // Sends an await and leaves the answer in the mailbox; take it with await_answer().
  void send_await(std::vector<job_id> ids);
  // The answer to an earlier send_await if it came (after run()), nullopt otherwise.
  std::optional<caf::expected<std::vector<Job>>> await_answer();
  // Sends an await and advances time (timer by timer) until it is answered, at most `horizon`.
  std::vector<Job> await_for(std::vector<job_id> ids, caf::timespan horizon = std::chrono::hours{1});

  // Sends a request to any actor of the node (`target`: the access, metrics or alert actor, say), lets every
  // actor run, and takes the answer: its value or its error. Fails the test, naming `who`, if none came.
  template <class T, class Handle, class... Ts>
  caf::expected<T> ask_actor(const Handle& target, const std::string& who, Ts&&... xs) {
    BOOST_REQUIRE_MESSAGE(target, "engine_fixture: " << who << " is not running");
    (*self_)->send(target, std::forward<Ts>(xs)...);
    run();
    auto out = take_reply<T>();
    if (!out) BOOST_FAIL("engine_fixture: " << who << " did not answer");
    return std::move(*out);
  }

  // --- specs -------------------------------------------------------------------------------------------------
  // A spec of `kind` with a JSON payload.
  static JobSpec spec(std::string kind, std::string_view payload_json = "{}",
                      JobSpec::Priority priority = JobSpec::NORMAL);
  static JobSpec sleep_spec(std::chrono::milliseconds ms, JobSpec::Priority priority = JobSpec::NORMAL);
  static JobSpec record_spec(JobSpec::Priority priority = JobSpec::NORMAL);

  // --- observation -------------------------------------------------------------------------------------------
  // Ids of the jobs whose attempts the `record` kind started, in order (kept across restarts).
  const std::vector<job_id>& started() const { return *started_; }
  // A job's record as stored (read from the store directly, not through the actors).
  Job stored(job_id id);
  // The live actors seen so far whose name (a state's `name`) is `name`, e.g. "troupe.slot".
  std::vector<caf::strong_actor_ptr> actors_named(std::string_view name);
  caf::strong_actor_ptr actor_named(std::string_view name);  // the one live actor; fails the test otherwise
  // Actors of the node still running in the system (not counting the fixture's own scoped actor).
  size_t running_actors() const;

  // --- lifecycle ---------------------------------------------------------------------------------------------
  // Asks the supervisor to shut down with `grace`; answered after run() or later (shutdown_answer()).
  void begin_shutdown(std::chrono::milliseconds grace);
  std::optional<caf::error> shutdown_answer();  // none: it answered ok; nullopt: no answer yet
  // Shuts down and advances time until the supervisor answered (at most grace + 2 min). Returns its error.
  caf::error shutdown(std::chrono::milliseconds grace);
  // Kills every actor (supervisor first), with no drain or hand back, as a crash would.
  void crash();
  // Destroys the actor system, the context and the store. REQUIRES: every actor is gone (shutdown or crash).
  void close();
  // Creates the actor system, opens the store in the same directory and runs storage recovery.
  void open();
  // Spawns the supervisor and fetches the gateway.
  void start();
  // close(); open(); start().
  void restart();

 private:
  void note_actor(caf::resumable* job);
  // The answer waiting in the fixture's mailbox, if one came (no waiting).
  template <class T>
  std::optional<caf::expected<T>> take_reply() {
    std::optional<caf::expected<T>> out;
    (*self_)->receive([&](T& x) { out.emplace(std::move(x)); },
                      [&](caf::error& err) { out.emplace(std::move(err)); },
                      caf::after(std::chrono::seconds(0)) >> [] {});
    return out;
  }
  template <class T, class... Ts>
  caf::expected<T> ask(Ts&&... xs) {
    return ask_actor<T>(gateway_, "the gateway", std::forward<Ts>(xs)...);
  }

  temp_dir dir_;
  node_options options_;
  kind_setup extra_kinds_;
  std::shared_ptr<std::vector<job_id>> started_ = std::make_shared<std::vector<job_id>>();
  std::shared_ptr<manual_clock> wall_ = std::make_shared<manual_clock>();
  micros wall_base_ = 0;
  caf::actor_clock::time_point caf_base_{};

  std::unique_ptr<caf::actor_system_config> cfg_;
  std::unique_ptr<caf::actor_system> sys_;
  caf::scheduler::test_coordinator* sched_ = nullptr;
  std::unique_ptr<caf::scoped_actor> self_;
  size_t baseline_actors_ = 0;
  std::shared_ptr<engine_context> ctx_;
  storage::recovery_report last_recovery_;
  supervisor_actor supervisor_;
  gateway_internal_actor gateway_;
  struct seen_actor {
    std::string name;
    caf::weak_actor_ptr handle;
    std::shared_ptr<bool> alive;
  };
  std::vector<seen_actor> seen_;
  std::vector<caf::actor_id> seen_ids_;
};

}  // namespace troupe::test
