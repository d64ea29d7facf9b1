// The scaling manager's decisions (actors/scaling_policy.hpp) for a scripted load curve, on an injected clock:
// every decision of a day-like curve (quiet, ramp, peak, failing dependency, memory pressure, fall) is the
// expected one, cooldowns hold, bounds hold. Deterministic: the policy is a pure function of its inputs.

#define BOOST_TEST_MODULE scaling_policy
#include <boost/test/unit_test.hpp>

#include <string>
#include <vector>

#include "actors/scaling_policy.hpp"

using namespace troupe;

namespace {

constexpr micros second = 1'000'000;

scaling_config config() {
  scaling_config c;
  c.min_workers = 2;
  c.max_workers = 10;
  c.target_depth = 25;
  c.up_threshold = 1.5;    // up over 37.5 READY per worker
  c.down_threshold = 0.5;  // down under 12.5
  c.memory_threshold = 80;
  c.error_rate_threshold = 15;
  c.up_cooldown = 30 * second;
  c.down_cooldown = 120 * second;
  return c;
}

// One step of the script: at `t` seconds, the node shows `depth` READY jobs, `memory` %, `errors` % failed; the
// policy must answer `action` with `desired` workers, its reason containing `why`.
struct step {
  int t;
  uint64_t depth;
  double memory;
  double errors;
  const char* action;
  uint32_t desired;
  const char* why;
};

}  // namespace

BOOST_AUTO_TEST_CASE(a_scripted_day_gets_the_expected_decision_at_every_step) {
  scaling_policy policy{config(), 0};
  const std::vector<step> script = {
      // Start: below minWorkers.
      {0, 0, 20, -1, "up", 2, "minWorkers is 2"},
      // Quiet: within the band, or under it at the floor.
      {5, 10, 20, 0, "hold", 2, "5.0 per worker for 2 workers"},
      {10, 60, 20, 0, "hold", 2, "30.0 per worker"},
      // Ramp: 100 READY = 50 per worker > 37.5 -> ceil(100 / 25) = 4.
      {35, 100, 20, 0, "up", 4, "50.0 per worker over targetQueueDepth 25 x scaleUpThreshold 1.5"},
      // More, but within the 30 s cooldown of the last scale-up.
      {40, 400, 20, 0, "hold", 4, "scale-up cooling down (25000 ms of scaleUpCooldownMs 30000 left)"},
      // A failing dependency: no scale-up while 40% of attempts fail.
      {50, 400, 20, 40, "hold", 4, "but 40.0% of attempts failed, over errorRateThreshold 15%: scale-up held"},
      // Healthy again: ceil(400 / 25) = 16, bounded by maxWorkers.
      {65, 400, 20, 0, "up", 10, "100.0 per worker"},
      // Peak at the bound: nothing more to add.
      {80, 900, 20, 0, "hold", 10, "90.0 per worker for 10 workers"},
      // The queue drains below the band: scale-down waits 120 s after the last change (at 65 s).
      {120, 50, 20, 2, "hold", 10, "scale-down cooling down (65000 ms of scaleDownCooldownMs 120000 left)"},
      {185, 50, 20, 2, "down", 9, "5.0 per worker under targetQueueDepth 25 x scaleDownThreshold 0.5"},
      // One at a time, each after the cooldown.
      {200, 40, 20, 2, "hold", 9, "scale-down cooling down"},
      {305, 40, 20, 2, "down", 8, "4.4 per worker"},
      // Memory pressure on the node: one more worker while jobs wait, and no scale-down.
      {320, 60, 85, 0, "up", 9, "memory at 85.0%, at or over memoryThreshold 80%, with 60 jobs READY"},
      {440, 0, 85, 0, "hold", 9, "but memory at 85.0% is at or over memoryThreshold: scale-down held"},
      // Night: down to the floor, one step per cooldown, never below it.
      {560, 0, 30, -1, "down", 8, "0 READY jobs"},
      {680, 0, 30, -1, "down", 7, "0 READY jobs"},
      {800, 0, 30, -1, "down", 6, "0 READY jobs"},
      {920, 0, 30, -1, "down", 5, "0 READY jobs"},
      {1040, 0, 30, -1, "down", 4, "0 READY jobs"},
      {1160, 0, 30, -1, "down", 3, "0 READY jobs"},
      {1280, 0, 30, -1, "down", 2, "0 READY jobs"},
      {1400, 0, 30, -1, "hold", 2, "0 READY jobs, 0.0 per worker for 2 workers"},
  };
  for (const auto& s : script) {
    scaling_input in;
    in.now = s.t * second;
    in.queue_depth = s.depth;
    in.memory_percent = s.memory;
    in.error_rate = s.errors;
    auto d = policy.decide(in);
    BOOST_TEST_CONTEXT("at t=" << s.t << " s, depth " << s.depth << ": " << d.reason) {
      BOOST_TEST(to_string(d.what) == std::string{s.action});
      BOOST_TEST(d.desired == s.desired);
      BOOST_TEST(d.reason.find(s.why) != std::string::npos, "reason contains '" << s.why << "'");
      BOOST_TEST(policy.desired() == s.desired);
    }
  }
}

