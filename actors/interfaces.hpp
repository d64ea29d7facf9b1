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
using leave_atom = caf::atom_constant<caf::atom("leave")>;
using report_atom = caf::atom_constant<caf::atom("report")>;
using beat_atom = caf::atom_constant<caf::atom("beat")>;
using rejoin_atom = caf::atom_constant<caf::atom("rejoin")>;
using engine_atom = caf::atom_constant<caf::atom("engine")>;
using admission_atom = caf::atom_constant<caf::atom("admission")>;
using limit_atom = caf::atom_constant<caf::atom("limit")>;
using pool_load_atom = caf::atom_constant<caf::atom("poolload")>;
using listen_atom = caf::atom_constant<caf::atom("listen")>;

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

// --- pools and the cluster (docs/cluster.md) ----------------------------------------------------------------------

// What a pool offers with its slots: its name (unique on the node), the kinds its slots run, and whether it is a
// worker node's (remote: losing it requeues its jobs with the attempt counted; it may be drained and leave).
struct pool_offer {
  std::string pool;
  std::vector<std::string> kinds;
  bool remote = false;
};

// The result of an attempt as a worker reports it after it had lost the scheduling node: the record it ran
// (with the attempt's lease), the outcome and the run time in microseconds. Applied only while the job's record
// still holds that lease (lifecycle::resume_reported); stale otherwise.
struct attempt_report {
  Job job;
  outcome result;
  int64_t duration = 0;
};

// The scheduler's side of pools, as the scaling actor (which keeps the worker registry) uses it.
using pool_scheduler_actor = caf::typed_actor<
    // A pool offers slots (more of them, for a pool it offered before). Slots stay until they die or the pool
    // leaves; the pool's kinds are those of its first offer.
    caf::reacts_to<slots_atom, pool_offer, std::vector<slot_actor>>,
    // The node's status (the scaling manager decides from its queue depth and counters).
    caf::replies_to<status_atom>::with<NodeStatus>,
    // The pool takes no new jobs from now on (a worker drains).
    caf::reacts_to<drain_atom, std::string>,
    // Stops the pool's running attempts and hands their jobs back to READY without counting the attempt (a
    // draining worker's grace period is over).
    caf::reacts_to<hand_back_atom, std::string>,
    // The pool is gone (pool, why): its jobs still running go back to READY at once with the attempt counted (a
    // lost worker), and its slots are forgotten. Replies with how many of its jobs went back to READY because it
    // was lost (those its slots' down messages sent back before included).
    caf::replies_to<leave_atom, std::string, std::string>::with<uint32_t>,
    // Results kept by a worker while it had lost this node; replies with how many were applied (the others were
    // stale: their job was requeued, or claimed again, meanwhile).
    caf::replies_to<report_atom, std::vector<attempt_report>>::with<uint32_t>,
    // Every pool: name, kinds, slots, busy slots (WorkerInfo's fields the scheduler knows).
    caf::replies_to<workers_atom>::with<WorkerList>>;

// --- scheduler ---------------------------------------------------------------------------------------------------

// Owns dispatch: ready lanes, free slots, running jobs and their leases; and pools (pool_scheduler_actor).
using scheduler_actor = pool_scheduler_actor::extend<
    caf::replies_to<submit_atom, std::vector<JobSpec>>::with<std::vector<job_id>>,
    caf::replies_to<cancel_atom, job_id>::with<Job>,
    caf::replies_to<await_atom, std::vector<job_id>>::with<std::vector<Job>>,
    caf::replies_to<control_atom, JobControl>::with<Job>,
    caf::replies_to<queues_atom, QueueControl>::with<QueueList>,
    caf::replies_to<cron_atom, CronControl>::with<CronList>,
    // A user's usage: its unfinished jobs and their payload bytes (accepted ones not yet durable included), its
    // running jobs, and its quotas in force (maxQueuedPerUser, maxPayloadMBPerUser in bytes; 0: none).
    caf::replies_to<usage_atom, std::string>::with<UserUsage>,
    // What it counted since it started (actors/metrics_recorder.hpp), for the metrics actor.
    caf::replies_to<metrics_atom>::with<SchedulerSample>,
    // From the resource manager: hold (true) or resume admission of new jobs, with memory as a percent of
    // maxMemoryMB and the reason (a resume while not held: memory is under the resume level); set a pool's
    // concurrency limit (pool, limit >= 1, reason); what each pool ran so far.
    caf::reacts_to<admission_atom, bool, double, std::string>,
    caf::reacts_to<limit_atom, std::string, uint32_t, std::string>,
    caf::replies_to<pool_load_atom>::with<PoolLoads>,
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

