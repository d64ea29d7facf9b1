// The scheduler as a client sees it through the gateway, on a whole node under CAF's test coordinator
// (tests/support/engine_fixture.hpp): dispatch order, slot limits, retries, cancel, await, validation of
// submits, recovery after a crash or an engine failure, and graceful drain. Deterministic: time moves only
// through advance().

#define BOOST_TEST_MODULE scheduler
#include <boost/test/unit_test.hpp>

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "schemas/time.hpp"
#include "support/engine_fixture.hpp"

using namespace std::chrono_literals;
using namespace troupe;
using troupe::test::code_name;
using troupe::test::engine_fixture;
using troupe::test::error_text;
using troupe::test::set_timeout;
using troupe::test::state_of;

namespace {

uint64_t depth(const NodeStatus& st, Job::State state) {
  uint64_t n = 0;
  for (const auto& d : st.depth())
    if (d.state() == state) n += d.count();
  return n;
}

bool contains(const std::vector<job_id>& ids, job_id id) {
  return std::find(ids.begin(), ids.end(), id) != ids.end();
}

// Jobs of the four priorities, interleaved: L N H C L N H C ...
const std::vector<JobSpec::Priority> interleaved = {
    JobSpec::LOW, JobSpec::NORMAL, JobSpec::HIGH, JobSpec::CRITICAL, JobSpec::LOW, JobSpec::NORMAL,
    JobSpec::HIGH, JobSpec::CRITICAL, JobSpec::LOW, JobSpec::NORMAL, JobSpec::HIGH, JobSpec::CRITICAL};

// Submits `interleaved` one request at a time, behind a sleep job that holds the only slot; ends the sleep;
// returns the ids by priority (CRITICAL, HIGH, NORMAL, LOW) and in submission order.
struct submitted_mix {
  std::vector<job_id> in_order;
  std::vector<job_id> by_priority[4];
};

submitted_mix run_priority_mix(engine_fixture& f) {
  auto blocker = f.submit(engine_fixture::sleep_spec(1000ms));
  BOOST_REQUIRE_EQUAL(state_of(f.get(blocker)), "RUNNING");
  submitted_mix out;
  for (auto p : interleaved) {
    auto id = f.submit(engine_fixture::record_spec(p));
    out.in_order.push_back(id);
    int lane = p == JobSpec::CRITICAL ? 0 : p == JobSpec::HIGH ? 1 : p == JobSpec::NORMAL ? 2 : 3;
    out.by_priority[lane].push_back(id);
  }
  BOOST_TEST(f.started().empty(), "nothing starts while the only slot is busy");
  BOOST_TEST(depth(f.status(), Job::READY) == interleaved.size());
  f.advance(1000ms);
  BOOST_TEST(state_of(f.get(blocker)) == "SUCCEEDED");
  auto all = out.in_order;
  for (const auto& job : f.await(all)) BOOST_TEST(state_of(job) == "SUCCEEDED");
  return out;
}

}  // namespace

