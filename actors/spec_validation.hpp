#pragma once
// What a node accepts as a JobSpec, checked in one place before anything is stored. Fills the node's defaults
// into the spec (max_attempts, timeout), so that a stored job is self-contained.

#include <caf/error.hpp>

#include "actors/cluster_kinds.hpp"
#include "config/options.hpp"
#include "schemas/time.hpp"
#include "schemas/troupe.pb.h"
#include "troupe/kind.hpp"

namespace troupe {

// Most jobs in one submit request.
constexpr size_t max_jobs_per_submit = 100'000;
// Most attempts a job may ask for.
constexpr uint32_t max_attempts_limit = 1000;
// Latest run_at accepted (2200-01-01T00:00:00Z).
constexpr int64_t max_run_at_seconds = 7'258'118'400;

// Checks `spec` and fills in defaults. Returns none, or an error (invalid_argument, unknown_kind,
// payload_too_large, forbidden) whose message names the field and the problem. A kind the node does not run is
// valid if joined workers run it (`worker_kinds`).
caf::error validate_spec(JobSpec& spec, const node_options& options, const kind_registry& kinds,
                         const cluster_kinds* worker_kinds = nullptr);

// The per-attempt timeout of a job of `kind`, in microseconds: the job's own, or when it sets none the kind's
// max_timeout() or else the node's jobTimeoutMs; never over the kind's max_timeout(). The slot enforces it.
micros attempt_timeout(const JobSpec& spec, const job_kind& kind, const node_options& options);

// Longest cron schedule name.
constexpr size_t max_cron_name_bytes = 128;

// Checks a cron schedule to add: its name, expression, time zone, missed policy and job template. The template is
// checked as a submitted job would be, on a copy: it is stored as given, and each occurrence's job gets the
// node's defaults when it is made. Returns none, or an error whose message names the problem.
caf::error validate_cron_schedule(const CronSchedule& schedule, const node_options& options,
                                  const kind_registry& kinds);

}  // namespace troupe
