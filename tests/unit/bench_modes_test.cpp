#define BOOST_TEST_MODULE bench_modes
#include <boost/test/unit_test.hpp>

// The benchmark modes (bench/modes.hpp) against a fake target whose workloads answer made-up figures: which
// measurements each mode makes, where the sweep and the limit searches stop, and that the result line, the
// limits and the recommendations come from the figures given. No node runs.

#include <fmt/format.h>

#include <map>

#include "bench/figures.hpp"
#include "bench/modes.hpp"
#include "troupe/error.hpp"

using namespace troupe;
using namespace troupe::bench;

namespace {

// Throughput by slot count for the sweep's mix: rises to 4 slots, then flat.
const std::map<uint32_t, double> sweep_rates{{1, 1000}, {2, 1900}, {4, 3500}, {8, 3600}, {16, 3650}};

struct fake_target {
  std::vector<std::string> calls;  // "burn slots=4 mix=..." etc., in order

  caf::expected<std::string> run(const bench_options& o) {
    if (o.workload == "burn" && o.payload_bytes > 0) {
      calls.push_back(fmt::format("payload {}", o.payload_bytes));
      if (o.payload_bytes >= (1u << 20)) return make_error(ec::payload_too_large, "payload over maxJobPayloadSizeMB");
      // 51.2 MB/s whatever the size: no collapse.
      return fmt::format("workload=burn jobs={} jobs_per_s={:.0f}", o.jobs, 50000.0 * 1024 / o.payload_bytes);
    }
    if (o.workload == "burn" && o.mix != "noop") {
      calls.push_back(fmt::format("sweep {}", o.node.maxConcurrentJobs));
      return fmt::format("workload=burn jobs={} jobs_per_s={:.0f} peak_rss_mb=90", o.jobs,
                         sweep_rates.at(o.node.maxConcurrentJobs));
    }
    if (o.workload == "burn") {
      calls.push_back(fmt::format("burn {}", o.jobs));
      return fmt::format("workload=burn jobs={} submit_per_s=20000 jobs_per_s=10000 cpu_s_per_1000_jobs=0.500 "
                         "peak_rss_mb=120.0", o.jobs);
    }
    if (o.workload == "steady") {
      calls.push_back(fmt::format("steady {:.0f}", o.rate));
      double p99 = o.rate < 8000 ? o.rate / 1000 : 2000;  // fine up to 7,500 jobs/s, then a wall
      return fmt::format("workload=steady rate={:.0f} failed_submits=0 p50_pickup_ms={:.3f} p99_pickup_ms={:.3f} "
                         "max_pickup_ms={:.3f} drain_s=0.1", o.rate, p99 / 10, p99, p99 * 2);
    }
    if (o.workload == "dag") {
      calls.push_back(fmt::format("chain {}", o.jobs));
      return fmt::format("workload=dag shape=chain jobs={} submit_s=0.00 drain_s={:.2f}", o.jobs, o.jobs / 100.0);
    }
    if (o.workload == "storage") {
      calls.push_back("storage");
      return std::string{"payload=small compression=zstd stored_per_job=300\n"
                         "workload=storage jobs=100 small_zstd_b=300 large_zstd_b=5000"};
    }
    return make_error(ec::invalid_argument, "unexpected workload " + o.workload);
  }

  target as_target(bool fresh_nodes = true) {
    return {[this](const bench_options& o, const std::function<void(double)>&) { return run(o); }, fresh_nodes};
  }
};

BenchmarkRun run(fake_target& fake, const std::string& mode, bool fresh_nodes = true) {
  BenchmarkRequest request;
  request.set_mode(mode);
  bench_options base;
  base.node.maxConcurrentJobs = 256;
  auto done = run_mode(request, base, fake.as_target(fresh_nodes), [](const std::string&, double) {});
  if (!done) BOOST_FAIL(describe(done.error()));
  return *done;
}

bool has(const std::vector<std::string>& list, const std::string& item) {
  return std::find(list.begin(), list.end(), item) != list.end();
}

}  // namespace