// --- dispatch order ----------------------------------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(jobs_start_critical_first_then_high_normal_low_and_fifo_within_a_priority) {
  engine_fixture f{engine_fixture::options_with_slots(1)};
  auto mix = run_priority_mix(f);
  std::vector<job_id> expected;
  for (const auto& lane : mix.by_priority) expected.insert(expected.end(), lane.begin(), lane.end());
  BOOST_TEST(f.started() == expected, boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(without_priority_scheduling_jobs_start_in_submission_order) {
  auto opts = engine_fixture::options_with_slots(1);
  opts.enablePriorityScheduling = false;
  engine_fixture f{opts};
  auto mix = run_priority_mix(f);
  BOOST_TEST(f.started() == mix.in_order, boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(jobs_in_one_submit_start_by_priority_once_a_slot_frees_up) {
  engine_fixture f{engine_fixture::options_with_slots(1)};
  auto blocker = f.submit(engine_fixture::sleep_spec(500ms));
  std::vector<JobSpec> specs;
  for (auto p : interleaved) specs.push_back(engine_fixture::record_spec(p));
  auto ids = f.submit(specs);
  f.advance(500ms);
  BOOST_TEST(state_of(f.get(blocker)) == "SUCCEEDED");
  // ids[i] has priority interleaved[i]: CRITICAL are 3, 7, 11; HIGH 2, 6, 10; NORMAL 1, 5, 9; LOW 0, 4, 8.
  std::vector<job_id> expected;
  for (int first : {3, 2, 1, 0})
    for (int i = first; i < static_cast<int>(ids.size()); i += 4) expected.push_back(ids[i]);
  BOOST_TEST(f.started() == expected, boost::test_tools::per_element());
}

// --- slot limits -------------------------------------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(no_more_jobs_run_at_once_than_max_concurrent_jobs) {
  engine_fixture f{engine_fixture::options_with_slots(3)};
  std::vector<JobSpec> specs(7, engine_fixture::sleep_spec(1000ms));
  auto ids = f.submit(specs);
  // 7 jobs on 3 slots: 3 + 3 + 1 over three seconds.
  for (uint64_t expect_running : {3, 3, 1}) {
    auto st = f.status();
    BOOST_TEST(st.slots_total() == 3u);
    BOOST_TEST(st.running() == expect_running);
    BOOST_TEST(st.slots_busy() == expect_running);
    BOOST_TEST(depth(st, Job::RUNNING) == expect_running);
    uint64_t running_in_store = 0;
    for (auto id : ids) running_in_store += f.stored(id).state() == Job::RUNNING ? 1 : 0;
    BOOST_TEST(running_in_store == expect_running);
    f.advance(1000ms);
  }
  auto st = f.status();
  BOOST_TEST(st.running() == 0u);
  BOOST_TEST(st.slots_busy() == 0u);
  BOOST_TEST(st.succeeded_total() == 7u);
  for (const auto& job : f.await(ids)) {
    BOOST_TEST(state_of(job) == "SUCCEEDED");
    BOOST_TEST(job.attempts() == 1u);
  }
}

// --- retries -----------------------------------------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(a_job_that_fails_twice_succeeds_on_its_third_attempt) {
  engine_fixture f{engine_fixture::options_with_slots(1)};
  auto spec = engine_fixture::spec("fail", R"({"times": 2})");
  spec.set_max_attempts(5);
  auto id = f.submit(spec);
  auto job = f.await({id}).at(0);
  BOOST_TEST(state_of(job) == "SUCCEEDED");
  BOOST_TEST(job.attempts() == 3u);
  BOOST_TEST(f.status().failed_total() == 2u);
}

BOOST_AUTO_TEST_CASE(a_job_that_fails_every_attempt_ends_dead_after_max_attempts) {
  engine_fixture f{engine_fixture::options_with_slots(1)};
  auto spec = engine_fixture::spec("fail", R"({"times": 10})");
  spec.set_max_attempts(3);
  auto id = f.submit(spec);
  auto job = f.await({id}).at(0);
  BOOST_TEST(state_of(job) == "DEAD");
  BOOST_TEST(job.attempts() == 3u);
  BOOST_TEST(job.last_error().find("attempt 3") != std::string::npos, job.last_error());
  auto st = f.status();
  BOOST_TEST(st.dead_total() == 1u);
  BOOST_TEST(st.failed_total() == 3u);
}

BOOST_AUTO_TEST_CASE(a_permanent_failure_ends_failed_after_one_attempt) {
  engine_fixture f{engine_fixture::options_with_slots(1)};
  auto spec = engine_fixture::spec("fail", R"({"times": 1, "permanent": true})");
  spec.set_max_attempts(5);
  auto id = f.submit(spec);
  auto job = f.await({id}).at(0);
  BOOST_TEST(state_of(job) == "FAILED");
  BOOST_TEST(job.attempts() == 1u);
  BOOST_TEST(!job.last_error().empty());
}

// --- cancel ------------------------------------------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(cancelling_a_queued_job_cancels_it_at_once_and_it_never_starts) {
  engine_fixture f{engine_fixture::options_with_slots(1)};
  auto blocker = f.submit(engine_fixture::sleep_spec(1000ms));
  auto queued = f.submit(engine_fixture::record_spec());
  auto other = f.submit(engine_fixture::record_spec());
  auto cancelled = f.try_cancel(queued);
  BOOST_REQUIRE_MESSAGE(cancelled, error_text(cancelled));
  BOOST_TEST(cancelled->id() == queued);
  BOOST_TEST(state_of(*cancelled) == "CANCELLED");
  BOOST_TEST(state_of(f.get(queued)) == "CANCELLED");
  BOOST_TEST(state_of(f.get(blocker)) == "RUNNING", "the cancel did not disturb the running job");
  f.advance(1000ms);
  BOOST_TEST(state_of(f.get(blocker)) == "SUCCEEDED");
  BOOST_TEST(state_of(f.get(other)) == "SUCCEEDED");
  BOOST_TEST(!contains(f.started(), queued), "the cancelled job never started");
  BOOST_TEST(contains(f.started(), other));
  auto job = f.get(queued);
  BOOST_TEST(job.attempts() == 0u);
  BOOST_TEST(f.status().cancelled_total() == 1u);
}

