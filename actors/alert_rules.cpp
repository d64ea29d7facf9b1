#include "actors/alert_rules.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <optional>
#include <string_view>

namespace troupe {

namespace {

constexpr double saturated_utilization_percent = 95;
constexpr double min_attempts_for_error_rate = 10;
constexpr std::string_view kind_prefix = "kind:";

// The rules' view of a sample: series by name, absent ones as nullopt.
class series_view {
 public:
  explicit series_view(const MetricsSample& sample) : values_(sample.values()) {}
  std::optional<double> get(const std::string& name) const {
    auto it = values_.find(name);
    if (it == values_.end()) return std::nullopt;
    return it->second;
  }

 private:
  const google::protobuf::Map<std::string, double>& values_;
};

rule_reading reading(std::string rule, Alert::Severity severity, double value, double threshold, bool firing,
                     bool clear, std::string message) {
  rule_reading r;
  r.rule = std::move(rule);
  r.severity = severity;
  r.value = value;
  r.threshold = threshold;
  r.firing = firing;
  r.clear = clear;
  r.message = std::move(message);
  return r;
}

// A "value >= threshold" reading with the hysteresis band below the threshold.
rule_reading above(std::string rule, Alert::Severity severity, double value, double threshold, double hysteresis,
                   std::string message) {
  return reading(std::move(rule), severity, value, threshold, value >= threshold,
                 value < threshold * (1 - hysteresis), std::move(message));
}

// A yes/no reading: no band beyond alertForMs.
rule_reading boolean(std::string rule, Alert::Severity severity, double value, double threshold, bool holds,
                     std::string message) {
  return reading(std::move(rule), severity, value, threshold, holds, !holds, std::move(message));
}

// high_error_rate for the node (prefix "") or a kind (prefix "kind:NAME:").
std::optional<rule_reading> error_rate(const series_view& s, const std::string& prefix, const std::string& subject,
                                       const node_options& o) {
  auto rate = s.get(prefix + "error_rate_1m");
  auto attempts = s.get(prefix + "attempts_ended_1m");
  if (!rate || !attempts) return std::nullopt;
  auto threshold = static_cast<double>(o.errorRateThreshold);
  auto what = subject.empty() ? std::string{} : " of kind " + subject;
  auto r = above("high_error_rate", Alert::CRITICAL, *rate, threshold, o.alertHysteresis,
                 fmt::format("error rate{} {:.1f}% of {:.0f} attempts over the last minute (threshold {:.0f}%)", what,
                             *rate, *attempts, threshold));
  if (*attempts < min_attempts_for_error_rate) {  // too few attempts to judge: one failure is not 100%
    r.firing = false;
    r.clear = true;
  }
  r.subject = subject;
  return r;
}

// The kind names that have per-kind error series ("kind:NAME:error_rate_1m").
std::vector<std::string> kinds_in(const MetricsSample& sample) {
  static constexpr std::string_view suffix = ":error_rate_1m";
  std::vector<std::string> kinds;
  for (const auto& [name, value] : sample.values()) {
    std::string_view n = name;
    if (n.size() <= kind_prefix.size() + suffix.size() || n.substr(0, kind_prefix.size()) != kind_prefix) continue;
    if (n.substr(n.size() - suffix.size()) != suffix) continue;
    kinds.emplace_back(n.substr(kind_prefix.size(), n.size() - kind_prefix.size() - suffix.size()));
  }
  std::sort(kinds.begin(), kinds.end());  // protobuf maps have no order; readings do
  return kinds;
}

}  // namespace

std::string alert_key(const std::string& rule, const std::string& subject) {
  return subject.empty() ? rule : rule + ":" + subject;
}

std::vector<rule_reading> read_rules(const MetricsSample& sample, const node_options& o) {
  series_view s{sample};
  std::vector<rule_reading> out;
  auto h = o.alertHysteresis;

  if (auto memory = s.get("memory_percent")) {
    auto threshold = static_cast<double>(o.memoryThreshold);
    out.push_back(above("memory_pressure", Alert::CRITICAL, *memory, threshold, h,
                        fmt::format("memory at {:.1f}% of maxMemoryMB {} MiB (threshold {:.0f}%)", *memory,
                                    o.maxMemoryMB, threshold)));
  }
  if (auto r = error_rate(s, "", "", o)) out.push_back(std::move(*r));
  for (const auto& kind : kinds_in(sample))
    if (auto r = error_rate(s, std::string{kind_prefix} + kind + ":", kind, o)) out.push_back(std::move(*r));

  auto p95 = s.get("pickup_p95_1m_seconds");
  if (p95 && o.pickupLatencyTargetMs > 0) {
    auto target = o.pickupLatencyTargetMs / 1000.0;
    out.push_back(above("pickup_latency", Alert::HIGH, *p95, target, h,
                        fmt::format("pickup latency p95 {:.3f} s over the last minute (target {:.3f} s)", *p95,
                                    target)));
  }
  auto blocked = s.get("depth_blocked");
  if (blocked && o.blockedAlertJobs > 0) {
    out.push_back(above("blocked_jobs", Alert::HIGH, *blocked, o.blockedAlertJobs, h,
                        fmt::format("{:.0f} jobs blocked waiting for dependencies or batches (threshold {})",
                                    *blocked, o.blockedAlertJobs)));
  }
  auto dead = s.get("dead_10m");
  if (dead && o.deadAlertJobs > 0) {
    out.push_back(above("dead_jobs", Alert::HIGH, *dead, o.deadAlertJobs, h,
                        fmt::format("{:.0f} jobs ended DEAD (no attempts left) in the last 10 minutes (threshold {})",
                                    *dead, o.deadAlertJobs)));
  }
  if (auto lost = s.get("slots_lost_10m")) {
    out.push_back(boolean("lost_workers", Alert::HIGH, *lost, 1, *lost >= 1,
                          fmt::format("{:.0f} slots lost their job actor in the last 10 minutes", *lost)));
  }
  auto backlog = s.get("backlog");
  auto growth = s.get("backlog_growth_per_s");
  if (backlog && growth && o.backlogAlertJobs > 0) {
    auto eta = s.get("drain_eta_seconds");
    auto drain = !eta || *eta < 0 ? std::string{"not draining"} : fmt::format("drains in {:.0f} s", *eta);
    auto r = above("growing_backlog", Alert::MODERATE, *backlog, o.backlogAlertJobs, h,
                   fmt::format("backlog of {:.0f} jobs growing by {:.1f}/s over the last minute, {} (threshold {})",
                               *backlog, *growth, drain, o.backlogAlertJobs));
    r.firing = r.firing && *growth > 0;
    r.clear = r.clear || *growth < 0;
    out.push_back(std::move(r));
  }
  auto utilization = s.get("utilization_1m");
  auto ready = s.get("depth_ready");
  if (utilization && ready) {
    auto r = above("saturated_slots", Alert::LOW, *utilization, saturated_utilization_percent, h,
                   fmt::format("slots {:.1f}% busy over the last minute with {:.0f} jobs READY: more slots or "
                               "workers would drain the backlog",
                               *utilization, *ready));
    r.firing = r.firing && *ready > 0;
    r.clear = r.clear || *ready <= 0;
    out.push_back(std::move(r));
  }
  if (auto held = s.get("admission_held")) {
    out.push_back(boolean("admission_held", Alert::CRITICAL, *held, 1, *held >= 1,
                          fmt::format("memory-aware admission holds new jobs: the node's memory reached "
                                      "memoryThreshold {}% of maxMemoryMB {} MiB; running jobs go on",
                                      o.memoryThreshold, o.maxMemoryMB)));
  }
  if (auto stopped = s.get("runner_stopped")) {
    out.push_back(boolean("runner_stopped", Alert::INFO, *stopped, 1, *stopped >= 1,
                          "the runner is stopped: no job starts until `troupe runner start`"));
  }
  return out;
}

}  // namespace troupe
