#include "actors/metrics_history.hpp"

#include <algorithm>
#include <set>
#include <unordered_map>
#include <vector>

namespace troupe {

void metrics_history::accumulator::add(const MetricsSample& sample) {
  ++samples;
  for (const auto& [name, value] : sample.values()) sums[name] += value;
}

MetricsSample metrics_history::accumulator::average() const {
  MetricsSample out;
  set_timestamp(out.mutable_at(), start);
  auto& values = *out.mutable_values();
  for (const auto& [name, sum] : sums) values[name] = sum / std::max<uint32_t>(1, samples);
  return out;
}

storage::status metrics_history::close_tier(size_t tier, micros bucket_start) {
  auto& acc = open_[tier];
  if (acc.start >= 0 && acc.samples > 0) {
    auto average = acc.average();
    if (auto s = store_.put_metrics(static_cast<uint8_t>(tier), acc.start, average.SerializeAsString()); !s)
      return s;
    if (tier == 1) {
      // Retention runs once a minute: the tiers drop what aged out.
      if (auto s = store_.erase_metrics_before(0, acc.start - retention_.fine); !s) return s;
      if (auto s = store_.erase_metrics_before(1, acc.start - retention_.minute); !s) return s;
      if (auto s = store_.erase_metrics_before(2, acc.start - retention_.hour); !s) return s;
      auto hour = acc.start - acc.start % tier_step[2];
      if (open_[2].start != hour) {
        if (auto s = close_tier(2, hour); !s) return s;
      }
      open_[2].add(average);
    }
  }
  acc = accumulator{};
  acc.start = bucket_start;
  return storage::status::ok();
}

storage::status metrics_history::add(const MetricsSample& sample) {
  auto at = to_micros(sample.at());
  if (auto s = store_.put_metrics(0, at, sample.SerializeAsString()); !s) return s;
  auto minute = at - at % tier_step[1];
  if (open_[1].start != minute)
    if (auto s = close_tier(1, minute); !s) return s;
  if (open_[2].start < 0) open_[2].start = at - at % tier_step[2];
  open_[1].add(sample);
  return storage::status::ok();
}

storage::status metrics_history::query(const MetricsQuery& query, micros now, SeriesSet* out) const {
  micros to = query.has_to() ? to_micros(query.to()) : now;
  micros from = query.has_from() ? to_micros(query.from()) : to - 3'600'000'000;
  if (from > to) std::swap(from, to);
  micros step = static_cast<micros>(query.step_seconds()) * 1'000'000;
  size_t tier = 0;
  if (step >= tier_step[2] || (step == 0 && from < now - retention_.minute)) tier = 2;
  else if (step >= tier_step[1] || (step == 0 && from < now - retention_.fine)) tier = 1;
  // Points at most max_points: a step that would give more is raised (to a whole number of seconds).
  auto span = std::max<micros>(1, to - from);
  if (step == 0) step = tier == 0 ? 0 : tier_step[tier];
  auto floor_step = (span / static_cast<micros>(max_points) / 1'000'000 + 1) * 1'000'000;
  if (step != 0 && span / step > static_cast<micros>(max_points)) step = floor_step;

  std::vector<std::string> names{query.series().begin(), query.series().end()};
  std::unordered_map<std::string, Series*> series;
  for (const auto& name : names) {
    auto* s = out->add_series();
    s->set_name(name);
    series[name] = s;
  }
  bool all_node = names.empty();
  std::string newest;  // the newest sample in range, serialized
  // Points of a bucket are averaged: (bucket start) -> (sum, count) per series, flushed in time order.
  struct bucket {
    micros start = -1;
    std::unordered_map<std::string, std::pair<double, uint32_t>> sums;
  } open;
  auto flush = [&] {
    if (open.start < 0) return;
    for (auto& [name, sum] : open.sums) {
      auto* s = series[name];
      s->add_t(static_cast<double>(open.start) / 1e6);
      s->add_v(sum.first / sum.second);
    }
    open.sums.clear();
  };
  size_t raw = 0;
  auto status = store_.scan_metrics(static_cast<uint8_t>(tier), from, to + 1, [&](micros at, std::string_view bytes) {
    MetricsSample sample;
    if (!sample.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) return true;
    newest.assign(bytes.data(), bytes.size());
    for (const auto& [name, value] : sample.values()) {
      if (all_node && name.find(':') == std::string::npos && series.count(name) == 0) {
        auto* s = out->add_series();
        s->set_name(name);
        series[name] = s;
      }
    }
    micros start = step == 0 ? at : from + (at - from) / step * step;
    if (start != open.start) {
      flush();
      open.start = start;
    }
    for (const auto& [name, value] : sample.values()) {
      auto it = series.find(name);
      if (it == series.end()) continue;
      auto& sum = open.sums[name];
      sum.first += value;
      ++sum.second;
    }
    return step != 0 || ++raw < max_points;
  });
  if (!status) return status;
  flush();
  std::set<std::string> newest_names;
  MetricsSample last;
  if (last.ParseFromString(newest))
    for (const auto& [name, value] : last.values()) newest_names.insert(name);
  set_timestamp(out->mutable_from(), from);
  set_timestamp(out->mutable_to(), to);
  out->set_step_seconds(static_cast<uint32_t>(step == 0 ? 0 : step / 1'000'000));
  bool unknown = std::any_of(names.begin(), names.end(), [&](const std::string& n) {
    return newest_names.count(n) == 0;
  });
  if (all_node || unknown)
    for (const auto& name : newest_names) out->add_known(name);
  if (all_node) {
    // Series in name order, for a stable answer.
    std::sort(out->mutable_series()->begin(), out->mutable_series()->end(),
              [](const Series& a, const Series& b) { return a.name() < b.name(); });
  }
  return storage::status::ok();
}

}  // namespace troupe