BOOST_AUTO_TEST_CASE(quick_runs_burn_then_steady_and_reports_both_in_its_result_line) {
  fake_target fake;
  auto r = run(fake, "quick");
  BOOST_TEST(fake.calls == (std::vector<std::string>{"burn 200000", "steady 10000"}), boost::test_tools::per_element());
  auto f = parse_figures(r.result());
  BOOST_TEST(f.front().first == "mode");
  BOOST_TEST(f.front().second == "quick");
  BOOST_TEST(*number_of(f, "jobs_per_s") == 10000);
  BOOST_TEST(*number_of(f, "p99_pickup_ms") == 2000);
  BOOST_TEST(*number_of(f, "peak_rss_mb") == 120);
  BOOST_TEST(r.lines_size() == 2);
  BOOST_TEST(r.state() == BenchmarkRun::DONE);
  // 2 s p99 at 10,000 jobs/s is over the 100 ms target.
  BOOST_REQUIRE_EQUAL(r.recommendations_size(), 1);
  BOOST_TEST(r.recommendations(0).find("over 100 ms already at 10000 jobs/s") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(comprehensive_sweeps_until_throughput_stops_rising_and_recommends_the_peak) {
  fake_target fake;
  auto r = run(fake, "comprehensive");
  // The sweep stops at 8 slots (+2.9% over 4), then capacity, four loads and the storage profile.
  BOOST_TEST(fake.calls == (std::vector<std::string>{"sweep 1", "sweep 2", "sweep 4", "sweep 8", "burn 40000",
                                                     "steady 2500", "steady 5000", "steady 7500", "steady 10000",
                                                     "storage"}),
             boost::test_tools::per_element());
  auto f = parse_figures(r.result());
  BOOST_TEST(*number_of(f, "best_slots") == 4);
  BOOST_TEST(*number_of(f, "best_jobs_per_s") == 3500);
  BOOST_TEST(*number_of(f, "capacity_jobs_per_s") == 10000);
  BOOST_TEST(*number_of(f, "load75_p99_pickup_ms") == 7.5);
  BOOST_TEST(*number_of(f, "cpu_s_per_1000_jobs") == 0.5);
  BOOST_TEST(*number_of(f, "stored_bytes_per_job") == 300);
  BOOST_TEST(*number_of(f, "peak_rss_mb") == 120);
  BOOST_TEST(has({r.recommendations().begin(), r.recommendations().end()},
                 "set maxConcurrentJobs to 4: throughput peaked there (3500 jobs/s), +84.2% over 2"));
  BOOST_TEST(has({r.recommendations().begin(), r.recommendations().end()},
                 "pickup latency p99 stays under 100 ms up to 7500 jobs/s (75% of measured capacity)"));
  auto charts = charts_of(r);
  BOOST_REQUIRE_EQUAL(charts.size(), 2u);
  BOOST_TEST(charts[0].series[0].points.size() == 4u);
  BOOST_TEST(charts[1].series.size() == 2u);
  BOOST_TEST(plot_of(r).find("<polyline") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(comprehensive_against_a_running_node_skips_what_needs_fresh_nodes_and_says_so) {
  fake_target fake;
  auto r = run(fake, "comprehensive", /*fresh_nodes=*/false);
  BOOST_TEST(fake.calls.front() == "burn 40000");
  BOOST_TEST(!has(fake.calls, "storage"));
  BOOST_TEST(!number_of(parse_figures(r.result()), "best_slots").has_value());
  BOOST_TEST(r.lines(0).find("sweep skipped") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(stress_finds_and_names_a_limit_for_load_payload_and_chain_depth) {
  fake_target fake;
  auto r = run(fake, "stress");
  auto f = parse_figures(r.result());
  // Load from half the capacity (5,000) by 1.5x: 7,500 passes, 11,250 hits the 2 s wall.
  BOOST_TEST(*number_of(f, "limit_offered_rate_jobs_per_s") == 7500);
  // Payload by 4x from 1 KiB: 1 MiB is refused.
  BOOST_TEST(*number_of(f, "limit_payload_bytes") == 262144);
  BOOST_TEST(has(fake.calls, "payload 1048576"));
  BOOST_TEST(!has(fake.calls, "payload 4194304"));
  // Chains by 2x from 100: 1,600 takes 16 s, over the 10 s budget.
  BOOST_TEST(*number_of(f, "limit_chain_depth") == 800);
  BOOST_REQUIRE_EQUAL(r.limits_size(), 3);
  BOOST_TEST(r.limits(0).reached());
  BOOST_TEST(r.limits(0).reason() == "p99 pickup latency 2000 ms over 1000 ms at 11250 jobs/s");
  BOOST_TEST(r.limits(1).reason().find("refused: ") == 0u);
  std::vector<std::string> lines{r.lines().begin(), r.lines().end()};
  BOOST_TEST(has(lines, R"(limit=offered_rate_jobs_per_s:7500 reason="p99 pickup latency 2000 ms over 1000 ms at )"
                        R"(11250 jobs/s")"));
  BOOST_TEST(r.recommendations_size() == 3);
  BOOST_TEST(charts_of(r).size() == 3u);
}

BOOST_AUTO_TEST_CASE(a_bad_mode_is_refused_and_a_stopped_run_ends_at_its_next_measurement) {
  fake_target fake;
  BenchmarkRequest request;
  request.set_mode("endless");
  auto bad = run_mode(request, bench_options{}, fake.as_target(), [](const std::string&, double) {});
  BOOST_TEST((code_of(bad.error()) == ec::invalid_argument));
  request.set_mode("quick");
  auto t = fake.as_target();
  t.stopped = [] { return true; };
  auto stopped = run_mode(request, bench_options{}, t, [](const std::string&, double) {});
  BOOST_TEST((code_of(stopped.error()) == ec::shutting_down));
  BOOST_TEST(fake.calls.empty());
}

BOOST_AUTO_TEST_CASE(a_workload_error_ends_the_run_with_it) {
  fake_target fake;
  BenchmarkRequest request;
  request.set_mode("quick");
  target t{[](const bench_options&, const std::function<void(double)>&) -> caf::expected<std::string> {
             return make_error(ec::unavailable, "the node stopped answering");
           },
           true};
  auto failed = run_mode(request, bench_options{}, t, [](const std::string&, double) {});
  BOOST_TEST((code_of(failed.error()) == ec::unavailable));
}