// The registry of worker nodes (actors/scaling.hpp): admits workers that present the cluster secret, offers
// their slots to the scheduler, watches them (CAF's heartbeat and connection timeout; a lost worker's jobs go
// back to READY), drains and forgets them when they leave. Workers reach it through the handle the join returns.
using scaling_actor = caf::typed_actor<
    // From the access actor: a worker asks to join (its request, its agent). Replies with the welcome and this
    // actor's handle; a wrong secret fails with ec::unauthenticated.
    caf::replies_to<join_atom, WorkerJoin, caf::actor>::with<WorkerWelcome, caf::actor>,
    // From a worker: slots it offers (worker name, slots): at join, and each one that becomes free again after
    // it ran an attempt across a lost connection.
    caf::reacts_to<slots_atom, std::string, std::vector<slot_actor>>,
    // From a worker, every heartbeat.
    caf::reacts_to<beat_atom, WorkerBeat>,
    // From a worker: results it kept while it had lost the node (worker name, results); replies with how many
    // were applied.
    caf::replies_to<report_atom, std::string, std::vector<attempt_report>>::with<uint32_t>,
    // From a worker: it drains (no new jobs), its grace is over (hand its jobs back), it leaves.
    caf::reacts_to<drain_atom, std::string>, caf::reacts_to<hand_back_atom, std::string>,
    caf::replies_to<leave_atom, std::string>::with<ok_atom>,
    // The workers (troupe workers, status), with the scaling manager's status.
    caf::replies_to<workers_atom>::with<WorkerList>,
    // The scaling manager's status (desired count, last decision), for the metrics actor.
    caf::replies_to<status_atom>::with<ScalingStatus>,
    // From the node, once it published: where workers join (the scaling manager's local mode starts them).
    caf::reacts_to<listen_atom, std::string>,
    // The scaling manager's clock: a decision every scalingIntervalMs.
    caf::reacts_to<tick_atom>,
    // From the supervisor: the scheduler after an engine restart (workers rejoin it).
    caf::reacts_to<engine_atom, pool_scheduler_actor>>;

// --- inspection --------------------------------------------------------------------------------------------------

namespace storage {

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, history_entry& x) {
  return f(caf::meta::type_name("troupe::storage::history_entry"), x.id, x.finished_at, x.has_relations, x.parents,
           x.batch, x.batch_callback, x.user, x.idempotency_key);
}

}  // namespace storage

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, pool_offer& x) {
  return f(caf::meta::type_name("troupe::pool_offer"), x.pool, x.kinds, x.remote);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, attempt_report& x) {
  return f(caf::meta::type_name("troupe::attempt_report"), x.job, x.result, x.duration);
}

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
  CAF_ADD_TYPE_ID(troupe_internal, (troupe::pool_offer))
  CAF_ADD_TYPE_ID(troupe_internal, (troupe::attempt_report))
  CAF_ADD_TYPE_ID(troupe_internal, (std::vector<troupe::attempt_report>))
  CAF_ADD_TYPE_ID(troupe_internal, (troupe::WorkerBeat))
  CAF_ADD_TYPE_ID(troupe_internal, (troupe::pool_scheduler_actor))
  CAF_ADD_TYPE_ID(troupe_internal, (troupe::PoolLoads))
  CAF_ADD_TYPE_ID(troupe_internal, (troupe::ScalingStatus))
CAF_END_TYPE_ID_BLOCK(troupe_internal)
