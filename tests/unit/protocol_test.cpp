// Every message type of troupe's two type-ID blocks (troupe/protocol.hpp: the peer protocol;
// actors/interfaces.hpp: the internal one that pools on other nodes speak) survives CAF's binary serializer, on
// its own and inside a caf::message. A type that is not registered, or not inspectable, fails here rather than
// at runtime between two nodes ("cannot serialize message because a type was not added to the types list").
// The tests walk the blocks by id, so a type added to a block without a sample below does not compile.

#define BOOST_TEST_MODULE protocol
#include <boost/test/unit_test.hpp>

#include <cstdint>
#include <limits>
#include <string>
#include <utility>
#include <vector>

#include <caf/actor_system.hpp>
#include <caf/after.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/binary_deserializer.hpp>
#include <caf/binary_serializer.hpp>
#include <caf/message.hpp>
#include <caf/scheduler/test_coordinator.hpp>
#include <caf/scoped_actor.hpp>
#include <caf/send.hpp>
#include <caf/typed_event_based_actor.hpp>
#include <google/protobuf/util/message_differencer.h>

#include "actors/interfaces.hpp"
#include "schemas/time.hpp"
#include "troupe/json.hpp"
#include "troupe/protocol.hpp"

using namespace troupe;

namespace {

template <class T>
struct tag {};

// --- samples: a value of each type with every field set ------------------------------------------------------

struct sample_context {
  slot_actor slot;
  pool_scheduler_actor pools;
};

JobSpec sample(const sample_context&, tag<JobSpec>) {
  JobSpec s;
  s.set_kind("sleep");
  BOOST_REQUIRE(!from_json(R"({"ms": 5, "nested": [1, "two", true, null, {"x": 1.5}]})", s.mutable_payload()));
  s.set_priority(JobSpec::HIGH);
  s.set_user("alice");
  s.set_batch("nightly");
  s.add_dependencies(7);
  set_timestamp(s.mutable_run_at(), 1'700'000'000'123'456);
  s.set_max_attempts(3);
  set_duration(s.mutable_timeout(), 1'500'000);
  s.set_idempotency_key("key-1");
  (*s.mutable_labels())["team"] = "infra";
  return s;
}

Lease sample(const sample_context&, tag<Lease>) {
  Lease l;
  l.set_node("node-a");
  l.set_slot(3);
  l.set_attempt(2);
  return l;
}

Job sample(const sample_context& ctx, tag<Job>) {
  Job j;
  j.set_id(42);
  *j.mutable_spec() = sample(ctx, tag<JobSpec>{});
  j.set_state(Job::RUNNING);
  j.set_attempts(2);
  for (auto state : {Job::READY, Job::RUNNING}) {
    auto* t = j.add_transitions();
    t->set_state(state);
    set_timestamp(t->mutable_at(), 1'700'000'000'000'000);
    t->set_attempt(state == Job::RUNNING ? 2 : 0);
    t->set_reason("retry");
  }
  j.set_last_error("fail: attempt 1 of the first 2 fails by design");
  j.mutable_result()->set_exit_code(1);
  j.mutable_result()->set_output("tail");
  j.mutable_result()->set_timed_out(true);
  j.mutable_result()->set_signal(9);
  set_duration(j.mutable_result()->mutable_duration(), 2500);
  j.set_ready_seq(99);
  *j.mutable_lease() = sample(ctx, tag<Lease>{});
  set_timestamp(j.mutable_created_at(), 1'699'999'999'000'000);
  set_timestamp(j.mutable_finished_at(), 1'700'000'001'000'000);
  return j;
}

JobQuery sample(const sample_context&, tag<JobQuery>) {
  JobQuery q;
  q.set_has_state(true);
  q.set_state(Job::DEAD);
  q.set_kind("exec");
  q.set_user("bob");
  q.set_batch("b");
  q.set_limit(10);
  q.set_after_id(5);
  return q;
}

JobPage sample(const sample_context& ctx, tag<JobPage>) {
  JobPage p;
  *p.add_jobs() = sample(ctx, tag<Job>{});
  auto* second = p.add_jobs();
  second->set_id(43);
  second->set_state(Job::SUCCEEDED);
  p.set_next_after_id(43);
  return p;
}

NodeStatus sample(const sample_context&, tag<NodeStatus>) {
  NodeStatus s;
  s.set_node("node-a");
  s.set_version("0.1.0");
  set_timestamp(s.mutable_started_at(), 1'700'000'000'000'000);
  auto* d = s.add_depth();
  d->set_state(Job::READY);
  d->set_priority(JobSpec::LOW);
  d->set_count(12);
  s.set_slots_total(15);
  s.set_slots_busy(4);
  s.set_running(4);
  s.mutable_throughput()->set_last_1s(1.5);
  s.mutable_throughput()->set_last_10s(2.25);
  s.mutable_throughput()->set_last_60s(0.125);
  s.set_succeeded_total(100);
  s.set_failed_total(3);
  s.set_dead_total(1);
  s.set_cancelled_total(2);
  s.set_finished_in_store(90);
  s.set_accepting(true);
  s.set_durability("group");
  s.add_kinds("noop");
  s.add_kinds("sleep");
  s.set_submitted_total(120);
  s.set_blocked(7);
  s.set_aged_total(3);
  return s;
}

ExecutionPlan sample(const sample_context&, tag<ExecutionPlan>) {
  ExecutionPlan p;
  p.set_job(7);
  auto* root = p.add_steps();
  root->set_id(5);
  root->set_ref("extract");
  root->set_kind("noop");
  root->set_state(Job::SUCCEEDED);
  auto* job = p.add_steps();
  job->set_id(7);
  job->set_state(Job::BLOCKED);
  job->add_dependencies(5);
  job->add_dependencies(3);
  job->set_level(1);
  auto* gone = p.add_steps();
  gone->set_id(3);
  gone->set_deleted(true);
  p.set_critical_path_length(2);
  p.add_critical_path(5);
  p.add_critical_path(7);
  p.set_truncated(true);
  return p;
}

BatchSummary sample(const sample_context&, tag<BatchSummary>) {
  BatchSummary b;
  b.set_batch("nightly");
  b.set_state(BatchSummary::COMPLETE);
  b.set_total(10);
  b.set_succeeded(6);
  b.set_failed(2);
  b.set_cancelled(1);
  b.set_running(0);
  b.set_pending(1);
  auto* cb = b.add_callbacks();
  cb->set_id(11);
  cb->set_state(Job::READY);
  return b;
}

JobControl sample(const sample_context&, tag<JobControl>) {
  JobControl c;
  c.set_action(JobControl::PRIORITIZE);
  c.set_job(99);
  c.set_priority(JobSpec::CRITICAL);
  c.set_by("alice");
  return c;
}

QueueControl sample(const sample_context&, tag<QueueControl>) {
  QueueControl c;
  c.set_action(QueueControl::PAUSE);
  c.set_kind("exec");
  c.set_by("bob");
  return c;
}

QueueList sample(const sample_context&, tag<QueueList>) {
  QueueList l;
  auto* q = l.add_queues();
  q->set_kind("exec");
  q->set_queued(12);
  q->set_running(3);
  q->set_paused(true);
  l.set_runner_stopped(true);
  l.set_running(3);
  l.set_queued(12);
  auto* e = l.add_events();
  set_timestamp(e->mutable_at(), 1'700'000'000'000'000);
  e->set_by("ops");
  e->set_what("queue exec paused");
  return l;
}

CronSchedule cron_sample() {
  CronSchedule s;
  s.set_name("nightly");
  s.set_cron("30 2 * * MON-FRI");
  s.set_time_zone("Europe/Berlin");
  s.mutable_job()->set_kind("exec");
  s.set_missed(CronSchedule::RUN_ONCE);
  s.set_fired(7);
  s.set_last_job(42);
  set_timestamp(s.mutable_next_occurrence(), 1'700'000'000'000'000);
  return s;
}

CronControl sample(const sample_context&, tag<CronControl>) {
  CronControl c;
  c.set_action(CronControl::ADD);
  *c.mutable_schedule() = cron_sample();
  c.set_by("alice");
  c.set_replace(true);
  return c;
}

CronList sample(const sample_context&, tag<CronList>) {
  CronList l;
  *l.add_schedules() = cron_sample();
  return l;
}

UserControl sample(const sample_context&, tag<UserControl>) {
  UserControl c;
  c.set_action(UserControl::ADD);
  c.set_name("alice");
  c.set_role(User::READ_ONLY);
  return c;
}

UserList sample(const sample_context&, tag<UserList>) {
  UserList l;
  auto* u = l.add_users();
  u->set_name("alice");
  u->set_role(User::ADMIN);
  u->set_created_by("root");
  set_timestamp(u->mutable_created_at(), 1'700'000'000'000'000);
  l.set_token("alice.00ff");
  return l;
}

MetricsQuery sample(const sample_context&, tag<MetricsQuery>) {
  MetricsQuery q;
  q.add_series("throughput_1m");
  q.add_series("kind:email:depth_ready");
  set_timestamp(q.mutable_from(), 1'700'000'000'000'000);
  set_timestamp(q.mutable_to(), 1'700'000'360'000'000);
  q.set_step_seconds(60);
  return q;
}

SeriesSet sample(const sample_context&, tag<SeriesSet>) {
  SeriesSet set;
  set.set_step_seconds(60);
  auto* s = set.add_series();
  s->set_name("throughput_1m");
  s->add_t(1'700'000'000);
  s->add_v(12.5);
  set.add_known("throughput_1m");
  return set;
}

AlertControl sample(const sample_context&, tag<AlertControl>) {
  AlertControl c;
  c.set_action(AlertControl::SILENCE);
  c.set_alert("dead_jobs");
  c.set_silence_minutes(30);
  c.set_by("admin");
  return c;
}

Alert sample_alert() {
  Alert a;
  a.set_id("high_error_rate-1700000000000000");
  a.set_rule("high_error_rate");
  a.set_severity(Alert::CRITICAL);
  a.set_state(Alert::ACTIVE);
  a.set_message("error rate 40% over the last minute (threshold 15%)");
  a.set_value(40);
  a.set_threshold(15);
  set_timestamp(a.mutable_fired_at(), 1'700'000'000'000'000);
  return a;
}

AlertList sample(const sample_context&, tag<AlertList>) {
  AlertList l;
  *l.add_active() = sample_alert();
  l.mutable_health()->set_score(62);
  auto* input = l.mutable_health()->add_inputs();
  input->set_name("error_rate");
  input->set_penalty(30);
  return l;
}

Dashboard sample(const sample_context&, tag<Dashboard>) {
  Dashboard d;
  d.mutable_status()->set_node("n1");
  d.mutable_health()->set_score(99);
  *d.add_alerts() = sample_alert();
  auto* s = d.mutable_recent()->add_series();
  s->set_name("depth_ready");
  s->add_t(1'700'000'000);
  s->add_v(3);
  (*d.mutable_latest()->mutable_values())["depth_ready"] = 3;
  d.set_user("alice");
  d.set_role("read-only");
  return d;
}

SchedulerSample sample(const sample_context&, tag<SchedulerSample>) {
  SchedulerSample s;
  set_timestamp(s.mutable_at(), 1'700'000'000'000'000);
  auto* l = s.add_labels();
  l->set_kind("email");
  l->set_user("alice");
  l->set_priority(JobSpec::HIGH);
  l->set_succeeded(10);
  l->set_ready(-0);
  l->mutable_pickup()->add_buckets(3);
  l->mutable_pickup()->set_count(3);
  s.set_blocked(2);
  s.set_slots_total(15);
  s.set_slots_lost(1);
  return s;
}

MetricsSample sample(const sample_context&, tag<MetricsSample>) {
  MetricsSample m;
  set_timestamp(m.mutable_at(), 1'700'000'000'000'000);
  (*m.mutable_values())["throughput_1m"] = 12.5;
  (*m.mutable_values())["kind:email:depth_ready"] = 4;
  return m;
}

UserUsage sample(const sample_context&, tag<UserUsage>) {
  UserUsage u;
  u.set_user("alice");
  u.set_jobs(998);
  u.set_payload_bytes(1'048'000);
  u.set_running(3);
  u.set_jobs_limit(1000);
  u.set_payload_limit(1 << 20);
  return u;
}

dependency_event sample(const sample_context&, tag<dependency_event>) {
  return dependency_event{12, Job::DEAD, "nightly"};
}

dependency_decision sample(const sample_context&, tag<dependency_decision>) {
  return dependency_decision{13, true, "dependencies done"};
}

outcome sample(const sample_context&, tag<outcome>) {
  outcome o;
  o.code = outcome::status::timed_out;
  o.permanent = true;
  o.exit_code = -1;
  o.signal = 9;
  o.max_rss_kb = 123'456;
  o.cpu_ms = 789;
  o.output = "partial output";
  o.error = "timed out after 100 ms";
  return o;
}

uint64_t sample(const sample_context&, tag<uint64_t>) { return std::numeric_limits<uint64_t>::max() - 1; }

storage::history_entry sample(const sample_context&, tag<storage::history_entry>) {
  return storage::history_entry{77, 1'700'000'000'654'321, true, {3, 5}, "nightly", "weekly", "alice", "order-7"};
}

slot_actor sample(const sample_context& ctx, tag<slot_actor>) { return ctx.slot; }

pool_scheduler_actor sample(const sample_context& ctx, tag<pool_scheduler_actor>) { return ctx.pools; }

WorkerJoin sample(const sample_context&, tag<WorkerJoin>) {
  WorkerJoin j;
  j.set_secret("s3cret");
  j.set_name("w1");
  j.add_kinds("sleep");
  j.add_kinds("resize");
  j.set_slots(8);
  j.set_host("host-7");
  j.set_pid(4242);
  j.set_version("0.1.0");
  return j;
}

WorkerWelcome sample(const sample_context&, tag<WorkerWelcome>) {
  WorkerWelcome w;
  w.set_node("n1");
  w.set_pool("w1");
  w.set_heartbeat_ms(500);
  return w;
}

WorkerList sample(const sample_context&, tag<WorkerList>) {
  WorkerList l;
  auto* w = l.add_workers();
  w->set_name("w1");
  w->set_state(WorkerInfo::LOST);
  w->add_kinds("sleep");
  w->set_slots(8);
  w->set_busy(3);
  set_timestamp(w->mutable_left_at(), 1'700'000'000'000'000);
  w->set_requeued(3);
  w->set_reason("connection lost");
  return l;
}

WorkerBeat sample(const sample_context&, tag<WorkerBeat>) {
  WorkerBeat b;
  b.set_name("w1");
  b.set_running(2);
  b.set_finished(99);
  b.set_reports_pending(1);
  b.set_draining(true);
  return b;
}

PoolLoads sample(const sample_context&, tag<PoolLoads>) {
  PoolLoads l;
  auto* p = l.add_pools();
  p->set_pool("vm/local");
  p->set_slots(15);
  p->set_limit(7);
  p->set_finished(1000);
  p->set_pickup_seconds(1.5);
  l.set_backlog(42);
  return l;
}

ScalingStatus sample(const sample_context&, tag<ScalingStatus>) {
  ScalingStatus s;
  s.set_mode("local");
  s.set_desired(3);
  s.mutable_last()->set_action("up");
  s.mutable_last()->set_reason("80 READY jobs");
  s.add_managed("vm-auto-1");
  return s;
}

pool_offer sample(const sample_context&, tag<pool_offer>) { return pool_offer{"w1", {"sleep", "resize"}, true}; }

attempt_report sample(const sample_context& ctx, tag<attempt_report>) {
  attempt_report r;
  r.job = sample(ctx, tag<Job>{});
  r.job.mutable_lease()->set_token(uint64_t{3} << 40 | 17);
  r.result = sample(ctx, tag<outcome>{});
  r.duration = 123'456;
  return r;
}

template <class T>
std::vector<T> sample(const sample_context& ctx, tag<std::vector<T>>) {
  return {sample(ctx, tag<T>{}), T{}, sample(ctx, tag<T>{})};
}

// --- equality ------------------------------------------------------------------------------------------------

bool same(const google::protobuf::Message& a, const google::protobuf::Message& b) {
  return google::protobuf::util::MessageDifferencer::Equals(a, b);
}
bool same(const outcome& a, const outcome& b) {
  return a.code == b.code && a.permanent == b.permanent && a.exit_code == b.exit_code && a.signal == b.signal &&
         a.max_rss_kb == b.max_rss_kb && a.cpu_ms == b.cpu_ms && a.output == b.output && a.error == b.error;
}
bool same(uint64_t a, uint64_t b) { return a == b; }
bool same(const storage::history_entry& a, const storage::history_entry& b) {
  return a.id == b.id && a.finished_at == b.finished_at && a.has_relations == b.has_relations &&
         a.parents == b.parents && a.batch == b.batch && a.user == b.user &&
         a.idempotency_key == b.idempotency_key &&
         a.batch_callback == b.batch_callback;
}
bool same(const slot_actor& a, const slot_actor& b) { return a == b; }
bool same(const pool_scheduler_actor& a, const pool_scheduler_actor& b) { return a == b; }
bool same(const pool_offer& a, const pool_offer& b) {
  return a.pool == b.pool && a.kinds == b.kinds && a.remote == b.remote;
}
bool same(const attempt_report& a, const attempt_report& b) {
  return same(a.job, b.job) && same(a.result, b.result) && a.duration == b.duration;
}
bool same(const dependency_event& a, const dependency_event& b) {
  return a.id == b.id && a.state == b.state && a.batch == b.batch;
}
bool same(const dependency_decision& a, const dependency_decision& b) {
  return a.id == b.id && a.release == b.release && a.reason == b.reason;
}
template <class T>
bool same(const std::vector<T>& a, const std::vector<T>& b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i)
    if (!same(a[i], b[i])) return false;
  return true;
}

// --- the system ------------------------------------------------------------------------------------------------

// Stands in for a scheduler's pool interface, for a handle to serialize.
pool_scheduler_actor::behavior_type stub_pools() {
  return {
      [](slots_atom, pool_offer&, std::vector<slot_actor>&) {},
      [](status_atom) { return NodeStatus{}; },
      [](drain_atom, const std::string&) {},
      [](hand_back_atom, const std::string&) {},
      [](leave_atom, const std::string&, const std::string&) { return uint32_t{0}; },
      [](report_atom, std::vector<attempt_report>&) { return uint32_t{0}; },
      [](workers_atom) { return WorkerList{}; },
  };
}

// Stands in for a slot, so that there is an actor handle to serialize.
slot_actor::behavior_type stub_slot() {
  return {
      [](run_atom, Job& job) -> caf::result<Job, outcome, int64_t> {
        return {std::move(job), outcome::success(), int64_t{0}};
      },
      [](stop_atom, job_id, uint32_t) {},
      [](finished_atom, uint64_t, outcome&) {},
      [](timeout_atom) {},
  };
}

struct system_fixture {
  system_fixture() : sys(init(cfg)), sched(dynamic_cast<caf::scheduler::test_coordinator&>(sys.scheduler())) {
    ctx.slot = sys.spawn(stub_slot);
    ctx.pools = sys.spawn(stub_pools);
    sched.run();
  }
  ~system_fixture() {
    caf::anon_send_exit(ctx.slot, caf::exit_reason::user_shutdown);
    caf::anon_send_exit(ctx.pools, caf::exit_reason::user_shutdown);
    ctx.slot = nullptr;
    ctx.pools = nullptr;
    sched.run();
  }

  static caf::actor_system_config& init(caf::actor_system_config& cfg) {
    cfg.set("scheduler.policy", caf::atom("testing"));
    cfg.set("logger.file-verbosity", caf::atom("quiet"));
    register_types(cfg);
    register_internal_types(cfg);
    return cfg;
  }

  // x -> bytes -> y, as a plain value.
  template <class T>
  T round_trip(T x) {
    std::vector<char> buf;
    caf::binary_serializer sink{sys, buf};
    if (auto err = sink(x)) BOOST_FAIL("serializing failed: " << sys.render(err));
    T y{};
    caf::binary_deserializer source{sys, buf};
    if (auto err = source(y)) BOOST_FAIL("deserializing failed: " << sys.render(err));
    return y;
  }

  // msg -> bytes -> message: needs every element's type registered with the system.
  caf::message round_trip_message(caf::message msg) {
    std::vector<char> buf;
    caf::binary_serializer sink{sys, buf};
    if (auto err = sink(msg)) BOOST_FAIL("serializing the message failed: " << sys.render(err));
    BOOST_REQUIRE(!buf.empty());
    caf::message out;
    caf::binary_deserializer source{sys, buf};
    if (auto err = source(out)) BOOST_FAIL("deserializing the message failed: " << sys.render(err));
    return out;
  }

  template <class T>
  void check_type() {
    BOOST_TEST_CONTEXT(caf::type_name<T>::value) {
      auto x = sample(ctx, tag<T>{});
      BOOST_TEST(same(round_trip(x), x), "the value round-trips");
      caf::message out = round_trip_message(caf::make_message(x));
      BOOST_REQUIRE_MESSAGE(out.match_elements<T>(), "the message holds a " << caf::type_name<T>::value
                                                                            << " after the round trip: "
                                                                            << to_string(out));
      BOOST_TEST(same(out.get_as<T>(0), x), "the message round-trips");
    }
  }

  template <caf::type_id_t First, caf::type_id_t... Offsets>
  void check_block(std::integer_sequence<caf::type_id_t, Offsets...>) {
    (check_type<typename caf::type_by_id<First + Offsets>::type>(), ...);
  }

  template <class Block>
  void check_block() {
    check_block<Block::begin>(std::make_integer_sequence<caf::type_id_t, Block::end - Block::begin>{});
  }

  caf::actor_system_config cfg;
  caf::actor_system sys;
  caf::scheduler::test_coordinator& sched;
  sample_context ctx;
};

}  // namespace

BOOST_FIXTURE_TEST_SUITE(protocol, system_fixture)

BOOST_AUTO_TEST_CASE(every_type_of_the_peer_protocol_block_round_trips) {
  static_assert(caf::id_block::troupe::end - caf::id_block::troupe::begin == 27,
                "a type was added to the troupe block: it is covered by check_block, check its sample");
  check_block<caf::id_block::troupe>();
}

BOOST_AUTO_TEST_CASE(every_type_of_the_internal_block_round_trips) {
  static_assert(caf::id_block::troupe_internal::end - caf::id_block::troupe_internal::begin == 18,
                "a type was added to the troupe_internal block: it is covered by check_block, check its sample");
  check_block<caf::id_block::troupe_internal>();
}

BOOST_AUTO_TEST_CASE(a_deserialized_slot_handle_reaches_the_same_actor) {
  auto copy = round_trip(ctx.slot);
  BOOST_REQUIRE(copy);
  BOOST_TEST(copy.id() == ctx.slot.id());
  caf::scoped_actor self{sys, true};
  self->send(copy, run_atom::value, sample(ctx, tag<Job>{}));
  sched.run();
  bool answered = false;
  self->receive(
      [&](Job& job, outcome& o, int64_t) {
        answered = true;
        BOOST_TEST(job.id() == 42u);
        BOOST_TEST(o.ok());
      },
      caf::after(std::chrono::seconds(0)) >> [] {});
  BOOST_TEST(answered);
}

BOOST_AUTO_TEST_CASE(whole_requests_and_replies_round_trip) {
  auto spec = sample(ctx, tag<JobSpec>{});
  auto submit = round_trip_message(caf::make_message(submit_atom::value, std::vector<JobSpec>{spec, spec}));
  BOOST_REQUIRE((submit.match_elements<submit_atom, std::vector<JobSpec>>()));
  BOOST_TEST(same(submit.get_as<std::vector<JobSpec>>(1), std::vector<JobSpec>{spec, spec}));

  auto job = sample(ctx, tag<Job>{});
  auto o = sample(ctx, tag<outcome>{});
  auto reply = round_trip_message(caf::make_message(job, o, int64_t{1234}));
  BOOST_REQUIRE((reply.match_elements<Job, outcome, int64_t>()));
  BOOST_TEST(same(reply.get_as<Job>(0), job));
  BOOST_TEST(same(reply.get_as<outcome>(1), o));
  BOOST_TEST(reply.get_as<int64_t>(2) == 1234);

  auto slots = round_trip_message(
      caf::make_message(slots_atom::value, std::string{"node-b/local"}, std::vector<slot_actor>{ctx.slot}));
  BOOST_REQUIRE((slots.match_elements<slots_atom, std::string, std::vector<slot_actor>>()));
  BOOST_TEST(slots.get_as<std::string>(1) == "node-b/local");
  BOOST_TEST(same(slots.get_as<std::vector<slot_actor>>(2), std::vector<slot_actor>{ctx.slot}));

  auto await = round_trip_message(caf::make_message(await_atom::value, std::vector<job_id>{1, 2, 3}));
  BOOST_REQUIRE((await.match_elements<await_atom, std::vector<job_id>>()));
  BOOST_TEST(same(await.get_as<std::vector<job_id>>(1), std::vector<job_id>{1, 2, 3}));
}

BOOST_AUTO_TEST_CASE(a_troupe_error_keeps_its_code_and_message) {
  auto err = make_error(ec::unknown_kind, "unknown kind 'resize' (this node runs: noop, sleep)");
  auto direct = round_trip(err);
  BOOST_TEST(to_string(code_of(direct)) == std::string{"unknown_kind"});
  BOOST_TEST((direct.category() == error_category));
  BOOST_TEST(describe(direct) == "unknown kind 'resize' (this node runs: noop, sleep)");

  auto msg = round_trip_message(caf::make_message(err));
  BOOST_REQUIRE(msg.match_elements<caf::error>());
  const auto& inside = msg.get_as<caf::error>(0);
  BOOST_TEST(to_string(code_of(inside)) == std::string{"unknown_kind"});
  BOOST_TEST(describe(inside) == describe(err));
  auto rendered = sys.render(inside);
  BOOST_TEST(rendered.find("unknown_kind") != std::string::npos, rendered);
  BOOST_TEST(rendered.find("resize") != std::string::npos, rendered);

  for (auto code : {ec::invalid_argument, ec::payload_too_large, ec::conflict, ec::timeout}) {
    auto e = round_trip(make_error(code, "message for " + std::string{to_string(code)}));
    BOOST_TEST(std::string{to_string(code_of(e))} == to_string(code));
    BOOST_TEST(describe(e) == "message for " + std::string{to_string(code)});
  }
}

BOOST_AUTO_TEST_SUITE_END()
