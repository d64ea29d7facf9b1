// Operator controls on a whole node under CAF's test coordinator (tests/support/engine_fixture.hpp): retry,
// prioritize and run-now of jobs, recorded with who asked; pausing and resuming a queue and the runner, durable
// across a crash. Deterministic: time moves only through advance().

#define BOOST_TEST_MODULE controls
#include <boost/test/unit_test.hpp>

#include <chrono>
#include <string>
#include <vector>

#include "schemas/time.hpp"
#include "support/engine_fixture.hpp"

using namespace std::chrono_literals;
using namespace troupe;
using troupe::test::code_name;
using troupe::test::engine_fixture;
using troupe::test::error_text;
using troupe::test::state_of;

namespace {

caf::expected<Job> control(engine_fixture& f, JobControl::Action action, job_id id,
                           JobSpec::Priority priority = JobSpec::NORMAL) {
  JobControl c;
  c.set_action(action);
  c.set_job(id);
  c.set_priority(priority);
  c.set_by("alice");
  return f.try_control(c);
}

QueueList queues(engine_fixture& f, QueueControl::Action action, const std::string& kind = {}) {
  QueueControl c;
  c.set_action(action);
  c.set_kind(kind);
  c.set_by("bob");
  auto list = f.try_queues(c);
  BOOST_REQUIRE_MESSAGE(list, "queues: " << error_text(list));
  return *list;
}

const QueueList::Queue* queue_named(const QueueList& list, const std::string& kind) {
  for (const auto& q : list.queues())
    if (q.kind() == kind) return &q;
  return nullptr;
}

std::string last_reason(const Job& job) { return job.transitions().rbegin()->reason(); }

size_t count(const std::vector<job_id>& ids, job_id id) { return std::count(ids.begin(), ids.end(), id); }

}  // namespace

BOOST_AUTO_TEST_CASE(a_dead_job_is_retried_with_its_attempts_reset_and_the_retry_is_recorded) {
  engine_fixture f{engine_fixture::options_with_slots(1)};
  auto spec = engine_fixture::spec("fail", R"({"times": 2})");
  spec.set_max_attempts(2);
  auto id = f.submit(spec);
  f.run();
  BOOST_REQUIRE_EQUAL(state_of(f.get(id)), "DEAD");
  auto retried = control(f, JobControl::RETRY, id);
  BOOST_REQUIRE_MESSAGE(retried, error_text(retried));
  BOOST_TEST(state_of(*retried) == "READY");
  BOOST_TEST(retried->attempts() == 0u);
  BOOST_TEST(last_reason(*retried) == "retried by alice");
  // It gets its max_attempts again (the fail kind fails attempts 1 and 2 again), and its history keeps both lives.
  auto done = f.await_for({id}, 1min).at(0);
  BOOST_TEST(state_of(done) == "DEAD");
  BOOST_TEST(done.attempts() == 2u);
  BOOST_TEST(done.errors_size() == 4);

  // A cancelled job retried runs.
  auto blocker = f.submit(engine_fixture::sleep_spec(100ms));
  auto cancelled = f.submit(engine_fixture::record_spec());
  BOOST_REQUIRE_EQUAL(state_of(f.cancel(cancelled)), "CANCELLED");
  BOOST_REQUIRE(control(f, JobControl::RETRY, cancelled));
  BOOST_TEST(state_of(f.await_for({blocker, cancelled}, 1min).at(1)) == "SUCCEEDED");
  BOOST_TEST(count(f.started(), cancelled) == 1u);
}

BOOST_AUTO_TEST_CASE(controls_that_the_jobs_state_does_not_allow_are_refused_naming_it) {
  engine_fixture f{engine_fixture::options_with_slots(1)};
  auto done = f.submit(engine_fixture::record_spec());
  auto running = f.submit(engine_fixture::sleep_spec(1000ms));
  auto queued = f.submit(engine_fixture::record_spec());
  f.run();
  auto r = control(f, JobControl::RETRY, done);
  BOOST_TEST(code_name(r.error()) == "conflict");
  BOOST_TEST(describe(r.error()).find("is SUCCEEDED") != std::string::npos, describe(r.error()));
  BOOST_TEST(code_name(control(f, JobControl::PRIORITIZE, running, JobSpec::HIGH).error()) == "conflict");
  BOOST_TEST(code_name(control(f, JobControl::RUN_NOW, queued).error()) == "conflict");
  BOOST_TEST(code_name(control(f, JobControl::RETRY, 424242).error()) == "unknown_job");
  BOOST_TEST(code_name(control(f, JobControl::PRIORITIZE, queued, static_cast<JobSpec::Priority>(9)).error()) ==
             "invalid_argument");
  BOOST_TEST(state_of(f.get(queued)) == "READY");
}

