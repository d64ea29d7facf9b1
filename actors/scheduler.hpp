#pragma once
// The scheduler owns dispatch on a node. It keeps the ready queue (priority lanes of job ids, rebuilt from the
// store when it starts), the free slots of every pool, and the lease of every running job.
//
// - submit: assigns ids, has the journal store the jobs, answers with the ids once they are durable, and only
//   then queues them.
// - dispatch: pops ready jobs for free slots (at most maxJobsPerRun per turn), marks them RUNNING with the attempt
//   counted, and sends each to its slot once that is durable. Records come from the queue's cache, or from the
//   reader in batches of batchClaimSize.
// - outcomes: a slot's answer carries the attempt; an answer for another attempt than the job's current one is
//   stale and ignored. The job's next state follows schemas/lifecycle; retried jobs are queued again once their
//   record is durable.
// - every change of a turn (submits, claims, results) goes to the journal in one commit.
// - cancel: a queued job is cancelled in the next commit; a running one is stopped in its slot first.
// - drain/hand back: for shutdown (see supervisor).
// - dependencies: jobs that wait (dependencies, batch callbacks) are stored BLOCKED. Once durable, they, every
//   job that ends and every job of a batch are reported to the dependency manager (while any job is BLOCKED);
//   its decisions (release, cancel) are carried out for the jobs still BLOCKED in the store.
// - quotas: counts each user's unfinished jobs and payload bytes with every change it writes (durable in the same
//   commit), refuses a submit over a user's quota whole (ec::quota_exceeded), and answers usage requests
//   (actors/scheduler_quotas.cpp).
// It never blocks on writes; the only storage reads it makes itself are for await/cancel of jobs it does not
// hold and for the jobs the dependency manager releases or cancels.

#include <caf/fwd.hpp>

#include "actors/engine_context.hpp"
#include "actors/interfaces.hpp"

namespace troupe {

scheduler_actor spawn_scheduler(caf::actor_system& sys, engine_context_ptr ctx, journal_actor journal,
                                reader_actor reader, dependency_actor deps);

}  // namespace troupe
