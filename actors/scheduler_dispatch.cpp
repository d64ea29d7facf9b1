// The scheduler's hot path: claim ready jobs for free slots, run them, take their outcomes, and carry every change
// of a turn to the journal in one commit.

#include <spdlog/spdlog.h>

#include "actors/scheduler_state.hpp"
#include "schemas/backoff.hpp"
#include "schemas/lifecycle.hpp"

namespace troupe {

namespace {

void throttle(scheduler_state& st, const std::vector<rate_limiter::party>& parties, bool on) {
  for (auto p : parties) {
    if (p.is_user) st.ready.set_user_throttled(p.id, on);
    else st.ready.set_kind_throttled(p.id, on);
  }
}

void arm_refill(scheduler_self self) {
  auto& st = self->state;
  auto next = st.limiter.next_refill();
  if (next == 0 || next >= st.refill_at) return;
  st.refill_at = next;
  auto delay = std::max<micros>(0, next - st.ctx->wall->now());
  self->delayed_send(self, std::chrono::microseconds{delay}, refill_atom::value);
}

}  // namespace

uint32_t occupy_slot(scheduler_self self, ready_queue::flow_key key, bool counted) {
  auto& st = self->state;
  auto slot = take_free_slot(st, key.kind);
  st.slots[slot].key = key;
  if (!counted) st.ready.started(key);
  if (!st.limiter.empty()) {
    auto empty = st.limiter.take(key.user, key.kind, st.ctx->wall->now());
    if (!empty.empty()) {
      throttle(st, empty, true);
      arm_refill(self);
    }
  }
  return slot;
}

void refill_rates(scheduler_self self) {
  auto& st = self->state;
  st.refill_at = INT64_MAX;
  throttle(st, st.limiter.refill(st.ctx->wall->now()), false);
  arm_refill(self);
  dispatch(self);
}

void release_slot(scheduler_self self, uint32_t slot) {
  auto& st = self->state;
  auto& s = st.slots[slot];
  if (!s.busy) return;
  st.ready.finished(s.key);
  return_slot(st, slot);
}

ready_queue::flow_key flow_key_of(scheduler_state& st, const Job& job) {
  return st.ready.key_of(job.spec().user(), job.spec().kind());
}

void schedule_flush(scheduler_self self) {
  auto& st = self->state;
  if (st.flush_scheduled) return;
  st.flush_scheduled = true;
  self->send(self, flush_atom::value);
}

void queue_final(scheduler_self self, Job job, const storage::job_position& before) {
  auto& st = self->state;
  const auto& record = write_job(st, job, &before);
  st.finishing.insert(job.id());
  if (lifecycle::is_terminal(job.state()) && st.blocked_jobs > 0)
    st.after.dep_events.push_back({job.id(), job.state(), job.spec().batch()});
  if (before.state == Job::BLOCKED && job.state() != Job::BLOCKED) --st.blocked_jobs;
  if (before.state == Job::SCHEDULED && job.state() != Job::SCHEDULED) --st.scheduled_jobs;
  if (before.state != Job::SCHEDULED && job.state() == Job::SCHEDULED) ++st.scheduled_jobs;
  if (job.state() == Job::SCHEDULED) {
    st.after.scheduled.emplace_back(to_micros(job.scheduled_for()), job.id());
  } else if (job.state() == Job::READY) {
    st.after.requeued.push_back(
        {lifecycle::lane_of(job.spec().priority()), flow_key_of(st, job), {job.ready_seq(), job.id(), record}});
  } else {
    st.cancelled_by.erase(job.id());
    after_commit::terminal e{job.id(), std::nullopt};
    if (st.waiters.count(job.id()) > 0) e.record = std::move(job);
    st.after.ended.push_back(std::move(e));
  }
  schedule_flush(self);
}

namespace {

void count_result(scheduler_state& st, const outcome& result, const Job& job, micros now) {
  if (!result.ok() && result.code != outcome::status::cancelled) ++st.counters.failed_attempts;
  switch (job.state()) {
    case Job::SUCCEEDED: ++st.counters.succeeded; break;
    case Job::DEAD: ++st.counters.dead; break;
    case Job::FAILED: ++st.counters.failed; break;
    case Job::CANCELLED: ++st.counters.cancelled; break;
    default: return;  // not finished (retried or handed back)
  }
  st.throughput.record(now);
}

}  // namespace

void with_running_record(scheduler_self self, job_id id, uint32_t attempt, std::string what,
                         std::function<void(Job)> then) {
  auto& st = self->state;
  st.finishing.insert(id);
  self->request(st.reader, caf::infinite, load_atom::value, std::vector<job_id>{id})
      .then(
          [=](std::vector<Job>& jobs) {
            self->state.finishing.erase(id);
            auto& job = jobs.at(0);
            if (job.state() != Job::RUNNING || job.attempts() != attempt) return;
            then(std::move(job));
          },
          [=](caf::error& err) {
            self->state.finishing.erase(id);
            spdlog::error("scheduler: cannot read job {} after {}: {}", id, what, describe(err));
          });
}

namespace {

// Why a job is handed back: the node shuts down, or (otherwise) its worker drained past its grace period.
std::string hand_back_reason(const scheduler_state& st, const Job& job, bool started) {
  if (st.draining)
    return started ? "handed back: the node shut down before the attempt finished"
                   : "handed back: the node is shutting down";
  return "handed back: worker " + job.lease().node() + " drained and its grace period ended";
}

}  // namespace

void finish(scheduler_self self, Job job, running_job::stop_reason stop, outcome result, micros duration) {
  auto& st = self->state;
  auto before = storage::job_position::of(job);
  auto now = st.ctx->wall->now();
  if (stop == running_job::stop_reason::hand_back) {
    auto why = hand_back_reason(st, job, /*started=*/true);
    lifecycle::hand_back(job, now, st.ctx->store->take_ready_seq(), why);
  } else {
    if (result.code == outcome::status::cancelled && stop == running_job::stop_reason::cancel)
      result.error = cancel_reason(st, job.id(), " while running");
    lifecycle::finish_attempt(job, result, duration, now, st.ctx->store->take_ready_seq(),
                              now + backoff_delay(retry_policy_of(st, job), job.attempts(), job.id()));
  }
  count_result(st, result, job, now);
  queue_final(self, std::move(job), before);
}

namespace {

// The slot running the job failed (it died): the record comes back from the store.
void recover_from_slot_failure(scheduler_self self, job_id id, uint32_t attempt, running_job::stop_reason stop,
                               std::string why) {
  with_running_record(self, id, attempt, "its slot failed", [=](Job job) {
    finish(self, std::move(job), stop, outcome::failure(why), 0);
  });
}

}  // namespace

void on_outcome(scheduler_self self, job_id id, uint32_t attempt, uint64_t token, Job job, outcome result,
                micros duration) {
  auto& st = self->state;
  auto it = st.running.find(id);
  if (it == st.running.end() || it->second.attempt != attempt || it->second.token != token ||
      it->second.starting || job.lease().token() != token) {
    spdlog::debug("scheduler: ignoring an outcome for job {} attempt {} (stale lease {})", id, attempt, token);
    return;
  }
  auto stop = it->second.stop;
  count_pool_finish(st, it->second.slot, result);
  release_slot(self, it->second.slot);
  st.running.erase(it);
  finish(self, std::move(job), stop, std::move(result), duration);
  dispatch(self);
}

namespace {

void run_in_slot(scheduler_self self, job_id id, running_job& run) {
  auto& st = self->state;
  auto attempt = run.attempt;
  auto token = run.token;
  auto job = std::move(*run.starting);
  run.starting.reset();
  self->request(st.slots[run.slot].handle, caf::infinite, run_atom::value, std::move(job))
      .then(
          [=](Job& job, outcome& result, int64_t duration) {
            on_outcome(self, id, attempt, token, std::move(job), std::move(result), duration);
          },
          [=](caf::error& err) {
            auto& st = self->state;
            auto it = st.running.find(id);
            if (it == st.running.end() || it->second.attempt != attempt || it->second.token != token) return;
            auto stop = it->second.stop;
            auto slot = it->second.slot;
            release_slot(self, slot);
            st.running.erase(it);
            if (st.pools[st.slots[slot].pool].remote && stop == running_job::stop_reason::none)
              requeue_lost(self, id, attempt, lost_reason(st, slot));
            else
              recover_from_slot_failure(self, id, attempt, stop, "the job actor failed: " + describe(err));
          });
}

}  // namespace

void fail_attempts_in(scheduler_self self, uint32_t slot, const caf::error& reason) {
  auto& st = self->state;
  std::vector<std::pair<job_id, running_job>> lost;
  for (auto it = st.running.begin(); it != st.running.end();) {
    // A job whose claim is not durable yet has no run request out: the request it gets fails at once.
    if (it->second.slot == slot && !it->second.starting) {
      lost.emplace_back(it->first, std::move(it->second));
      it = st.running.erase(it);
    } else {
      ++it;
    }
  }
  for (auto& [id, run] : lost) {
    release_slot(self, slot);
    recover_from_slot_failure(self, id, run.attempt, run.stop, "the job actor failed: " + describe(reason));
  }
}

bool can_start_at_once(scheduler_state& st, ready_queue::flow_key key) {
  return !st.draining && !st.runner_stopped && admission_room(st) > 0 && st.ready.empty() && st.loading.empty() &&
         st.free_total > 0 && placeable(st, key.kind) && st.ready.may_start(key);
}

void start_attempt_in(scheduler_self self, Job job, uint32_t slot, const storage::job_position* before) {
  auto& st = self->state;
  const auto& pool = st.pools[st.slots[slot].pool];
  Lease lease;
  lease.set_node(pool.remote ? pool.name : st.ctx->node_name);
  lease.set_pool(pool.name);
  lease.set_slot(slot);
  lease.set_token(st.ctx->store->take_lease_token());
  // A worker's attempt names the worker in its transition, so a job's history says where each attempt ran.
  lifecycle::start_attempt(job, lease, st.ctx->wall->now(), pool.remote ? "on worker " + pool.name : std::string{});
  auto token = lease.token();
  count_pool_start(st, slot, job);
  write_job(st, job, before);
  auto id = job.id();
  auto& run = st.running[id];
  run.slot = slot;
  run.attempt = job.attempts();
  run.token = token;
  run.lane = lifecycle::lane_of(job.spec().priority());
  run.starting = std::move(job);
  st.after.started.push_back(id);
  schedule_flush(self);
}

namespace {

// A queued job whose record was not cached, popped for a slot while the reader loads the record.
struct pending_claim {
  job_id id = 0;
  uint32_t slot = 0;
  int lane = 0;  // the lane it was queued with
  uint64_t seq = 0;
  ready_queue::flow_key key;
};

// Records that were not cached come back from the reader.
void on_loaded(scheduler_self self, const std::vector<pending_claim>& claims, std::vector<Job>& jobs) {
  auto& st = self->state;
  for (size_t i = 0; i < claims.size(); ++i) {
    auto id = claims[i].id;
    auto slot = claims[i].slot;
    auto& job = jobs[i];
    st.loading.erase(id);
    bool cancel = st.cancel_after_load.erase(id) > 0;
    if (job.state() != Job::READY) {  // not claimable: nothing to run
      release_slot(self, slot);
      if (st.waiters.count(id) > 0) notify_waiters(self, id, nullptr);
      continue;
    }
    if (st.draining && !cancel) {  // not now: back to the queue, unchanged
      release_slot(self, slot);
      st.ready.push(claims[i].lane, claims[i].seq, id, claims[i].key, st.ctx->wall->now());
      continue;
    }
    if (cancel) {  // popped from the queue already
      release_slot(self, slot);
      cancel_record(self, std::move(job), /*in_ready_queue=*/false);
      continue;
    }
    auto before = storage::job_position::of(job);
    start_attempt_in(self, std::move(job), slot, &before);
  }
}

void load_and_claim(scheduler_self self, std::vector<pending_claim> claims) {
  auto& st = self->state;
  std::vector<job_id> ids;
  ids.reserve(claims.size());
  for (const auto& c : claims) {
    ids.push_back(c.id);
    st.loading.insert(c.id);
  }
  self->request(st.reader, caf::infinite, load_atom::value, std::move(ids))
      .then(
          [=](std::vector<Job>& jobs) {
            on_loaded(self, claims, jobs);
            dispatch(self);
            check_drained(self);
          },
          [=](caf::error& err) {
            // Nothing was claimed: the jobs go back to the queue, unchanged.
            spdlog::error("scheduler: loading {} jobs failed: {}", claims.size(), describe(err));
            auto& st = self->state;
            for (const auto& c : claims) {
              st.loading.erase(c.id);
              st.cancel_after_load.erase(c.id);
              release_slot(self, c.slot);
              st.ready.push(c.lane, c.seq, c.id, c.key, st.ctx->wall->now());
            }
            check_drained(self);
          });
}

void on_committed(scheduler_self self, after_commit& done) {
  auto& st = self->state;
  auto now = st.ctx->wall->now();
  for (auto& s : done.submits) {
    for (size_t i = 0; i < s.entries.size(); ++i)
      st.ready.push(s.lanes[i], s.entries[i].seq, s.entries[i].id, s.keys[i], now, std::move(s.entries[i].record));
    st.counters.submitted += s.ids.size();
    for (const auto& [key, id] : s.unique)
      if (auto it = st.pending_unique.find(key); it != st.pending_unique.end() && it->second == id)
        st.pending_unique.erase(it);
    if (s.promise.pending()) s.promise.deliver(std::move(s.ids));  // a cron occurrence's jobs have no promise
  }
  for (auto id : done.started) {
    auto it = st.running.find(id);
    if (it == st.running.end() || !it->second.starting) continue;
    auto& run = it->second;
    if (run.stop == running_job::stop_reason::none && !st.draining) {
      run_in_slot(self, id, run);
      continue;
    }
    // Cancelled, handed back or lost before it started.
    auto job = std::move(*run.starting);
    auto slot = run.slot;
    auto stop = run.stop == running_job::stop_reason::none ? running_job::stop_reason::hand_back : run.stop;
    st.running.erase(it);
    release_slot(self, slot);
    auto before = storage::job_position::of(job);
    auto now = st.ctx->wall->now();
    if (stop == running_job::stop_reason::cancel) {
      lifecycle::cancel(job, now, cancel_reason(st, job.id(), " before it started"));
      ++st.counters.cancelled;
    } else if (stop == running_job::stop_reason::lost) {
      lifecycle::requeue_interrupted(job, now, st.ctx->store->take_ready_seq(), lost_reason(st, slot));
      if (job.state() == Job::DEAD) ++st.counters.dead;
    } else {
      auto why = hand_back_reason(st, job, /*started=*/false);
      lifecycle::hand_back(job, now, st.ctx->store->take_ready_seq(), why);
    }
    queue_final(self, std::move(job), before);
  }
  for (auto& q : done.requeued) {
    st.finishing.erase(q.entry.id);
    Job job;
    if (st.cancel_after_write.erase(q.entry.id) > 0 && job.ParseFromString(q.entry.record)) {
      cancel_record(self, std::move(job), /*in_ready_queue=*/false);  // not queued yet
      continue;
    }
    st.ready.push(q.lane, q.entry.seq, q.entry.id, q.key, now, std::move(q.entry.record));
  }
  for (auto& e : done.ended) {
    st.finishing.erase(e.id);
    st.cancel_after_write.erase(e.id);
    notify_waiters(self, e.id, e.record ? &*e.record : nullptr);
  }
  for (const auto& [at, id] : done.scheduled) {
    st.finishing.erase(id);
    if (st.cancel_after_write.erase(id) > 0) cancel_stored(self, id);
  }
  if (!done.scheduled.empty()) add_timers(self, done.scheduled);
  for (auto& [rp, job] : done.job_answers) rp.deliver(std::move(job));
  for (auto& [rp, list] : done.cron_answers) rp.deliver(std::move(list));
  if (!done.queue_answers.empty()) {
    auto list = queue_list(st);
    for (auto& rp : done.queue_answers) rp.deliver(list);
  }
  if (!done.dep_events.empty()) report_to_dependencies(self, std::move(done.dep_events));
}

}  // namespace

void dispatch(scheduler_self self) {
  auto& st = self->state;
  if (st.draining || st.runner_stopped || st.admission.held()) return;
  size_t budget = st.ctx->options.maxJobsPerRun;
  size_t claim_cap = st.ctx->options.batchClaimSize;
  std::vector<pending_claim> to_load;
  auto now = st.ctx->wall->now();
  place_new_kinds(st);
  size_t room = admission_room(st);
  while (budget > 0 && st.free_total > 0 && room > 0) {
    auto next = st.ready.pop(now);
    if (!next) break;
    note_left_queue(st, next->job.id);
    --budget;
    --room;
    auto slot = occupy_slot(self, next->key, /*counted=*/true);
    Job job;
    if (!next->job.record.empty() && job.ParseFromString(next->job.record)) {
      auto before = storage::job_position::of(job);
      start_attempt_in(self, std::move(job), slot, &before);
      continue;
    }
    to_load.push_back({next->job.id, slot, next->original_lane, next->job.seq, next->key});
    if (to_load.size() == claim_cap) load_and_claim(self, std::exchange(to_load, {}));
  }
  if (!to_load.empty()) load_and_claim(self, std::move(to_load));
  // A full turn: let other messages in, then go on.
  if (budget == 0 && st.free_total > 0 && room > 0 && !st.ready.empty() && !st.dispatch_scheduled) {
    st.dispatch_scheduled = true;
    self->send(self, dispatch_atom::value);
  }
}

void flush(scheduler_self self) {
  auto& st = self->state;
  st.flush_scheduled = false;
  if (st.batch.empty() && st.after.empty()) return;
  write_usage(st);
  auto done = std::make_shared<after_commit>(std::move(st.after));
  st.after = after_commit{};
  ++st.writes_in_flight;
  self->request(st.journal, caf::infinite, commit_atom::value, std::exchange(st.batch, storage::write_batch{}))
      .then(
          [=](ok_atom) {
            --self->state.writes_in_flight;
            on_committed(self, *done);
            dispatch(self);
            check_drained(self);
          },
          [=](caf::error& err) {
            // The journal failed and is gone: nothing of this commit is durable. The supervisor restarts the
            // engine, which rebuilds everything from the store; answer what waits for this commit.
            spdlog::error("scheduler: a commit failed: {}", describe(err));
            auto& st = self->state;
            --st.writes_in_flight;
            for (auto& s : done->submits)
              if (s.promise.pending()) s.promise.deliver(err);
            check_drained(self);
          });
}

void check_drained(scheduler_self self) {
  auto& st = self->state;
  if (!st.draining || st.drain_promises.empty()) return;
  if (!st.running.empty() || !st.loading.empty() || !st.finishing.empty() || st.writes_in_flight > 0 ||
      !st.batch.empty() || !st.after.empty())
    return;
  for (auto& rp : st.drain_promises) rp.deliver(ok_atom::value);
  st.drain_promises.clear();
}

}  // namespace troupe
