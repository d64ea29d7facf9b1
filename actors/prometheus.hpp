#pragma once
// The Prometheus text exposition (format 0.0.4) of a node's metrics, served at GET /metrics. Names and labels are
// stable (docs/metrics.md lists them): counters end in _total, histograms have cumulative _bucket{le} series
// ending in +Inf, _sum and _count, durations are in seconds, label values are escaped. Each family is written once,
// HELP and TYPE first. Pure: renders what it is given.

#include <optional>
#include <string>

#include "actors/process_usage.hpp"
#include "schemas/troupe.pb.h"

namespace troupe {

struct prometheus_input {
  const SchedulerSample* counters = nullptr;  // the scheduler's cumulative counters
  const MetricsSample* latest = nullptr;      // the newest sample (rates, windows, trends)
  const AlertList* alerts = nullptr;          // null: no alert actor (no health score, no alerts)
  std::optional<process_usage> process = {};
  const ScalingStatus* scaling = nullptr;     // null: the scaling manager has not answered yet
  std::string node = {};
  std::string version = {};
};

std::string render_prometheus(const prometheus_input& in);

}  // namespace troupe
