// The scheduler's timer queue: SCHEDULED jobs (a future run_at, or a retry's backoff) by due time. One CAF timer is
// armed for the earliest; when it fires, the jobs whose time came are loaded a chunk at a time and written READY
// (or RUNNING, when a slot is free and nothing else waits), and the queue is armed for the next. A million delayed
// jobs cost memory in this queue and nothing per job until they are due.

#include <spdlog/spdlog.h>

#include "actors/scheduler_state.hpp"
#include "schemas/lifecycle.hpp"

namespace troupe {

namespace {

// Jobs loaded from the store at once when they come due.
constexpr size_t due_chunk = 1000;

void arm(scheduler_self self) {
  auto& st = self->state;
  if (st.timers.empty()) return;
  auto next = st.timers.top().first;
  if (next >= st.timer_at) return;  // a timer at or before it is armed already
  st.timer_at = next;
  auto delay = std::max<micros>(0, next - st.ctx->wall->now());
  self->delayed_send(self, std::chrono::microseconds{delay}, due_atom::value);
}

// The records of jobs that came due: those still SCHEDULED for no later than now turn READY, and take a free
// slot at once when nothing else waits (one commit makes them RUNNING), as new jobs do.
void on_due_loaded(scheduler_self self, const std::vector<job_id>& ids, std::vector<Job>& jobs) {
  auto& st = self->state;
  auto now = st.ctx->wall->now();
  for (auto id : ids) st.loading.erase(id);
  for (size_t i = 0; i < ids.size(); ++i) {
    auto& job = jobs[i];
    bool cancel = st.cancel_after_load.erase(ids[i]) > 0;
    if (cancel && job.id() != 0 && !lifecycle::is_terminal(job.state())) {
      cancel_stored(self, ids[i]);
      continue;
    }
    // Not SCHEDULED any more (cancelled, or run by an operator), or scheduled again for later: nothing to do.
    if (job.state() != Job::SCHEDULED || to_micros(job.scheduled_for()) > now) continue;
    auto before = storage::job_position::of(job);
    lifecycle::make_due(job, now, st.ctx->store->take_ready_seq(), "due");
    if (auto key = flow_key_of(st, job); can_start_at_once(st, key)) {
      --st.scheduled_jobs;
      start_attempt_in(self, std::move(job), occupy_slot(self, key, /*counted=*/false), &before);
      continue;
    }
    queue_final(self, std::move(job), before);
  }
}

// Loads one chunk of due jobs; the next chunk waits for it, so that a flood of due jobs leaves turns for dispatch
// and commits in between.
void load_due(scheduler_self self, std::vector<job_id> ids) {
  auto& st = self->state;
  for (auto id : ids) st.loading.insert(id);
  st.due_loading = true;
  self->request(st.reader, caf::infinite, load_atom::value, ids)
      .then(
          [=](std::vector<Job>& jobs) {
            self->state.due_loading = false;
            on_due_loaded(self, ids, jobs);
            fire_timers(self);
            check_drained(self);
          },
          [=](caf::error& err) {
            // Nothing changed: they come due again at once.
            spdlog::error("scheduler: loading {} due jobs failed: {}", ids.size(), describe(err));
            auto& st = self->state;
            st.due_loading = false;
            auto now = st.ctx->wall->now();
            for (auto id : ids) {
              st.loading.erase(id);
              st.cancel_after_load.erase(id);
              st.timers.emplace(now, id);
            }
            arm(self);
            check_drained(self);
          });
}

}  // namespace

void add_timers(scheduler_self self, const std::vector<std::pair<micros, job_id>>& due) {
  for (const auto& d : due) self->state.timers.push(d);
  arm(self);
}

void fire_timers(scheduler_self self) {
  auto& st = self->state;
  st.timer_at = INT64_MAX;
  if (st.due_loading) return;  // the chunk in flight fires the next when it is done
  auto now = st.ctx->wall->now();
  std::vector<job_id> ids;
  while (!st.timers.empty() && st.timers.top().first <= now && ids.size() < due_chunk) {
    auto id = st.timers.top().second;
    st.timers.pop();
    // A job being changed (a cancel being written) is not due any more; one being loaded is handled already.
    if (st.finishing.count(id) > 0 || st.loading.count(id) > 0) continue;
    ids.push_back(id);
  }
  if (!ids.empty()) load_due(self, std::move(ids));
  else arm(self);
}

}  // namespace troupe
