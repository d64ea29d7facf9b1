#define BOOST_TEST_MODULE bench_analysis
#include <boost/test/unit_test.hpp>

// What the benchmark modes conclude from figures (bench/analysis.hpp): the best slot count of a sweep, the
// stopping rule of a limit search, and the recommendation texts, all from made-up figures.

#include "bench/analysis.hpp"

using namespace troupe::bench;

BOOST_AUTO_TEST_CASE(the_best_slot_count_is_where_throughput_stops_rising_by_more_than_5_percent) {
  std::vector<sweep_point> sweep{{1, 1000}, {2, 1900}, {4, 3500}, {8, 3600}, {16, 3700}};
  BOOST_TEST(best_slots(sweep)->slots == 4u);  // 8 adds 2.9%, 16 another 2.8%: noise, not a rise
  // A rise after a plateau still counts when it beats every point before it by more than 5%.
  sweep.push_back({32, 4000});
  BOOST_TEST(best_slots(sweep)->slots == 32u);
  // A dip does not move the best.
  BOOST_TEST(best_slots({{1, 100}, {2, 300}, {4, 250}, {8, 310}})->slots == 2u);
  BOOST_TEST(best_slots({{1, 500}})->slots == 1u);
  BOOST_TEST(!best_slots({}).has_value());
}

BOOST_AUTO_TEST_CASE(a_sweep_goes_on_while_each_step_raises_throughput_by_more_than_5_percent) {
  BOOST_TEST(sweep_goes_on({}));
  BOOST_TEST(sweep_goes_on({{1, 1000}}));
  BOOST_TEST(sweep_goes_on({{1, 1000}, {2, 1060}}));
  BOOST_TEST(!sweep_goes_on({{1, 1000}, {2, 1040}}));
  BOOST_TEST(!sweep_goes_on({{1, 1000}, {2, 2000}, {4, 1500}}));  // measured against the best before it
}

BOOST_AUTO_TEST_CASE(a_limit_search_stops_at_the_first_failing_step_and_names_the_last_passing_value) {
  limit_finder finder{"offered_rate_jobs_per_s", 10};
  BOOST_TEST(finder.step(1000, true));
  BOOST_TEST(finder.step(1500, true));
  BOOST_TEST(!finder.step(2250, false, "p99 pickup latency 1840 ms over 1000 ms at 2250 jobs/s"));
  BOOST_TEST(!finder.step(3375, true));  // ignored: the search is over
  BOOST_TEST(finder.steps() == 3u);
  BOOST_TEST(finder.result().reached);
  BOOST_TEST(finder.result().value == 1500);
  BOOST_TEST(finder.line() ==
             R"(limit=offered_rate_jobs_per_s:1500 reason="p99 pickup latency 1840 ms over 1000 ms at 2250 jobs/s")");
}

BOOST_AUTO_TEST_CASE(a_limit_search_that_never_fails_ends_after_max_steps_unreached) {
  limit_finder finder{"chain_depth", 3};
  BOOST_TEST(finder.step(100, true));
  BOOST_TEST(finder.step(200, true));
  BOOST_TEST(!finder.step(400, true));
  BOOST_TEST(!finder.result().reached);
  BOOST_TEST(finder.result().value == 400);
  BOOST_TEST(finder.line() == R"(limit=chain_depth:>=400 reason="not reached: every step passed up to 400")");
  // Failing at once: the limit is below the first step.
  limit_finder first{"payload_bytes", 5};
  BOOST_TEST(!first.step(1024, false, "refused"));
  BOOST_TEST(first.result().value == 0);
  BOOST_TEST(first.result().reached);
}

BOOST_AUTO_TEST_CASE(the_slot_recommendation_names_the_peak_and_its_gain_over_the_count_below) {
  auto text = recommend_slots({{1, 1000}, {2, 1900}, {4, 3500}, {8, 3600}});
  BOOST_REQUIRE_EQUAL(text.size(), 1u);
  BOOST_TEST(text[0] == "set maxConcurrentJobs to 4: throughput peaked there (3500 jobs/s), +84.2% over 2");
  auto flat = recommend_slots({{1, 1000}, {2, 1010}});
  BOOST_TEST(flat[0] == "set maxConcurrentJobs to 1: more slots did not raise throughput by more than 5% "
                        "(1000 jobs/s)");
  BOOST_TEST(recommend_slots({}).empty());
}

BOOST_AUTO_TEST_CASE(the_load_recommendation_names_the_highest_load_under_the_latency_target) {
  std::vector<load_point> loads{{2500, 0.1, 2}, {5000, 0.2, 8}, {7500, 1, 90}, {10000, 40, 600}};
  auto text = recommend_load(loads, 10000, 100);
  BOOST_REQUIRE_EQUAL(text.size(), 1u);
  BOOST_TEST(text[0] == "pickup latency p99 stays under 100 ms up to 7500 jobs/s (75% of measured capacity)");
  auto none = recommend_load({{2500, 50, 300}, {5000, 80, 900}}, 10000, 100);
  BOOST_TEST(none[0] == "pickup latency p99 is over 100 ms already at 2500 jobs/s (p99 300 ms): look at slots and "
                        "durability before adding load");
  BOOST_TEST(recommend_load({}, 1, 1).empty());
}

BOOST_AUTO_TEST_CASE(limit_recommendations_cover_reached_limits_only) {
  std::vector<limit> limits{{"offered_rate_jobs_per_s", 42000, true, "p99 pickup latency over 1 s"},
                            {"payload_bytes", 4194304, true, "refused: payload over maxJobPayloadSizeMB"},
                            {"chain_depth", 800, false, "not reached"}};
  auto text = recommend_limits(limits);
  BOOST_REQUIRE_EQUAL(text.size(), 2u);
  BOOST_TEST(text[0] == "keep offered load under 42000 jobs/s: the next step failed (p99 pickup latency over 1 s)");
  BOOST_TEST(text[1] == "keep payloads at or under 4194304 bytes: the next step failed (refused: payload over "
                        "maxJobPayloadSizeMB)");
}
