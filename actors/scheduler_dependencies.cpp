// The scheduler's side of dependencies: it reports what became durable to the dependency manager and carries out
// its decisions, for the jobs that are still BLOCKED in the store (a client may have cancelled one meanwhile).

#include <spdlog/spdlog.h>

#include "actors/scheduler_state.hpp"
#include "schemas/lifecycle.hpp"

namespace troupe {

namespace {

void carry_out(scheduler_self self, const std::vector<dependency_decision>& decisions) {
  auto& st = self->state;
  std::vector<job_id> ids;
  ids.reserve(decisions.size());
  for (const auto& d : decisions) ids.push_back(d.id);
  std::vector<Job> jobs;
  std::vector<bool> found;
  if (auto s = st.ctx->store->multi_get(ids, &jobs, &found); !s) {
    spdlog::critical("scheduler: cannot read jobs the dependency manager decided on: {}", s.message());
    self->quit(make_error(ec::storage_failure, s.message()));
    return;
  }
  auto now = st.ctx->wall->now();
  for (size_t i = 0; i < decisions.size(); ++i) {
    auto& job = jobs[i];
    // Only a job BLOCKED in the store with no change of it in flight: the store is the truth here.
    if (!found[i] || job.state() != Job::BLOCKED || st.finishing.count(ids[i]) > 0) continue;
    auto before = storage::job_position::of(job);
    const auto& reason = decisions[i].reason;
    if (!decisions[i].release) {
      job.set_last_error("dependency failed: " + reason);
      lifecycle::cancel(job, now, "dependency failed: " + reason);
      ++st.counters.cancelled;
      st.throughput.record(now);
      queue_final(self, std::move(job), before);
      continue;
    }
    lifecycle::release(job, now, st.ctx->store->take_ready_seq(), reason);
    if (auto key = flow_key_of(st, job); job.state() == Job::READY && can_start_at_once(st, key)) {
      --st.blocked_jobs;
      start_attempt_in(self, std::move(job), occupy_slot(self, key, /*counted=*/false), &before);
      continue;
    }
    queue_final(self, std::move(job), before);
  }
}

}  // namespace

void report_to_dependencies(scheduler_self self, std::vector<dependency_event> events) {
  auto& st = self->state;
  // A failure of the dependency manager reaches the supervisor (it watches it), which restarts the engine; the
  // graph is then rebuilt from the store.
  self->request(st.deps, caf::infinite, deps_atom::value, std::move(events))
      .then(
          [=](std::vector<dependency_decision>& decisions) {
            if (decisions.empty()) return;
            carry_out(self, decisions);
            dispatch(self);
          },
          [=](caf::error& err) {
            spdlog::error("scheduler: the dependency manager failed: {}", describe(err));
            self->quit(err);
          });
}

}  // namespace troupe
