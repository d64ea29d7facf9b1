// Slots and what they do to attempts, on a whole node under CAF's test coordinator
// (tests/support/engine_fixture.hpp): timeouts, kinds that throw, slots that die, and outcomes or stops that
// name another attempt than the running one. Deterministic: time moves only through advance().

#define BOOST_TEST_MODULE slots
#include <boost/test/unit_test.hpp>

#include <chrono>
#include <string>
#include <vector>

#include <caf/actor_cast.hpp>

#include "support/engine_fixture.hpp"

using namespace std::chrono_literals;
using namespace troupe;
using troupe::test::engine_fixture;
using troupe::test::set_timeout;
using troupe::test::state_of;

namespace {

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

int running_transitions(const Job& job) {
  int n = 0;
  for (const auto& t : job.transitions()) n += t.state() == Job::RUNNING ? 1 : 0;
  return n;
}

// How many slots the pool says it has.
uint32_t pool_size(engine_fixture& f) {
  auto pool = caf::actor_cast<caf::actor>(f.actor_named("troupe.pool"));
  f.self()->send(pool, status_atom::value);
  f.run();
  uint32_t n = 0;
  bool answered = false;
  f.self()->receive([&](uint32_t x) { n = x, answered = true; }, caf::after(std::chrono::seconds(0)) >> [] {});
  BOOST_REQUIRE_MESSAGE(answered, "the pool did not answer");
  return n;
}

slot_actor the_slot(engine_fixture& f) { return caf::actor_cast<slot_actor>(f.actor_named("troupe.slot")); }

}  // namespace

