// `troupe bench`: the in-process benchmark (bench/bench.hpp).

#include <unistd.h>

#include <fstream>
#include <iostream>
#include <sstream>

#include "bench/bench.hpp"
#include "bench/figures.hpp"
#include "bench/modes.hpp"
#include "cmd/troupe/cli.hpp"
#include "config/options_cli.hpp"
#include "troupe/error.hpp"

#include <spdlog/spdlog.h>

namespace troupe::cli {

namespace {

// What `troupe bench` does besides its workload: a mode, a running node, the plot and the regression check.
struct bench_flags {
  std::string mode;           // quick | comprehensive | stress; empty: the --workload alone
  BenchmarkRequest request;   // the mode's sizes (--jobs, --seconds, --max-slots, ...)
  client_options client;      // --node: against a running node
  std::string plot;           // --plot FILE: the SVG
  std::string baseline;       // --baseline FILE: compare with this key=value line
  std::string save_baseline;  // --save-baseline FILE: write the result line there
  double threshold = 10;      // --threshold PCT
  uint32_t max_slots = 0;     // --max-slots, --max-steps, --latency-target-ms (0: the mode's default)
  uint32_t max_steps = 0;
  double latency_target_ms = 0;
};

// A progress bar on a terminal's stderr, with the phase; nothing otherwise.
class progress_bar {
 public:
  progress_bar() : tty_(isatty(STDERR_FILENO) != 0) {}
  ~progress_bar() { done(); }
  // Ends the bar's line, before results are printed.
  void done() {
    if (tty_ && last_ >= 0) std::cerr << "\n";
    last_ = -1;
  }
  void show(const std::string& phase, double fraction) {
    int pct = static_cast<int>(fraction * 100);
    if (!tty_ || (pct == last_ && phase == phase_)) return;
    last_ = pct;
    phase_ = phase;
    std::string text = "[" + std::string(pct / 2, '#') + std::string(50 - pct / 2, '.') + "] " + std::to_string(pct) +
                       "% " + phase;
    std::cerr << "\r" << text << std::string(text.size() < width_ ? width_ - text.size() : 0, ' ') << std::flush;
    width_ = std::max(width_, text.size());
  }

