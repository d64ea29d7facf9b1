#include "actors/metrics_windows.hpp"

#include <algorithm>
#include <cmath>

namespace troupe {

double quantile(const histogram& h, double q) {
  if (h.count == 0) return 0;
  auto rank = q * static_cast<double>(h.count);
  uint64_t below = 0;
  for (size_t i = 0; i < h.buckets.size(); ++i) {
    auto in = h.buckets[i];
    if (in > 0 && static_cast<double>(below + in) >= rank) {
      if (i == histogram_bounds.size()) return histogram_bounds.back();  // +Inf: the largest bound we know
      double lower = i == 0 ? 0 : histogram_bounds[i - 1];
      double upper = histogram_bounds[i];
      return lower + (upper - lower) * (rank - static_cast<double>(below)) / static_cast<double>(in);
    }
    below += in;
  }
  return histogram_bounds.back();
}

namespace {

constexpr micros second = 1'000'000;
constexpr micros minute = 60 * second;

void add_histogram(histogram& into, const Histogram& from) {
  for (int i = 0; i < from.buckets_size() && i < static_cast<int>(into.buckets.size()); ++i)
    into.buckets[static_cast<size_t>(i)] += from.buckets(i);
  into.count += from.count();
  into.sum += from.sum();
}

histogram minus(const histogram& now, const histogram& then) {
  histogram d;
  for (size_t i = 0; i < d.buckets.size(); ++i)
    d.buckets[i] = now.buckets[i] >= then.buckets[i] ? now.buckets[i] - then.buckets[i] : now.buckets[i];
  d.count = now.count >= then.count ? now.count - then.count : now.count;
  d.sum = std::max(0.0, now.sum - then.sum);
  return d;
}

// A counter's increase from `then` to `now`; a counter that went down was reset (the scheduler restarted), and
// its increase is all of `now`.
uint64_t increase(uint64_t now, uint64_t then) { return now >= then ? now - then : now; }

double seconds(micros span) { return static_cast<double>(span) / 1e6; }

}  // namespace

void metrics_windows::totals::add(const LabelCounters& row) {
  submitted += row.submitted();
  started += row.started();
  succeeded += row.succeeded();
  failed += row.failed();
  dead += row.dead();
  cancelled += row.cancelled();
  failed_attempts += row.failed_attempts();
  retried += row.retried();
  ready += row.ready();
  running += row.running();
  add_histogram(pickup, row.pickup());
  add_histogram(run, row.run());
  add_histogram(blocked_wait, row.blocked_wait());
}

bool metrics_windows::admitted(std::unordered_set<std::string>& names, const std::string& name) {
  if (names.count(name) > 0) return true;
  if (names.size() >= config_.max_groups) return false;
  names.insert(name);
  return true;
}

metrics_windows::snapshot metrics_windows::take(const SchedulerSample& counters,
                                                const std::optional<process_usage>& process) {
  snapshot s;
  s.at = to_micros(counters.at());
  auto& node = s.groups[""];
  for (const auto& row : counters.labels()) {
    node.add(row);
    if (admitted(kinds_, row.kind())) s.groups["kind:" + row.kind()].add(row);
    if (admitted(users_, row.user())) s.groups["user:" + row.user()].add(row);
    s.groups["priority:" + JobSpec::Priority_Name(row.priority())].add(row);
  }
  s.utilization = counters.slots_total() == 0
                      ? 0
                      : 100.0 * counters.slots_busy() / static_cast<double>(counters.slots_total());
  s.slots_lost = counters.slots_lost();
  s.backlog = std::max<int64_t>(0, node.ready) + static_cast<int64_t>(counters.scheduled() + counters.blocked());
  if (process) s.cpu_seconds = process->cpu_seconds;
  return s;
}

const metrics_windows::snapshot* metrics_windows::before(micros now, micros span) const {
  const std::deque<snapshot>& ring = span > minute && !coarse_.empty() ? coarse_ : fine_;
  const snapshot* found = nullptr;
  for (const auto& s : ring) {
    if (s.at > now - span) break;
    found = &s;
  }
  if (found == nullptr && !ring.empty()) found = &ring.front();
  return found;
}

MetricsSample metrics_windows::add(const SchedulerSample& counters, const std::optional<process_usage>& process) {
  auto now_snap = take(counters, process);
  auto now = now_snap.at;
  MetricsSample out;
  *out.mutable_at() = counters.at();
  auto& v = *out.mutable_values();
  const auto* previous = fine_.empty() ? nullptr : &fine_.back();
  const auto* last_minute = before(now, minute);
  const auto* last_ten = before(now, 10 * minute);
  const auto* last_hour = before(now, 60 * minute);
  static const totals none;
  auto group_of = [](const snapshot* s, const std::string& name) -> const totals& {
    if (s == nullptr) return none;
    auto it = s->groups.find(name);
    return it == s->groups.end() ? none : it->second;
  };
  auto rate = [&](const snapshot* then, uint64_t now_count, uint64_t then_count) {
    if (then == nullptr || then->at >= now) return 0.0;
    return static_cast<double>(increase(now_count, then_count)) / seconds(now - then->at);
  };

  for (const auto& [name, t] : now_snap.groups) {
    auto prefix = name.empty() ? std::string{} : name + ":";
    const auto& m = group_of(last_minute, name);
    v[prefix + "depth_ready"] = static_cast<double>(std::max<int64_t>(0, t.ready));
    v[prefix + "depth_running"] = static_cast<double>(std::max<int64_t>(0, t.running));
    v[prefix + "throughput_1s"] = rate(previous, t.finished(), group_of(previous, name).finished());
    v[prefix + "throughput_1m"] = rate(last_minute, t.finished(), m.finished());
    v[prefix + "throughput_1h"] = rate(last_hour, t.finished(), group_of(last_hour, name).finished());
    auto ok = increase(t.succeeded, m.succeeded);
    auto failed = increase(t.failed_attempts, m.failed_attempts);
    auto ended = ok + failed;
    v[prefix + "succeeded_1m"] = static_cast<double>(ok);
    v[prefix + "failed_1m"] = static_cast<double>(increase(t.failed, m.failed));
    v[prefix + "dead_1m"] = static_cast<double>(increase(t.dead, m.dead));
    v[prefix + "failed_attempts_1m"] = static_cast<double>(failed);
    v[prefix + "retried_1m"] = static_cast<double>(increase(t.retried, m.retried));
    v[prefix + "attempts_ended_1m"] = static_cast<double>(ended);
    v[prefix + "error_rate_1m"] = ended == 0 ? 0 : 100.0 * static_cast<double>(failed) / static_cast<double>(ended);
    auto pickup = minus(t.pickup, m.pickup);
    auto run = minus(t.run, m.run);
    for (auto [q, p] : {std::pair{0.5, "p50"}, std::pair{0.95, "p95"}, std::pair{0.99, "p99"}}) {
      v[prefix + "pickup_" + p + "_1m_seconds"] = quantile(pickup, q);
      v[prefix + "run_" + p + "_1m_seconds"] = quantile(run, q);
    }
    if (!name.empty() && name.rfind("kind:", 0) != 0) continue;
    // Node and kinds: the backlog's trend. Per kind the backlog is its READY jobs (the only state counted per
    // kind); for the node it is READY + SCHEDULED + BLOCKED.
    double backlog = name.empty() ? static_cast<double>(now_snap.backlog) : static_cast<double>(t.ready);
    double then_backlog = last_minute == nullptr ? backlog
                          : name.empty()        ? static_cast<double>(last_minute->backlog)
                                                : static_cast<double>(m.ready);
    double span = last_minute == nullptr || last_minute->at >= now ? 0 : seconds(now - last_minute->at);
    double growth = span > 0 ? (backlog - then_backlog) / span : 0;
    v[prefix + "backlog_growth_per_s"] = growth;
    v[prefix + "drain_eta_seconds"] = backlog <= 0 ? 0 : growth < 0 ? backlog / -growth : -1;
    auto throughput = v[prefix + "throughput_1m"];
    v[prefix + "drain_at_current_rate_seconds"] = backlog <= 0 ? 0 : throughput > 0 ? backlog / throughput : -1;
  }

  const auto& node = now_snap.groups[""];
  const auto& m = group_of(last_minute, "");
  v["blocked_wait_p95_1m_seconds"] = quantile(minus(node.blocked_wait, m.blocked_wait), 0.95);
  v["submitted_per_s"] = rate(last_minute, node.submitted, m.submitted);
  v["started_per_s"] = rate(last_minute, node.started, m.started);
  v["dead_10m"] = static_cast<double>(increase(node.dead, group_of(last_ten, "").dead));
  v["depth_blocked"] = static_cast<double>(counters.blocked());
  v["depth_scheduled"] = static_cast<double>(counters.scheduled());
  v["backlog"] = static_cast<double>(now_snap.backlog);
  v["slots_total"] = counters.slots_total();
  v["slots_busy"] = counters.slots_busy();
  v["slots_free"] = counters.slots_total() - std::min(counters.slots_total(), counters.slots_busy());
  v["utilization"] = now_snap.utilization;
  double utilization_sum = now_snap.utilization;
  int utilization_count = 1;
  for (const auto& s : fine_)
    if (s.at >= now - minute) {
      utilization_sum += s.utilization;
      ++utilization_count;
    }
  v["utilization_1m"] = utilization_sum / utilization_count;
  v["slots_lost_10m"] =
      static_cast<double>(last_ten == nullptr ? 0 : increase(now_snap.slots_lost, last_ten->slots_lost));
  v["runner_stopped"] = counters.runner_stopped() ? 1 : 0;
  v["admission_held"] = counters.admission_held() ? 1 : 0;
  for (const auto& p : counters.pools()) v["pool:" + p.pool() + ":limit"] = p.limit();
  if (process) {
    v["rss_bytes"] = static_cast<double>(process->rss_bytes);
    if (config_.max_memory_bytes > 0)
      v["memory_percent"] = memory_percent(*process, config_.max_memory_bytes);
    if (previous != nullptr && previous->cpu_seconds >= 0 && previous->at < now)
      v["cpu_percent"] = 100.0 * std::max(0.0, process->cpu_seconds - previous->cpu_seconds) /
                         seconds(now - previous->at);
  }

  // Keep what later windows need: every sample of the last minute, one per minute of the last hour.
  if (coarse_.empty() || now - coarse_.back().at >= minute) coarse_.push_back(now_snap);
  fine_.push_back(std::move(now_snap));
  while (fine_.size() > 2 && fine_[1].at <= now - minute) fine_.pop_front();
  while (coarse_.size() > 2 && coarse_[1].at <= now - 60 * minute) coarse_.pop_front();
  return out;
}

}  // namespace troupe