// --- timeouts ----------------------------------------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(a_job_that_times_out_on_its_only_attempt_ends_dead_and_timed_out) {
  engine_fixture f{engine_fixture::options_with_slots(1)};
  auto spec = engine_fixture::sleep_spec(10'000ms);
  set_timeout(spec, 100ms);
  spec.set_max_attempts(1);
  auto id = f.submit(spec);
  f.advance(99ms);
  BOOST_TEST(state_of(f.get(id)) == "RUNNING", "not before its timeout");
  f.advance(1ms);
  auto job = f.get(id);
  BOOST_TEST(state_of(job) == "DEAD");
  BOOST_TEST(job.attempts() == 1u);
  BOOST_TEST(job.result().timed_out());
  BOOST_TEST(contains(job.last_error(), "timed out after 100 ms"), job.last_error());
  // The sleep's own end comes later and is ignored; the slot serves the next job.
  f.advance(10'000ms);
  BOOST_TEST(state_of(f.get(id)) == "DEAD");
  auto st = f.status();
  BOOST_TEST(st.dead_total() == 1u);
  BOOST_TEST(st.slots_busy() == 0u);
  auto next = f.submit(engine_fixture::spec("noop"));
  BOOST_TEST(state_of(f.await({next}).at(0)) == "SUCCEEDED");
}

BOOST_AUTO_TEST_CASE(a_job_that_times_out_with_two_attempts_is_tried_twice) {
  engine_fixture f{engine_fixture::options_with_slots(1)};
  auto spec = engine_fixture::sleep_spec(10'000ms);
  set_timeout(spec, 100ms);
  spec.set_max_attempts(2);
  auto id = f.submit(spec);
  f.advance(100ms);
  auto job = f.get(id);
  BOOST_TEST(state_of(job) == "RUNNING", "retried at once");
  BOOST_TEST(job.attempts() == 2u);
  BOOST_TEST(job.result().timed_out(), "the first attempt's result");
  f.advance(100ms);
  job = f.get(id);
  BOOST_TEST(state_of(job) == "DEAD");
  BOOST_TEST(job.attempts() == 2u);
  BOOST_TEST(job.result().timed_out());
  BOOST_TEST(running_transitions(job) == 2);
  BOOST_TEST(f.status().failed_total() == 2u);
}

BOOST_AUTO_TEST_CASE(a_job_without_a_timeout_gets_the_node_default) {
  auto opts = engine_fixture::options_with_slots(1);
  opts.jobTimeoutMs = 1000;
  engine_fixture f{opts};
  auto spec = engine_fixture::sleep_spec(5000ms);
  spec.set_max_attempts(1);
  auto id = f.submit(spec);
  f.advance(999ms);
  BOOST_TEST(state_of(f.get(id)) == "RUNNING");
  f.advance(1ms);
  auto job = f.get(id);
  BOOST_TEST(state_of(job) == "DEAD");
  BOOST_TEST(job.result().timed_out());
  BOOST_TEST(contains(job.last_error(), "1000 ms"), job.last_error());
}

// --- kinds that fail -------------------------------------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(a_kind_that_throws_from_start_fails_the_attempt_and_the_node_keeps_serving) {
  engine_fixture f{engine_fixture::options_with_slots(1)};
  auto spec = engine_fixture::spec("throws");
  spec.set_max_attempts(2);
  auto id = f.submit(spec);
  auto job = f.await({id}).at(0);
  BOOST_TEST(state_of(job) == "DEAD");
  BOOST_TEST(job.attempts() == 2u, "each attempt failed and was retried");
  BOOST_TEST(contains(job.last_error(), "kind exploded"), job.last_error());
  BOOST_TEST(pool_size(f) == 1u);
  auto next = f.submit(engine_fixture::spec("noop"));
  BOOST_TEST(state_of(f.await({next}).at(0)) == "SUCCEEDED");
}

// --- slots that die ----------------------------------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(a_slot_that_dies_while_running_fails_the_attempt_and_the_job_is_retried_on_a_replacement) {
  engine_fixture f{engine_fixture::options_with_slots(1)};
  auto spec = engine_fixture::sleep_spec(1000ms);
  spec.set_max_attempts(3);
  auto id = f.submit(spec);
  auto job = f.get(id);
  BOOST_REQUIRE_EQUAL(state_of(job), "RUNNING");
  auto first_slot = job.lease().slot();

  // As a slot whose handler threw.
  f.self()->send_exit(f.actor_named("troupe.slot"), caf::exit_reason::unhandled_exception);
  f.run();

  BOOST_TEST(pool_size(f) == 1u, "the pool keeps its slot count");
  BOOST_TEST(f.actors_named("troupe.slot").size() == 1u);
  auto st = f.status();
  BOOST_TEST(st.slots_total() == 1u, "the scheduler counts the replacement, not the dead slot");
  job = f.get(id);
  BOOST_TEST(state_of(job) == "RUNNING", "retried at once on the replacement");
  BOOST_TEST(job.attempts() == 2u, "the failed attempt is counted");
  BOOST_TEST(job.lease().slot() != first_slot);
  BOOST_TEST(contains(job.last_error(), "the job actor failed"), job.last_error());
  f.advance(1000ms);
  job = f.get(id);
  BOOST_TEST(state_of(job) == "SUCCEEDED");
  BOOST_TEST(job.attempts() == 2u);
  BOOST_TEST(f.status().slots_busy() == 0u);
}

BOOST_AUTO_TEST_CASE(a_slot_that_dies_while_idle_is_replaced) {
  engine_fixture f{engine_fixture::options_with_slots(2)};
  f.self()->send_exit(f.actors_named("troupe.slot").at(0), caf::exit_reason::unhandled_exception);
  f.run();
  BOOST_TEST(pool_size(f) == 2u);
  BOOST_TEST(f.status().slots_total() == 2u);
  auto ids = f.submit({engine_fixture::sleep_spec(100ms), engine_fixture::sleep_spec(100ms)});
  BOOST_TEST(f.status().running() == 2u);
  for (const auto& job : f.await_for(ids)) BOOST_TEST(state_of(job) == "SUCCEEDED");
}