 private:
  bool tty_;
  int last_ = -1;
  std::string phase_;
  size_t width_ = 0;
};

std::string read_file(const std::string& path, bool* ok) {
  std::ifstream in{path};
  std::ostringstream text;
  text << in.rdbuf();
  *ok = static_cast<bool>(in) || in.eof();
  return text.str();
}

// The baseline's key=value line (the last one in the file), or an error naming the file.
caf::expected<std::string> read_baseline(const std::string& path) {
  bool ok = false;
  auto text = read_file(path, &ok);
  if (!ok) return make_error(ec::invalid_argument, "--baseline '" + path + "' cannot be read");
  auto line = bench::last_figures_line(text);
  if (line.empty()) return make_error(ec::invalid_argument, "--baseline '" + path + "' holds no key=value line");
  return line;
}

// Prints a regression line per figure of `result` worse than the baseline's by more than the threshold, then a
// summary; exit_regression if a figure regressed.
int check_baseline(const bench_flags& f, const std::string& baseline, const std::string& result) {
  auto compared = bench::compare(bench::parse_figures(baseline), bench::parse_figures(result), f.threshold);
  int regressed = 0;
  for (const auto& c : compared)
    if (c.regressed) ++regressed, std::cout << bench::describe_regression(c, f.threshold) << "\n";
  std::cout << "baseline: " << compared.size() << " figures compared with " << f.baseline << ", " << regressed
            << " regressed (threshold " << f.threshold << "%)\n";
  return regressed > 0 ? exit_regression : exit_ok;
}

// Writes what was asked besides stdout; an error message, or "".
std::string write_outputs(const bench_flags& f, const std::string& result, const BenchmarkRun* run) {
  if (!f.save_baseline.empty() && !(std::ofstream{f.save_baseline} << result << "\n"))
    return "--save-baseline '" + f.save_baseline + "' cannot be written";
  if (!f.plot.empty() && run != nullptr && !(std::ofstream{f.plot} << bench::plot_of(*run)))
    return "--plot '" + f.plot + "' cannot be written";
  return "";
}

// Runs the mode or the workload, prints its lines and the result line last; the exit code.
int run_bench_command(const bench_options& o, const bench_flags& f, const client* remote) {
  std::string baseline;  // read first: a missing file should not cost a benchmark run
  if (!f.baseline.empty()) {
    auto line = read_baseline(f.baseline);
    if (!line) return fail_usage("bench", describe(line.error()));
    baseline = std::move(*line);
  }
  progress_bar bar;
  std::optional<BenchmarkRun> run;
  std::string output, result;
  if (!f.mode.empty()) {
    bench::target t;
    t.fresh_nodes = remote == nullptr;
    t.run = [remote](const bench_options& options, const std::function<void(double)>& progress) {
      return remote != nullptr ? run_remote_bench(options, *remote, progress) : run_bench(options, progress);
    };
    auto done = bench::run_mode(f.request, o, t, [&](const std::string& phase, double x) { bar.show(phase, x); });
    if (!done) return fail("bench", done.error());
    run = std::move(*done);
    for (const auto& line : run->lines()) output += line + "\n";
    for (const auto& r : run->recommendations()) output += "recommendation: " + r + "\n";
    result = run->result();
  } else {
    auto progress = [&](double x) { bar.show(o.workload, x); };
    auto line = remote != nullptr ? run_remote_bench(o, *remote, progress) : run_bench(o, progress);
    if (!line) return fail("bench", line.error());
    result = bench::last_figures_line(*line);
    output = line->substr(0, line->size() - std::min(line->size(), result.size()));
  }
  bar.done();
  std::cout << output;
  int code = exit_ok;
  if (!baseline.empty()) code = check_baseline(f, baseline, result);
  std::cout << result << std::endl;
  if (auto problem = write_outputs(f, result, run ? &*run : nullptr); !problem.empty())
    return fail_usage("bench", problem);
  return code;
}

}  // namespace

void add_bench_command(CLI::App& app, std::optional<command_fn>& run) {
  auto o = std::make_shared<bench_options>();
  auto f = std::make_shared<bench_flags>();
  o->node.maxConcurrentJobs = 256;  // no-op jobs need many in flight to keep the journal busy
  o->node.logLevel = "warn";
  o->node.data.clear();  // a fresh temporary directory unless --data is given
  auto* cmd = app.add_subcommand("bench", "Benchmark an in-process node on a fresh data directory, or a running "
                                          "node with --node. The last line is key=value figures. Exit code 6: a "
                                          "figure regressed against --baseline.");
  cmd->add_option("--mode", f->mode, "quick: burn and steady (about half a minute); comprehensive: a concurrency "
                                     "sweep for the best slot count, pickup latency at 25/50/75/100% of capacity, "
                                     "a resource profile; stress: the limits of offered load, payload size and "
                                     "chain depth. Prints recommendations; --jobs and --seconds set the sizes")
      ->check(CLI::IsMember({"quick", "comprehensive", "stress"}));
  cmd->add_option("--max-slots", f->max_slots, "comprehensive: the largest slot count of the sweep (default 256)")
      ->check(CLI::Range(1u, 65'536u));
  cmd->add_option("--max-steps", f->max_steps, "stress: steps per limit search at most (default 10)")
      ->check(CLI::Range(1u, 100u));
  cmd->add_option("--latency-target-ms", f->latency_target_ms,
                  "the p99 pickup latency a load must stay under (default: 100 in quick and comprehensive, 1000 in "
                  "stress)")
      ->check(CLI::Range(0.001, 3.6e6));
  cmd->add_option("--mix", o->mix, "burn: the jobs' kinds, taken in turn: KIND or KIND:MS (e.g. sleep:1,noop,cpu:1)")
      ->capture_default_str();
  cmd->add_option("--payload-bytes", o->payload_bytes, "burn: a string of this many bytes in each job's payload")
      ->check(CLI::Range(uint64_t{0}, uint64_t{1} << 30));
  cmd->add_option("--plot", f->plot, "with --mode: write the run's SVG plot (throughput vs slots, latency vs load, "
                                     "the stress searches) to this file");
  cmd->add_option("--baseline", f->baseline, "compare the result with the key=value line of an earlier run in this "
                                             "file; each figure worse by more than --threshold is named, exit 6");
  cmd->add_option("--save-baseline", f->save_baseline, "write the result line to this file (a baseline)");
  cmd->add_option("--threshold", f->threshold, "--baseline: percent a figure may get worse before it counts as a "
                                               "regression")
      ->check(CLI::Range(0.0, 1e6))
      ->capture_default_str();
  f->client.add_to(*cmd);
  cmd->add_option("--workload", o->workload, "burn: N no-op jobs submitted then drained; steady: open-loop submits "
                                             "at --rate for --seconds, measuring pickup latency; fairness: a heavy "
                                             "user queues --jobs no-op jobs while a light user submits at "
                                             "--light-rate, measuring the light user's pickup latency; dag: one "
                                             "workflow of --jobs no-op jobs (--shape chain or layers); queue: the "
                                             "ready queue alone, --jobs over --users; delayed: --jobs no-op jobs "
                                             "with run_at spread over --seconds after --lead, measuring idle CPU "
                                             "while they wait and how late each becomes READY and starts; cluster: "
                                             "--jobs sleep jobs of --sleep-ms on --workers `troupe worker` "
                                             "processes of --worker-slots slots (one run per count); storage: "
                                             "bytes on disk per job of --jobs jobs with a small and a large JSON "
                                             "payload under each payloadCompression")
      ->check(CLI::IsMember({"burn", "steady", "fairness", "dag", "queue", "delayed", "cluster", "storage"}))
      ->capture_default_str();
  auto* jobs = cmd->add_option("--jobs", o->jobs, "burn: how many jobs; fairness: the heavy user's jobs (default "
                                                  "100000); dag: the workflow's jobs (default 100000, at most "
                                                  "100000: one request); delayed: how many delayed jobs (default "
                                                  "1000000); storage: jobs per run (default 20000); --mode: "
                                                  "jobs per throughput measurement (README: defaults per mode)")
                   ->check(CLI::Range(uint64_t{1}, uint64_t{100'000'000}))
                   ->capture_default_str();
  cmd->add_option("--users", o->users, "burn, queue: spread the jobs over this many users")
      ->check(CLI::Range(1u, 1'000'000u))
      ->capture_default_str();
  cmd->add_option("--shape", o->shape, "dag: chain (each job after the one before) or layers (of 1,000; each job "
                                       "after 2 random jobs of the layer above)")
      ->check(CLI::IsMember({"chain", "layers"}))
      ->capture_default_str();
  cmd->add_option("--seed", o->seed, "dag with --shape layers: the random seed (0: pick one; printed)");
  cmd->add_option("--light-rate", o->light_rate, "fairness: the light user's jobs per second")
      ->check(CLI::Range(0.1, 1e6))
      ->capture_default_str();
  cmd->add_option("--submit-batch", o->submit_batch, "burn, delayed: jobs per submit request")
      ->check(CLI::Range(1u, 100'000u))->capture_default_str();
  cmd->add_option("--rate", o->rate, "steady: jobs per second offered")->check(CLI::Range(1.0, 1e7))
      ->capture_default_str();
  auto* seconds = cmd->add_option("--seconds", o->seconds, "steady: how long to offer load; delayed: the window "
                                                          "the jobs' due times are spread over (default 100); "
                                                          "--mode: seconds per latency measurement")
      ->check(CLI::Range(0.1, 86400.0))
      ->capture_default_str();
  cmd->add_option("--lead", o->lead, "delayed: seconds from the start to the first due time; long enough for all "
                                     "submits to finish first (0: 2 + jobs / 50000)")
      ->check(CLI::Range(0.0, 86400.0))
      ->capture_default_str();
  cmd->add_option("--workers", o->cluster_workers, "cluster: worker process counts, one run each (e.g. 1,2,4)")
      ->delimiter(',')
      ->check(CLI::Range(1u, 64u))
      ->capture_default_str();
  cmd->add_option("--worker-slots", o->worker_slots, "cluster: slots of each worker")
      ->check(CLI::Range(1u, 10'000u))
      ->capture_default_str();
  cmd->add_option("--sleep-ms", o->sleep_ms, "cluster: how long each job sleeps")
      ->check(CLI::Range(1u, 60'000u))
      ->capture_default_str();
  add_node_options(*cmd, o->node);
  auto* node = cmd->get_option("--node");
  cmd->callback([&run, o, f, jobs, seconds, node] {
    run = [o, f, jobs, seconds, node] {
      if ((o->workload == "fairness" || o->workload == "dag") && jobs->count() == 0) o->jobs = 100'000;
      if (o->workload == "delayed" && jobs->count() == 0) o->jobs = 1'000'000;
      if ((o->workload == "cluster" || o->workload == "storage") && jobs->count() == 0) o->jobs = 20'000;
      if (o->workload == "delayed" && seconds->count() == 0) o->seconds = 100;  // 10,000 due per second
      if (auto problem = validate(o->node); !problem.empty()) return fail_usage("bench", problem);
      if (!f->plot.empty() && f->mode.empty()) return fail_usage("bench", "--plot needs --mode");
      spdlog::set_level(spdlog::level::from_str(o->node.logLevel));
      // A mode's sizes: only what was given; the mode picks the rest.
      f->request.set_mode(f->mode);
      if (jobs->count() > 0) f->request.set_jobs(o->jobs);
      if (seconds->count() > 0) f->request.set_seconds(o->seconds);
      f->request.set_max_slots(f->max_slots);
      f->request.set_max_steps(f->max_steps);
      f->request.set_latency_target_ms(f->latency_target_ms);
      if (node->count() == 0) return run_bench_command(*o, *f, nullptr);
      return with_client("bench", f->client, [&](const client& c) { return run_bench_command(*o, *f, &c); });
    };
  });
}

}  // namespace troupe::cli
