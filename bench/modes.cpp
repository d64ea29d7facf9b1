#include "bench/modes.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <map>

#include "bench/analysis.hpp"
#include "bench/figures.hpp"
#include "troupe/error.hpp"

namespace troupe::bench {

namespace {

// The series of a run's points, and the chart each one is drawn in (charts_of).
constexpr const char* series_sweep = "throughput (jobs/s)";
constexpr const char* series_p50 = "p50 pickup (ms)";
constexpr const char* series_p99 = "p99 pickup (ms)";
constexpr const char* series_overload = "overload p99 pickup (ms)";
constexpr const char* series_payload = "payload throughput (MB/s)";
constexpr const char* series_chain = "chain run time (s)";

constexpr const char* sweep_mix = "sleep:1,noop,cpu:1";
constexpr double chain_budget_s = 10;
constexpr uint64_t max_chain_depth = 100'000;     // the dag workload submits one request
constexpr uint64_t payload_bytes_per_step = 64u << 20;  // a payload step submits about this much at most

// One run being made: what every phase needs.
struct run_context {
  const BenchmarkRequest& request;
  const bench_options& base;
  const target& t;
  const phase_progress& progress;
  BenchmarkRun& run;
  figures result;  // the run's result line, built as it goes

  // Runs one workload; its lines are kept with the run. The figures of its last line.
  caf::expected<figures> measure(const std::string& phase, const bench_options& o) {
    if (t.stopped && t.stopped()) return make_error(ec::shutting_down, "the benchmark run was stopped");
    progress(phase, 0);
    run.set_phase(phase);
    auto text = t.run(o, [&](double f) { progress(phase, f); });
    if (!text) return text.error();
    std::string_view rest{*text};
    while (!rest.empty()) {
      auto newline = rest.find('\n');
      if (auto line = rest.substr(0, newline); !line.empty()) run.add_lines(std::string{line});
      rest = newline == std::string_view::npos ? std::string_view{} : rest.substr(newline + 1);
    }
    return parse_figures(last_figures_line(*text));
  }