BOOST_AUTO_TEST_CASE(cancelling_a_running_job_stops_it_and_it_ends_cancelled) {
  engine_fixture f{engine_fixture::options_with_slots(1)};
  auto id = f.submit(engine_fixture::sleep_spec(10'000ms));
  BOOST_REQUIRE_EQUAL(state_of(f.get(id)), "RUNNING");
  auto cancelled = f.try_cancel(id);
  BOOST_REQUIRE_MESSAGE(cancelled, error_text(cancelled));
  BOOST_TEST(state_of(*cancelled) == "CANCELLED");
  BOOST_TEST(cancelled->attempts() == 1u);
  auto st = f.status();
  BOOST_TEST(st.running() == 0u);
  BOOST_TEST(st.slots_busy() == 0u);
  // The sleep's own end comes later and changes nothing; the slot serves the next job.
  f.advance(10'000ms);
  BOOST_TEST(state_of(f.get(id)) == "CANCELLED");
  auto next = f.submit(engine_fixture::spec("noop"));
  BOOST_TEST(state_of(f.await({next}).at(0)) == "SUCCEEDED");
}

BOOST_AUTO_TEST_CASE(a_job_cancelled_before_its_claim_is_durable_never_runs) {
  engine_fixture f{engine_fixture::options_with_slots(1)};
  // Submit and cancel reach the scheduler in one turn: the job has taken the free slot, but its RUNNING record
  // is not durable yet, so it has not gone to the slot.
  f.send_submit({engine_fixture::record_spec()});
  f.send_cancel(1);
  f.run();
  auto ids = f.submit_answer();
  BOOST_REQUIRE(ids.has_value());
  BOOST_REQUIRE_MESSAGE(*ids, error_text(*ids));
  BOOST_REQUIRE_EQUAL((*ids)->at(0), 1u);
  auto cancelled = f.job_answer();
  BOOST_REQUIRE(cancelled.has_value());
  BOOST_REQUIRE_MESSAGE(*cancelled, error_text(*cancelled));
  BOOST_TEST(state_of(**cancelled) == "CANCELLED");
  BOOST_TEST(f.started().empty(), "the job never started");
  auto st = f.status();
  BOOST_TEST(st.running() == 0u);
  BOOST_TEST(st.slots_busy() == 0u);
  auto next = f.submit(engine_fixture::record_spec());
  BOOST_TEST(state_of(f.await({next}).at(0)) == "SUCCEEDED", "the slot was given back");
}

BOOST_AUTO_TEST_CASE(a_cancel_that_arrives_while_a_failed_attempt_is_written_cancels_the_retry) {
  // An inline kind that fails and, the first time, has the test cancel its job from inside start(): the cancel
  // reaches the scheduler right after the failed outcome, while the job's READY record (a retry) is being
  // written.
  auto on_start = std::make_shared<std::function<void(job_id)>>();
  engine_fixture f{engine_fixture::options_with_slots(1), [on_start](kind_registry& kinds) {
                     kinds.add_function(
                         "flaky",
                         [on_start](const attempt& run) {
                           (*on_start)(run.job().id());
                           return outcome::failure("flaky fails");
                         },
                         kind_registry::execution::inline_call);
                   }};
  int starts = 0;
  *on_start = [&](job_id id) {
    if (++starts == 1) f.send_cancel(id);
  };
  auto spec = engine_fixture::spec("flaky");
  spec.set_max_attempts(3);
  auto id = f.submit(spec);
  auto cancelled = f.job_answer();
  BOOST_REQUIRE_MESSAGE(cancelled.has_value(), "the cancel was answered");
  BOOST_REQUIRE_MESSAGE(*cancelled, error_text(*cancelled));
  BOOST_TEST(state_of(**cancelled) == "CANCELLED");
  BOOST_TEST(starts == 1, "no attempt started after the cancel");
  auto job = f.get(id);
  BOOST_TEST(state_of(job) == "CANCELLED");
  BOOST_TEST(job.attempts() == 1u);
}

BOOST_AUTO_TEST_CASE(await_answers_when_a_queued_job_is_cancelled) {
  engine_fixture f{engine_fixture::options_with_slots(1)};
  auto blocker = f.submit(engine_fixture::sleep_spec(1000ms));
  auto queued = f.submit(engine_fixture::record_spec());
  f.send_await({queued});
  BOOST_TEST(!f.await_answer().has_value());
  auto cancelled = f.try_cancel(queued);
  BOOST_REQUIRE_MESSAGE(cancelled, error_text(cancelled));
  auto answer = f.await_answer();
  BOOST_REQUIRE_MESSAGE(answer.has_value(), "await answered once the job was cancelled");
  BOOST_REQUIRE_MESSAGE(*answer, error_text(*answer));
  BOOST_TEST(state_of((*answer)->at(0)) == "CANCELLED");
  BOOST_TEST(state_of(f.get(blocker)) == "RUNNING");
}

BOOST_AUTO_TEST_CASE(cancelling_a_finished_job_is_refused_as_a_conflict) {
  engine_fixture f{engine_fixture::options_with_slots(1)};
  auto id = f.submit(engine_fixture::spec("noop"));
  BOOST_REQUIRE_EQUAL(state_of(f.await({id}).at(0)), "SUCCEEDED");
  auto r = f.try_cancel(id);
  BOOST_REQUIRE(!r);
  BOOST_TEST(code_name(r.error()) == "conflict");
  BOOST_TEST(describe(r.error()).find("SUCCEEDED") != std::string::npos, describe(r.error()));
  BOOST_TEST(state_of(f.get(id)) == "SUCCEEDED");
}

BOOST_AUTO_TEST_CASE(cancelling_an_unknown_job_is_refused_as_unknown_job) {
  engine_fixture f{engine_fixture::options_with_slots(1)};
  auto r = f.try_cancel(4242);
  BOOST_REQUIRE(!r);
  BOOST_TEST(code_name(r.error()) == "unknown_job");
  BOOST_TEST(describe(r.error()).find("4242") != std::string::npos, describe(r.error()));
}

// --- await -------------------------------------------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(await_answers_only_when_every_job_is_terminal_with_the_final_records) {
  engine_fixture f{engine_fixture::options_with_slots(2)};
  auto a = f.submit(engine_fixture::sleep_spec(1000ms));
  auto b = f.submit(engine_fixture::sleep_spec(2000ms));
  f.send_await({b, a});
  BOOST_TEST(!f.await_answer().has_value(), "answered while both jobs run");
  f.advance(1000ms);
  BOOST_TEST(state_of(f.get(a)) == "SUCCEEDED");
  BOOST_TEST(!f.await_answer().has_value(), "answered while one job still runs");
  f.advance(1000ms);
  auto answer = f.await_answer();
  BOOST_REQUIRE_MESSAGE(answer.has_value(), "no answer once both jobs ended");
  BOOST_REQUIRE_MESSAGE(*answer, error_text(*answer));
  const auto& jobs = **answer;
  BOOST_REQUIRE_EQUAL(jobs.size(), 2u);
  BOOST_TEST(jobs[0].id() == b);
  BOOST_TEST(jobs[1].id() == a);
  for (const auto& job : jobs) {
    BOOST_TEST(state_of(job) == "SUCCEEDED");
    BOOST_TEST(job.has_finished_at());
    BOOST_TEST(job.SerializeAsString() == f.get(job.id()).SerializeAsString(), "the final record");
  }
}

BOOST_AUTO_TEST_CASE(await_of_finished_jobs_answers_at_once_and_of_an_unknown_job_fails) {
  engine_fixture f{engine_fixture::options_with_slots(1)};
  auto id = f.submit(engine_fixture::spec("noop"));
  f.run();
  BOOST_TEST(state_of(f.await({id}).at(0)) == "SUCCEEDED");
  f.send_await({id, 999});
  auto answer = f.await_answer();
  BOOST_REQUIRE(answer.has_value());
  BOOST_REQUIRE(!*answer);
  BOOST_TEST(code_name(answer->error()) == "unknown_job");
}

// --- validation at the gateway -------------------------------------------------------------------------------------

namespace {

struct bad_submit {
  std::string what;
  JobSpec spec;
  std::string code;
  std::string message_part;
};

std::vector<bad_submit> bad_submits() {
  std::vector<bad_submit> out;
  out.push_back({"unknown kind", engine_fixture::spec("no-such-kind"), "unknown_kind", "no-such-kind"});
  {
    JobSpec s = engine_fixture::spec("noop");
    s.mutable_payload()->set_string_value(std::string(1'600'000, 'x'));  // 1.5 MiB > 1 MiB
    out.push_back({"payload over the limit", s, "payload_too_large", "maxJobPayloadSizeMB"});
  }
  {
    JobSpec s = engine_fixture::spec("noop");
    set_timeout(s, 0us);
    out.push_back({"zero timeout", s, "invalid_argument", "timeout"});
  }
  {
    JobSpec s = engine_fixture::spec("noop");
    set_timeout(s, -5s);
    out.push_back({"negative timeout", s, "invalid_argument", "timeout"});
  }
  {
    JobSpec s = engine_fixture::spec("noop");
    s.set_priority(static_cast<JobSpec::Priority>(42));
    out.push_back({"invalid priority", s, "invalid_argument", "priority 42"});
  }
  return out;
}

}  // namespace

BOOST_AUTO_TEST_CASE(bad_submits_are_refused_with_their_error_and_store_nothing) {
  auto opts = engine_fixture::options_with_slots(1);
  opts.maxJobPayloadSizeMB = 1;
  engine_fixture f{opts};
  for (const auto& bad : bad_submits()) {
    BOOST_TEST_CONTEXT(bad.what) {
      auto r = f.try_submit({bad.spec});
      BOOST_REQUIRE(!r);
      BOOST_TEST(code_name(r.error()) == bad.code);
      BOOST_TEST(describe(r.error()).find(bad.message_part) != std::string::npos, describe(r.error()));
      // All or nothing: a valid job in the same request is not stored either.
      auto mixed = f.try_submit({engine_fixture::spec("noop"), bad.spec});
      BOOST_REQUIRE(!mixed);
      BOOST_TEST(code_name(mixed.error()) == bad.code);
      BOOST_TEST(describe(mixed.error()).find("job 2 of 2") != std::string::npos, describe(mixed.error()));
      auto page = f.try_list();
      BOOST_REQUIRE_MESSAGE(page, error_text(page));
      BOOST_TEST(page->jobs_size() == 0, "nothing is stored");
    }
  }
  auto st = f.status();
  BOOST_TEST(st.running() == 0u);
  BOOST_TEST(depth(st, Job::READY) == 0u);
  // The node still serves, and the refused submits took no ids.
  auto id = f.submit(engine_fixture::spec("noop"));
  BOOST_TEST(id == 1u);
  BOOST_TEST(state_of(f.await({id}).at(0)) == "SUCCEEDED");
}

// --- recovery ----------------------------------------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(after_a_crash_running_jobs_come_back_ready_with_the_attempt_counted_and_then_succeed) {
  engine_fixture f{engine_fixture::options_with_slots(2)};
  auto ids = f.submit({engine_fixture::sleep_spec(5000ms), engine_fixture::sleep_spec(5000ms),
                       engine_fixture::sleep_spec(5000ms)});
  for (int i : {0, 1}) BOOST_REQUIRE_EQUAL(state_of(f.stored(ids[i])), "RUNNING");
  BOOST_REQUIRE_EQUAL(state_of(f.stored(ids[2])), "READY");
  f.advance(1000ms);

  f.crash();
  BOOST_REQUIRE_EQUAL(f.running_actors(), 0u);
  f.close();
  f.open();
  BOOST_TEST(f.last_recovery().requeued == 2u);
  BOOST_TEST(f.last_recovery().dead == 0u);
  for (int i : {0, 1}) {
    auto job = f.stored(ids[i]);
    BOOST_TEST(state_of(job) == "READY");
    BOOST_TEST(job.attempts() == 1u, "the interrupted attempt stays counted");
    BOOST_TEST(job.lease().attempt() == 1u, "its lease is kept for a worker's report");
  }
  BOOST_TEST(state_of(f.stored(ids[2])) == "READY");
  BOOST_TEST(f.stored(ids[2]).attempts() == 0u);

  f.start();
  auto jobs = f.await_for(ids);
  for (int i : {0, 1}) {
    BOOST_TEST(state_of(jobs[i]) == "SUCCEEDED");
    BOOST_TEST(jobs[i].attempts() == 2u);
  }
  BOOST_TEST(state_of(jobs[2]) == "SUCCEEDED");
  BOOST_TEST(jobs[2].attempts() == 1u);
}

BOOST_AUTO_TEST_CASE(a_crashed_job_on_its_last_attempt_ends_dead_on_reopen) {
  engine_fixture f{engine_fixture::options_with_slots(1)};
  auto spec = engine_fixture::sleep_spec(5000ms);
  spec.set_max_attempts(1);
  auto id = f.submit(spec);
  BOOST_REQUIRE_EQUAL(state_of(f.stored(id)), "RUNNING");
  f.crash();
  f.restart();
  BOOST_TEST(f.last_recovery().dead == 1u);
  auto job = f.get(id);
  BOOST_TEST(state_of(job) == "DEAD");
  BOOST_TEST(job.attempts() == 1u);
}

BOOST_AUTO_TEST_CASE(an_engine_failure_requeues_running_jobs_and_the_node_keeps_serving) {
  engine_fixture f{engine_fixture::options_with_slots(1)};
  auto running = f.submit(engine_fixture::sleep_spec(5000ms));
  BOOST_REQUIRE_EQUAL(state_of(f.get(running)), "RUNNING");
  // The scheduler fails: the supervisor stops journal and pool, requeues what was running, starts them again.
  f.self()->send_exit(f.actor_named("troupe.scheduler"), caf::exit_reason::kill);
  f.run();
  BOOST_TEST(f.actors_named("troupe.scheduler").size() == 1u, "a new scheduler runs");
  BOOST_TEST(f.actors_named("troupe.slot").size() == 1u, "a new pool with one slot");
  auto job = f.get(running);
  BOOST_TEST(state_of(job) == "RUNNING", "requeued and started again");
  BOOST_TEST(job.attempts() == 2u, "the interrupted attempt stays counted");
  auto queued = f.submit(engine_fixture::sleep_spec(1000ms));
  auto jobs = f.await_for({running, queued});
  BOOST_TEST(state_of(jobs[0]) == "SUCCEEDED");
  BOOST_TEST(jobs[0].attempts() == 2u);
  BOOST_TEST(state_of(jobs[1]) == "SUCCEEDED");
  BOOST_TEST(jobs[1].attempts() == 1u);
}

// --- graceful drain ----------------------------------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(shutdown_with_a_grace_period_lets_a_running_job_finish) {
  engine_fixture f{engine_fixture::options_with_slots(1)};
  auto id = f.submit(engine_fixture::sleep_spec(1000ms));
  auto queued = f.submit(engine_fixture::sleep_spec(1000ms));
  f.begin_shutdown(5000ms);
  BOOST_TEST(!f.shutdown_answer().has_value(), "the shutdown waits for the running job");
  BOOST_TEST(!f.status().accepting());
  auto refused = f.try_submit({engine_fixture::spec("noop")});
  BOOST_REQUIRE(!refused);
  BOOST_TEST(code_name(refused.error()) == "shutting_down");
  f.advance(1000ms);
  auto answer = f.shutdown_answer();
  BOOST_REQUIRE_MESSAGE(answer.has_value(), "no shutdown answer once the job finished");
  BOOST_TEST(!*answer, describe(*answer));
  BOOST_TEST(f.running_actors() == 0u);
  auto job = f.stored(id);
  BOOST_TEST(state_of(job) == "SUCCEEDED");
  BOOST_TEST(job.attempts() == 1u);
  auto waiting = f.stored(queued);
  BOOST_TEST(state_of(waiting) == "READY", "a queued job is not started during the drain");
  BOOST_TEST(waiting.attempts() == 0u);
}

