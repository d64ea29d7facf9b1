#include "actors/health.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <optional>

#include "actors/alert_book.hpp"

namespace troupe {

namespace {

std::optional<double> series(const MetricsSample& sample, const std::string& name) {
  auto it = sample.values().find(name);
  if (it == sample.values().end()) return std::nullopt;
  return it->second;
}

void add_input(HealthReport& report, const std::string& name, double value, double target, double penalty,
               std::string note) {
  auto* in = report.add_inputs();
  in->set_name(name);
  in->set_value(value);
  in->set_target(target);
  in->set_penalty(penalty);
  in->set_note(std::move(note));
}

double clamp(double x, double hi) { return std::clamp(x, 0.0, hi); }

void error_rate(HealthReport& r, const MetricsSample& s, const node_options& o) {
  auto rate = series(s, "error_rate_1m");
  auto attempts = series(s, "attempts_ended_1m");
  double threshold = o.errorRateThreshold;
  if (!rate || !attempts) return add_input(r, "error_rate", 0, threshold, 0, "no data");
  if (*attempts <= 0) return add_input(r, "error_rate", *rate, threshold, 0, "no attempts ended in the last minute");
  double penalty = threshold > 0 ? health_weights::error_rate * std::min(1.0, *rate / threshold)
                                 : (*rate > 0 ? health_weights::error_rate : 0);
  add_input(r, "error_rate", *rate, threshold, penalty,
            fmt::format("{:.1f}% of {:.0f} attempts failed over the last minute", *rate, *attempts));
}

void backlog(HealthReport& r, const MetricsSample& s, const node_options& o) {
  auto ready = series(s, "depth_ready");
  auto slots = series(s, "slots_total");
  double per_slot = o.targetQueueDepth;
  double capacity = std::max(1.0, slots.value_or(o.maxConcurrentJobs)) * per_slot;
  if (!ready) return add_input(r, "backlog", 0, capacity, 0, "no data");
  double ratio = capacity > 0 ? *ready / capacity : 0;
  add_input(r, "backlog", *ready, capacity, clamp(health_weights::backlog * (ratio - 1) / 3, health_weights::backlog),
            fmt::format("{:.0f} jobs READY for {:.0f} slots x {} (full penalty at 4x)", *ready, capacity / per_slot,
                        o.targetQueueDepth));
}

void latency(HealthReport& r, const MetricsSample& s, const node_options& o) {
  auto p95 = series(s, "pickup_p95_1m_seconds");
  double target = o.pickupLatencyTargetMs / 1000.0;
  if (!p95 || target <= 0) return add_input(r, "latency", p95.value_or(0), target, 0, "no data");
  double ratio = *p95 / target;
  add_input(r, "latency", *p95, target, clamp(health_weights::latency * (ratio - 1) / 4, health_weights::latency),
            fmt::format("pickup p95 {:.3f} s over the last minute (full penalty at 5x the target)", *p95));
}

void memory(HealthReport& r, const MetricsSample& s, const node_options& o) {
  auto percent = series(s, "memory_percent");
  double threshold = o.memoryThreshold;
  if (!percent) return add_input(r, "memory", 0, threshold, 0, "no data");
  double start = threshold - 20;
  add_input(r, "memory", *percent, threshold,
            clamp(health_weights::memory * (*percent - start) / 20, health_weights::memory),
            fmt::format("{:.1f}% of maxMemoryMB {} MiB (penalty from {:.0f}%)", *percent, o.maxMemoryMB, start));
}

void alerts(HealthReport& r, const std::vector<Alert>& active, micros now) {
  double sum = 0;
  size_t counted = 0, silenced = 0;
  for (const auto& a : active) {
    if (a.state() != Alert::ACTIVE) continue;
    if (is_silenced(a, now)) {
      ++silenced;
      continue;
    }
    sum += alert_penalty(a.severity());
    ++counted;
  }
  add_input(r, "alerts", static_cast<double>(counted), 0, clamp(sum, health_weights::alerts),
            fmt::format("{} active alerts ({} silenced)", counted + silenced, silenced));
}

}  // namespace

double alert_penalty(Alert::Severity severity) {
  switch (severity) {
    case Alert::CRITICAL: return 15;
    case Alert::HIGH: return 8;
    case Alert::MODERATE: return 3;
    case Alert::LOW: return 1;
    default: return 0;
  }
}

HealthReport compute_health(const MetricsSample& sample, const std::vector<Alert>& active,
                            const node_options& options, micros now) {
  HealthReport report;
  if (sample.has_at()) *report.mutable_at() = sample.at();
  error_rate(report, sample, options);
  backlog(report, sample, options);
  latency(report, sample, options);
  memory(report, sample, options);
  alerts(report, active, now);
  double penalties = 0;
  for (const auto& in : report.inputs()) penalties += in.penalty();
  report.set_score(static_cast<uint32_t>(std::lround(std::clamp(100 - penalties, 0.0, 100.0))));
  return report;
}

}  // namespace troupe
