#pragma once
// A slot: a long-lived actor that runs one attempt at a time through the job's kind (see troupe/kind.hpp) and
// answers the scheduler's run request with the attempt's outcome and run time.
//
// - An unknown kind, or a kind that throws from start(), fails the attempt; nothing a kind does stops the slot.
// - The slot enforces the job's timeout (attempt_timeout, capped by the kind's max_timeout): when it passes, the
//   kind is stopped (exec kills the process group) and the run request is answered with a `timed_out` outcome.
//   A finish() that comes later is ignored.
// - stop(job, attempt) ends the running attempt the same way with a `cancelled` outcome.
// - Timers: at most one pending timeout check per distinct deadline that was ever the earliest, so a stream of
//   short jobs with long timeouts does not pile up timers.

#include <caf/fwd.hpp>

#include "actors/engine_context.hpp"
#include "actors/interfaces.hpp"

namespace troupe {

slot_actor spawn_slot(caf::actor_system& sys, engine_context_ptr ctx, uint32_t index);

}  // namespace troupe
