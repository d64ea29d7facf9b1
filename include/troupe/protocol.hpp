#pragma once
// The peer protocol of a troupe node: the typed actor interface a node publishes (the gateway), the atoms and
// message types on it, and the one function that registers those types with an actor system. A C++ peer
// (troupe::client, the CLI, a worker node) and the node itself register exactly the same types, so messages
// cross the network. Protobuf messages travel as their binary serialization.

#include <cstdint>
#include <string>
#include <type_traits>
#include <vector>

#include <caf/actor.hpp>
#include <caf/atom.hpp>
#include <caf/fwd.hpp>
#include <caf/meta/load_callback.hpp>
#include <caf/meta/type_name.hpp>
#include <caf/replies_to.hpp>
#include <caf/type_id.hpp>
#include <caf/typed_actor.hpp>
#include <google/protobuf/message.h>

#include "schemas/troupe.pb.h"
#include "troupe/error.hpp"
#include "troupe/outcome.hpp"

namespace troupe {

using job_id = uint64_t;

// --- atoms (CAF 0.17 atoms: at most 10 characters) -----------------------------------------------------------
using submit_atom = caf::atom_constant<caf::atom("submit")>;
using get_job_atom = caf::atom_constant<caf::atom("getjob")>;
using list_atom = caf::atom_constant<caf::atom("list")>;
using cancel_atom = caf::atom_constant<caf::atom("cancel")>;
using await_atom = caf::atom_constant<caf::atom("await")>;
using status_atom = caf::atom_constant<caf::atom("status")>;
using plan_atom = caf::atom_constant<caf::atom("plan")>;
using batch_atom = caf::atom_constant<caf::atom("batch")>;
using control_atom = caf::atom_constant<caf::atom("control")>;
using queues_atom = caf::atom_constant<caf::atom("queues")>;
using cron_atom = caf::atom_constant<caf::atom("cron")>;
using users_atom = caf::atom_constant<caf::atom("users")>;
using metrics_atom = caf::atom_constant<caf::atom("metrics")>;
using prometheus_atom = caf::atom_constant<caf::atom("prom")>;
using alerts_atom = caf::atom_constant<caf::atom("alerts")>;
using dashboard_atom = caf::atom_constant<caf::atom("dashboard")>;
using join_atom = caf::atom_constant<caf::atom("join")>;
using workers_atom = caf::atom_constant<caf::atom("workers")>;

// The node's trusted in-process interface: every request acts with full rights (as an admin). Programs that embed
// a node (troupe/node.hpp) use it; peers never see it.
using gateway_actor = caf::typed_actor<
    // Submits jobs, all or nothing; replies with their ids in order once they are durable.
    caf::replies_to<submit_atom, std::vector<JobSpec>>::with<std::vector<job_id>>,
    // One job's record.
    caf::replies_to<get_job_atom, job_id>::with<Job>,
    // A page of jobs matching a query.
    caf::replies_to<list_atom, JobQuery>::with<JobPage>,
    // Cancels a job: a queued job ends CANCELLED at once, a running one is stopped first. Replies with the job.
    caf::replies_to<cancel_atom, job_id>::with<Job>,
    // Replies when every job is terminal, with their records (same order).
    caf::replies_to<await_atom, std::vector<job_id>>::with<std::vector<Job>>,
    // The node's live status.
    caf::replies_to<status_atom>::with<NodeStatus>,
    // A job's execution plan: its ancestors and descendants, a topological order, the critical path.
    caf::replies_to<plan_atom, job_id>::with<ExecutionPlan>,
    // A batch's progress.
    caf::replies_to<batch_atom, std::string>::with<BatchSummary>,
    // An operator's action on a job; replies with the job once its new state is durable.
    caf::replies_to<control_atom, JobControl>::with<Job>,
    // Lists, pauses or resumes queues and the runner; replies with the queues once the change is durable.
    caf::replies_to<queues_atom, QueueControl>::with<QueueList>,
    // Adds, lists, pauses, resumes or deletes cron schedules; replies with the schedules concerned once the change
    // is durable.
    caf::replies_to<cron_atom, CronControl>::with<CronList>>;

// The node's public interface, published on its listen address and used by the HTTP API: the requests of
// gateway_actor, each with the caller's API token ("NAME.SECRET") right after the atom. A request without a
// valid token fails with ec::unauthenticated; one the caller's role does not allow with ec::forbidden; another
// user's job is ec::unknown_job, as if it did not exist (actors/access.hpp has the rules).
using access_actor = caf::typed_actor<
    caf::replies_to<submit_atom, std::string, std::vector<JobSpec>>::with<std::vector<job_id>>,
    caf::replies_to<get_job_atom, std::string, job_id>::with<Job>,
    caf::replies_to<list_atom, std::string, JobQuery>::with<JobPage>,
    caf::replies_to<cancel_atom, std::string, job_id>::with<Job>,
    caf::replies_to<await_atom, std::string, std::vector<job_id>>::with<std::vector<Job>>,
    caf::replies_to<status_atom, std::string>::with<NodeStatus>,
    caf::replies_to<plan_atom, std::string, job_id>::with<ExecutionPlan>,
    caf::replies_to<batch_atom, std::string, std::string>::with<BatchSummary>,
    caf::replies_to<control_atom, std::string, JobControl>::with<Job>,
    caf::replies_to<queues_atom, std::string, QueueControl>::with<QueueList>,
    caf::replies_to<cron_atom, std::string, CronControl>::with<CronList>,
    // Adds, lists or revokes users (admins), or tells the caller who it is (WHOAMI, anyone).
    caf::replies_to<users_atom, std::string, UserControl>::with<UserList>,
    // The metrics history (admins and read-only users): the named series between two times.
    caf::replies_to<metrics_atom, std::string, MetricsQuery>::with<SeriesSet>,
    // The node's metrics in the Prometheus text exposition format 0.0.4 (admins and read-only users).
    caf::replies_to<prometheus_atom, std::string>::with<std::string>,
    // Active and recent alerts and the health score (anyone); ACKNOWLEDGE, SILENCE, UNSILENCE: admins.
    caf::replies_to<alerts_atom, std::string, AlertControl>::with<AlertList>,
    // What the dashboard shows: status, health, active alerts, the charts' recent series, the caller's role.
    caf::replies_to<dashboard_atom, std::string>::with<Dashboard>,
    // The worker nodes: joined ones with their kinds, slots, running jobs and last heartbeat, and those lost or
    // left recently (admins and read-only users).
    caf::replies_to<workers_atom, std::string>::with<WorkerList>,
    // A worker node joins (troupe/worker.hpp): no token, the cluster secret is in the request. `worker` is the
    // worker's own actor. Replies with the welcome and the handle of the node's scaling actor, through which the
    // worker offers its slots and reports; a wrong secret fails with ec::unauthenticated (and is logged).
    caf::replies_to<join_atom, WorkerJoin, caf::actor>::with<WorkerWelcome, caf::actor>>;

// CAF inspection for every generated Protobuf message: its binary serialization as one string field.
template <class Inspector, class T>
std::enable_if_t<std::is_base_of_v<google::protobuf::Message, T>, typename Inspector::result_type>
inspect(Inspector& f, T& x) {
  std::string bytes;
  if constexpr (Inspector::reads_state) x.SerializeToString(&bytes);
  auto parse = caf::meta::load_callback([&]() -> caf::error {
    if (!x.ParseFromString(bytes))
      return make_error(ec::invalid_argument, "malformed " + T::descriptor()->full_name() + " message");
    return caf::none;
  });
  return f(caf::meta::type_name(T::descriptor()->full_name().c_str()), bytes, parse);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, outcome& x) {
  return f(caf::meta::type_name("troupe::outcome"), x.code, x.permanent, x.exit_code, x.signal, x.max_rss_kb,
           x.cpu_ms, x.output, x.error);
}

// Registers every troupe message type and the troupe error category. Call on the config of every actor system
// that talks to troupe (nodes, workers, clients) before constructing the system.
void register_types(caf::actor_system_config& cfg);

}  // namespace troupe

