// Adaptive concurrency (actors/adaptive_limit.hpp) against scripted pools whose behaviour depends on the limit,
// and the scheduler holding back the slots above a pool's limit. Deterministic: the controller is a pure function
// of its observations, and the scheduler runs under CAF's test coordinator.

#define BOOST_TEST_MODULE adaptive
#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <map>

#include "actors/adaptive_limit.hpp"
#include "support/engine_fixture.hpp"

using namespace std::chrono_literals;
using namespace troupe;
using troupe::test::engine_fixture;
using troupe::test::state_of;

namespace {

// A pool of `slots` slots in front of a dependency that serves `capacity` requests at once: each slot finishes
// `per_slot` attempts per interval, and beyond `capacity` the extra share of attempts fails (timeouts, 429s).
struct overloaded_dependency {
  uint32_t slots = 32;
  uint32_t capacity = 12;
  uint64_t per_slot = 10;

  pool_observation at(uint32_t limit) const {
    pool_observation o;
    o.seconds = 1;
    o.slots = slots;
    o.busy = limit;
    o.finished = limit * per_slot;
    o.failed = limit > capacity ? o.finished * (limit - capacity) / limit : 0;
    o.started = o.finished;
    o.pickup_mean_s = 5;  // a deep backlog: jobs wait far longer than the target
    o.backlog = 10'000;
    return o;
  }
};

adaptive_config config() {
  adaptive_config c;
  c.min = 1;
  c.error_rate_threshold = 0.15;
  c.pickup_target_s = 1;
  return c;
}

}  // namespace

BOOST_AUTO_TEST_CASE(it_starts_at_the_pools_slots_and_a_healthy_pool_keeps_them) {
  adaptive_limit limit{config()};
  overloaded_dependency pool{16, 100, 10};
  auto first = limit.observe(pool.at(16));
  BOOST_REQUIRE(first);
  BOOST_TEST(first->limit == 16u);
  BOOST_TEST(first->reason == "starts at the pool's 16 slots");
  for (int i = 0; i < 100; ++i) BOOST_TEST(!limit.observe(pool.at(limit.limit())));
  BOOST_TEST(limit.limit() == 16u);
}

BOOST_AUTO_TEST_CASE(errors_that_grow_with_concurrency_bring_the_limit_to_the_dependencys_capacity_and_keep_it_there) {
  adaptive_limit limit{config()};
  overloaded_dependency pool;  // 32 slots, capacity 12: at 32 more than half the attempts fail
  std::vector<uint32_t> trace;
  for (int i = 0; i < 300; ++i) {
    limit.observe(pool.at(std::max(limit.limit(), 1u)));
    trace.push_back(limit.limit());
  }
  // It halves until errors are under 15% (32 -> 16 -> 8), then climbs one at a time to where they pass 15% again
  // (15 at capacity 12: 3/15 = 20%) and halves: a sawtooth between 7 and 14, the dependency's capacity inside it.
  BOOST_TEST(trace[0] == 32u);
  BOOST_TEST(trace[1] == 16u);
  BOOST_TEST(trace[2] == 8u);
  auto settled = std::vector<uint32_t>(trace.begin() + 20, trace.end());
  BOOST_TEST(*std::min_element(settled.begin(), settled.end()) >= 7u);
  BOOST_TEST(*std::max_element(settled.begin(), settled.end()) <= 15u);
  // Throughput of successful attempts stays near the dependency's best (capacity x per_slot = 120/s).
  double good = 0;
  for (auto l : settled) good += static_cast<double>(pool.at(l).finished - pool.at(l).failed);
  good /= static_cast<double>(settled.size());
  BOOST_TEST_MESSAGE("mean successful attempts per interval once settled: " << good << " (best 120)");
  BOOST_TEST(good >= 0.75 * 120);
}

BOOST_AUTO_TEST_CASE(the_reasons_name_the_signal_and_its_figures) {
  adaptive_limit limit{config()};
  overloaded_dependency pool;
  limit.observe(pool.at(32));
  auto halved = limit.observe(pool.at(32));
  BOOST_REQUIRE(halved);
  BOOST_TEST(halved->reason == "error rate 62% of 320 attempts over errorRateThreshold 15%: halved from 32");
  limit.observe(pool.at(16));  // 25% failed: 8
  auto up = limit.observe(pool.at(8));
  BOOST_REQUIRE(up);
  BOOST_TEST(up->limit == 9u);
  BOOST_TEST(up->reason == "10000 jobs waiting 5000 ms on average (target 1000 ms), errors under the threshold: "
                           "one more");
}

