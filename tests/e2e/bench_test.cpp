#define BOOST_TEST_MODULE e2e_bench
#include <boost/test/unit_test.hpp>

// `troupe bench` as a real process, at tiny sizes: a quick run in process and against a running node (--node),
// its plot and saved baseline, the regression check's exit code against a crafted baseline, and benchmark runs
// over HTTP (POST starts one in the background, a second POST while it runs is 409, non-admins are refused,
// GET lists it once done, with its plot; it survives a restart). Figures are checked for presence and shape,
// never for speed.

#include <fstream>
#include <sstream>
#include <string>

#include "bench/figures.hpp"
#include "schemas/troupe.pb.h"
#include "support/http_client.hpp"
#include "support/process.hpp"
#include "support/temp_dir.hpp"
#include "troupe/json.hpp"

using namespace troupe;
using namespace troupe::test;
using namespace std::chrono_literals;

namespace {

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

std::string read_text(const std::string& path) {
  std::ifstream in{path};
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

std::string trim(std::string text) {
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back()))) text.pop_back();
  return text;
}

// The last line of stdout, which is the key=value result.
bench::figures result_of(const command_result& r) {
  auto lines = r.out_lines();
  BOOST_REQUIRE_MESSAGE(!lines.empty(), "no output: " << r.describe());
  return bench::parse_figures(lines.back());
}

// Tiny sizes: a few hundred jobs, half a second of offered load.
const std::vector<std::string> tiny{"--jobs", "300", "--seconds", "0.5", "--rate", "400"};

std::vector<std::string> with_tiny(std::vector<std::string> args) {
  args.insert(args.end(), tiny.begin(), tiny.end());
  return args;
}

template <class T>
T parse(const http_result& r) {
  T message;
  auto err = from_json(r.body, &message);
  BOOST_REQUIRE_MESSAGE(!err, "a " << T::descriptor()->name() << ": " << r.describe());
  return message;
}

}  // namespace

BOOST_AUTO_TEST_CASE(a_quick_run_prints_its_figures_last_and_writes_its_plot_and_baseline) {
  temp_dir dir;
  auto r = run_troupe(with_tiny({"bench", "--mode", "quick", "--plot", dir.sub("plot.svg"), "--save-baseline",
                                 dir.sub("baseline.txt")}),
                      {}, 120s);
  BOOST_REQUIRE_MESSAGE(r.exit_code == 0, r.describe());
  auto f = result_of(r);
  BOOST_TEST(f.front().first == "mode");
  BOOST_TEST(f.front().second == "quick");
  for (const char* key : {"jobs_per_s", "submit_per_s", "p50_pickup_ms", "p99_pickup_ms", "peak_rss_mb", "slots"})
    BOOST_TEST(bench::number_of(f, key).has_value(), key << " in " << r.out);
  BOOST_TEST(*bench::number_of(f, "jobs_per_s") > 0);
  BOOST_TEST(*bench::number_of(f, "jobs") == 300);
  // Each measurement's own line comes first, then a recommendation.
  BOOST_TEST(contains(r.out, "workload=burn jobs=300"));
  BOOST_TEST(contains(r.out, "workload=steady rate=400"));
  BOOST_TEST(contains(r.out, "recommendation: pickup latency p99"));
  auto svg = read_text(dir.sub("plot.svg"));
  BOOST_TEST(svg.rfind("<?xml", 0) == 0u);
  BOOST_TEST(contains(svg, "<polyline"));
  BOOST_TEST(contains(svg, "</svg>"));
  BOOST_TEST(trim(read_text(dir.sub("baseline.txt"))) == r.out_lines().back());
}

BOOST_AUTO_TEST_CASE(a_figure_worse_than_the_baseline_by_more_than_the_threshold_exits_6_naming_it) {
  temp_dir dir;
  // Unreachable figures: 10^12 jobs/s; an unknown key and a figure with no direction are not compared.
  std::ofstream{dir.sub("crafted.txt")} << "some earlier output\n"
                                        << "workload=burn jobs=300 slots=1 made_up=5 jobs_per_s=1000000000000\n";
  auto r = run_troupe({"bench", "--workload", "burn", "--jobs", "300", "--baseline", dir.sub("crafted.txt")}, {},
                      120s);
  BOOST_TEST(r.exit_code == 6, r.describe());
  BOOST_TEST(contains(r.out, "regression: jobs_per_s 1000000000000 -> "), r.out);
  BOOST_TEST(contains(r.out, "threshold 10%)"));
  BOOST_TEST(!contains(r.out, "regression: slots"));
  BOOST_TEST(contains(r.out, "baseline: 1 figures compared"));
  BOOST_TEST(contains(r.out_lines().back(), "workload=burn"));  // the result stays the last line

  // A baseline it beats (1 job/s) passes with exit 0, also with a threshold of 0.
  std::ofstream{dir.sub("slow.txt")} << "workload=burn jobs_per_s=1\n";
  auto ok = run_troupe({"bench", "--workload", "burn", "--jobs", "300", "--baseline", dir.sub("slow.txt"),
                        "--threshold", "0"},
                       {}, 120s);
  BOOST_TEST(ok.exit_code == 0, ok.describe());
  BOOST_TEST(!contains(ok.out, "regression:"));

  auto missing = run_troupe({"bench", "--workload", "queue", "--jobs", "10", "--baseline", dir.sub("none.txt")});
  BOOST_TEST(missing.exit_code == 2, missing.describe());
  BOOST_TEST(contains(missing.err, "none.txt"));
}