// Regression: CAF 0.17 makes an exit message with reason `kill` fatal for every linked actor, whatever its exit
// handler says, so when the pool linked its slots a slot killed outright took the pool with it and the
// supervisor restarted the engine. The pool now monitors its slots instead.
BOOST_AUTO_TEST_CASE(a_slot_killed_outright_is_replaced_without_restarting_the_engine) {
  engine_fixture f{engine_fixture::options_with_slots(1)};
  auto scheduler = f.actor_named("troupe.scheduler");
  auto pool = f.actor_named("troupe.pool");
  f.self()->send_exit(f.actor_named("troupe.slot"), caf::exit_reason::kill);
  f.run();
  BOOST_TEST((f.actors_named("troupe.pool") == std::vector<caf::strong_actor_ptr>{pool} &&
              f.actors_named("troupe.scheduler") == std::vector<caf::strong_actor_ptr>{scheduler}),
             "the same pool and scheduler serve on");
  BOOST_REQUIRE_EQUAL(pool_size(f), 1u);
  auto next = f.submit(engine_fixture::spec("noop"));
  BOOST_REQUIRE_EQUAL(state_of(f.await({next}).at(0)), "SUCCEEDED");
}

// --- outcomes and stops for another attempt -----------------------------------------------------------------------

// The slot fences outcomes by the attempt's token (issued per slot from 1) and stops by (job, attempt). The
// scheduler's own check (on_outcome: the answer's attempt against the running lease) cannot be reached through
// the actor interfaces on one node: each run request is answered at most once, and its handler is bound to the
// attempt it started.
BOOST_AUTO_TEST_CASE(a_finish_for_an_earlier_attempt_is_ignored) {
  engine_fixture f{engine_fixture::options_with_slots(1)};
  auto first = f.submit(engine_fixture::sleep_spec(100ms));  // token 1 on the slot
  f.advance(100ms);
  BOOST_REQUIRE_EQUAL(state_of(f.get(first)), "SUCCEEDED");
  auto id = f.submit(engine_fixture::sleep_spec(1000ms));    // token 2
  BOOST_REQUIRE_EQUAL(state_of(f.get(id)), "RUNNING");
  auto slot = the_slot(f);
  for (uint64_t stale : {uint64_t{0}, uint64_t{1}, uint64_t{3}})
    f.self()->send(slot, finished_atom::value, stale, outcome::failure("stale outcome"));
  f.run();
  auto job = f.get(id);
  BOOST_TEST(state_of(job) == "RUNNING", "the stale outcomes changed nothing");
  BOOST_TEST(job.attempts() == 1u);
  BOOST_TEST(job.last_error().empty(), job.last_error());
  f.advance(1000ms);
  job = f.get(id);
  BOOST_TEST(state_of(job) == "SUCCEEDED");
  BOOST_TEST(job.attempts() == 1u);
  BOOST_TEST(f.status().failed_total() == 0u);
}

BOOST_AUTO_TEST_CASE(a_stop_for_another_attempt_or_job_is_ignored) {
  engine_fixture f{engine_fixture::options_with_slots(1)};
  auto spec = engine_fixture::sleep_spec(100ms);
  set_timeout(spec, 50ms);
  spec.set_max_attempts(2);
  auto id = f.submit(spec);
  f.advance(50ms);  // attempt 1 timed out; attempt 2 runs
  auto job = f.get(id);
  BOOST_REQUIRE_EQUAL(state_of(job), "RUNNING");
  BOOST_REQUIRE_EQUAL(job.attempts(), 2u);
  auto slot = the_slot(f);
  f.self()->send(slot, stop_atom::value, id, uint32_t{1});      // the earlier attempt
  f.self()->send(slot, stop_atom::value, id, uint32_t{3});      // a later one
  f.self()->send(slot, stop_atom::value, id + 1, uint32_t{2});  // another job
  f.run();
  job = f.get(id);
  BOOST_TEST(state_of(job) == "RUNNING");
  BOOST_TEST(job.attempts() == 2u);
  // The matching stop ends it as a cancel would.
  f.self()->send(slot, stop_atom::value, id, uint32_t{2});
  f.run();
  job = f.get(id);
  BOOST_TEST(state_of(job) == "CANCELLED");
  BOOST_TEST(job.attempts() == 2u);
}
