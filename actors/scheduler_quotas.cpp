// Per-user quotas: the scheduler counts each user's unfinished jobs and their payload bytes (schemas/usage.hpp),
// refuses a submit that would take a user over maxQueuedPerUser or maxPayloadMBPerUser (or the user's override),
// and keeps the counters durable with the changes of state that make them (storage/usage.hpp).
//
// Counting: every job record the scheduler writes goes through write_job, which applies the change of state to
// the user's counter. A submit counts at once, before its commit is durable, so a second submit in the meantime
// sees it. The commit of a turn carries the absolute counters of the users it changed (write_usage), so the
// stored counters always match the stored jobs; after a failed commit the engine restarts from the store. The
// jobs that storage recovery ends DEAD are counted there, in its own write.
//
// Not refused: an operator's retry of a finished job (JobControl RETRY) counts again without admission, since
// only submits are refused; a user may then be over its quota until jobs end.

#include <fmt/format.h>

#include "actors/scheduler_state.hpp"
#include "storage/usage.hpp"

namespace troupe {

uint64_t quota_limits::jobs_of(const std::string& user) const {
  auto it = user_jobs.find(user);
  return it != user_jobs.end() ? it->second : jobs;
}

uint64_t quota_limits::payload_bytes_of(const std::string& user) const {
  auto it = user_payload_mb.find(user);
  return it != user_payload_mb.end() ? uint64_t{it->second} << 20 : payload_bytes;
}

quota_limits quota_limits_of(const node_options& options) {
  using values = std::unordered_map<std::string, uint32_t>;
  quota_limits q;
  q.jobs = options.maxQueuedPerUser;
  q.payload_bytes = uint64_t{options.maxPayloadMBPerUser} << 20;
  q.user_jobs = parse_name_values(options.userQueuedLimits).value_or(values{});
  q.user_payload_mb = parse_name_values(options.userPayloadLimitsMB).value_or(values{});
  return q;
}

const std::string& write_job(scheduler_state& st, const Job& job, const storage::job_position* before) {
  auto from = before == nullptr ? Job::PENDING : before->state;
  if (counts_toward_usage(from) != counts_toward_usage(job.state())) {
    auto& u = st.usage[job.spec().user()];
    count_change(u.counter, job.spec(), from, job.state());
    if (!u.dirty) {
      u.dirty = true;
      st.usage_dirty.push_back(job.spec().user());
    }
  }
  if (st.metrics_on) {
    auto key = st.ready.key_of(job.spec().user(), job.spec().kind());
    st.metrics.on_write(job, key.user, key.kind, from, before == nullptr ? 0 : before->lane);
  }
  return before == nullptr ? st.batch.insert(job) : st.batch.update(job, *before);
}

namespace {

std::string user_text(const std::string& user) {
  return user.empty() ? std::string{"the user \"\" (jobs without a user)"} : "user " + user;
}

// "maxQueuedPerUser 1000", or "userQueuedLimits alice=5000" when the user has an override.
std::string limit_text(const std::unordered_map<std::string, uint32_t>& overrides, const char* option,
                       const char* default_option, const std::string& user, uint64_t limit) {
  if (overrides.count(user) > 0) return fmt::format("{} {}={}", option, user, limit);
  return fmt::format("{} {}", default_option, limit);
}

}  // namespace

caf::error check_quotas(const scheduler_state& st, const std::vector<JobSpec>& specs,
                        const std::vector<bool>& fresh) {
  const auto& q = st.quotas;
  if (q.jobs == 0 && q.payload_bytes == 0 && q.user_jobs.empty() && q.user_payload_mb.empty()) return caf::none;
  // What the request adds, per user, in the order users first appear in it.
  std::vector<std::pair<const std::string*, usage_counter>> adds;
  std::unordered_map<std::string_view, size_t> index;
  for (size_t i = 0; i < specs.size(); ++i) {
    if (!fresh[i]) continue;
    const auto& user = specs[i].user();
    auto [it, added] = index.try_emplace(user, adds.size());
    if (added) adds.emplace_back(&user, usage_counter{});
    count_change(adds[it->second].second, specs[i], Job::PENDING, Job::READY);
  }
  std::string refusal;
  auto refuse = [&](std::string why) { refusal += (refusal.empty() ? "" : "; and ") + why; };
  for (const auto& [user, add] : adds) {
    auto found = st.usage.find(*user);
    auto now = found != st.usage.end() ? found->second.counter : usage_counter{};
    if (auto limit = q.jobs_of(*user); limit > 0 && now.jobs + add.jobs > limit)
      refuse(fmt::format("{} has {} unfinished jobs of {}; this request adds {}", user_text(*user), now.jobs,
                         limit_text(q.user_jobs, "userQueuedLimits", "maxQueuedPerUser", *user, limit), add.jobs));
    if (auto limit = q.payload_bytes_of(*user); limit > 0 && now.payload_bytes + add.payload_bytes > limit)
      refuse(fmt::format("{} has {} bytes of payload in unfinished jobs of {} ({} bytes); this request adds {} bytes",
                         user_text(*user), now.payload_bytes,
                         limit_text(q.user_payload_mb, "userPayloadLimitsMB", "maxPayloadMBPerUser", *user,
                                    limit >> 20),
                         limit, add.payload_bytes));
  }
  if (refusal.empty()) return caf::none;
  return make_error(ec::quota_exceeded, std::move(refusal));
}

void write_usage(scheduler_state& st) {
  for (const auto& user : st.usage_dirty) {
    auto it = st.usage.find(user);
    if (it == st.usage.end()) continue;
    storage::put_usage(st.batch, user, it->second.counter);
    if (it->second.counter.empty()) st.usage.erase(it);
    else it->second.dirty = false;
  }
  st.usage_dirty.clear();
}

storage::status restore_usage(scheduler_state& st) {
  storage::usage_map stored;
  auto s = storage::load_usage(*st.ctx->store, &stored);
  for (const auto& [user, counter] : stored) st.usage[user].counter = counter;
  return s;
}

UserUsage usage_of(const scheduler_state& st, const std::string& user) {
  UserUsage out;
  out.set_user(user);
  if (auto it = st.usage.find(user); it != st.usage.end()) {
    out.set_jobs(it->second.counter.jobs);
    out.set_payload_bytes(it->second.counter.payload_bytes);
  }
  out.set_running(st.ready.running_of_user(user));
  out.set_jobs_limit(st.quotas.jobs_of(user));
  out.set_payload_limit(st.quotas.payload_bytes_of(user));
  return out;
}

}  // namespace troupe
