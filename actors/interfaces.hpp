#pragma once
// The typed interfaces of a node's internal actors and the message types they exchange, in one place. Every
// type here is registered (register_internal_types) with the same id block on every node, so pools on worker
// nodes can speak them over the network.
//
//   gateway ──▶ scheduler ──commit (write_batch)──▶ journal ──▶ RocksDB
//                  │  ▲  ◀──load (records not cached)── reader ◀── RocksDB
//             run  ▼  │ job + outcome
//                 slots (in pools)
//
// Invariant between scheduler and journal: the scheduler has at most one change in flight per job, and acts on a
// job's new state only after the journal acknowledged it as durable. So whenever the scheduler reads a job it is
// about to change (from its cache of queued records, or from the store), it reads the job's latest record.

#include <cstdint>
#include <string>
#include <vector>

#include "actors/dependency_graph.hpp"
#include "caf/allowed_unsafe_message_type.hpp"
#include "storage/write_batch.hpp"
#include "troupe/protocol.hpp"

namespace troupe {

// --- atoms ---------------------------------------------------------------------------------------------------
using commit_atom = caf::atom_constant<caf::atom("commit")>;
using load_atom = caf::atom_constant<caf::atom("load")>;
using expire_atom = caf::atom_constant<caf::atom("expire")>;
using run_atom = caf::atom_constant<caf::atom("run")>;
using stop_atom = caf::atom_constant<caf::atom("stop")>;
using finished_atom = caf::atom_constant<caf::atom("finished")>;
using timeout_atom = caf::atom_constant<caf::atom("timeout")>;
using slots_atom = caf::atom_constant<caf::atom("slots")>;
using drain_atom = caf::atom_constant<caf::atom("drain")>;
using hand_back_atom = caf::atom_constant<caf::atom("handback")>;
using flush_atom = caf::atom_constant<caf::atom("flush")>;
using dispatch_atom = caf::atom_constant<caf::atom("dispatch")>;
using tick_atom = caf::atom_constant<caf::atom("tick")>;
using ok_atom = caf::atom_constant<caf::atom("ok")>;
using reader_atom = caf::atom_constant<caf::atom("reader")>;
using deps_atom = caf::atom_constant<caf::atom("deps")>;
using due_atom = caf::atom_constant<caf::atom("due")>;
using cleanup_atom = caf::atom_constant<caf::atom("cleanup")>;
using refill_atom = caf::atom_constant<caf::atom("refill")>;
using cron_tick_atom = caf::atom_constant<caf::atom("crontick")>;
using usage_atom = caf::atom_constant<caf::atom("usage")>;
using sample_atom = caf::atom_constant<caf::atom("sample")>;

// --- journal ---------------------------------------------------------------------------------------------------

// The one writer of the store: group commit of everything that reaches it while the previous commit runs.
// write_batch never leaves its node: it is a local-only message type (see CAF_ALLOW_UNSAFE_MESSAGE_TYPE below).
using journal_actor = caf::typed_actor<
    // Writes a batch; replies once it is durable.
    caf::replies_to<commit_atom, storage::write_batch>::with<ok_atom>,
    // Deletes finished jobs listed by job_store::expired at the given history generation (and readied by
    // prepare_expiry), if they are still in the history; replies with how many were deleted.
    caf::replies_to<expire_atom, std::vector<storage::history_entry>, uint64_t>::with<uint64_t>,
    // Internal: commits what has accumulated.
    caf::reacts_to<flush_atom>>;

// --- reader ----------------------------------------------------------------------------------------------------

// Reads of the store on a thread of its own (actors/reader.hpp).
using reader_actor = caf::typed_actor<
    caf::replies_to<get_job_atom, job_id>::with<Job>,
    caf::replies_to<list_atom, JobQuery>::with<JobPage>,
    caf::replies_to<plan_atom, job_id>::with<ExecutionPlan>,
    caf::replies_to<batch_atom, std::string>::with<BatchSummary>,
    // The finished jobs a cleanup (QueueControl::CLEANUP) deletes, readied for the journal, and the history's
    // generation at the time of the listing.
    caf::replies_to<cleanup_atom, QueueControl>::with<std::vector<storage::history_entry>, uint64_t>,
    // The records of these jobs, in order; a job that does not exist comes back with only its id (PENDING).
    caf::replies_to<load_atom, std::vector<job_id>>::with<std::vector<Job>>>;

// --- dependency manager --------------------------------------------------------------------------------------

// What the scheduler tells the dependency manager, in commit order, once it is durable: a job was stored BLOCKED
// (state BLOCKED), a job of a batch was stored (a non-terminal state), or a job ended (a terminal state).
struct dependency_event {
  job_id id = 0;
  Job::State state = Job::PENDING;
  std::string batch;
};

// Keeps the dependency graph of BLOCKED jobs (actors/dependency.hpp); answers each report with what to release
// or cancel now. Reads the store (records of new BLOCKED jobs, their parents, batch members) on its own thread.
using dependency_actor = caf::typed_actor<
    caf::replies_to<deps_atom, std::vector<dependency_event>>::with<std::vector<dependency_decision>>>;

// --- slots -----------------------------------------------------------------------------------------------------

// One slot of a pool: runs one attempt at a time and answers the run request with the job's record (handed back,
// so that nobody holds a copy while it runs), the attempt's outcome and its run time (microseconds). Enforces the
// job's timeout itself.
using slot_actor = caf::typed_actor<
    caf::replies_to<run_atom, Job>::with<Job, outcome, int64_t>,
    // Stops the attempt (job id, attempt) if it is the one running; the run request is then answered with a
    // `cancelled` outcome.
    caf::reacts_to<stop_atom, job_id, uint32_t>,
    // Internal: the kind finished attempt `token`; a timer for timeouts fired.
    caf::reacts_to<finished_atom, uint64_t, outcome>,
    caf::reacts_to<timeout_atom>>;

// --- scheduler ---------------------------------------------------------------------------------------------------

// Owns dispatch: ready lanes, free slots, running jobs and their leases.
using scheduler_actor = caf::typed_actor<
    caf::replies_to<submit_atom, std::vector<JobSpec>>::with<std::vector<job_id>>,
    caf::replies_to<cancel_atom, job_id>::with<Job>,
    caf::replies_to<await_atom, std::vector<job_id>>::with<std::vector<Job>>,
    caf::replies_to<status_atom>::with<NodeStatus>,
    caf::replies_to<control_atom, JobControl>::with<Job>,
    caf::replies_to<queues_atom, QueueControl>::with<QueueList>,
    caf::replies_to<cron_atom, CronControl>::with<CronList>,
    // A user's usage: its unfinished jobs and their payload bytes (accepted ones not yet durable included), its
    // running jobs, and its quotas in force (maxQueuedPerUser, maxPayloadMBPerUser in bytes; 0: none).
    caf::replies_to<usage_atom, std::string>::with<UserUsage>,
    // What it counted since it started (actors/metrics_recorder.hpp), for the metrics actor.
    caf::replies_to<metrics_atom>::with<SchedulerSample>,
    // A pool offers its slots (pool name, slots). Slots stay until they die or the pool leaves.
    caf::reacts_to<slots_atom, std::string, std::vector<slot_actor>>,
    // Stops claiming; replies when nothing runs and everything is durable.
    caf::replies_to<drain_atom>::with<ok_atom>,
    // Stops every running attempt and hands its job back to READY without counting the attempt.
    caf::reacts_to<hand_back_atom>,
    // The reader to load records from (after the supervisor restarted it).
    caf::reacts_to<reader_atom, reader_actor>,
    // Internal: write what accumulated; continue dispatching after a full turn; scheduled jobs came due.
    caf::reacts_to<flush_atom>, caf::reacts_to<dispatch_atom>, caf::reacts_to<due_atom>,
    // Internal: a rate limit's bucket has a token again; a cron schedule's occurrence came.
    caf::reacts_to<refill_atom>, caf::reacts_to<cron_tick_atom>>;

// --- metrics and alerts (docs/metrics.md) --------------------------------------------------------------------

// Decides what an alert is, from each sample the metrics actor makes: evaluates the rules, keeps active and recent
// alerts (meta "alert:"), sends webhooks, computes the health score (actors/alerts.hpp).
using alert_actor = caf::typed_actor<
    // A new sample: evaluate the rules; replies with the active alerts and the health score after it.
    caf::replies_to<sample_atom, MetricsSample>::with<AlertList>,
    // LIST (active, recent, health), ACKNOWLEDGE, SILENCE, UNSILENCE (`by` set by the caller).
    caf::replies_to<alerts_atom, AlertControl>::with<AlertList>>;

// Samples the node every metricsIntervalMs (the scheduler's counters, /proc), keeps windows in memory and the
// history in RocksDB, feeds the alert actor, and answers queries (actors/metrics.hpp).
using metrics_actor = caf::typed_actor<
    caf::replies_to<metrics_atom, MetricsQuery>::with<SeriesSet>,
    caf::replies_to<prometheus_atom>::with<std::string>,
    // The newest sample and the last minutes of the charts' series (1 s points), for the dashboard.
    caf::replies_to<dashboard_atom>::with<Dashboard>,
    caf::reacts_to<tick_atom>>;

// --- inspection --------------------------------------------------------------------------------------------------

namespace storage {

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, history_entry& x) {
  return f(caf::meta::type_name("troupe::storage::history_entry"), x.id, x.finished_at, x.has_relations, x.parents,
           x.batch, x.batch_callback, x.user, x.idempotency_key);
}

}  // namespace storage

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, dependency_event& x) {
  return f(caf::meta::type_name("troupe::dependency_event"), x.id, x.state, x.batch);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, dependency_decision& x) {
  return f(caf::meta::type_name("troupe::dependency_decision"), x.id, x.release, x.reason);
}

