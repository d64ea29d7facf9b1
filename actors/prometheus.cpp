#include "actors/prometheus.hpp"

#include <fmt/format.h>

#include <map>
#include <vector>

#include "actors/metrics_recorder.hpp"

namespace troupe {

namespace {

std::string escape(std::string_view value) {
  std::string out;
  out.reserve(value.size());
  for (char c : value) {
    if (c == '\\') out += "\\\\";
    else if (c == '"') out += "\\\"";
    else if (c == '\n') out += "\\n";
    else out += c;
  }
  return out;
}

// Numbers as Prometheus reads them: integers without a fraction, others with full precision.
std::string number(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  return fmt::format("{}", v);
}

using labels = std::vector<std::pair<std::string_view, std::string>>;

std::string render_labels(const labels& ls) {
  if (ls.empty()) return {};
  std::string out = "{";
  for (size_t i = 0; i < ls.size(); ++i)
    out += fmt::format("{}{}=\"{}\"", i == 0 ? "" : ",", ls[i].first, escape(ls[i].second));
  return out + "}";
}

class writer {
 public:
  void family(std::string_view name, std::string_view type, std::string_view help) {
    out_ += fmt::format("# HELP {} {}\n# TYPE {} {}\n", name, help, name, type);
  }
  void sample(std::string_view name, const labels& ls, double value) {
    out_ += fmt::format("{}{} {}\n", name, render_labels(ls), number(value));
  }
  void histogram_samples(std::string_view name, labels ls, const Histogram& h) {
    uint64_t cumulative = 0;
    for (size_t i = 0; i < histogram_bounds.size() + 1; ++i) {
      cumulative += i < static_cast<size_t>(h.buckets_size()) ? h.buckets(static_cast<int>(i)) : 0;
      auto le = i < histogram_bounds.size() ? number(histogram_bounds[i]) : std::string{"+Inf"};
      ls.emplace_back("le", le);
      sample(fmt::format("{}_bucket", name), ls, static_cast<double>(cumulative));
      ls.pop_back();
    }
    sample(fmt::format("{}_sum", name), ls, h.sum());
    sample(fmt::format("{}_count", name), ls, static_cast<double>(h.count()));
  }
  std::string take() { return std::move(out_); }

