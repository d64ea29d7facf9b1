#pragma once
// The gateway: the actor a node publishes to peers (troupe/protocol.hpp's gateway_actor). It validates requests
// (actors/spec_validation.hpp) and forwards them: writes and waits to the scheduler, reads to the reader. It keeps
// no state but the handles of the engine actors, which the supervisor replaces after an engine restart.

#include <caf/fwd.hpp>

#include "actors/engine_context.hpp"
#include "actors/interfaces.hpp"
#include "actors/reader.hpp"

namespace troupe {


// The gateway's full interface: the public one plus the supervisor's handle updates.
using gateway_internal_actor =
    gateway_actor::extend<caf::reacts_to<engine_atom, scheduler_actor, reader_actor>,
                          // A user's unfinished jobs and limits (for the access actor's status).
                          caf::replies_to<usage_atom, std::string>::with<UserUsage>,
                          // The scheduler's counters (for the metrics actor, which outlives engine restarts).
                          caf::replies_to<metrics_atom>::with<SchedulerSample>>;

gateway_internal_actor spawn_gateway(caf::actor_system& sys, engine_context_ptr ctx, scheduler_actor scheduler,
                                     reader_actor reader);

}  // namespace troupe
