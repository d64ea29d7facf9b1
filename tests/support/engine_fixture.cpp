#include "support/engine_fixture.hpp"

#include <algorithm>
#include <cstdlib>
#include <stdexcept>

#include <boost/test/unit_test.hpp>
#include <caf/actor_cast.hpp>
#include <caf/scheduled_actor.hpp>
#include <spdlog/spdlog.h>

#include "actors/kinds/builtin_kinds.hpp"
#include "actors/node_store.hpp"
#include "schemas/time.hpp"
#include "support/sanitizer.hpp"
#include "troupe/json.hpp"

namespace troupe::test {

namespace {

// start() throws: the slot must fail the attempt and keep serving.
class throwing_kind final : public job_kind {
 public:
  void start(const std::shared_ptr<attempt>&) override { throw std::runtime_error("kind exploded"); }
};

// Quiet logs unless TROUPE_TEST_LOG_LEVEL asks for them (trace, debug, info, ...).
void set_log_level() {
  const char* level = std::getenv("TROUPE_TEST_LOG_LEVEL");
  spdlog::set_level(spdlog::level::from_str(level ? level : "warn"));
}

}  // namespace

std::string state_of(const Job& job) { return Job::State_Name(job.state()); }

std::string code_name(const caf::error& err) { return to_string(code_of(err)); }

void set_timeout(JobSpec& spec, std::chrono::microseconds timeout) {
  set_duration(spec.mutable_timeout(), timeout.count());
}

void engine_fixture::set_options(node_options options) {
  options.data = options_.data;
  options_ = std::move(options);
}

node_options engine_fixture::options_with_slots(uint32_t slots) {
  node_options o;
  o.nodeName = "test-node";
  o.maxConcurrentJobs = slots;
  o.workerPoolSize = 1;
  o.retryBaseMs = 0;  // failed attempts are retried at once; tests of backoff set it
  if (sanitizer_max_memory_mb > 0) o.maxMemoryMB = sanitizer_max_memory_mb;  // support/sanitizer.hpp says why
  return o;
}

engine_fixture::engine_fixture(node_options options, kind_setup extra_kinds)
    : options_(std::move(options)), extra_kinds_(std::move(extra_kinds)) {
  set_log_level();
  options_.data = dir_.sub("store");
  open();
  start();
}

engine_fixture::~engine_fixture() {
  try {
    if (!sys_) return;
    run();
    if (supervisor_) {
      if (auto err = shutdown(std::chrono::milliseconds{0}))
        BOOST_ERROR("engine_fixture: shutdown at the end of the test failed: " << describe(err));
    }
    if (running_actors() > 0) crash();
    close();
  } catch (...) {
    // A failed check during teardown has been reported; never throw from a destructor.
  }
}

// --- driving ---------------------------------------------------------------------------------------------------

void engine_fixture::note_actor(caf::resumable* job) {
  auto* actor = dynamic_cast<caf::scheduled_actor*>(job);
  if (actor == nullptr) return;
  auto id = actor->id();
  if (std::find(seen_ids_.begin(), seen_ids_.end(), id) != seen_ids_.end()) return;
  seen_ids_.push_back(id);
  auto alive = std::make_shared<bool>(true);
  actor->attach_functor([alive] { *alive = false; });
  seen_.push_back(seen_actor{actor->name(), caf::weak_actor_ptr{actor->ctrl()}, alive});
}

size_t engine_fixture::run() {
  size_t handled = 0;
  while (sched_->has_job()) {
    note_actor(sched_->jobs.front());
    sched_->run_once();
    ++handled;
  }
  return handled;
}

namespace {

void sync_wall(manual_clock& wall, micros wall_base, caf::actor_clock::time_point caf_base,
               caf::actor_clock::time_point now) {
  wall.set(wall_base + std::chrono::duration_cast<std::chrono::microseconds>(now - caf_base).count());
}

}  // namespace

void engine_fixture::advance(caf::timespan span) {
  auto& clk = sched_->clock();
  run();
  auto limit = clk.now() + span;
  size_t fired = 0;
  for (;;) {
    const auto& schedule = clk.schedule();
    if (schedule.empty() || schedule.begin()->first > limit) break;
    auto due = std::max(schedule.begin()->first, clk.now());
    clk.advance_time(due - clk.now());  // fires every timer due by then
    sync_wall(*wall_, wall_base_, caf_base_, clk.now());
    run();
    if (++fired > 1'000'000) BOOST_FAIL("engine_fixture::advance: timers keep firing without time moving");
  }
  clk.advance_time(limit - clk.now());
  sync_wall(*wall_, wall_base_, caf_base_, clk.now());
  run();
}

// --- requests --------------------------------------------------------------------------------------------------

caf::expected<std::vector<job_id>> engine_fixture::try_submit(std::vector<JobSpec> specs) {
  return ask<std::vector<job_id>>(submit_atom::value, std::move(specs));
}

std::vector<job_id> engine_fixture::submit(std::vector<JobSpec> specs) {
  auto n = specs.size();
  auto ids = try_submit(std::move(specs));
  if (!ids) BOOST_FAIL("submit failed: " << describe(ids.error()));
  BOOST_REQUIRE_EQUAL(ids->size(), n);
  return std::move(*ids);
}

job_id engine_fixture::submit(JobSpec spec) { return submit(std::vector<JobSpec>{std::move(spec)}).at(0); }

caf::expected<Job> engine_fixture::try_get(job_id id) { return ask<Job>(get_job_atom::value, id); }

Job engine_fixture::get(job_id id) {
  auto job = try_get(id);
  if (!job) BOOST_FAIL("get " << id << " failed: " << describe(job.error()));
  return std::move(*job);
}

caf::expected<JobPage> engine_fixture::try_list(JobQuery query) {
  return ask<JobPage>(list_atom::value, std::move(query));
}

caf::expected<Job> engine_fixture::try_cancel(job_id id) { return ask<Job>(cancel_atom::value, id); }

Job engine_fixture::cancel(job_id id) {
  auto job = try_cancel(id);
  if (!job) BOOST_FAIL("cancel " << id << " failed: " << describe(job.error()));
  return std::move(*job);
}

caf::expected<NodeStatus> engine_fixture::try_status() { return ask<NodeStatus>(status_atom::value); }

caf::expected<ExecutionPlan> engine_fixture::try_plan(job_id id) { return ask<ExecutionPlan>(plan_atom::value, id); }

caf::expected<Job> engine_fixture::try_control(const JobControl& control) {
  return ask<Job>(control_atom::value, control);
}

caf::expected<QueueList> engine_fixture::try_queues(const QueueControl& control) {
  return ask<QueueList>(queues_atom::value, control);
}

caf::expected<CronList> engine_fixture::try_cron(const CronControl& control) {
  return ask<CronList>(cron_atom::value, control);
}

caf::expected<UserUsage> engine_fixture::try_usage(const std::string& user) {
  auto scheduler = caf::actor_cast<scheduler_actor>(actor_named("troupe.scheduler"));
  (*self_)->send(scheduler, usage_atom::value, user);
  run();
  auto reply = take_reply<UserUsage>();
  if (!reply) BOOST_FAIL("engine_fixture: the scheduler did not answer a usage request");
  return std::move(*reply);
}

UserUsage engine_fixture::usage(const std::string& user) {
  auto u = try_usage(user);
  if (!u) BOOST_FAIL("usage of '" << user << "' failed: " << describe(u.error()));
  return std::move(*u);
}

caf::expected<BatchSummary> engine_fixture::try_batch(const std::string& name) {
  return ask<BatchSummary>(batch_atom::value, name);
}

NodeStatus engine_fixture::status() {
  auto st = try_status();
  if (!st) BOOST_FAIL("status failed: " << describe(st.error()));
  return std::move(*st);
}

void engine_fixture::send_submit(std::vector<JobSpec> specs) {
  BOOST_REQUIRE_MESSAGE(gateway_, "engine_fixture: the engine is not running");
  (*self_)->send(gateway_, submit_atom::value, std::move(specs));
}

void engine_fixture::send_cancel(job_id id) {
  BOOST_REQUIRE_MESSAGE(gateway_, "engine_fixture: the engine is not running");
  (*self_)->send(gateway_, cancel_atom::value, id);
}

std::optional<caf::expected<std::vector<job_id>>> engine_fixture::submit_answer() {
  return take_reply<std::vector<job_id>>();
}

std::optional<caf::expected<Job>> engine_fixture::job_answer() { return take_reply<Job>(); }

std::vector<Job> engine_fixture::await(std::vector<job_id> ids) {
  send_await(std::move(ids));
  auto answer = await_answer();
  if (!answer) BOOST_FAIL("await: no answer (not every job is terminal)");
  if (!*answer) BOOST_FAIL("await failed: " << describe(answer->error()));
  return std::move(**answer);
}

void engine_fixture::send_await(std::vector<job_id> ids) {
  BOOST_REQUIRE_MESSAGE(gateway_, "engine_fixture: the engine is not running");
  (*self_)->send(gateway_, await_atom::value, std::move(ids));
  run();
}

std::optional<caf::expected<std::vector<Job>>> engine_fixture::await_answer() {
  return take_reply<std::vector<Job>>();
}

std::vector<Job> engine_fixture::await_for(std::vector<job_id> ids, caf::timespan horizon) {
  send_await(std::move(ids));
  auto& clk = sched_->clock();
  auto limit = clk.now() + horizon;
  for (;;) {
    if (auto answer = await_answer()) {
      if (!*answer) BOOST_FAIL("await failed: " << describe(answer->error()));
      return std::move(**answer);
    }
    const auto& schedule = clk.schedule();
    if (schedule.empty() || schedule.begin()->first > limit) break;
    advance(std::max(schedule.begin()->first, clk.now()) - clk.now());
  }
  BOOST_FAIL("await: no answer within the horizon");
  return {};
}

// --- specs -----------------------------------------------------------------------------------------------------

JobSpec engine_fixture::spec(std::string kind, std::string_view payload_json, JobSpec::Priority priority) {
  JobSpec s;
  s.set_kind(std::move(kind));
  if (auto err = from_json(payload_json, s.mutable_payload()))
    throw std::invalid_argument("engine_fixture::spec: bad payload JSON: " + describe(err));
  s.set_priority(priority);
  return s;
}

JobSpec engine_fixture::sleep_spec(std::chrono::milliseconds ms, JobSpec::Priority priority) {
  return spec("sleep", "{\"ms\": " + std::to_string(ms.count()) + "}", priority);
}

JobSpec engine_fixture::record_spec(JobSpec::Priority priority) { return spec("record", "{}", priority); }

// --- observation -----------------------------------------------------------------------------------------------

Job engine_fixture::stored(job_id id) {
  Job job;
  auto s = ctx_->store->get(id, &job);
  BOOST_REQUIRE_MESSAGE(s, "job " << id << " is not in the store: " << s.message());
  return job;
}

std::vector<caf::strong_actor_ptr> engine_fixture::actors_named(std::string_view name) {
  std::vector<caf::strong_actor_ptr> out;
  for (const auto& a : seen_) {
    if (a.name != name || !*a.alive) continue;
    if (auto strong = caf::actor_cast<caf::strong_actor_ptr>(a.handle)) out.push_back(std::move(strong));
  }
  return out;
}

caf::strong_actor_ptr engine_fixture::actor_named(std::string_view name) {
  auto found = actors_named(name);
  BOOST_REQUIRE_MESSAGE(found.size() == 1, "expected one live actor named " << name << ", found " << found.size());
  return found.front();
}

size_t engine_fixture::running_actors() const {
  if (!sys_) return 0;
  auto n = sys_->registry().running();
  return n > baseline_actors_ ? n - baseline_actors_ : 0;
}

// --- lifecycle -------------------------------------------------------------------------------------------------

void engine_fixture::open() {
  cfg_ = std::make_unique<caf::actor_system_config>();
  cfg_->set("scheduler.policy", caf::atom("testing"));
  cfg_->set("logger.file-verbosity", caf::atom("quiet"));
  register_types(*cfg_);
  register_internal_types(*cfg_);
  sys_ = std::make_unique<caf::actor_system>(*cfg_);
  sched_ = &dynamic_cast<caf::scheduler::test_coordinator&>(sys_->scheduler());
  self_ = std::make_unique<caf::scoped_actor>(*sys_, /*hide=*/true);
  baseline_actors_ = sys_->registry().running();  // CAF 0.17 counts even a hidden scoped actor
  caf_base_ = sched_->clock().now();
  wall_base_ = wall_->now();

  std::unique_ptr<storage::job_store> store;
  auto store_options = store_options_of(options_);
  BOOST_REQUIRE_MESSAGE(store_options, "store options: " << error_text(store_options));
  auto s = storage::job_store::open(*store_options, &store);
  BOOST_REQUIRE_MESSAGE(s, "cannot open the store: " << s.message());
  last_recovery_ = {};
  s = storage::recover_interrupted(*store, wall_->now(), &last_recovery_);
  BOOST_REQUIRE_MESSAGE(s, "recovery failed: " << s.message());

  kind_registry kinds;
  auto started = started_;
  BOOST_REQUIRE(!kinds.add_function(
      "record",
      [started](const attempt& run) {
        started->push_back(run.job().id());
        return outcome::success();
      },
      kind_registry::execution::inline_call));
  BOOST_REQUIRE(!kinds.add("throws", std::make_shared<throwing_kind>()));
  if (extra_kinds_) extra_kinds_(kinds);
  BOOST_REQUIRE(!add_builtin_kinds(kinds, {options_.execEnabled, options_.outputTailBytes, options_.commandKinds}));

  ctx_ = std::make_shared<engine_context>();
  ctx_->options = options_;
  ctx_->node_name = options_.nodeName;
  ctx_->store = std::move(store);
  ctx_->kinds = std::make_shared<const kind_registry>(std::move(kinds));
  ctx_->wall = wall_;
  ctx_->workers = std::make_shared<worker_pool>(options_.workerPoolSize);
}

void engine_fixture::start() {
  supervisor_ = spawn_supervisor(*sys_, ctx_, /*detached=*/false);
  run();
  (*self_)->send(supervisor_, gateway_atom::value);
  run();
  auto gw = take_reply<gateway_internal_actor>();
  BOOST_REQUIRE_MESSAGE(gw, "the supervisor did not answer with its gateway");
  BOOST_REQUIRE_MESSAGE(*gw, "the supervisor failed: " << error_text(*gw));
  gateway_ = std::move(**gw);
}

void engine_fixture::begin_shutdown(std::chrono::milliseconds grace) {
  BOOST_REQUIRE_MESSAGE(supervisor_, "engine_fixture: the engine is not running");
  (*self_)->send(supervisor_, shutdown_atom::value, static_cast<uint64_t>(grace.count()));
  run();
}

std::optional<caf::error> engine_fixture::shutdown_answer() {
  auto reply = take_reply<ok_atom>();
  if (!reply) return std::nullopt;
  run();  // the supervisor quits right after answering
  supervisor_ = nullptr;
  gateway_ = nullptr;
  return *reply ? caf::error{} : reply->error();
}

caf::error engine_fixture::shutdown(std::chrono::milliseconds grace) {
  begin_shutdown(grace);
  auto& clk = sched_->clock();
  auto limit = clk.now() + grace + std::chrono::minutes{2};
  for (;;) {
    if (auto answer = shutdown_answer()) return std::move(*answer);
    const auto& schedule = clk.schedule();
    if (schedule.empty() || schedule.begin()->first > limit) break;
    advance(std::max(schedule.begin()->first, clk.now()) - clk.now());
  }
  return make_error(ec::timeout, "the supervisor did not finish its shutdown");
}

void engine_fixture::crash() {
  // The supervisor first, so that it restarts nothing; then everything else at once. Each kill is handled after
  // what already waits in the actor's mailbox, like a crash right after those messages.
  if (supervisor_) (*self_)->send_exit(supervisor_, caf::exit_reason::kill);
  for (auto& a : seen_) {
    if (!*a.alive) continue;
    if (auto strong = caf::actor_cast<caf::strong_actor_ptr>(a.handle))
      (*self_)->send_exit(strong, caf::exit_reason::kill);
  }
  run();
  supervisor_ = nullptr;
  gateway_ = nullptr;
}

void engine_fixture::close() {
  supervisor_ = nullptr;
  gateway_ = nullptr;
  if (sys_) {
    run();
    if (running_actors() > 0) {
      BOOST_ERROR("engine_fixture::close: " << running_actors() << " actors still running");
      sys_->await_actors_before_shutdown(false);
    }
  }
  seen_.clear();
  seen_ids_.clear();
  self_.reset();
  sys_.reset();
  sched_ = nullptr;
  cfg_.reset();
  ctx_.reset();  // closes the store
}

void engine_fixture::restart() {
  close();
  open();
  start();
}

}  // namespace troupe::test