BOOST_AUTO_TEST_CASE(a_reprioritized_job_moves_ahead_of_the_queue) {
  engine_fixture f{engine_fixture::options_with_slots(1)};
  auto blocker = f.submit(engine_fixture::sleep_spec(100ms));
  auto low = f.submit(engine_fixture::record_spec(JobSpec::LOW));
  auto normal = f.submit(engine_fixture::record_spec(JobSpec::NORMAL));
  auto moved = control(f, JobControl::PRIORITIZE, low, JobSpec::CRITICAL);
  BOOST_REQUIRE_MESSAGE(moved, error_text(moved));
  BOOST_TEST(JobSpec::Priority_Name(moved->spec().priority()) == "CRITICAL");
  BOOST_TEST(last_reason(*moved) == "priority LOW -> CRITICAL by alice");
  f.await_for({blocker, low, normal}, 1min);
  BOOST_TEST(f.started() == (std::vector<job_id>{low, normal}), boost::test_tools::per_element());
  BOOST_TEST(count(f.started(), low) == 1u, "its old queue entry is not served");
}

BOOST_AUTO_TEST_CASE(run_now_starts_a_delayed_job_at_once) {
  engine_fixture f{engine_fixture::options_with_slots(1)};
  auto spec = engine_fixture::record_spec();
  set_timestamp(spec.mutable_run_at(), f.wall().now() + 3'600'000'000);
  auto id = f.submit(spec);
  BOOST_TEST(state_of(f.get(id)) == "SCHEDULED");
  auto r = control(f, JobControl::RUN_NOW, id);
  BOOST_REQUIRE_MESSAGE(r, error_text(r));
  f.run();
  BOOST_TEST(state_of(f.get(id)) == "SUCCEEDED");
  BOOST_TEST(f.status().scheduled() == 0u);
  f.advance(2h);  // its old timer comes due and finds nothing to do
  BOOST_TEST(count(f.started(), id) == 1u);
}

BOOST_AUTO_TEST_CASE(a_paused_queue_starts_nothing_until_resumed_also_across_a_crash) {
  engine_fixture f{engine_fixture::options_with_slots(2)};
  auto list = queues(f, QueueControl::PAUSE, "record");
  BOOST_TEST(queue_named(list, "record")->paused());
  auto ids = f.submit({engine_fixture::record_spec(), engine_fixture::record_spec()});
  auto other = f.submit(engine_fixture::spec("noop"));
  f.run();
  BOOST_TEST(state_of(f.get(other)) == "SUCCEEDED", "other queues go on");
  for (auto id : ids) BOOST_TEST(state_of(f.get(id)) == "READY");
  BOOST_TEST(queue_named(queues(f, QueueControl::LIST), "record")->queued() == 2u);

  f.crash();
  f.restart();
  f.run();
  BOOST_TEST(queue_named(queues(f, QueueControl::LIST), "record")->paused(), "the pause is durable");
  for (auto id : ids) BOOST_TEST(state_of(f.get(id)) == "READY");

  queues(f, QueueControl::RESUME, "record");
  f.run();
  for (auto id : ids) BOOST_TEST(state_of(f.get(id)) == "SUCCEEDED");
  BOOST_TEST(!queue_named(queues(f, QueueControl::LIST), "record")->paused());

  QueueControl unknown;
  unknown.set_action(QueueControl::PAUSE);
  unknown.set_kind("no-such-kind");
  BOOST_TEST(code_name(f.try_queues(unknown).error()) == "unknown_kind");
}

BOOST_AUTO_TEST_CASE(a_stopped_runner_lets_running_jobs_finish_starts_nothing_and_stays_stopped_after_a_crash) {
  engine_fixture f{engine_fixture::options_with_slots(2)};
  auto running = f.submit(engine_fixture::sleep_spec(100ms));
  BOOST_TEST(queues(f, QueueControl::STOP_RUNNER).runner_stopped());
  auto waiting = f.submit(engine_fixture::record_spec());
  f.advance(200ms);
  BOOST_TEST(state_of(f.get(running)) == "SUCCEEDED");
  BOOST_TEST(state_of(f.get(waiting)) == "READY");
  f.crash();
  f.restart();
  f.run();
  BOOST_TEST(queues(f, QueueControl::LIST).runner_stopped());
  BOOST_TEST(state_of(f.get(waiting)) == "READY");
  BOOST_TEST(!queues(f, QueueControl::START_RUNNER).runner_stopped());
  f.run();
  BOOST_TEST(state_of(f.get(waiting)) == "SUCCEEDED");
}

BOOST_AUTO_TEST_CASE(cleanup_deletes_finished_jobs_by_state_kind_and_age_and_keeps_the_rest) {
  auto options = engine_fixture::options_with_slots(2);
  options.maxCompletedJobsToKeep = 1'000'000;
  engine_fixture f{options};
  auto dead_spec = engine_fixture::spec("fail", R"({"times": 9})");
  dead_spec.set_max_attempts(1);
  auto old_dead = f.submit({dead_spec, dead_spec});
  auto old_ok = f.submit(engine_fixture::record_spec());
  f.run();
  f.advance(2h);
  auto new_dead = f.submit(dead_spec);
  f.run();

  QueueControl c;
  c.set_action(QueueControl::CLEANUP);
  c.set_has_state(true);
  c.set_state(Job::DEAD);
  c.mutable_older_than()->set_seconds(3600);
  c.set_by("carol");
  auto list = f.try_queues(c);
  BOOST_REQUIRE_MESSAGE(list, error_text(list));
  BOOST_TEST(list->deleted() == 2u);
  for (auto id : old_dead) BOOST_TEST(code_name(f.try_get(id).error()) == "unknown_job");
  BOOST_TEST(state_of(f.get(old_ok)) == "SUCCEEDED", "another state stays");
  BOOST_TEST(state_of(f.get(new_dead)) == "DEAD", "a younger one stays");

  c.set_has_state(true);
  c.set_state(Job::RUNNING);
  BOOST_TEST(code_name(f.try_queues(c).error()) == "invalid_argument");
}

BOOST_AUTO_TEST_CASE(a_cancel_names_who_asked_in_the_jobs_history_wherever_the_job_was) {
  engine_fixture f{engine_fixture::options_with_slots(1)};
  auto running = f.submit(engine_fixture::sleep_spec(10s));
  auto queued = f.submit(engine_fixture::record_spec());
  auto delayed = engine_fixture::record_spec();
  set_timestamp(delayed.mutable_run_at(), f.wall().now() + 60'000'000);
  auto scheduled = f.submit(delayed);
  auto by_client = f.submit(engine_fixture::record_spec());
  f.run();
  BOOST_REQUIRE(state_of(f.get(running)) == "RUNNING");

  for (auto id : {queued, scheduled}) {
    auto job = control(f, JobControl::CANCEL, id);
    BOOST_REQUIRE_MESSAGE(job, error_text(job));
    BOOST_TEST(state_of(*job) == "CANCELLED");
    BOOST_TEST(last_reason(*job) == "cancelled by alice");
    BOOST_TEST(last_reason(f.stored(id)) == "cancelled by alice", "durable");
  }
  BOOST_TEST(last_reason(f.cancel(by_client)) == "cancelled by a client");
  // Last, so that its free slot takes none of the others.
  auto stopped = control(f, JobControl::CANCEL, running);
  BOOST_REQUIRE_MESSAGE(stopped, error_text(stopped));
  BOOST_TEST(state_of(*stopped) == "CANCELLED");
  BOOST_TEST(last_reason(*stopped) == "cancelled by alice while running");
  auto again = control(f, JobControl::CANCEL, queued);
  BOOST_REQUIRE(!again);
  BOOST_TEST(code_name(again.error()) == "conflict");
  f.advance(2min);
  BOOST_TEST(count(f.started(), queued) + count(f.started(), scheduled) + count(f.started(), by_client) == 0u);
}

BOOST_AUTO_TEST_CASE(node_wide_controls_are_recorded_with_who_and_when_across_a_crash_and_the_latest_kept) {
  engine_fixture f{engine_fixture::options_with_slots(1)};
  auto t0 = f.wall().now();
  queues(f, QueueControl::PAUSE, "noop");
  f.advance(1s);
  queues(f, QueueControl::RESUME, "noop");
  queues(f, QueueControl::STOP_RUNNER);
  queues(f, QueueControl::START_RUNNER);
  CronControl cron;
  cron.set_action(CronControl::ADD);
  cron.set_by("carol");
  cron.mutable_schedule()->set_name("nightly");
  cron.mutable_schedule()->set_cron("@daily");
  cron.mutable_schedule()->mutable_job()->set_kind("noop");
  BOOST_REQUIRE(f.try_cron(cron));
  f.crash();
  f.restart();
  QueueControl history;
  history.set_action(QueueControl::HISTORY);
  auto list = f.try_queues(history);
  BOOST_REQUIRE_MESSAGE(list, error_text(list));
  std::vector<std::string> what, by;
  for (const auto& e : list->events()) {
    what.push_back(e.what());
    by.push_back(e.by());
  }
  std::vector<std::string> expected_what{"runner started", "runner stopped", "queue noop resumed",
                                         "queue noop paused"};
  BOOST_REQUIRE_EQUAL(what.size(), 5u);
  BOOST_TEST(what[0].find("cron nightly added: '@daily' in UTC") == 0u, what[0]);
  BOOST_TEST(std::vector<std::string>(what.begin() + 1, what.end()) == expected_what,
             boost::test_tools::per_element());
  BOOST_TEST(by[0] == "carol");
  BOOST_TEST(by[4] == "bob");
  BOOST_TEST(to_micros(list->events(4).at()) == t0);
  BOOST_TEST(to_micros(list->events(3).at()) == t0 + 1'000'000);

  // The latest 1,000 are kept.
  for (int i = 0; i < 1'000; ++i) queues(f, i % 2 == 0 ? QueueControl::PAUSE : QueueControl::RESUME, "noop");
  history.set_limit(2'000);
  list = f.try_queues(history);
  BOOST_REQUIRE(list);
  BOOST_TEST(list->events_size() == 1'000);
  BOOST_TEST(list->events(0).what() == "queue noop resumed");
  BOOST_TEST(list->events(999).what() == "queue noop paused", "the five before them were deleted");
  f.crash();
  f.restart();
  queues(f, QueueControl::PAUSE, "noop");
  list = f.try_queues(history);
  BOOST_REQUIRE(list);
  BOOST_TEST(list->events_size() == 1'000, "also after a restart");
}