CAF_BEGIN_TYPE_ID_BLOCK(troupe, caf::first_custom_type_id)
  CAF_ADD_TYPE_ID(troupe, (troupe::JobSpec))
  CAF_ADD_TYPE_ID(troupe, (troupe::Job))
  CAF_ADD_TYPE_ID(troupe, (troupe::JobQuery))
  CAF_ADD_TYPE_ID(troupe, (troupe::JobPage))
  CAF_ADD_TYPE_ID(troupe, (troupe::NodeStatus))
  CAF_ADD_TYPE_ID(troupe, (troupe::Lease))
  CAF_ADD_TYPE_ID(troupe, (troupe::outcome))
  CAF_ADD_TYPE_ID(troupe, (std::vector<troupe::JobSpec>))
  CAF_ADD_TYPE_ID(troupe, (std::vector<troupe::Job>))
  CAF_ADD_TYPE_ID(troupe, (std::vector<uint64_t>))
  CAF_ADD_TYPE_ID(troupe, (troupe::ExecutionPlan))
  CAF_ADD_TYPE_ID(troupe, (troupe::BatchSummary))
  CAF_ADD_TYPE_ID(troupe, (troupe::JobControl))
  CAF_ADD_TYPE_ID(troupe, (troupe::QueueControl))
  CAF_ADD_TYPE_ID(troupe, (troupe::QueueList))
  CAF_ADD_TYPE_ID(troupe, (troupe::CronControl))
  CAF_ADD_TYPE_ID(troupe, (troupe::CronList))
  CAF_ADD_TYPE_ID(troupe, (troupe::UserControl))
  CAF_ADD_TYPE_ID(troupe, (troupe::UserList))
  CAF_ADD_TYPE_ID(troupe, (troupe::MetricsQuery))
  CAF_ADD_TYPE_ID(troupe, (troupe::SeriesSet))
  CAF_ADD_TYPE_ID(troupe, (troupe::AlertControl))
  CAF_ADD_TYPE_ID(troupe, (troupe::AlertList))
  CAF_ADD_TYPE_ID(troupe, (troupe::Dashboard))
  CAF_ADD_TYPE_ID(troupe, (troupe::WorkerJoin))
  CAF_ADD_TYPE_ID(troupe, (troupe::WorkerWelcome))
  CAF_ADD_TYPE_ID(troupe, (troupe::WorkerList))
CAF_END_TYPE_ID_BLOCK(troupe)
