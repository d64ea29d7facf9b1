#pragma once
// The metrics actor (metrics_actor in actors/interfaces.hpp). Every metricsIntervalMs it pulls the scheduler's
// counters through the gateway (SchedulerSample: cumulative per kind, user and priority), reads the process's RSS
// and CPU time from /proc, and turns them into one MetricsSample (rates, windows, percentiles, trends; the series
// names are in docs/metrics.md). The sample goes to the alert actor, whose answer (active alerts, health score)
// joins it, and into the history in RocksDB (storage/metrics_store.hpp): the finest samples for
// metricsFineRetentionMinutes, per-minute averages for metricsMinuteRetentionHours, per-hour ones for
// maxJobHistoryDays. It answers history queries, renders the Prometheus exposition, and serves the dashboard's
// series. Nothing here is on the job path: the scheduler only counts (actors/metrics_recorder.hpp).

#include <caf/fwd.hpp>

#include "actors/engine_context.hpp"
#include "actors/gateway.hpp"
#include "actors/interfaces.hpp"

namespace troupe {

// `alerts` may be null (then no alerts and no health score); `scaling` too (then no scaling figures).
// `detached`: run on a thread of its own (false only under CAF's test coordinator, where ticks come from the test).
metrics_actor spawn_metrics(caf::actor_system& sys, engine_context_ptr ctx, gateway_internal_actor gateway,
                            alert_actor alerts, scaling_actor scaling, bool detached);

}  // namespace troupe