  void add(std::string key, std::string value) { result.emplace_back(std::move(key), std::move(value)); }
  void point(const char* series, double x, double y) {
    auto* p = run.add_points();
    p->set_series(series);
    p->set_x(x);
    p->set_y(y);
  }
};

double num(const figures& f, std::string_view key) { return number_of(f, key).value_or(0); }
std::string text(double v, int decimals) { return fmt::format("{:.{}f}", v, decimals); }

uint64_t or_default(uint64_t v, uint64_t fallback) { return v != 0 ? v : fallback; }
double or_default(double v, double fallback) { return v > 0 ? v : fallback; }

bench_options burn_options(const bench_options& base, uint64_t jobs) {
  auto o = base;
  o.workload = "burn";
  o.jobs = jobs;
  return o;
}

bench_options steady_options(const bench_options& base, double rate, double seconds) {
  auto o = base;
  o.workload = "steady";
  o.rate = std::max(1.0, rate);
  o.seconds = seconds;
  return o;
}

// The largest peak_rss_mb of the run's measurements (in-process nodes report it; a running node does not).
void add_peak_rss(run_context& c) {
  double peak = 0;
  for (const auto& line : c.run.lines()) peak = std::max(peak, num(parse_figures(line), "peak_rss_mb"));
  if (peak > 0) c.add("peak_rss_mb", text(peak, 1));
}

// CPU per 1,000 jobs, when the node ran in this process (against a running node only the client's is known).
void add_cpu(run_context& c, const figures& burn) {
  if (auto cpu = number_of(burn, "cpu_s_per_1000_jobs")) c.add("cpu_s_per_1000_jobs", text(*cpu, 3));
}

// Capacity: the no-op jobs per second a burn drains.
caf::expected<double> capacity(run_context& c, uint64_t jobs) {
  auto f = c.measure(fmt::format("capacity burn jobs={}", jobs), burn_options(c.base, jobs));
  if (!f) return f.error();
  c.add("capacity_jobs_per_s", text(num(*f, "jobs_per_s"), 0));
  add_cpu(c, *f);
  return num(*f, "jobs_per_s");
}

caf::error quick(run_context& c) {
  auto jobs = or_default(c.request.jobs(), uint64_t{200'000});
  auto burn = c.measure(fmt::format("burn jobs={}", jobs), burn_options(c.base, jobs));
  if (!burn) return burn.error();
  auto rate = c.base.rate;
  auto steady = c.measure(fmt::format("steady rate={:.0f}", rate),
                          steady_options(c.base, rate, or_default(c.request.seconds(), 10.0)));
  if (!steady) return steady.error();
  if (c.t.fresh_nodes) c.add("slots", std::to_string(c.base.node.maxConcurrentJobs));
  c.add("jobs", std::to_string(jobs));
  for (const char* key : {"jobs_per_s", "submit_per_s"}) c.add(key, text(num(*burn, key), 0));
  add_cpu(c, *burn);
  c.add("rate", text(rate, 0));
  for (const char* key : {"p50_pickup_ms", "p99_pickup_ms", "max_pickup_ms"}) c.add(key, text(num(*steady, key), 3));
  add_peak_rss(c);
  load_point load{rate, num(*steady, "p50_pickup_ms"), num(*steady, "p99_pickup_ms")};
  c.point(series_p50, rate, load.p50_pickup_ms);
  c.point(series_p99, rate, load.p99_pickup_ms);
  for (auto& r : recommend_load({load}, num(*burn, "jobs_per_s"), or_default(c.request.latency_target_ms(), 100.0)))
    c.run.add_recommendations(std::move(r));
  return caf::none;
}

caf::error comprehensive(run_context& c) {
  auto jobs = or_default(c.request.jobs(), uint64_t{4'000});
  std::vector<sweep_point> sweep;
  if (c.t.fresh_nodes) {
    auto max_slots = std::max<uint32_t>(1, c.request.max_slots() != 0 ? c.request.max_slots() : 256);
    for (uint32_t slots = 1; slots <= max_slots; slots *= 2) {
      auto o = burn_options(c.base, jobs);
      o.mix = sweep_mix;
      o.node.maxConcurrentJobs = slots;
      auto f = c.measure(fmt::format("sweep slots={}", slots), o);
      if (!f) return f.error();
      sweep.push_back({slots, num(*f, "jobs_per_s")});
      c.point(series_sweep, slots, sweep.back().jobs_per_s);
      if (!sweep_goes_on(sweep)) break;
    }
    auto best = best_slots(sweep);
    c.add("mix", sweep_mix);
    c.add("best_slots", std::to_string(best->slots));
    c.add("best_jobs_per_s", text(best->jobs_per_s, 0));
  } else {
    c.run.add_lines("sweep skipped: a running node's slot count is its own (maxConcurrentJobs)");
  }
  auto cap = capacity(c, jobs * 10);
  if (!cap) return cap.error();
  std::vector<load_point> loads;
  auto seconds = or_default(c.request.seconds(), 5.0);
  for (int pct : {25, 50, 75, 100}) {
    double rate = *cap * pct / 100.0;
    auto f = c.measure(fmt::format("latency at {}% rate={:.0f}", pct, rate), steady_options(c.base, rate, seconds));
    if (!f) return f.error();
    loads.push_back({rate, num(*f, "p50_pickup_ms"), num(*f, "p99_pickup_ms")});
    c.point(series_p50, rate, loads.back().p50_pickup_ms);
    c.point(series_p99, rate, loads.back().p99_pickup_ms);
    c.add(fmt::format("load{}_rate", pct), text(rate, 0));
    c.add(fmt::format("load{}_p50_pickup_ms", pct), text(loads.back().p50_pickup_ms, 3));
    c.add(fmt::format("load{}_p99_pickup_ms", pct), text(loads.back().p99_pickup_ms, 3));
  }
  if (c.t.fresh_nodes) {
    auto o = c.base;
    o.workload = "storage";
    o.jobs = std::max<uint64_t>(100, jobs / 2);
    auto f = c.measure(fmt::format("storage jobs={}", o.jobs), o);
    if (!f) return f.error();
    c.add("stored_bytes_per_job", text(num(*f, "small_" + o.node.payloadCompression + "_b"), 0));
    c.add("large_stored_bytes_per_job", text(num(*f, "large_" + o.node.payloadCompression + "_b"), 0));
  }
  add_peak_rss(c);
  for (auto& r : recommend_slots(sweep)) c.run.add_recommendations(std::move(r));
  for (auto& r : recommend_load(loads, *cap, or_default(c.request.latency_target_ms(), 100.0)))
    c.run.add_recommendations(std::move(r));
  return caf::none;
}

// Offered load raised by 1.5x per step from half the capacity.
caf::expected<limit> overload(run_context& c, double cap, uint32_t max_steps) {
  auto target_ms = or_default(c.request.latency_target_ms(), 1000.0);
  auto seconds = or_default(c.request.seconds(), 3.0);
  limit_finder finder{"offered_rate_jobs_per_s", max_steps};
  for (double rate = std::max(10.0, std::round(cap / 2));; rate = std::round(rate * 1.5)) {
    auto f = c.measure(fmt::format("overload rate={:.0f}", rate), steady_options(c.base, rate, seconds));
    if (!f) return f.error();
    auto p99 = num(*f, "p99_pickup_ms"), drain = num(*f, "drain_s"), failed = num(*f, "failed_submits");
    c.point(series_overload, rate, p99);
    std::string why;
    if (p99 > target_ms)
      why = fmt::format("p99 pickup latency {:.0f} ms over {:.0f} ms at {:.0f} jobs/s", p99, target_ms, rate);
    else if (failed > 0)
      why = fmt::format("{:.0f} submits failed at {:.0f} jobs/s", failed, rate);
    else if (drain > seconds)
      why = fmt::format("a backlog: {:.1f} s to drain after a {:.3g} s window at {:.0f} jobs/s", drain, seconds, rate);
    if (!finder.step(rate, why.empty(), why)) break;
  }
  c.run.add_lines(finder.line());
  return finder.result();
}

// Payload size raised by 4x per step from 1 KiB.
caf::expected<limit> payloads(run_context& c, uint32_t max_steps) {
  auto jobs = or_default(c.request.jobs(), uint64_t{2'000});
  limit_finder finder{"payload_bytes", max_steps};
  double best_mb_s = 0;
  for (uint64_t size = 1024;; size *= 4) {
    auto o = burn_options(c.base, std::max<uint64_t>(1, std::min(jobs, payload_bytes_per_step / size)));
    o.payload_bytes = size;
    // In process, the client's copies of the payloads count against the node's memory admission (as in the
    // storage workload): room for them, so that the search measures the node and not its admission.
    if (c.t.fresh_nodes) o.node.maxMemoryMB = std::max<uint32_t>(o.node.maxMemoryMB, 8192);
    auto f = c.measure(fmt::format("payload bytes={}", size), o);
    std::string why;
    if (!f) {
      auto code = code_of(f.error());
      if (code != ec::payload_too_large && code != ec::invalid_argument) return f.error();
      why = "refused: " + describe(f.error());
    } else {
      double mb_s = num(*f, "jobs_per_s") * static_cast<double>(size) / 1e6;
      c.point(series_payload, static_cast<double>(size), mb_s);
      if (mb_s < best_mb_s / 2)
        why = fmt::format("payload throughput {:.1f} MB/s, under half the best ({:.1f} MB/s)", mb_s, best_mb_s);
      best_mb_s = std::max(best_mb_s, mb_s);
    }
    if (!finder.step(static_cast<double>(size), why.empty(), why)) break;
  }
  c.run.add_lines(finder.line());
  return finder.result();
}

// Chain depth doubled per step.
caf::expected<limit> chains(run_context& c, uint32_t max_steps) {
  limit_finder finder{"chain_depth", max_steps};
  for (uint64_t depth = std::min<uint64_t>(100, or_default(c.request.jobs(), uint64_t{100}));
       depth <= max_chain_depth; depth *= 2) {
    auto o = c.base;
    o.workload = "dag";
    o.shape = "chain";
    o.jobs = depth;
    auto f = c.measure(fmt::format("chain depth={}", depth), o);
    if (!f) return f.error();
    double seconds = num(*f, "submit_s") + num(*f, "drain_s");
    c.point(series_chain, static_cast<double>(depth), seconds);
    std::string why;
    if (seconds > chain_budget_s)
      why = fmt::format("a chain of {} jobs took {:.1f} s ({:.0f} links/s), over the {:.0f} s budget", depth, seconds,
                        static_cast<double>(depth) / seconds, chain_budget_s);
    if (!finder.step(static_cast<double>(depth), why.empty(), why)) break;
  }
  c.run.add_lines(finder.line());
  return finder.result();
}

caf::error stress(run_context& c) {
  auto max_steps = c.request.max_steps() != 0 ? c.request.max_steps() : 10;
  auto cap = capacity(c, or_default(c.request.jobs(), uint64_t{10'000}) * 10);
  if (!cap) return cap.error();
  std::vector<limit> found;
  for (auto search : {+[](run_context& c, double cap, uint32_t steps) { return overload(c, cap, steps); },
                      +[](run_context& c, double, uint32_t steps) { return payloads(c, steps); },
                      +[](run_context& c, double, uint32_t steps) { return chains(c, steps); }}) {
    auto l = search(c, *cap, max_steps);
    if (!l) return l.error();
    c.add("limit_" + l->name, fmt::format("{:.0f}", l->value));
    auto* stored = c.run.add_limits();
    stored->set_name(l->name);
    stored->set_value(l->value);
    stored->set_reached(l->reached);
    stored->set_reason(l->reason);
    found.push_back(std::move(*l));
  }
  add_peak_rss(c);
  for (auto& r : recommend_limits(found)) c.run.add_recommendations(std::move(r));
  return caf::none;
}

}  // namespace

caf::expected<BenchmarkRun> run_mode(const BenchmarkRequest& request, const bench_options& base, const target& t,
                                     const phase_progress& progress) {
  auto mode = request.mode().empty() ? std::string{"quick"} : request.mode();
  if (mode != "quick" && mode != "comprehensive" && mode != "stress")
    return make_error(ec::invalid_argument, "mode must be quick, comprehensive or stress, not '" + mode + "'");
  BenchmarkRun run;
  *run.mutable_request() = request;
  run.mutable_request()->set_mode(mode);
  run_context c{request, base, t, progress, run, {}};
  c.add("mode", mode);
  auto err = mode == "quick" ? quick(c) : mode == "comprehensive" ? comprehensive(c) : stress(c);
  if (err) return err;
  std::string line;
  for (const auto& [key, value] : c.result) line += (line.empty() ? "" : " ") + key + "=" + value;
  run.set_result(line);
  run.set_state(BenchmarkRun::DONE);
  run.clear_phase();
  run.set_progress(1);
  return run;
}

std::vector<plot_chart> charts_of(const BenchmarkRun& run) {
  struct chart_of {
    const char* title;
    const char* x_label;
    const char* y_label;
    bool log2_x;
    std::vector<const char*> series;
  };
  static const chart_of layout[] = {
      {"Throughput vs slot count (" "sleep:1,noop,cpu:1" ")", "maxConcurrentJobs", "jobs/s", true, {series_sweep}},
      {"Pickup latency vs offered load", "offered jobs/s", "ms", false, {series_p50, series_p99}},
      {"Overload: p99 pickup latency vs offered load", "offered jobs/s", "ms", false, {series_overload}},
      {"Payload throughput vs payload size", "payload bytes", "MB/s", true, {series_payload}},
      {"Chain run time vs depth", "chain depth (jobs)", "seconds", true, {series_chain}},
  };
  std::map<std::string, std::vector<std::pair<double, double>>> by_series;
  for (const auto& p : run.points()) by_series[p.series()].emplace_back(p.x(), p.y());
  std::vector<plot_chart> out;
  for (const auto& l : layout) {
    plot_chart chart{l.title, l.x_label, l.y_label, l.log2_x, {}};
    for (const char* name : l.series)
      if (auto it = by_series.find(name); it != by_series.end()) chart.series.push_back({name, it->second});
    if (!chart.series.empty()) out.push_back(std::move(chart));
  }
  return out;
}

std::string plot_of(const BenchmarkRun& run) { return render_svg(charts_of(run)); }

}  // namespace troupe::bench
