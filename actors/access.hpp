#pragma once
// The access actor: the node's public interface (troupe/protocol.hpp's access_actor), published to peers and
// called by the HTTP API. It authenticates each request by its token (actors/users.hpp), applies the caller's
// rights, and forwards what is allowed to the gateway, which validates and runs it. The one place of the rules:
//
//   anyone with a valid token      reads: status (with health and active alerts), alerts, the dashboard, its
//                                  own jobs (get, list, plan, await, batch), queue listings and their history,
//                                  its own cron schedules, WHOAMI
//   role user                      also submits jobs as itself, cancels and controls its own jobs, and adds,
//                                  pauses, resumes and deletes its own cron schedules; raw exec only if the role
//                                  is in execRoles (default: admins only) — command kinds are for everyone
//   role admin                     everything: every user's jobs, submitting as another user, queue and runner
//                                  controls, cleanup, users
//   role read-only                 reads only, the node's metrics and workers included (admins too; users may not)
//   no token                       a worker node's join, which carries the cluster secret instead (actors/scaling.hpp)
//
// A job belongs to JobSpec.user, which a submit sets to the caller's name when empty. Another user's job is
// answered as an unknown job (ec::unknown_job, the same message as a deleted one), so ids do not leak whose they
// are. A non-admin's status has scope "user": the node's identity and the caller's own usage, no node-wide counts.
// Who asks is recorded by the authenticated name (JobControl.by, QueueControl.by, CronControl.by are replaced).
// Users are kept in memory and in the store; adding or revoking one writes synchronously (the actor runs
// detached in a node, so the write blocks no one else).

#include <caf/fwd.hpp>

#include "actors/engine_context.hpp"
#include "actors/gateway.hpp"

namespace troupe {

// The node's observers the access actor forwards to; metrics and alerts are null when metricsEnabled is false
// (their requests then fail with ec::unavailable). `scaling` keeps the worker registry (joins go to it).
struct observers {
  metrics_actor metrics = {};
  alert_actor alerts = {};
  scaling_actor scaling = {};
};

// `detached`: run on a thread of its own (false only under CAF's test coordinator). Fails if the stored users
// cannot be read.
caf::expected<access_actor> spawn_access(caf::actor_system& sys, engine_context_ptr ctx,
                                         gateway_internal_actor gateway, observers obs, bool detached);

}  // namespace troupe
