#pragma once
// Read-only views over the relations between jobs, computed from the store: a job's execution plan (its
// ancestors and descendants through dependency edges) and a batch's progress. Iterative throughout (no
// recursion), linear in the jobs and edges they visit.

#include <cstddef>
#include <string_view>

#include "schemas/troupe.pb.h"
#include "storage/store.hpp"

namespace troupe::storage {

// Most jobs an execution plan shows; beyond it the plan is marked truncated.
constexpr size_t max_plan_steps = 10'000;

// Job `id`'s ancestors, itself and its descendants in a topological order (parents before children), each with
// its level, and the longest dependency chain through the job. not_found if the job does not exist.
status execution_plan(const job_store& store, uint64_t id, size_t limit, ExecutionPlan* out);

// Whether a job that is not terminal depends on `parent`.
status has_unfinished_child(const job_store& store, uint64_t parent, bool* out);

// Readies finished jobs listed by job_store::expired for deletion: fills each entry's relations from the job's
// record, and drops the entries of jobs that an unfinished job depends on (retention keeps those, so that the
// dependency manager can always read how a BLOCKED job's parents ended).
status prepare_expiry(const job_store& store, std::vector<history_entry>* entries);

// How many of a batch's jobs are in each state, the batch's state and its callbacks. not_found if the batch has
// no jobs.
status batch_summary(const job_store& store, std::string_view batch, BatchSummary* out);

}  // namespace troupe::storage