BOOST_AUTO_TEST_CASE(a_flapping_load_does_not_flap_the_count) {
  scaling_policy policy{config(), 2};
  int changes = 0;
  int last_up = -1000, last_change = -1000;
  // Depth that jumps between 200 and 0 every 10 s for an hour.
  for (int t = 0; t < 3600; t += 10) {
    scaling_input in;
    in.now = t * second;
    in.queue_depth = (t / 10) % 2 == 0 ? 200 : 0;
    in.memory_percent = 10;
    in.error_rate = 0;
    auto d = policy.decide(in);
    BOOST_TEST(d.desired >= 2u);
    BOOST_TEST(d.desired <= 10u);
    if (d.what == scaling_decision::action::up) {
      BOOST_TEST(t - last_up >= 30, "a scale-up at " << t << " s, 30 s after the one before");
      last_up = t;
    } else if (d.what == scaling_decision::action::down) {
      BOOST_TEST(t - last_change >= 120, "a scale-down at " << t << " s, 120 s after the last change");
    }
    if (d.what != scaling_decision::action::hold) {
      ++changes;
      last_change = t;
    }
  }
  // Without cooldowns the count would follow the load: 360 changes.
  BOOST_TEST_MESSAGE("changes in an hour of load flapping every 10 s: " << changes);
  BOOST_TEST(changes <= 60);
}

BOOST_AUTO_TEST_CASE(bounds_win_over_everything) {
  auto c = config();
  c.min_workers = 3;
  c.max_workers = 3;
  scaling_policy policy{c, 7};
  scaling_input in;
  in.now = 0;
  auto d = policy.decide(in);
  BOOST_TEST(to_string(d.what) == std::string{"down"});
  BOOST_TEST(d.desired == 3u);
  BOOST_TEST(d.reason == "maxWorkers is 3");
  in.queue_depth = 1'000'000;
  in.now = 3600 * second;
  BOOST_TEST(policy.decide(in).desired == 3u);
  in.queue_depth = 0;
  in.now = 7200 * second;
  BOOST_TEST(policy.decide(in).desired == 3u);
}

// Found by the autoscaling simulation (simulations/scenarios/autoscaling.toml): at the peak of a daily curve, a
// standing backlog under targetQueueDepth x scaleDownThreshold per worker took the fleet down one worker per
// cooldown while every slot was busy. With jobs waiting, a scale-down needs the busy slots to fit on one worker
// fewer.
BOOST_AUTO_TEST_CASE(a_saturated_fleet_with_jobs_waiting_is_not_shrunk) {
  scaling_policy policy{config(), 0};
  scaling_input in;
  in.memory_percent = 20;
  in.error_rate = 0;
  BOOST_REQUIRE(policy.decide(in).desired == 2);  // minWorkers
  in.now = 40 * second;  // past the up cooldown
  in.queue_depth = 500;
  BOOST_REQUIRE(policy.decide(in).desired == 10);  // ceil(500 / 25), at maxWorkers
  in.active_workers = 10;
  in.slots_total = 40;  // 4 per worker

  in.now = 200 * second;  // past the down cooldown
  in.queue_depth = 100;   // 10 per worker: under 12.5
  in.slots_busy = 40;
  auto d = policy.decide(in);
  BOOST_TEST(std::string{to_string(d.what)} == "hold");
  BOOST_TEST(d.desired == 10u);
  BOOST_TEST(d.reason.find("40 of 40 slots are busy with jobs waiting") != std::string::npos, d.reason);

  in.slots_busy = 36;  // fits on 9 workers: down
  d = policy.decide(in);
  BOOST_TEST(std::string{to_string(d.what)} == "down");
  BOOST_TEST(d.desired == 9u);

  in.now = 400 * second;
  in.active_workers = 9;
  in.slots_total = 36;
  in.slots_busy = 36;
  in.queue_depth = 0;  // nothing waits: busy slots alone do not hold a scale-down
  d = policy.decide(in);
  BOOST_TEST(std::string{to_string(d.what)} == "down");
  BOOST_TEST(d.desired == 8u);
}
