#pragma once
// The scheduler owns dispatch on a node. It keeps the ready queue (priority lanes of job ids, rebuilt from the
// store when it starts), the free slots of every pool, and the lease of every running job.
//
// - submit: assigns ids, has the journal store the jobs, answers with the ids once they are durable, and only
//   then queues them.
// - dispatch: pops up to batchClaimSize jobs per claim (at most maxJobsPerRun per turn) for free slots, has the
//   journal mark them RUNNING (the attempt is counted before it runs), then sends each to its slot.
// - outcomes: a slot's answer carries the attempt; an answer for another attempt than the job's current one is
//   stale and ignored. The job's next state follows schemas/lifecycle; results are written in batches (one commit
//   per turn), and retried jobs are queued again once their record is durable.
// - cancel: a queued job is cancelled through the journal; a running one is stopped in its slot first.
// - drain/hand back: for shutdown (see supervisor).
// It never blocks on writes; the only storage reads it makes itself are for await/cancel of jobs it does not hold.

#include <caf/fwd.hpp>

#include "actors/engine_context.hpp"
#include "actors/interfaces.hpp"

namespace troupe {

scheduler_actor spawn_scheduler(caf::actor_system& sys, engine_context_ptr ctx, journal_actor journal);

}  // namespace troupe
