// The health score (actors/health.hpp): each input's penalty, its bounds, the alerts' share, and the total's.

#define BOOST_TEST_MODULE health
#include <boost/test/unit_test.hpp>

#include <map>
#include <string>

#include "actors/health.hpp"

using namespace troupe;

namespace {

constexpr micros now = 1'000'000'000'000;

node_options options() {
  node_options o;
  o.errorRateThreshold = 15;
  o.targetQueueDepth = 25;
  o.pickupLatencyTargetMs = 1000;
  o.memoryThreshold = 80;
  return o;
}

MetricsSample sample(const std::map<std::string, double>& values) {
  MetricsSample s;
  set_timestamp(s.mutable_at(), now);
  for (const auto& [name, value] : values) (*s.mutable_values())[name] = value;
  return s;
}

Alert active(Alert::Severity severity) {
  Alert a;
  a.set_state(Alert::ACTIVE);
  a.set_severity(severity);
  return a;
}

double penalty(const HealthReport& r, const std::string& input) {
  for (const auto& in : r.inputs())
    if (in.name() == input) return in.penalty();
  BOOST_FAIL("no input " << input);
  return -1;
}

HealthReport health(const std::map<std::string, double>& values, const std::vector<Alert>& alerts = {}) {
  return compute_health(sample(values), alerts, options(), now);
}

}  // namespace

BOOST_AUTO_TEST_CASE(no_data_and_no_alerts_is_a_full_score_with_every_input_listed) {
  auto r = health({});
  BOOST_TEST(r.score() == 100u);
  BOOST_REQUIRE(r.inputs_size() == 5);
  for (const auto& in : r.inputs()) BOOST_TEST(in.penalty() == 0.0);
  BOOST_TEST(to_micros(r.at()) == now);
}

BOOST_AUTO_TEST_CASE(the_error_rate_costs_up_to_30_in_proportion_to_its_threshold) {
  BOOST_TEST(penalty(health({{"error_rate_1m", 7.5}, {"attempts_ended_1m", 20}}), "error_rate") == 15.0);
  BOOST_TEST(penalty(health({{"error_rate_1m", 15}, {"attempts_ended_1m", 20}}), "error_rate") == 30.0);
  BOOST_TEST(penalty(health({{"error_rate_1m", 90}, {"attempts_ended_1m", 20}}), "error_rate") == 30.0);
  BOOST_TEST(penalty(health({{"error_rate_1m", 100}, {"attempts_ended_1m", 0}}), "error_rate") == 0.0);
}

BOOST_AUTO_TEST_CASE(a_backlog_costs_from_one_to_four_times_the_slots_target_depth) {
  // 2 slots x 25 = 50 jobs: no penalty up to 50, 20 at 200 (4x) and above.
  BOOST_TEST(penalty(health({{"depth_ready", 50}, {"slots_total", 2}}), "backlog") == 0.0);
  BOOST_TEST(penalty(health({{"depth_ready", 125}, {"slots_total", 2}}), "backlog") == 10.0);
  BOOST_TEST(penalty(health({{"depth_ready", 200}, {"slots_total", 2}}), "backlog") == 20.0);
  BOOST_TEST(penalty(health({{"depth_ready", 5000}, {"slots_total", 2}}), "backlog") == 20.0);
  // No slots counts as one.
  BOOST_TEST(penalty(health({{"depth_ready", 100}, {"slots_total", 0}}), "backlog") == 20.0);
}

BOOST_AUTO_TEST_CASE(pickup_latency_costs_from_one_to_five_times_the_target) {
  BOOST_TEST(penalty(health({{"pickup_p95_1m_seconds", 0.5}}), "latency") == 0.0);
  BOOST_TEST(penalty(health({{"pickup_p95_1m_seconds", 3}}), "latency") == 10.0);
  BOOST_TEST(penalty(health({{"pickup_p95_1m_seconds", 50}}), "latency") == 20.0);
}

BOOST_AUTO_TEST_CASE(memory_costs_from_20_points_below_its_threshold) {
  BOOST_TEST(penalty(health({{"memory_percent", 50}}), "memory") == 0.0);
  BOOST_TEST(penalty(health({{"memory_percent", 70}}), "memory") == 7.5);
  BOOST_TEST(penalty(health({{"memory_percent", 80}}), "memory") == 15.0);
  BOOST_TEST(penalty(health({{"memory_percent", 130}}), "memory") == 15.0);
}

BOOST_AUTO_TEST_CASE(active_alerts_cost_by_severity_at_most_30_and_silenced_ones_nothing) {
  BOOST_TEST(penalty(health({}, {active(Alert::CRITICAL), active(Alert::HIGH), active(Alert::MODERATE),
                                 active(Alert::LOW), active(Alert::INFO)}),
                     "alerts") == 27.0);
  BOOST_TEST(penalty(health({}, {active(Alert::CRITICAL), active(Alert::CRITICAL), active(Alert::CRITICAL)}),
                     "alerts") == 30.0);
  auto silenced = active(Alert::CRITICAL);
  set_timestamp(silenced.mutable_silenced_until(), now + 1);
  BOOST_TEST(penalty(health({}, {silenced}), "alerts") == 0.0);
  set_timestamp(silenced.mutable_silenced_until(), now);  // the silence is over
  BOOST_TEST(penalty(health({}, {silenced}), "alerts") == 15.0);
  auto resolved = active(Alert::CRITICAL);
  resolved.set_state(Alert::RESOLVED);
  BOOST_TEST(penalty(health({}, {resolved}), "alerts") == 0.0);
}

BOOST_AUTO_TEST_CASE(the_score_is_100_minus_the_penalties_rounded_and_never_below_0) {
  BOOST_TEST(health({{"memory_percent", 70}}).score() == 93u);  // 92.5 rounds half away from zero
  BOOST_TEST(health({{"memory_percent", 70}}, {active(Alert::HIGH)}).score() == 85u);  // 100 - 7.5 - 8 = 84.5
  auto worst = health({{"error_rate_1m", 100}, {"attempts_ended_1m", 100}, {"depth_ready", 1e6}, {"slots_total", 1},
                       {"pickup_p95_1m_seconds", 1e3}, {"memory_percent", 100}},
                      {active(Alert::CRITICAL), active(Alert::CRITICAL)});
  BOOST_TEST(worst.score() == 0u);
}
