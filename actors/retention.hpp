#pragma once
// Retention: keeps the history of finished jobs within maxCompletedJobsToKeep and maxJobHistoryDays. Every
// retentionIntervalMs it asks the store for what is over either limit and has the journal delete it, 1,000 jobs
// per request; it waits for each request before the next, so the journal interleaves deletions with dispatch
// writes and never stalls behind a large backlog of them.

#include <caf/fwd.hpp>

#include "actors/engine_context.hpp"
#include "actors/interfaces.hpp"

namespace troupe {

// Most finished jobs deleted per journal request.
constexpr size_t retention_chunk = 1000;

using retention_actor = caf::typed_actor<caf::reacts_to<tick_atom>>;

retention_actor spawn_retention(caf::actor_system& sys, engine_context_ptr ctx, journal_actor journal,
                                bool detached = true);

}  // namespace troupe