BOOST_AUTO_TEST_CASE(a_quick_run_against_a_running_node_uses_its_client_and_reports_no_node_internals) {
  temp_dir dir;
  node_process node{dir.sub("data"), {"--maxConcurrentJobs", "8"}, dir.path()};
  node.start();
  auto r = node.run(with_tiny({"bench", "--mode", "quick", "--node", node.address()}), 120s);
  BOOST_REQUIRE_MESSAGE(r.exit_code == 0, r.describe());
  auto f = result_of(r);
  BOOST_TEST(*bench::number_of(f, "jobs_per_s") > 0);
  BOOST_TEST(bench::number_of(f, "p99_pickup_ms").has_value());
  // The node's slots and memory are its own: not reported from the client's side.
  BOOST_TEST(!bench::number_of(f, "slots").has_value());
  BOOST_TEST(!bench::number_of(f, "peak_rss_mb").has_value());
  BOOST_TEST(!bench::number_of(f, "cpu_s_per_1000_jobs").has_value());
  // Each steady job's record was read as it ended, before retention (1,000 kept) could delete it.
  BOOST_TEST(contains(r.out, "jobs=200 failed_submits=0 lost_records=0"), r.out);
  // The jobs ran on the node.
  auto status = node.run({"status", "--json"});
  BOOST_REQUIRE(status.exit_code == 0);
  NodeStatus s;
  BOOST_REQUIRE(!from_json(status.out, &s));
  BOOST_TEST(s.succeeded_total() >= 300u + 200u);  // the burn's jobs and the steady phase's 400/s x 0.5 s
}

BOOST_AUTO_TEST_CASE(benchmark_runs_over_http_start_in_the_background_one_at_a_time_for_admins_only) {
  temp_dir dir;
  node_process node{dir.sub("data"), {}, dir.path()};
  node.start();
  auto admin = "Bearer " + trim(read_text(node.data() + "/admin.token"));
  auto http = node.http_address();

  auto added = http_call(http, "POST", "/api/users", R"({"action":"ADD","name":"carol","role":"USER"})", admin);
  BOOST_REQUIRE_MESSAGE(added.status == 201, added.describe());
  auto carol = "Bearer " + parse<UserList>(added).token();
  auto refused = http_call(http, "POST", "/api/jobs/benchmark", R"({"mode":"quick"})", carol);
  BOOST_TEST(refused.status == 403u, refused.describe());

  // Two seconds of offered load: the run is still going when the second POST comes.
  auto body = R"({"mode":"quick","jobs":"300","seconds":2})";
  auto started = http_call(http, "POST", "/api/jobs/benchmark", body, admin);
  BOOST_REQUIRE_MESSAGE(started.status == 202, started.describe());
  auto id = parse<BenchmarkRun>(started).id();
  BOOST_TEST(id.rfind("bench-", 0) == 0u);
  auto again = http_call(http, "POST", "/api/jobs/benchmark", body, admin);
  BOOST_TEST(again.status == 409u, again.describe());
  BOOST_TEST(contains(again.body, id));
  // The node keeps answering while it runs.
  auto running = parse<BenchmarkRuns>(http_call(http, "GET", "/api/jobs/benchmark", "", admin));
  BOOST_TEST(running.available());
  BOOST_TEST(running.running() == id);
  BOOST_TEST(http_call(http, "GET", "/api/jobs/status", "", admin).status == 200u);

  BenchmarkRuns runs;
  wait_until(
      [&] {
        runs = parse<BenchmarkRuns>(http_call(http, "GET", "/api/jobs/benchmark", "", admin));
        return runs.running().empty() && runs.runs_size() > 0;
      },
      120s, "the benchmark run finished");
  const auto& run = runs.runs(0);
  BOOST_TEST(run.id() == id);
  BOOST_TEST(run.state() == BenchmarkRun::DONE, run.error());
  BOOST_TEST(run.by() == "admin");
  auto f = bench::parse_figures(run.result());
  BOOST_TEST(f.front().second == "quick");
  BOOST_TEST(*bench::number_of(f, "jobs_per_s") > 0);
  BOOST_TEST(run.recommendations_size() >= 1);
  BOOST_TEST(run.points_size() >= 2);
  auto plot = http_call(http, "GET", run.plot(), "", admin);
  BOOST_TEST(plot.status == 200u, plot.describe());
  BOOST_TEST(contains(plot.body, "<polyline"));
  BOOST_TEST(http_call(http, "GET", "/api/jobs/benchmark", "", carol).status == 403u);

  // Stored in the node's meta: still there after a restart.
  node.restart();
  auto after = parse<BenchmarkRuns>(http_call(node.http_address(), "GET", "/api/jobs/benchmark", "", admin));
  BOOST_REQUIRE_EQUAL(after.runs_size(), 1);
  BOOST_TEST(after.runs(0).id() == id);
  BOOST_TEST(after.runs(0).result() == run.result());
}
