#pragma once
// The reader serves reads of the store on a thread of its own, so that a long scan or a read from disk never holds
// one of CAF's scheduler threads or the dispatch path: one job, a page of jobs, and the records the scheduler
// needs to claim jobs whose record it does not hold.

#include <caf/fwd.hpp>

#include "actors/engine_context.hpp"
#include "actors/interfaces.hpp"

namespace troupe {

reader_actor spawn_reader(caf::actor_system& sys, engine_context_ptr ctx, bool detached = true);

}  // namespace troupe
