#define BOOST_TEST_MODULE bench_figures
#include <boost/test/unit_test.hpp>

// The key=value figures of `troupe bench` and the regression check against a baseline (bench/figures.hpp):
// which direction is better for which figure, the threshold, and what is not compared.

#include "bench/figures.hpp"

using namespace troupe::bench;

namespace {

const comparison* find(const std::vector<comparison>& list, const std::string& key) {
  for (const auto& c : list)
    if (c.key == key) return &c;
  return nullptr;
}

}  // namespace

BOOST_AUTO_TEST_CASE(a_line_parses_into_ordered_pairs_with_quoted_values) {
  auto f = parse_figures(R"(mode=quick jobs_per_s=33853 reason="p99 over 1 s" stray  p99_pickup_ms=0.031)");
  BOOST_REQUIRE_EQUAL(f.size(), 4u);
  BOOST_TEST(f[0].first == "mode");
  BOOST_TEST(f[2].second == "p99 over 1 s");
  BOOST_TEST(*number_of(f, "p99_pickup_ms") == 0.031);
  BOOST_TEST(!number_of(f, "mode").has_value());
  BOOST_TEST(!number_of(f, "absent").has_value());
}

BOOST_AUTO_TEST_CASE(the_last_key_value_line_of_a_whole_output_is_the_result) {
  auto text = "workload=burn jobs=10\nrecommendation: set maxConcurrentJobs to 4\nmode=quick jobs_per_s=5\n\n";
  BOOST_TEST(last_figures_line(text) == "mode=quick jobs_per_s=5");
  BOOST_TEST(last_figures_line("no figures here\n").empty());
}

BOOST_AUTO_TEST_CASE(each_figure_knows_which_direction_is_better) {
  BOOST_TEST((direction_of("jobs_per_s") == direction::higher_is_better));
  BOOST_TEST((direction_of("capacity_jobs_per_s") == direction::higher_is_better));
  BOOST_TEST((direction_of("limit_chain_depth") == direction::higher_is_better));
  BOOST_TEST((direction_of("p99_pickup_ms") == direction::lower_is_better));
  BOOST_TEST((direction_of("load50_p99_pickup_ms") == direction::lower_is_better));
  BOOST_TEST((direction_of("peak_rss_mb") == direction::lower_is_better));
  BOOST_TEST((direction_of("stored_bytes_per_job") == direction::lower_is_better));
  BOOST_TEST((direction_of("cpu_s_per_1000_jobs") == direction::lower_is_better));
  for (const char* key : {"mode", "slots", "jobs", "best_slots", "rate", "durability"})
    BOOST_TEST((direction_of(key) == direction::none), key);
}

BOOST_AUTO_TEST_CASE(a_figure_worse_by_more_than_the_threshold_regressed_in_its_direction) {
  auto before = parse_figures("mode=quick jobs_per_s=33853 submit_per_s=100000 p99_pickup_ms=10 peak_rss_mb=140");
  auto now = parse_figures("mode=quick jobs_per_s=25000 submit_per_s=120000 p99_pickup_ms=10.5 peak_rss_mb=170");
  auto compared = compare(before, now, 10);
  BOOST_REQUIRE_EQUAL(compared.size(), 4u);
  BOOST_TEST(find(compared, "jobs_per_s")->regressed);           // -26.2%: fewer jobs per second is worse
  BOOST_TEST(!find(compared, "submit_per_s")->regressed);        // +20%: better
  BOOST_TEST(!find(compared, "p99_pickup_ms")->regressed);       // +5%: worse, but within 10%
  BOOST_TEST(find(compared, "peak_rss_mb")->regressed);          // +21%: more memory is worse
  BOOST_TEST(find(compared, "jobs_per_s")->change_pct == -26.15, boost::test_tools::tolerance(0.01));
  // A lower latency is never a regression, however large the change.
  auto faster = compare(parse_figures("p99_pickup_ms=100"), parse_figures("p99_pickup_ms=1"), 10);
  BOOST_TEST(!faster.front().regressed);
  // The threshold decides: +5% latency regresses at 4%.
  BOOST_TEST(find(compare(before, now, 4), "p99_pickup_ms")->regressed);
}

BOOST_AUTO_TEST_CASE(unknown_keys_missing_keys_text_and_zero_baselines_are_not_compared) {
  auto before = parse_figures("mode=quick slots=256 jobs_per_s=0 p99_pickup_ms=n/a peak_rss_mb=100");
  auto now = parse_figures("mode=stress slots=4 jobs_per_s=50 p99_pickup_ms=3 max_pickup_ms=9");
  BOOST_TEST(compare(before, now, 10).empty());
}

BOOST_AUTO_TEST_CASE(a_regression_is_described_with_both_values_the_change_and_the_threshold) {
  auto compared = compare(parse_figures("jobs_per_s=33853"), parse_figures("jobs_per_s=25000"), 10);
  BOOST_TEST(describe_regression(compared.front(), 10) ==
             "regression: jobs_per_s 33853 -> 25000 (-26.2%, threshold 10%)");
  auto slower = compare(parse_figures("p99_pickup_ms=0.5"), parse_figures("p99_pickup_ms=2.25"), 12.5);
  BOOST_TEST(describe_regression(slower.front(), 12.5) ==
             "regression: p99_pickup_ms 0.5 -> 2.25 (+350.0%, threshold 12.5%)");
}