// Registers the internal types (after register_types). Nodes and workers call it; clients need not.
void register_internal_types(caf::actor_system_config& cfg);

}  // namespace troupe

// The journal's batches stay on their node: passed by move, never serialized.
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(troupe::storage::write_batch)

CAF_BEGIN_TYPE_ID_BLOCK(troupe_internal, caf::first_custom_type_id + 100)
  CAF_ADD_TYPE_ID(troupe_internal, (troupe::storage::history_entry))
  CAF_ADD_TYPE_ID(troupe_internal, (std::vector<troupe::storage::history_entry>))
  CAF_ADD_TYPE_ID(troupe_internal, (troupe::slot_actor))
  CAF_ADD_TYPE_ID(troupe_internal, (std::vector<troupe::slot_actor>))
  CAF_ADD_TYPE_ID(troupe_internal, (troupe::dependency_event))
  CAF_ADD_TYPE_ID(troupe_internal, (std::vector<troupe::dependency_event>))
  CAF_ADD_TYPE_ID(troupe_internal, (troupe::dependency_decision))
  CAF_ADD_TYPE_ID(troupe_internal, (std::vector<troupe::dependency_decision>))
  CAF_ADD_TYPE_ID(troupe_internal, (troupe::UserUsage))
  CAF_ADD_TYPE_ID(troupe_internal, (troupe::SchedulerSample))
  CAF_ADD_TYPE_ID(troupe_internal, (troupe::MetricsSample))
CAF_END_TYPE_ID_BLOCK(troupe_internal)