BOOST_AUTO_TEST_CASE(shutdown_without_grace_hands_a_running_job_back_with_its_attempt_refunded) {
  engine_fixture f{engine_fixture::options_with_slots(1)};
  auto id = f.submit(engine_fixture::sleep_spec(10'000ms));
  BOOST_REQUIRE_EQUAL(f.stored(id).attempts(), 1u);
  auto err = f.shutdown(0ms);
  BOOST_TEST(!err, describe(err));
  BOOST_TEST(f.running_actors() == 0u);
  auto job = f.stored(id);
  BOOST_TEST(state_of(job) == "READY");
  BOOST_TEST(job.attempts() == 0u, "the handed-back attempt is not counted");
  BOOST_TEST(!job.has_lease());
  // It runs again after a restart, as its first attempt.
  f.restart();
  BOOST_TEST(f.last_recovery().requeued == 0u, "nothing was left RUNNING");
  auto done = f.await_for({id});
  BOOST_TEST(state_of(done.at(0)) == "SUCCEEDED");
  BOOST_TEST(done.at(0).attempts() == 1u);
}

BOOST_AUTO_TEST_CASE(status_counts_what_was_submitted_and_how_it_ended) {
  engine_fixture f{engine_fixture::options_with_slots(2)};
  auto ok = f.submit(std::vector<JobSpec>(3, engine_fixture::spec("noop")));
  auto dead_spec = engine_fixture::spec("fail", R"({"times": 5})");
  dead_spec.set_max_attempts(2);
  auto dead = f.submit(dead_spec);
  auto queued = f.submit(engine_fixture::sleep_spec(1000ms));
  f.await(ok);
  f.await({dead});
  f.cancel(queued);

  auto st = f.status();
  BOOST_TEST(st.submitted_total() == 5u);
  BOOST_TEST(st.succeeded_total() == 3u);
  BOOST_TEST(st.dead_total() == 1u);
  BOOST_TEST(st.failed_total() == 2u, "both attempts of the dead job failed");
  BOOST_TEST(st.cancelled_total() == 1u);
  BOOST_TEST(st.slots_total() == 2u);
  BOOST_TEST(st.accepting());
  BOOST_TEST(st.durability() == "group");
}
