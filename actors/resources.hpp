#pragma once
// The resource manager: every resourceIntervalMs it
// - samples the node process's memory (RSS, /proc/self) against maxMemoryMB and runs memory-aware admission
//   (actors/memory_admission.hpp): at memoryThreshold % the scheduler stops claiming new jobs, and resumes once use
//   falls memoryHysteresisPercent points below it. The memory_pressure and admission_held alerts follow from the
//   metrics samples;
// - with adaptiveThrottling, takes what each pool ran in the interval (the scheduler's PoolLoads), feeds each
//   pool's controller (actors/adaptive_limit.hpp) and sends the scheduler every new limit with its reason.
// What it decided lives where it is enforced, in the scheduler (status: admission, pools; metrics).

#include <caf/fwd.hpp>

#include "actors/engine_context.hpp"
#include "actors/interfaces.hpp"

namespace troupe {

using resource_actor = caf::typed_actor<
    // Its clock.
    caf::reacts_to<tick_atom>,
    // From the supervisor: the scheduler after an engine restart (admission and limits are sent to it again).
    caf::reacts_to<engine_atom, scheduler_actor>>;

resource_actor spawn_resources(caf::actor_system& sys, engine_context_ptr ctx, scheduler_actor scheduler);

}  // namespace troupe
