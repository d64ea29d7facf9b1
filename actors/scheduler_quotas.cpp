// Per-user quotas: the scheduler counts each user's unfinished jobs and their payload bytes (schemas/usage.hpp)
// and keeps the counters durable with the changes of state that make them (storage/usage.hpp).
//
// Counting: every job record the scheduler writes goes through write_job, which applies the change of state to
// the user's counter. A submit counts at once, before its commit is durable. The commit of a turn carries the
// absolute counters of the users it changed (write_usage), so the stored counters always match the stored jobs;
// after a failed commit the engine restarts from the store. The jobs that storage recovery ends DEAD are counted
// there, in its own write.

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
  return before == nullptr ? st.batch.insert(job) : st.batch.update(job, *before);
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
