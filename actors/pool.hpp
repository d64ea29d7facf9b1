#pragma once
// A pool: a fixed number of long-lived slot actors offered to a scheduler. The pool monitors its slots and
// replaces one that stops (the scheduler, which monitors slots too, fails the attempt it was running); when the
// pool ends, it stops its slots. A node's local pool and, later, a worker node's pool are the same thing.

#include <string>

#include <caf/fwd.hpp>

#include "actors/engine_context.hpp"
#include "actors/interfaces.hpp"

namespace troupe {

// Answers how many slots it has. Ends, stopping its slots, on an exit message.
using pool_actor = caf::typed_actor<caf::replies_to<status_atom>::with<uint32_t>>;

pool_actor spawn_pool(caf::actor_system& sys, engine_context_ptr ctx, scheduler_actor scheduler, std::string name,
                      uint32_t slots);

}  // namespace troupe
