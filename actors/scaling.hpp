#pragma once
// The scaling actor: the registry of worker nodes (docs/cluster.md).
//
// - Join: a worker presents the cluster secret (clusterSecret; compared in constant time). A node without a secret
//   takes no workers; a wrong secret is refused with ec::unauthenticated and logged with the worker's name, host
//   and pid. A join under the name of a worker still registered replaces it: its jobs go back to READY, and the
//   old agent, if it still runs, is ended with ec::conflict.
// - Slots: the worker offers its slots after the join (and each slot that was busy across a lost connection once
//   it is free); they become the pool named after the worker, running the worker's kinds, on the scheduler.
// - Failure detection: the registry monitors the worker's agent. CAF's middleman heartbeat (heartbeatIntervalMs)
//   and connection timeout (peerTimeoutMs) turn a killed worker (closed socket) and a hung one (silent socket)
//   into a down message; the worker is then LOST and its pool leaves the scheduler, whose running jobs go back to
//   READY at once with the attempt counted.
// - Drain and leave: a draining worker's pool takes no new jobs; at its grace deadline its jobs are handed back
//   (attempt not counted); it leaves once idle.
// - Reports: results a worker kept while it had lost the node are passed to the scheduler (applied only under a
//   lease the job's record still holds).
// - After an engine restart the supervisor hands over the new scheduler; registered workers are asked to rejoin.
// Lost and left workers are listed for a while (the latest 100).
// It also runs the scaling manager (actors/scaling_manager.hpp): a decision every scalingIntervalMs (0, for tests
// only: none).

#include <caf/fwd.hpp>

#include "actors/engine_context.hpp"
#include "actors/interfaces.hpp"

namespace troupe {

scaling_actor spawn_scaling(caf::actor_system& sys, engine_context_ptr ctx, pool_scheduler_actor scheduler);

}  // namespace troupe
