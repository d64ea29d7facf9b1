// Pools on the scheduler (actors/scheduler_pools.cpp), on a whole node with no slots of its own under CAF's test
// coordinator: pools offered as workers' pools are, with kinds; placement by kind and free slots; a lost pool's
// jobs back to READY with the attempt counted; stale results ignored; a draining pool; results reported after a
// restart applied under the lease the record kept, and refused under any other. Deterministic.

#define BOOST_TEST_MODULE pools
#include <boost/test/unit_test.hpp>

#include <map>
#include <string>
#include <vector>

#include <caf/actor_cast.hpp>
#include <caf/send.hpp>

#include "actors/job_slot.hpp"
#include "support/engine_fixture.hpp"

using namespace std::chrono_literals;
using namespace troupe;
using troupe::test::engine_fixture;
using troupe::test::state_of;

namespace {

scheduler_actor scheduler_of(engine_fixture& f) {
  return caf::actor_cast<scheduler_actor>(f.actor_named("troupe.scheduler"));
}

// Offers `slots` new slot actors as pool `name`, running `kinds`, as the scaling actor does for a worker.
std::vector<slot_actor> offer(engine_fixture& f, const std::string& name, std::vector<std::string> kinds,
                              uint32_t slots) {
  std::vector<slot_actor> handles;
  for (uint32_t i = 0; i < slots; ++i) handles.push_back(spawn_slot(f.sys(), f.context_ptr(), i));
  f.self()->send(scheduler_of(f), slots_atom::value, pool_offer{name, std::move(kinds), true}, handles);
  f.run();
  return handles;
}

// Jobs running per pool (the lease's pool).
std::map<std::string, int> running_by_pool(engine_fixture& f, const std::vector<job_id>& ids) {
  std::map<std::string, int> out;
  for (auto id : ids) {
    auto job = f.get(id);
    if (job.state() == Job::RUNNING) ++out[job.lease().pool()];
  }
  return out;
}

const Transition& last_transition(const Job& job) { return job.transitions(job.transitions_size() - 1); }

node_options no_local_slots() { return engine_fixture::options_with_slots(0); }

}  // namespace

BOOST_AUTO_TEST_CASE(a_job_goes_only_to_a_pool_that_runs_its_kind_and_another_kind_is_not_held_up) {
  engine_fixture f{no_local_slots()};
  offer(f, "sleepers", {"sleep"}, 2);
  offer(f, "noops", {"noop"}, 1);
  auto sleeps = f.submit({engine_fixture::sleep_spec(10s), engine_fixture::sleep_spec(10s),
                          engine_fixture::sleep_spec(10s)});
  BOOST_TEST((running_by_pool(f, sleeps) == std::map<std::string, int>{{"sleepers", 2}}));
  BOOST_TEST(state_of(f.get(sleeps[2])) == "READY", "no free slot runs sleep");
  // A noop job queued behind the waiting sleep job runs at once on the pool that runs noop.
  auto noop = f.submit(engine_fixture::spec("noop"));
  auto done = f.await({noop});
  BOOST_TEST(state_of(done.at(0)) == "SUCCEEDED");
  BOOST_TEST(state_of(f.get(sleeps[2])) == "READY");
  f.advance(10s);
  BOOST_TEST(state_of(f.get(sleeps[2])) == "RUNNING");
  BOOST_TEST(f.get(sleeps[2]).lease().pool() == "sleepers");
}

BOOST_AUTO_TEST_CASE(jobs_go_to_the_pool_with_the_most_free_slots_and_never_beyond_its_slots) {
  engine_fixture f{no_local_slots()};
  offer(f, "big", {"sleep"}, 3);
  offer(f, "small", {"sleep"}, 1);
  auto ids = f.submit(std::vector<JobSpec>(5, engine_fixture::sleep_spec(10s)));
  BOOST_TEST((running_by_pool(f, ids) == std::map<std::string, int>{{"big", 3}, {"small", 1}}));
  BOOST_TEST(state_of(f.get(ids[4])) == "READY");
  auto status = f.status();
  BOOST_TEST(status.slots_total() == 4u);
  BOOST_TEST(status.slots_busy() == 4u);
}

BOOST_AUTO_TEST_CASE(a_lost_pool_sends_its_jobs_back_to_ready_at_once_with_the_attempt_counted) {
  engine_fixture f{no_local_slots()};
  offer(f, "w1", {"sleep"}, 2);
  auto ids = f.submit({engine_fixture::sleep_spec(5s), engine_fixture::sleep_spec(5s)});
  BOOST_TEST((running_by_pool(f, ids) == std::map<std::string, int>{{"w1", 2}}));
  auto requeued = f.ask_actor<uint32_t>(scheduler_of(f), "the scheduler", leave_atom::value, std::string{"w1"},
                                        std::string{"connection lost"});
  BOOST_REQUIRE(requeued);
  BOOST_TEST(*requeued == 2u);
  for (auto id : ids) {
    auto job = f.get(id);
    BOOST_TEST(state_of(job) == "READY");
    BOOST_TEST(job.attempts() == 1u);
    BOOST_TEST(!job.has_lease(), "a lost worker's lease is revoked");
    BOOST_TEST(last_transition(job).reason() == "worker w1 was lost during the attempt");
  }
  // Another worker takes them; the lost pool's slots (still alive here) finish their sleeps later: stale.
  offer(f, "w2", {"sleep"}, 2);
  BOOST_TEST((running_by_pool(f, ids) == std::map<std::string, int>{{"w2", 2}}));
  f.advance(5s);
  for (const auto& job : f.await_for(ids, 1min)) {
    BOOST_TEST(state_of(job) == "SUCCEEDED");
    BOOST_TEST(job.attempts() == 2u);
  }
  auto workers = f.ask_actor<WorkerList>(scheduler_of(f), "the scheduler", workers_atom::value);
  BOOST_REQUIRE(workers);
  BOOST_REQUIRE(workers->workers_size() == 1);  // w1 is gone
  BOOST_TEST(workers->workers(0).name() == "w2");
}

