#pragma once
// The supervisor of a node: spawns the journal, scheduler, local pool, reader, retention, gateway and the scaling
// actor (the worker registry), monitors them, and restarts what fails.
// - reader and retention hold no state: one that fails is respawned alone.
// - journal, scheduler and pool share the state of running jobs: when one fails, the supervisor stops all three
//   (slots stop their attempts as they go), requeues the jobs that were RUNNING (storage recovery) and starts
//   them again, then points the gateway and the scaling actor at the new scheduler (workers rejoin it). More
//   than `max_engine_restarts` in a minute, or a failing gateway or scaling actor, ends the node with the error.
// - shutdown: drain the scheduler for the grace period, hand back what still runs, then stop the actors with
//   the journal last, so every acknowledged write is durable.

#include <caf/fwd.hpp>

#include "actors/engine_context.hpp"
#include "actors/gateway.hpp"

namespace troupe {

constexpr int max_engine_restarts = 5;

using shutdown_atom = caf::atom_constant<caf::atom("shutdown")>;
using gateway_atom = caf::atom_constant<caf::atom("gateway")>;
using scaling_atom = caf::atom_constant<caf::atom("scaling")>;

using supervisor_actor = caf::typed_actor<
    // The gateway to publish.
    caf::replies_to<gateway_atom>::with<gateway_internal_actor>,
    // The scaling actor (the worker registry), for the access actor.
    caf::replies_to<scaling_atom>::with<scaling_actor>,
    // Stops the node; `grace` in milliseconds. Replies once every actor below has exited.
    caf::replies_to<shutdown_atom, uint64_t>::with<ok_atom>>;

// `detached`: see node::start.
supervisor_actor spawn_supervisor(caf::actor_system& sys, engine_context_ptr ctx, bool detached);

}  // namespace troupe
