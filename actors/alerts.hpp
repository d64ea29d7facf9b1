#pragma once
// The alert actor (alert_actor in actors/interfaces.hpp): every MetricsSample the metrics actor makes goes through
// the rules (docs/metrics.md lists them with their severities and options); an alert fires once its condition has
// held for alertForMs, stays ACTIVE while it holds, and resolves once its value has been below its threshold by
// alertHysteresis for alertForMs. Active and resolved alerts are kept in meta "alert:" (the newest
// alertHistoryKept resolved ones) so they survive restarts. Fired and resolved alerts are POSTed as JSON to
// alertWebhookUrl from a detached sender, never blocking evaluation. Each answer carries the health score
// computed from the same sample (actors/health.hpp).

#include <caf/fwd.hpp>

#include "actors/engine_context.hpp"
#include "actors/interfaces.hpp"

namespace troupe {

// `detached`: run on a thread of its own (false only under CAF's test coordinator).
alert_actor spawn_alerts(caf::actor_system& sys, engine_context_ptr ctx, bool detached);

}  // namespace troupe