BOOST_AUTO_TEST_CASE(a_worker_slot_that_dies_requeues_its_job_instead_of_failing_it) {
  engine_fixture f{no_local_slots()};
  auto slots = offer(f, "w1", {"sleep"}, 1);
  auto spec = engine_fixture::sleep_spec(5s);
  spec.set_max_attempts(1);
  auto id = f.submit(spec);
  BOOST_TEST(state_of(f.get(id)) == "RUNNING");
  caf::anon_send_exit(slots[0], caf::exit_reason::remote_link_unreachable);
  f.run();
  auto job = f.get(id);
  BOOST_TEST(state_of(job) == "DEAD", "its only attempt was used up: requeued as DEAD, not failed with a retry");
  BOOST_TEST(job.last_error() == "worker w1 was lost during the attempt");
  BOOST_TEST(f.status().slots_total() == 0u);
}

BOOST_AUTO_TEST_CASE(a_draining_pool_gets_no_new_jobs_and_hands_back_what_runs_without_counting_it) {
  engine_fixture f{no_local_slots()};
  offer(f, "w1", {"sleep"}, 2);
  auto first = f.submit(engine_fixture::sleep_spec(5s));
  f.self()->send(scheduler_of(f), drain_atom::value, std::string{"w1"});
  f.run();
  auto second = f.submit(engine_fixture::sleep_spec(5s));
  BOOST_TEST(state_of(f.get(second)) == "READY", "a draining pool takes no new job");
  f.self()->send(scheduler_of(f), hand_back_atom::value, std::string{"w1"});
  f.run();
  auto job = f.get(first);
  BOOST_TEST(state_of(job) == "READY");
  BOOST_TEST(job.attempts() == 0u, "handed back: the attempt does not count");
  BOOST_TEST(last_transition(job).reason() == "handed back: worker w1 drained and its grace period ended");
}

BOOST_AUTO_TEST_CASE(a_result_reported_after_a_restart_is_applied_under_the_kept_lease_and_only_once) {
  engine_fixture f{no_local_slots()};
  offer(f, "w1", {"sleep"}, 2);
  auto ids = f.submit({engine_fixture::sleep_spec(5s), engine_fixture::sleep_spec(5s)});
  auto ran = f.stored(ids[0]);  // the RUNNING record the worker got
  BOOST_REQUIRE(state_of(ran) == "RUNNING");
  BOOST_TEST(ran.lease().token() != 0u);
  f.crash();
  f.restart();  // recovery: READY, attempt counted, lease kept
  auto requeued = f.get(ids[0]);
  BOOST_TEST(state_of(requeued) == "READY");
  BOOST_TEST(requeued.lease().token() == ran.lease().token());
  attempt_report report{ran, outcome::success("done while the node was down"), 4'000'000};
  auto applied = f.ask_actor<uint32_t>(scheduler_of(f), "the scheduler", report_atom::value,
                                       std::vector<attempt_report>{report});
  BOOST_REQUIRE(applied);
  BOOST_TEST(*applied == 1u);
  auto job = f.get(ids[0]);
  BOOST_TEST(state_of(job) == "SUCCEEDED");
  BOOST_TEST(job.attempts() == 1u, "not run again");
  BOOST_TEST(job.result().output() == "done while the node was down");
  // The same report again, and a report under a token the record does not hold: stale.
  auto again = f.ask_actor<uint32_t>(scheduler_of(f), "the scheduler", report_atom::value,
                                     std::vector<attempt_report>{report});
  BOOST_REQUIRE(again);
  BOOST_TEST(*again == 0u);
  auto other = f.stored(ids[1]);
  attempt_report forged{other, outcome::success(), 1};
  forged.job.mutable_lease()->set_token(other.lease().token() + 1);
  auto refused = f.ask_actor<uint32_t>(scheduler_of(f), "the scheduler", report_atom::value,
                                       std::vector<attempt_report>{forged});
  BOOST_REQUIRE(refused);
  BOOST_TEST(*refused == 0u);
  BOOST_TEST(state_of(f.get(ids[1])) == "READY");
}

BOOST_AUTO_TEST_CASE(lease_tokens_never_repeat_across_restarts) {
  engine_fixture f{no_local_slots()};
  offer(f, "w1", {"sleep"}, 1);
  auto first = f.submit(engine_fixture::sleep_spec(5s));
  auto token = f.stored(first).lease().token();
  f.crash();
  f.restart();
  offer(f, "w2", {"sleep"}, 1);
  auto job = f.stored(first);
  BOOST_REQUIRE(state_of(job) == "RUNNING");
  BOOST_TEST(job.attempts() == 2u);
  BOOST_TEST(job.lease().token() > token);
  BOOST_TEST((job.lease().token() >> 40) == (token >> 40) + 1, "the next open's epoch");
}
