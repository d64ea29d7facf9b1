#pragma once
// The reader serves reads of the store (one job, a page of jobs) on a thread of its own, so that a long scan never
// holds one of CAF's scheduler threads or the dispatch path.

#include <caf/fwd.hpp>

#include "actors/engine_context.hpp"
#include "actors/interfaces.hpp"

namespace troupe {

using reader_actor = caf::typed_actor<caf::replies_to<get_job_atom, job_id>::with<Job>,
                                      caf::replies_to<list_atom, JobQuery>::with<JobPage>>;

reader_actor spawn_reader(caf::actor_system& sys, engine_context_ptr ctx, bool detached = true);

}  // namespace troupe