BOOST_AUTO_TEST_CASE(an_increase_that_buys_no_throughput_is_taken_back_and_held) {
  adaptive_limit limit{config()};
  // Throughput that peaks at 6 slots and falls beyond (contention: a shared lock, a saturated disk).
  auto at = [](uint32_t l) {
    pool_observation o;
    o.slots = 16;
    o.busy = l;
    o.finished = l <= 6 ? l * 10 : 60 - (l - 6) * 8;
    o.started = o.finished;
    o.pickup_mean_s = 5;
    o.backlog = 1000;
    return o;
  };
  // Errors from load brought it down to 4 earlier (all failed at 16, half at 8); now it climbs.
  limit.observe(at(16));
  pool_observation errors = at(16);
  errors.failed = errors.finished;
  limit.observe(errors);
  errors = at(8);
  errors.failed = errors.finished / 2;
  limit.observe(errors);
  BOOST_REQUIRE(limit.limit() == 4u);
  std::map<uint32_t, int> seen;
  for (int i = 0; i < 200; ++i) {
    limit.observe(at(limit.limit()));
    ++seen[limit.limit()];
  }
  BOOST_TEST(seen.rbegin()->first <= 7u, "it never stays beyond one step past the peak");
  BOOST_TEST(seen[6] > 100, "most of the time at the peak, 6");
}

BOOST_AUTO_TEST_CASE(failures_that_do_not_come_from_load_do_not_throttle_the_pool) {
  adaptive_limit limit{config()};
  // A kind that fails one attempt in five whatever the concurrency (bad input, a bug): 20% at any limit.
  auto at = [](uint32_t l, double error_rate) {
    pool_observation o;
    o.slots = 16;
    o.busy = l;
    o.finished = l * 10;
    o.failed = static_cast<uint64_t>(static_cast<double>(o.finished) * error_rate);
    o.started = o.finished;
    o.pickup_mean_s = 5;
    o.backlog = 1000;
    return o;
  };
  limit.observe(at(16, 0.2));
  auto halved = limit.observe(at(16, 0.2));
  BOOST_REQUIRE(halved);
  BOOST_TEST(halved->limit == 8u);
  auto back = limit.observe(at(8, 0.2));
  BOOST_REQUIRE(back);
  BOOST_TEST(back->limit == 16u);
  BOOST_TEST(back->reason == "error rate 20% stayed at 20% after the decrease to 8: the failures do not come from "
                             "load; back to 16");
  for (int i = 0; i < 100; ++i) BOOST_TEST(!limit.observe(at(16, 0.2)));
  // An overload on top of them still counts: over 1.5 x the rate learnt.
  auto overload = limit.observe(at(16, 0.6));
  BOOST_REQUIRE(overload);
  BOOST_TEST(overload->limit == 8u);
  BOOST_TEST(overload->reason == "error rate 60% of 160 attempts over 30% (1.5 x the 20% seen not to come from "
                                 "load): halved from 16");
  // The decrease helped (60% -> 20%): it stands, and the limit grows again one at a time while jobs wait.
  auto next = limit.observe(at(8, 0.2));
  BOOST_REQUIRE(next);
  BOOST_TEST(next->limit == 9u);
  BOOST_TEST(next->reason.find("one more") != std::string::npos, next->reason);
}

BOOST_AUTO_TEST_CASE(with_no_backlog_the_limit_does_not_grow) {
  adaptive_limit limit{config()};
  overloaded_dependency pool;
  limit.observe(pool.at(32));
  limit.observe(pool.at(32));  // halved to 16
  pool_observation idle = pool.at(16);
  idle.backlog = 0;
  idle.failed = 0;
  for (int i = 0; i < 50; ++i) BOOST_TEST(!limit.observe(idle));
  BOOST_TEST(limit.limit() == 16u);
}

BOOST_AUTO_TEST_CASE(the_scheduler_runs_no_more_jobs_in_a_pool_than_its_limit_and_more_once_it_rises) {
  auto options = engine_fixture::options_with_slots(6);
  options.adaptiveThrottling = false;  // the limit comes from this test only
  engine_fixture f{options};
  auto scheduler = caf::actor_cast<scheduler_actor>(f.actor_named("troupe.scheduler"));
  auto pool = f.status().pools(0).pool();
  f.self()->send(scheduler, limit_atom::value, pool, uint32_t{2}, std::string{"test: two at once"});
  f.run();
  auto ids = f.submit(std::vector<JobSpec>(6, engine_fixture::sleep_spec(10s)));
  auto running = [&] {
    return std::count_if(ids.begin(), ids.end(), [&](job_id id) { return state_of(f.get(id)) == "RUNNING"; });
  };
  BOOST_TEST(running() == 2);
  auto status = f.status();
  BOOST_TEST(status.pools(0).limit() == 2u);
  BOOST_TEST(status.pools(0).slots() == 6u);
  BOOST_TEST(status.pools(0).reason() == "test: two at once");
  f.self()->send(scheduler, limit_atom::value, pool, uint32_t{5}, std::string{"test: five"});
  f.run();
  BOOST_TEST(running() == 5);
  // Lowering it stops nothing that runs: the slots above it are held back as they come free.
  f.self()->send(scheduler, limit_atom::value, pool, uint32_t{1}, std::string{"test: one"});
  f.run();
  BOOST_TEST(running() == 5);
  f.advance(10s);
  BOOST_TEST(running() == 1);
}
