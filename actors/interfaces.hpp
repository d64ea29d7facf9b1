#pragma once
// The typed interfaces of a node's internal actors and the message types they exchange, in one place. Every
// type here is registered (register_internal_types) with the same id block on every node, so pools on worker
// nodes can speak them over the network.
//
//   gateway ──▶ scheduler ──claim/commit──▶ journal ──▶ RocksDB
//                  │  ▲
//             run  ▼  │ outcome
//                 slots (in pools)
//
// Invariant between scheduler and journal: the scheduler has at most one journal request in flight per job, and
// acts on a job's new state only after the journal acknowledged it as durable. So the journal's read-modify-write
// operations (claim, cancel) always read the job's latest durable record.

#include <cstdint>
#include <string>
#include <vector>

#include "storage/store.hpp"
#include "troupe/protocol.hpp"

namespace troupe {

// --- atoms ---------------------------------------------------------------------------------------------------
using commit_atom = caf::atom_constant<caf::atom("commit")>;
using claim_atom = caf::atom_constant<caf::atom("claim")>;
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

// --- journal messages ------------------------------------------------------------------------------------------

// A job the scheduler wants to run in a slot: the journal marks it RUNNING under `lease` if it is still READY.
struct claim_ticket {
  job_id id = 0;
  Lease lease;
};

// A changed job record with the index position it had before the change.
struct job_update {
  Job job;
  storage::job_position before;
};

// Blind writes of records the sender holds: new jobs, changed jobs, and the id counter.
struct journal_writes {
  std::vector<Job> inserts;
  std::vector<job_update> updates;
  uint64_t next_id = 0;  // 0: unchanged
  bool empty() const { return inserts.empty() && updates.empty() && next_id == 0; }
};

// The one writer of the store: group commit of everything that reaches it while the previous commit runs.
using journal_actor = caf::typed_actor<
    // Writes records; replies once durable.
    caf::replies_to<commit_atom, journal_writes>::with<ok_atom>,
    // Marks each ticket's job RUNNING (attempt counted) if it is READY; replies with the records, in ticket
    // order, once durable. A job that was not READY comes back unchanged.
    caf::replies_to<claim_atom, std::vector<claim_ticket>>::with<std::vector<Job>>,
    // Cancels a job that is not RUNNING (reason recorded); replies with the CANCELLED record once durable.
    // Errors: unknown_job, conflict (terminal or RUNNING).
    caf::replies_to<cancel_atom, job_id, std::string>::with<Job>,
    // Deletes finished jobs that are still in the history (listed by job_store::expired at the given history
    // generation); replies with how many were deleted.
    caf::replies_to<expire_atom, std::vector<storage::history_entry>, uint64_t>::with<uint64_t>,
    // Internal: commits what has accumulated.
    caf::reacts_to<flush_atom>>;

// --- slots -----------------------------------------------------------------------------------------------------

// One slot of a pool: runs one attempt at a time and answers the run request with its outcome and run time
// (microseconds). Enforces the job's timeout itself.
using slot_actor = caf::typed_actor<
    caf::replies_to<run_atom, Job>::with<outcome, int64_t>,
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
    // A pool offers its slots (pool name, slots). Slots stay until they die or the pool leaves.
    caf::reacts_to<slots_atom, std::string, std::vector<slot_actor>>,
    // Stops claiming; replies when nothing runs and everything is durable.
    caf::replies_to<drain_atom>::with<ok_atom>,
    // Stops every running attempt and hands its job back to READY without counting the attempt.
    caf::reacts_to<hand_back_atom>,
    // Internal: write what accumulated; continue dispatching after a full turn.
    caf::reacts_to<flush_atom>, caf::reacts_to<dispatch_atom>>;

// --- inspection --------------------------------------------------------------------------------------------------

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, claim_ticket& x) {
  return f(caf::meta::type_name("troupe::claim_ticket"), x.id, x.lease);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, job_update& x) {
  return f(caf::meta::type_name("troupe::job_update"), x.job, x.before);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, journal_writes& x) {
  return f(caf::meta::type_name("troupe::journal_writes"), x.inserts, x.updates, x.next_id);
}

namespace storage {

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, job_position& x) {
  return f(caf::meta::type_name("troupe::storage::job_position"), x.id, x.state, x.lane, x.ready_seq, x.run_at,
           x.finished_at);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, history_entry& x) {
  return f(caf::meta::type_name("troupe::storage::history_entry"), x.id, x.finished_at);
}

}  // namespace storage

// Registers the internal types (after register_types). Nodes and workers call it; clients need not.
void register_internal_types(caf::actor_system_config& cfg);

}  // namespace troupe

CAF_BEGIN_TYPE_ID_BLOCK(troupe_internal, caf::first_custom_type_id + 100)
  CAF_ADD_TYPE_ID(troupe_internal, (troupe::claim_ticket))
  CAF_ADD_TYPE_ID(troupe_internal, (troupe::job_update))
  CAF_ADD_TYPE_ID(troupe_internal, (troupe::journal_writes))
  CAF_ADD_TYPE_ID(troupe_internal, (troupe::storage::job_position))
  CAF_ADD_TYPE_ID(troupe_internal, (troupe::storage::history_entry))
  CAF_ADD_TYPE_ID(troupe_internal, (std::vector<troupe::claim_ticket>))
  CAF_ADD_TYPE_ID(troupe_internal, (std::vector<troupe::job_update>))
  CAF_ADD_TYPE_ID(troupe_internal, (std::vector<troupe::storage::history_entry>))
  CAF_ADD_TYPE_ID(troupe_internal, (troupe::slot_actor))
  CAF_ADD_TYPE_ID(troupe_internal, (std::vector<troupe::slot_actor>))
CAF_END_TYPE_ID_BLOCK(troupe_internal)
