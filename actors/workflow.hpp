#pragma once
// The relations between the jobs of one submit request and the jobs already stored: workflow refs (`ref`,
// `after`), dependencies on stored jobs, and batch callbacks. Checked once, in the gateway, before anything is
// stored; resolved by the scheduler when it assigns the request's ids.

#include <caf/error.hpp>

#include "schemas/troupe.pb.h"
#include "storage/store.hpp"

namespace troupe {

// Most dependencies one job may name.
constexpr size_t max_dependencies_per_job = 100'000;

// Checks the relations of a request's jobs: refs are unique; `after` names refs of other jobs of the request,
// without a cycle among them; dependencies name jobs stored on this node; a batch callback names a batch that has
// jobs (stored or in the request) and is not its own batch. Drops repeated dependencies. Returns an error naming
// the job (by position and ref) and the problem, or none.
caf::error validate_relations(std::vector<JobSpec>& specs, const storage::job_store& store);

// Whether a job with this spec starts BLOCKED (it waits for dependencies or for a batch).
bool waits_for_something(const JobSpec& spec);

// Replaces each job's `after` refs by the ids they name; `ids[i]` is the id of specs[i] (a new id, or an existing
// job's when the spec is a duplicate of a unique job). REQUIRES: validate_relations accepted `specs`.
void resolve_refs(std::vector<JobSpec>& specs, const std::vector<uint64_t>& ids);

}  // namespace troupe
