#pragma once
// The health score (docs/metrics.md, "Health score"): a pure function of a metrics sample, the active alerts and
// the options. 100 minus the penalties of five inputs (error rate, backlog, pickup latency, memory, alerts),
// clamped to 0..100 and rounded. A missing series costs nothing (its input notes "no data").

#include <vector>

#include "config/options.hpp"
#include "schemas/time.hpp"
#include "troupe/protocol.hpp"

namespace troupe {

// The most each input can take off the score.
struct health_weights {
  static constexpr double error_rate = 30;
  static constexpr double backlog = 20;
  static constexpr double latency = 20;
  static constexpr double memory = 15;
  static constexpr double alerts = 30;
};

// The score after `sample` (its `at` is the report's), with the alerts active then; silenced ones (at `now`)
// cost nothing.
HealthReport compute_health(const MetricsSample& sample, const std::vector<Alert>& active,
                            const node_options& options, micros now);

// What an unsilenced active alert of `severity` costs: CRITICAL 15, HIGH 8, MODERATE 3, LOW 1, INFO 0.
double alert_penalty(Alert::Severity severity);

}  // namespace troupe
