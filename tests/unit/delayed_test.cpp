// Delayed jobs (run_at) on a whole node under CAF's test coordinator with the manual clock
// (tests/support/engine_fixture.hpp): a job waits SCHEDULED and turns READY at its time, also across a crash and
// a graceful restart; many delayed jobs cost one timer, not one each; a dependency released before its run_at
// waits for it.

#define BOOST_TEST_MODULE delayed
#include <boost/test/unit_test.hpp>

#include <chrono>
#include <string>
#include <vector>

#include "schemas/time.hpp"
#include "storage/store.hpp"
#include "support/engine_fixture.hpp"

using namespace std::chrono_literals;
using namespace troupe;
using troupe::test::engine_fixture;
using troupe::test::state_of;

namespace {

JobSpec at(JobSpec spec, micros when) {
  set_timestamp(spec.mutable_run_at(), when);
  return spec;
}

// When the job's (last) attempt started.
micros started_at(const Job& job) {
  micros out = 0;
  for (const auto& t : job.transitions())
    if (t.state() == Job::RUNNING) out = to_micros(t.at());
  return out;
}

}  // namespace

BOOST_AUTO_TEST_CASE(a_delayed_job_waits_scheduled_and_runs_at_its_time) {
  engine_fixture f{engine_fixture::options_with_slots(1)};
  auto due = f.wall().now() + 5'000'000;
  auto id = f.submit(at(engine_fixture::record_spec(), due));
  auto job = f.get(id);
  BOOST_TEST(state_of(job) == "SCHEDULED");
  BOOST_TEST(to_micros(job.scheduled_for()) == due);
  BOOST_TEST(f.status().scheduled() == 1u);
  f.advance(4999ms);
  BOOST_TEST(state_of(f.get(id)) == "SCHEDULED");
  BOOST_TEST(f.started().empty());
  f.advance(1ms);
  job = f.get(id);
  BOOST_TEST(state_of(job) == "SUCCEEDED");
  BOOST_TEST(started_at(job) == due);
  BOOST_TEST(f.status().scheduled() == 0u);
}

BOOST_AUTO_TEST_CASE(a_run_at_in_the_past_runs_at_once) {
  engine_fixture f{engine_fixture::options_with_slots(1)};
  auto id = f.submit(at(engine_fixture::record_spec(), f.wall().now() - 60'000'000));
  f.run();
  BOOST_TEST(state_of(f.get(id)) == "SUCCEEDED");
}

BOOST_AUTO_TEST_CASE(a_delayed_job_runs_at_its_time_after_a_crash_and_after_a_graceful_restart) {
  engine_fixture f{engine_fixture::options_with_slots(1)};
  auto t0 = f.wall().now();
  auto first = f.submit(at(engine_fixture::record_spec(), t0 + 5'000'000));
  auto second = f.submit(at(engine_fixture::record_spec(), t0 + 9'000'000));
  f.advance(2s);
  f.crash();
  f.restart();
  BOOST_TEST(state_of(f.get(first)) == "SCHEDULED");
  BOOST_TEST(f.status().scheduled() == 2u);
  f.advance(3s);
  BOOST_TEST(state_of(f.get(first)) == "SUCCEEDED");
  BOOST_TEST(started_at(f.get(first)) == t0 + 5'000'000);
  BOOST_TEST(!f.shutdown(0ms));
  f.close();
  f.open();
  f.start();
  f.advance(4s);
  BOOST_TEST(state_of(f.get(second)) == "SUCCEEDED");
  BOOST_TEST(started_at(f.get(second)) == t0 + 9'000'000);
}