 private:
  std::string out_;
};

labels label_set(const LabelCounters& row) {
  return {{"kind", row.kind()}, {"user", row.user()}, {"priority", JobSpec::Priority_Name(row.priority())}};
}

double value_of(const MetricsSample* sample, const std::string& name, double fallback = 0) {
  if (sample == nullptr) return fallback;
  auto it = sample->values().find(name);
  return it == sample->values().end() ? fallback : it->second;
}

}  // namespace

std::string render_prometheus(const prometheus_input& in) {
  writer w;
  static const SchedulerSample empty;
  const auto& c = in.counters != nullptr ? *in.counters : empty;
  const auto& rows = c.labels();

  w.family("troupe_build_info", "gauge", "The node's name and troupe's version (always 1).");
  w.sample("troupe_build_info", {{"node", in.node}, {"version", in.version}}, 1);

  auto counter = [&](std::string_view name, std::string_view help, auto field) {
    w.family(name, "counter", help);
    for (const auto& row : rows) w.sample(name, label_set(row), static_cast<double>(field(row)));
  };
  counter("troupe_jobs_submitted_total", "Jobs accepted since the node started.",
          [](const LabelCounters& r) { return r.submitted(); });
  w.family("troupe_jobs_total", "counter", "Jobs that ended since the node started, by final state.");
  for (const auto& row : rows) {
    auto ls = label_set(row);
    for (auto [state, count] : {std::pair{"succeeded", row.succeeded()}, std::pair{"failed", row.failed()},
                                std::pair{"dead", row.dead()}, std::pair{"cancelled", row.cancelled()}}) {
      ls.emplace_back("state", state);
      w.sample("troupe_jobs_total", ls, static_cast<double>(count));
      ls.pop_back();
    }
  }
  counter("troupe_attempts_started_total", "Attempts started since the node started.",
          [](const LabelCounters& r) { return r.started(); });
  counter("troupe_attempts_failed_total", "Attempts that failed (retried or not) since the node started.",
          [](const LabelCounters& r) { return r.failed_attempts(); });
  counter("troupe_attempts_retried_total", "Failed attempts followed by another attempt.",
          [](const LabelCounters& r) { return r.retried(); });

  // Depth by priority and state, node-wide (BLOCKED and SCHEDULED jobs are counted node-wide only).
  w.family("troupe_queue_depth", "gauge",
           "Unfinished jobs by priority and state (blocked and scheduled: priority \"any\").");
  std::map<std::string, std::pair<int64_t, int64_t>> by_priority;
  for (auto p : {JobSpec::CRITICAL, JobSpec::HIGH, JobSpec::NORMAL, JobSpec::LOW})
    by_priority[JobSpec::Priority_Name(p)] = {0, 0};
  for (const auto& row : rows) {
    auto& d = by_priority[JobSpec::Priority_Name(row.priority())];
    d.first += row.ready();
    d.second += row.running();
  }
  for (const auto& [priority, d] : by_priority) {
    w.sample("troupe_queue_depth", {{"priority", priority}, {"state", "ready"}}, static_cast<double>(d.first));
    w.sample("troupe_queue_depth", {{"priority", priority}, {"state", "running"}}, static_cast<double>(d.second));
  }
  w.sample("troupe_queue_depth", {{"priority", "any"}, {"state", "blocked"}}, static_cast<double>(c.blocked()));
  w.sample("troupe_queue_depth", {{"priority", "any"}, {"state", "scheduled"}}, static_cast<double>(c.scheduled()));
  w.family("troupe_queue_depth_by_kind", "gauge", "READY and RUNNING jobs by kind, user and priority.");
  for (const auto& row : rows) {
    auto ls = label_set(row);
    ls.emplace_back("state", "ready");
    w.sample("troupe_queue_depth_by_kind", ls, static_cast<double>(row.ready()));
    ls.back().second = "running";
    w.sample("troupe_queue_depth_by_kind", ls, static_cast<double>(row.running()));
  }

  auto histograms = [&](std::string_view name, std::string_view help, auto field) {
    w.family(name, "histogram", help);
    for (const auto& row : rows) w.histogram_samples(name, label_set(row), field(row));
  };
  histograms("troupe_pickup_latency_seconds", "Time jobs waited READY before their attempt started.",
             [](const LabelCounters& r) -> const Histogram& { return r.pickup(); });
  histograms("troupe_run_seconds", "Run time of attempts.",
             [](const LabelCounters& r) -> const Histogram& { return r.run(); });
  histograms("troupe_blocked_wait_seconds", "Time jobs waited BLOCKED for their dependencies.",
             [](const LabelCounters& r) -> const Histogram& { return r.blocked_wait(); });

  w.family("troupe_slots", "gauge", "Job slots of the node's pools by state.");
  w.sample("troupe_slots", {{"state", "busy"}}, c.slots_busy());
  w.sample("troupe_slots", {{"state", "free"}},
           c.slots_total() - std::min(c.slots_total(), c.slots_busy()));
  w.family("troupe_slots_lost_total", "counter", "Slots whose job actor died (lost workers).");
  w.sample("troupe_slots_lost_total", {}, static_cast<double>(c.slots_lost()));
  w.family("troupe_admission_held", "gauge", "1 while memory-aware admission holds new jobs (memoryThreshold).");
  w.sample("troupe_admission_held", {}, c.admission_held() ? 1 : 0);
  w.family("troupe_admission_holds_total", "counter", "Times memory-aware admission held new jobs.");
  w.sample("troupe_admission_holds_total", {}, static_cast<double>(c.admission_holds()));
  w.family("troupe_pool_slots", "gauge", "Slots of each pool (the node's own and each worker's).");
  for (const auto& p : c.pools()) w.sample("troupe_pool_slots", {{"pool", p.pool()}}, p.slots());
  w.family("troupe_pool_concurrency_limit", "gauge",
           "Jobs each pool may run at once (adaptiveThrottling; the reason is in troupe status).");
  for (const auto& p : c.pools()) w.sample("troupe_pool_concurrency_limit", {{"pool", p.pool()}}, p.limit());
  w.family("troupe_pool_concurrency_changes_total", "counter", "Changes of each pool's concurrency limit.");
  for (const auto& p : c.pools())
    w.sample("troupe_pool_concurrency_changes_total", {{"pool", p.pool()}}, static_cast<double>(p.changes_total()));
  if (in.scaling != nullptr) {
    const auto& s = *in.scaling;
    w.family("troupe_desired_workers", "gauge",
             "Worker nodes the scaling manager wants (scalingMode; for external autoscalers in mode off).");
    w.sample("troupe_desired_workers", {{"mode", s.mode()}}, s.desired());
    w.family("troupe_workers_active", "gauge", "Worker nodes joined and taking jobs.");
    w.sample("troupe_workers_active", {}, s.workers());
    w.family("troupe_scaling_decisions_total", "counter", "Changes of the desired worker count, by direction.");
    w.sample("troupe_scaling_decisions_total", {{"action", "up"}}, static_cast<double>(s.ups_total()));
    w.sample("troupe_scaling_decisions_total", {{"action", "down"}}, static_cast<double>(s.downs_total()));
  }
  w.family("troupe_worker_utilization_ratio", "gauge", "Busy slots over all slots, averaged over the last minute.");
  w.sample("troupe_worker_utilization_ratio", {}, value_of(in.latest, "utilization_1m") / 100);

  w.family("troupe_throughput_jobs_per_second", "gauge", "Jobs finished per second over a window.");
  for (auto [window, series] : {std::pair{"1s", "throughput_1s"}, std::pair{"1m", "throughput_1m"},
                                std::pair{"1h", "throughput_1h"}})
    w.sample("troupe_throughput_jobs_per_second", {{"window", window}}, value_of(in.latest, series));
  std::map<std::string, bool> kinds;
  for (const auto& row : rows) kinds[row.kind()] = true;
  // Node-wide figures and their per-kind counterparts are separate families, so that no sum double-counts.
  auto node_and_kinds = [&](std::string_view name, std::string_view help, const std::string& series, double scale) {
    w.family(name, "gauge", help);
    w.sample(name, {}, value_of(in.latest, series) * scale);
    auto by_kind = fmt::format("troupe_kind_{}", name.substr(std::string_view{"troupe_"}.size()));
    w.family(by_kind, "gauge", fmt::format("{} Per kind (the first 20 kinds).", help));
    for (const auto& [kind, _] : kinds)
      w.sample(by_kind, {{"kind", kind}}, value_of(in.latest, "kind:" + kind + ":" + series) * scale);
  };
  node_and_kinds("troupe_error_rate_ratio", "Failed attempts over attempts ended in the last minute.",
                 "error_rate_1m", 0.01);
  w.family("troupe_backlog_jobs", "gauge", "Jobs waiting: READY, SCHEDULED and BLOCKED.");
  w.sample("troupe_backlog_jobs", {}, value_of(in.latest, "backlog"));
  node_and_kinds("troupe_backlog_growth_jobs_per_second",
                 "Change of the backlog per second over the last minute (per kind: its READY jobs).",
                 "backlog_growth_per_s", 1);
  node_and_kinds("troupe_drain_eta_seconds",
                 "Forecast time to drain the backlog at the current net rate (-1: not draining).",
                 "drain_eta_seconds", 1);

  if (in.alerts != nullptr) {
    w.family("troupe_health_score", "gauge", "System health from 0 (down) to 100 (healthy); docs/metrics.md.");
    w.sample("troupe_health_score", {}, in.alerts->health().score());
    std::map<std::string, int> active;
    for (auto s : {Alert::CRITICAL, Alert::HIGH, Alert::MODERATE, Alert::LOW, Alert::INFO})
      active[Alert::Severity_Name(s)] = 0;
    for (const auto& a : in.alerts->active()) ++active[Alert::Severity_Name(a.severity())];
    w.family("troupe_alerts_active", "gauge", "Active alerts by severity.");
    for (const auto& [severity, n] : active) w.sample("troupe_alerts_active", {{"severity", severity}}, n);
  }

  if (in.process) {
    w.family("process_resident_memory_bytes", "gauge", "Resident memory size in bytes.");
    w.sample("process_resident_memory_bytes", {}, static_cast<double>(in.process->rss_bytes));
    w.family("process_cpu_seconds_total", "counter", "Total user and system CPU time spent in seconds.");
    w.sample("process_cpu_seconds_total", {}, in.process->cpu_seconds);
    if (in.process->start_time > 0) {
      w.family("process_start_time_seconds", "gauge", "Start time of the process since unix epoch in seconds.");
      w.sample("process_start_time_seconds", {}, in.process->start_time);
    }
  }
  return w.take();
}

}  // namespace troupe
