#include "actors/spec_validation.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>

#include "schemas/backoff.hpp"
#include "schemas/cron.hpp"
#include "schemas/time.hpp"
#include "schemas/usage.hpp"
#include "troupe/error.hpp"

namespace troupe {

namespace {

std::string kind_list(const kind_registry& kinds, const cluster_kinds* worker_kinds) {
  std::string out;
  for (const auto& name : kinds.names()) out += (out.empty() ? "" : ", ") + name;
  if (worker_kinds == nullptr) return out;
  std::string remote;
  for (const auto& name : worker_kinds->names())
    if (kinds.find(name) == nullptr) remote += (remote.empty() ? "" : ", ") + name;
  return remote.empty() ? out : out + "; its workers run: " + remote;
}

}  // namespace

caf::error validate_spec(JobSpec& spec, const node_options& options, const kind_registry& kinds,
                         const cluster_kinds* worker_kinds) {
  if (spec.kind().empty()) return make_error(ec::invalid_argument, "kind is required");
  auto* kind = kinds.find(spec.kind());
  // A kind only workers run: the node's defaults apply; the worker's slot caps the timeout by its kind.
  bool remote = kind == nullptr && worker_kinds != nullptr && worker_kinds->contains(spec.kind());
  if (kind == nullptr && !remote)
    return make_error(ec::unknown_kind, fmt::format("unknown kind '{}' (this node runs: {})", spec.kind(),
                                                    kind_list(kinds, worker_kinds)));
  if (!JobSpec::Priority_IsValid(spec.priority()))
    return make_error(ec::invalid_argument,
                      fmt::format("priority {} is not one of CRITICAL, HIGH, NORMAL, LOW", int{spec.priority()}));
  auto bytes = payload_bytes(spec);
  auto limit = static_cast<size_t>(options.maxJobPayloadSizeMB) << 20;
  if (bytes > limit)
    return make_error(ec::payload_too_large,
                      fmt::format("payload is {:.1f} MiB, over maxJobPayloadSizeMB ({} MiB)",
                                  static_cast<double>(bytes) / (1 << 20), options.maxJobPayloadSizeMB));
  if (spec.has_timeout()) {
    auto timeout = to_micros(spec.timeout());
    auto limit = kind != nullptr ? static_cast<micros>(kind->max_timeout().count()) : 0;
    if (timeout <= 0) return make_error(ec::invalid_argument, "timeout must be positive");
    if (limit > 0 && timeout > limit)
      return make_error(ec::invalid_argument,
                        fmt::format("timeout {} ms is over the {} ms that kind '{}' allows", timeout / 1000.0,
                                    limit / 1000.0, spec.kind()));
  } else {
    set_duration(spec.mutable_timeout(), kind != nullptr ? attempt_timeout(spec, *kind, options)
                                                         : static_cast<micros>(options.jobTimeoutMs) * 1000);
  }
  if (spec.max_attempts() == 0) spec.set_max_attempts(options.defaultMaxAttempts);
  if (spec.max_attempts() > max_attempts_limit)
    return make_error(ec::invalid_argument,
                      fmt::format("max_attempts {} is over the limit of {}", spec.max_attempts(), max_attempts_limit));
  if (spec.user().size() > 256) return make_error(ec::invalid_argument, "user is longer than 256 bytes");
  if (spec.batch().size() > 256) return make_error(ec::invalid_argument, "batch is longer than 256 bytes");
  if (spec.labels_size() > 64) return make_error(ec::invalid_argument, "more than 64 labels");
  // Features of later milestones: refuse them clearly rather than store jobs that would never run as asked.
  if (spec.has_run_at() && (spec.run_at().seconds() < 0 || spec.run_at().seconds() > max_run_at_seconds))
    return make_error(ec::invalid_argument, "run_at is not a time between 1970 and 2200");
  if (auto problem = check_retry_policy(spec.retry()); *problem != '\0')
    return make_error(ec::invalid_argument, problem);
  if (spec.idempotency_key().size() > 256)
    return make_error(ec::invalid_argument, "idempotency_key is longer than 256 bytes");
  if (spec.idempotency_key().find('\0') != std::string::npos || spec.user().find('\0') != std::string::npos)
    return make_error(ec::invalid_argument, "idempotency_key and user must not contain a NUL byte");
  return kind != nullptr ? kind->check(spec) : caf::none;  // a worker-only kind is checked by its worker
}

micros attempt_timeout(const JobSpec& spec, const job_kind& kind, const node_options& options) {
  auto limit = static_cast<micros>(kind.max_timeout().count());
  auto own = spec.has_timeout() ? to_micros(spec.timeout()) : 0;
  if (own <= 0) own = limit > 0 ? limit : static_cast<micros>(options.jobTimeoutMs) * 1000;
  return limit > 0 ? std::min(own, limit) : own;
}

caf::error validate_cron_schedule(const CronSchedule& schedule, const node_options& options,
                                  const kind_registry& kinds) {
  const auto& name = schedule.name();
  if (name.empty()) return make_error(ec::invalid_argument, "a cron schedule needs a name");
  if (name.size() > max_cron_name_bytes)
    return make_error(ec::invalid_argument, fmt::format("cron schedule name is longer than {} bytes",
                                                        max_cron_name_bytes));
  auto bad = std::find_if(name.begin(), name.end(), [](unsigned char c) {
    return std::isalnum(c) == 0 && c != '-' && c != '_' && c != '.' && c != ':';
  });
  if (bad != name.end())
    return make_error(ec::invalid_argument,
                      fmt::format("cron schedule name '{}' may hold only letters, digits and - _ . :", name));
  std::string error;
  if (!cron_expression::parse(schedule.cron(), &error))
    return make_error(ec::invalid_argument, fmt::format("cron expression '{}': {}", schedule.cron(), error));
  if (!cron_zone::find(schedule.time_zone(), &error)) return make_error(ec::invalid_argument, error);
  if (!CronSchedule::Missed_IsValid(schedule.missed()))
    return make_error(ec::invalid_argument, fmt::format("missed policy {} is not one of SKIP, RUN_ONCE",
                                                        int{schedule.missed()}));
  const auto& job = schedule.job();
  // Each occurrence makes one job on its own: nothing that ties it to other jobs or to one time.
  const char* refused = job.dependencies_size() > 0 || job.after_size() > 0 ? "dependencies"
                        : !job.ref().empty()                                ? "a ref"
                        : !job.batch_callback().empty()                     ? "a batch callback"
                        : job.has_run_at()                                  ? "run_at"
                        : !job.idempotency_key().empty()                    ? "an idempotency key"
                                                                            : nullptr;
  if (refused != nullptr)
    return make_error(ec::invalid_argument,
                      fmt::format("the job of a cron schedule cannot have {}: each occurrence makes one job of its "
                                  "own, at the occurrence's time", refused));
  auto copy = job;
  if (auto err = validate_spec(copy, options, kinds))
    return make_error(code_of(err), "the job of cron schedule '" + name + "': " + describe(err));
  return caf::none;
}

}  // namespace troupe