BOOST_AUTO_TEST_CASE(ten_thousand_delayed_jobs_need_one_timer_and_run_in_due_order) {
  engine_fixture f{engine_fixture::options_with_slots(1)};
  auto timers_before = f.sched().clock().schedule().size();
  auto t0 = f.wall().now();
  std::vector<JobSpec> specs;
  for (int i = 0; i < 10'000; ++i)  // due times in reverse order of submission
    specs.push_back(at(engine_fixture::record_spec(), t0 + 1'000'000 + (10'000 - i) * 1000));
  auto ids = f.submit(specs);
  f.run();
  BOOST_TEST(f.status().scheduled() == 10'000u);
  BOOST_TEST(f.sched().clock().schedule().size() <= timers_before + 1, "one timer for all of them");
  f.advance(12s);
  BOOST_REQUIRE_EQUAL(f.started().size(), 10'000u);
  // Earliest due first: the last submitted ran first.
  BOOST_TEST(f.started().front() == ids.back());
  BOOST_TEST(f.started().back() == ids.front());
}

BOOST_AUTO_TEST_CASE(a_cancelled_delayed_job_never_runs) {
  engine_fixture f{engine_fixture::options_with_slots(1)};
  auto id = f.submit(at(engine_fixture::record_spec(), f.wall().now() + 1'000'000));
  BOOST_TEST(state_of(f.cancel(id)) == "CANCELLED");
  f.advance(2s);
  BOOST_TEST(state_of(f.get(id)) == "CANCELLED");
  BOOST_TEST(f.started().empty());
  BOOST_TEST(f.status().scheduled() == 0u);
}

BOOST_AUTO_TEST_CASE(a_job_released_by_its_dependencies_before_its_run_at_waits_for_it) {
  engine_fixture f{engine_fixture::options_with_slots(1)};
  auto due = f.wall().now() + 3'000'000;
  auto parent = engine_fixture::record_spec();
  parent.set_ref("p");
  auto child = at(engine_fixture::record_spec(), due);
  child.set_ref("c");
  child.add_after("p");
  auto ids = f.submit({parent, child});
  f.run();
  BOOST_TEST(state_of(f.get(ids[0])) == "SUCCEEDED");
  BOOST_TEST(state_of(f.get(ids[1])) == "SCHEDULED");
  f.advance(3s);
  BOOST_TEST(state_of(f.get(ids[1])) == "SUCCEEDED");
  BOOST_TEST(started_at(f.get(ids[1])) == due);
}

BOOST_AUTO_TEST_CASE(a_due_job_takes_a_free_slot_in_one_write_and_queues_behind_waiting_jobs_otherwise) {
  engine_fixture f{engine_fixture::options_with_slots(1)};
  auto due = f.wall().now() + 1'000'000;
  auto id = f.submit(at(engine_fixture::record_spec(), due));
  f.run();
  auto writes = f.ctx().store->stats().writes;
  f.advance(1s);
  BOOST_TEST(state_of(f.get(id)) == "SUCCEEDED");
  // Due and started in one write (RUNNING, through READY), then its end: no separate READY write.
  BOOST_TEST(f.ctx().store->stats().writes - writes == 2u);
  auto job = f.get(id);
  std::vector<std::string> path;
  for (const auto& t : job.transitions()) path.push_back(Job::State_Name(t.state()) + " " + t.reason());
  std::vector<std::string> expected{"SCHEDULED ", "READY due", "RUNNING ", "SUCCEEDED "};
  BOOST_TEST(path == expected, boost::test_tools::per_element());

  // With the slot busy and a job waiting, a due job queues behind it (READY) and runs after it.
  auto busy = f.submit(engine_fixture::sleep_spec(5s));
  auto waiting = f.submit(engine_fixture::record_spec());
  auto later = f.submit(at(engine_fixture::record_spec(), f.wall().now() + 1'000'000));
  f.advance(1s);
  BOOST_TEST(state_of(f.get(later)) == "READY");
  f.advance(5s);
  BOOST_TEST(state_of(f.get(busy)) == "SUCCEEDED");
  BOOST_REQUIRE_EQUAL(f.started().size(), 3u);
  BOOST_TEST(f.started()[1] == waiting);
  BOOST_TEST(f.started()[2] == later);
}
