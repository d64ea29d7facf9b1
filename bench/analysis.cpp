#include "bench/analysis.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

namespace troupe::bench {

namespace {

bool rises(double from, double to) { return to > from * (1 + rising_pct / 100.0); }

// Whole numbers in full (4194304), others in 6 significant digits (0.031).
std::string number(double v) {
  return v == std::floor(v) && std::abs(v) < 1e15 ? fmt::format("{:.0f}", v) : fmt::format("{:.6g}", v);
}

}  // namespace

bool sweep_goes_on(const std::vector<sweep_point>& points) {
  if (points.size() < 2) return true;
  double best_before = 0;
  for (size_t i = 0; i + 1 < points.size(); ++i) best_before = std::max(best_before, points[i].jobs_per_s);
  return rises(best_before, points.back().jobs_per_s);
}

std::optional<sweep_point> best_slots(const std::vector<sweep_point>& points) {
  if (points.empty()) return std::nullopt;
  auto best = points.front();
  double best_so_far = points.front().jobs_per_s;
  for (size_t i = 1; i < points.size(); ++i) {
    if (rises(best_so_far, points[i].jobs_per_s)) best = points[i];
    best_so_far = std::max(best_so_far, points[i].jobs_per_s);
  }
  return best;
}

limit_finder::limit_finder(std::string name, uint32_t max_steps) : max_steps_(std::max<uint32_t>(1, max_steps)) {
  result_.name = std::move(name);
  result_.reason = "no step tried";
}

bool limit_finder::step(double value, bool passed, const std::string& why) {
  if (done_) return false;
  ++steps_;
  if (!passed) {
    result_.reached = true;
    result_.reason = why;
    done_ = true;
    return false;
  }
  result_.value = value;
  result_.reason = "not reached: every step passed up to " + number(value);
  done_ = steps_ >= max_steps_;
  return !done_;
}

std::string limit_finder::line() const {
  return fmt::format("limit={}:{}{} reason=\"{}\"", result_.name, result_.reached ? "" : ">=", number(result_.value),
                     result_.reason);
}

std::vector<std::string> recommend_slots(const std::vector<sweep_point>& sweep) {
  auto best = best_slots(sweep);
  if (!best) return {};
  auto below = std::find_if(sweep.rbegin(), sweep.rend(), [&](const sweep_point& p) { return p.slots < best->slots; });
  if (below == sweep.rend())
    return {fmt::format("set maxConcurrentJobs to {}: more slots did not raise throughput by more than {}% "
                        "({:.0f} jobs/s)",
                        best->slots, number(rising_pct), best->jobs_per_s)};
  return {fmt::format("set maxConcurrentJobs to {}: throughput peaked there ({:.0f} jobs/s), {:+.1f}% over {}",
                      best->slots, best->jobs_per_s, (best->jobs_per_s / below->jobs_per_s - 1) * 100.0,
                      below->slots)};
}

std::vector<std::string> recommend_load(const std::vector<load_point>& loads, double capacity_per_s,
                                        double target_ms) {
  if (loads.empty()) return {};
  const load_point* highest_ok = nullptr;
  for (const auto& p : loads)
    if (p.p99_pickup_ms <= target_ms && (!highest_ok || p.offered_per_s > highest_ok->offered_per_s)) highest_ok = &p;
  if (!highest_ok) {
    auto lowest = std::min_element(loads.begin(), loads.end(), [](const auto& a, const auto& b) {
      return a.offered_per_s < b.offered_per_s;
    });
    return {fmt::format("pickup latency p99 is over {} ms already at {:.0f} jobs/s (p99 {} ms): look at slots "
                        "and durability before adding load",
                        number(target_ms), lowest->offered_per_s, number(lowest->p99_pickup_ms))};
  }
  std::string share = capacity_per_s > 0
                          ? fmt::format(" ({:.0f}% of measured capacity)", 100.0 * highest_ok->offered_per_s /
                                                                               capacity_per_s)
                          : "";
  return {fmt::format("pickup latency p99 stays under {} ms up to {:.0f} jobs/s{}", number(target_ms),
                      highest_ok->offered_per_s, share)};
}

std::vector<std::string> recommend_limits(const std::vector<limit>& limits) {
  std::vector<std::string> out;
  for (const auto& l : limits) {
    if (!l.reached) continue;
    if (l.name == "offered_rate_jobs_per_s")
      out.push_back(fmt::format("keep offered load under {:.0f} jobs/s: the next step failed ({})", l.value, l.reason));
    else if (l.name == "payload_bytes")
      out.push_back(fmt::format("keep payloads at or under {} bytes: the next step failed ({})", number(l.value),
                                l.reason));
    else if (l.name == "chain_depth")
      out.push_back(fmt::format("keep dependency chains at or under {} jobs: the next step failed ({})",
                                number(l.value), l.reason));
    else
      out.push_back(fmt::format("keep {} at or under {}: the next step failed ({})", l.name, number(l.value),
                                l.reason));
  }
  return out;
}

}  // namespace troupe::bench
