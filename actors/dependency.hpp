#pragma once
// The dependency manager: an actor that owns the dependency graph of BLOCKED jobs (actors/dependency_graph.hpp)
// and the batch callbacks waiting for their batches. The scheduler reports to it, in commit order, what became
// durable (jobs stored BLOCKED, jobs of batches stored, jobs that ended); it answers each report with the jobs
// to release or cancel now, which the scheduler carries out.
//
// Why this is safe after a crash: a job is released only after the journal acknowledged what it waited for, and
// the graph is rebuilt on every start from the `blocked` index (the scheduler reports every BLOCKED job again;
// their parents' and batches' states are read from the store). So no job becomes READY too early, and none stays
// BLOCKED once what it waits for is done.
//
// Store reads (records, parents, batch members) happen here, on this actor's thread (detached in a node).

#include <caf/fwd.hpp>

#include "actors/engine_context.hpp"
#include "actors/interfaces.hpp"

namespace troupe {

dependency_actor spawn_dependency_manager(caf::actor_system& sys, engine_context_ptr ctx, bool detached);

}  // namespace troupe
