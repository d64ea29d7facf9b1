// Operator controls: retry, reprioritize, run now or cancel a job; pause and resume queues (kinds) and the runner (all
// dispatch). Every control is written in the next commit and answered once durable; a job control is recorded in
// the job's transitions with who asked, and queue controls in the `meta` family, so a pause survives a restart.

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "actors/job_errors.hpp"
#include "actors/scheduler_state.hpp"
#include "schemas/lifecycle.hpp"
#include "storage/keys.hpp"

namespace troupe {

std::string operator_name(const std::string& by) { return by.empty() ? std::string{"an operator"} : by; }

namespace {

// Node-wide control events kept (meta "audit:"); older ones are deleted as new ones come.
constexpr size_t max_control_events = 1000;

// What a cleanup selects, in words.
std::string describe_cleanup(const QueueControl& c) {
  return fmt::format("finished jobs{}{} older than {} s",
                     c.has_state() ? " in state " + std::string{lifecycle::state_name(c.state())} : "",
                     c.kind().empty() ? "" : " of kind " + c.kind(), to_micros(c.older_than()) / 1'000'000);
}

// The latest `limit` control events as stored, newest first, into `out`.
storage::status control_history(const scheduler_state& st, uint32_t limit, QueueList* out) {
  std::vector<ControlEvent> events;
  auto s = st.ctx->store->scan_meta(storage::keys::meta_audit_prefix, [&](std::string_view, std::string_view v) {
    ControlEvent e;
    if (e.ParseFromArray(v.data(), static_cast<int>(v.size()))) events.push_back(std::move(e));
  });
  for (auto it = events.rbegin(); it != events.rend() && out->events_size() < static_cast<int>(limit); ++it)
    *out->add_events() = std::move(*it);
  return s;
}

caf::error conflict(job_id id, const std::string& why) {
  return make_error(ec::conflict, fmt::format("job {} {}", id, why));
}

// The job's record for a control, or the error that refuses it.
caf::expected<Job> controllable(scheduler_self self, job_id id) {
  auto& st = self->state;
  if (st.running.count(id) > 0) return conflict(id, "is RUNNING");
  if (in_flight(st, id)) return conflict(id, "is being changed (starting or being written); try again");
  Job job;
  auto s = st.ctx->store->get(id, &job);
  if (s.is_not_found()) return unknown_job(*st.ctx->store, id);
  if (!s) return make_error(ec::storage_failure, s.message());
  return job;
}

// Applies the control to `job` (not in flight); returns an error if its state does not allow it.
caf::error apply_control(scheduler_state& st, const JobControl& c, Job& job) {
  auto now = st.ctx->wall->now();
  auto state = lifecycle::state_name(job.state());
  switch (c.action()) {
    case JobControl::RETRY:
      if (job.state() != Job::DEAD && job.state() != Job::FAILED && job.state() != Job::CANCELLED)
        return conflict(job.id(), fmt::format("is {}; only DEAD, FAILED or CANCELLED jobs can be retried", state));
      lifecycle::retry(job, now, st.ctx->store->take_ready_seq(), "retried by " + operator_name(c.by()));
      return caf::none;
    case JobControl::PRIORITIZE: {
      if (!JobSpec::Priority_IsValid(c.priority()))
        return make_error(ec::invalid_argument, fmt::format("priority {} is not one of CRITICAL, HIGH, NORMAL, LOW",
                                                            int{c.priority()}));
      if (job.state() != Job::READY && job.state() != Job::SCHEDULED && job.state() != Job::BLOCKED)
        return conflict(job.id(), fmt::format("is {}; only a job that has not started can be reprioritized", state));
      auto from = JobSpec::Priority_Name(job.spec().priority());
      note_left_queue(st, job.id());
      if (job.state() == Job::READY)
        st.ready.remove(job.id(), lifecycle::lane_of(job.spec().priority()), job.ready_seq(), flow_key_of(st, job));
      lifecycle::reprioritize(job, c.priority(), now, st.ctx->store->take_ready_seq(),
                              fmt::format("priority {} -> {} by {}", from, JobSpec::Priority_Name(c.priority()),
                                          operator_name(c.by())));
      return caf::none;
    }
    case JobControl::RUN_NOW:
      if (job.state() != Job::SCHEDULED)
        return conflict(job.id(), fmt::format("is {}; only a SCHEDULED job can be run now", state));
      lifecycle::make_due(job, now, st.ctx->store->take_ready_seq(), "run now by " + operator_name(c.by()));
      return caf::none;
    default:
      return make_error(ec::invalid_argument, fmt::format("unknown job control {}", int{c.action()}));
  }
}

// Deletes the listed finished jobs through the journal, a chunk at a time (as retention does), then answers.
void delete_chunks(scheduler_self self, std::shared_ptr<std::vector<storage::history_entry>> entries, size_t from,
                   uint64_t generation, uint64_t deleted, const QueueControl& c,
                   caf::typed_response_promise<QueueList> rp) {
  constexpr size_t chunk = 1000;
  if (from >= entries->size()) {
    record_control(self, c.by(), fmt::format("cleanup: {} deleted, {}", deleted, describe_cleanup(c)));
    schedule_flush(self);
    auto list = queue_list(self->state);
    list.set_deleted(deleted);
    rp.deliver(std::move(list));
    return;
  }
  auto to = std::min(entries->size(), from + chunk);
  std::vector<storage::history_entry> part(entries->begin() + from, entries->begin() + to);
  self->request(self->state.journal, caf::infinite, expire_atom::value, std::move(part), generation)
      .then([=](uint64_t n) mutable { delete_chunks(self, entries, to, generation, deleted + n, c, rp); },
            [=](caf::error& err) mutable { rp.deliver(std::move(err)); });
}

void cleanup(scheduler_self self, const QueueControl& c, caf::typed_response_promise<QueueList> rp) {
  if (c.has_state() && !lifecycle::is_terminal(c.state())) {
    rp.deliver(make_error(ec::invalid_argument,
                          fmt::format("cleanup deletes finished jobs: state {} is not SUCCEEDED, FAILED, DEAD or "
                                      "CANCELLED", lifecycle::state_name(c.state()))));
    return;
  }
  if (to_micros(c.older_than()) < 0) {
    rp.deliver(make_error(ec::invalid_argument, "older_than must not be negative"));
    return;
  }
  spdlog::info("cleanup by {}: {}", operator_name(c.by()), describe_cleanup(c));
  self->request(self->state.reader, caf::infinite, cleanup_atom::value, c)
      .then(
          [=](std::vector<storage::history_entry>& entries, uint64_t generation) {
            delete_chunks(self, std::make_shared<std::vector<storage::history_entry>>(std::move(entries)), 0,
                          generation, 0, c, rp);
          },
          [=](caf::error& err) mutable { rp.deliver(std::move(err)); });
}

}  // namespace

caf::result<Job> control_job(scheduler_self self, const JobControl& control) {
  auto& st = self->state;
  if (control.action() == JobControl::CANCEL) return cancel_job(self, control.job(), operator_name(control.by()));
  auto rp = self->make_response_promise<Job>();
  auto job = controllable(self, control.job());
  if (!job) {
    rp.deliver(job.error());
    return rp;
  }
  auto before = storage::job_position::of(*job);
  if (auto err = apply_control(st, control, *job)) {
    rp.deliver(std::move(err));
    return rp;
  }
  st.after.job_answers.emplace_back(rp, *job);
  queue_final(self, std::move(*job), before);
  return rp;
}

QueueList queue_list(const scheduler_state& st) {
  QueueList out;
  auto names = st.ctx->kinds->names();
  for (const auto& k : st.ready.kinds())
    if (std::find(names.begin(), names.end(), k) == names.end()) names.push_back(k);
  std::sort(names.begin(), names.end());
  for (const auto& name : names) {
    auto* q = out.add_queues();
    q->set_kind(name);
    q->set_queued(st.ready.queued_of_kind(name));
    q->set_running(st.ready.running_of_kind(name));
    q->set_paused(st.ready.kind_paused(name));
  }
  out.set_runner_stopped(st.runner_stopped);
  out.set_running(st.running.size());
  out.set_queued(st.ready.size());
  return out;
}

caf::result<QueueList> control_queues(scheduler_self self, const QueueControl& c) {
  auto& st = self->state;
  auto rp = self->make_response_promise<QueueList>();
  auto by = operator_name(c.by());
  switch (c.action()) {
    case QueueControl::LIST:
      rp.deliver(queue_list(st));
      return rp;
    case QueueControl::PAUSE:
    case QueueControl::RESUME: {
      if (c.kind().empty()) {
        rp.deliver(make_error(ec::invalid_argument, "name the queue (a kind) to pause or resume"));
        return rp;
      }
      if (st.ctx->kinds->find(c.kind()) == nullptr && st.ready.queued_of_kind(c.kind()) == 0) {
        rp.deliver(make_error(ec::unknown_kind, "no queue named '" + c.kind() + "' (a queue is a job kind)"));
        return rp;
      }
      bool pause = c.action() == QueueControl::PAUSE;
      st.ready.set_kind_paused(c.kind(), pause);
      auto key = std::string{storage::keys::meta_paused_prefix} + c.kind();
      if (pause) st.batch.put_meta(key, by);
      else st.batch.erase_meta(key);
      record_control(self, by, fmt::format("queue {} {}", c.kind(), pause ? "paused" : "resumed"));
      break;
    }
    case QueueControl::STOP_RUNNER:
    case QueueControl::START_RUNNER: {
      bool stop = c.action() == QueueControl::STOP_RUNNER;
      st.runner_stopped = stop;
      auto key = std::string{storage::keys::meta_runner_stopped};
      if (stop) st.batch.put_meta(key, by);
      else st.batch.erase_meta(key);
      record_control(self, by, stop ? "runner stopped" : "runner started");
      break;
    }
    case QueueControl::CLEANUP:
      cleanup(self, c, rp);
      return rp;
    case QueueControl::HISTORY: {
      auto list = queue_list(st);
      if (auto s = control_history(st, c.limit() == 0 ? 50 : c.limit(), &list); !s)
        rp.deliver(make_error(ec::storage_failure, s.message()));
      else
        rp.deliver(std::move(list));
      return rp;
    }
    default:
      rp.deliver(make_error(ec::invalid_argument, fmt::format("unknown queue control {}", int{c.action()})));
      return rp;
  }
  st.after.queue_answers.push_back(rp);
  schedule_flush(self);
  return rp;
}

void record_control(scheduler_self self, const std::string& by, std::string what) {
  auto& st = self->state;
  auto now = st.ctx->wall->now();
  spdlog::info("control by {}: {}", operator_name(by), what);
  ControlEvent event;
  set_timestamp(event.mutable_at(), now);
  event.set_by(operator_name(by));
  event.set_what(std::move(what));
  std::string bytes;
  event.SerializeToString(&bytes);
  auto key = storage::keys::audit(now, st.audit_seq++);
  st.batch.put_meta(key, std::move(bytes));
  st.audit_keys.push_back(std::move(key));
  for (; st.audit_keys.size() > max_control_events; st.audit_keys.pop_front())
    st.batch.erase_meta(st.audit_keys.front());
}

storage::status restore_pauses(scheduler_self self) {
  auto& st = self->state;
  const auto& store = *st.ctx->store;
  auto s = store.scan_meta(storage::keys::meta_paused_prefix, [&](std::string_view key, std::string_view by) {
    auto kind = key.substr(storage::keys::meta_paused_prefix.size());
    st.ready.set_kind_paused(kind, true);
    spdlog::info("queue {} is paused (by {})", kind, by);
  });
  if (!s) return s;
  s = store.scan_meta(storage::keys::meta_audit_prefix, [&](std::string_view key, std::string_view) {
    st.audit_keys.emplace_back(key);
    st.audit_seq = std::max(st.audit_seq, storage::keys::get_u64(key, key.size() - 8) + 1);
  });
  if (!s) return s;
  return store.scan_meta(storage::keys::meta_runner_stopped, [&](std::string_view key, std::string_view by) {
    if (key != storage::keys::meta_runner_stopped) return;
    st.runner_stopped = true;
    spdlog::info("the runner is stopped (by {}): no job starts until `troupe runner start`", by);
  });
}

namespace {

// Jobs holding a slot now: claimed (being loaded or committed) or running.
size_t jobs_in_slots(const scheduler_state& st) { return st.running.size() + st.loading.size(); }

uint32_t alive_slots(const scheduler_state& st) {
  uint32_t alive = 0;
  for (const auto& p : st.pools) alive += p.gone ? 0 : p.alive;
  return alive;
}

}  // namespace

size_t admission_room(const scheduler_state& st) {
  if (st.admission.held()) return 0;
  auto cap = st.admission.running_cap();
  if (cap == 0) return SIZE_MAX;
  auto in_slots = jobs_in_slots(st);
  return in_slots >= cap ? 0 : cap - in_slots;
}

void set_admission(scheduler_self self, bool held, double memory_percent, const std::string& reason) {
  auto& st = self->state;
  auto& a = st.admission;
  auto threshold = static_cast<double>(st.ctx->options.memoryThreshold);
  if (held && !a.held()) {
    // Memory grew with what runs: cap the running jobs at what would have fitted under the threshold, so that
    // resuming does not fill every free slot at once and overshoot again.
    auto in_slots = static_cast<double>(jobs_in_slots(st));
    auto cap = memory_percent > 0 ? std::floor(in_slots * std::min(1.0, threshold / memory_percent)) : in_slots;
    a.set_running_cap(static_cast<uint32_t>(std::max(1.0, cap)));
  } else if (!held && !a.held() && a.running_cap() > 0 && admission_room(st) == 0) {
    // Under the resume level while the cap is what stops jobs: a tenth more, until it reaches the slots.
    auto cap = a.running_cap();
    cap += std::max<uint32_t>(1, cap / 10);
    a.set_running_cap(cap >= alive_slots(st) ? 0 : cap);
    spdlog::info("scheduler: memory at {:.1f}%: running cap raised to {}", memory_percent,
                 a.running_cap() == 0 ? std::string{"none"} : std::to_string(a.running_cap()));
    dispatch(self);
    return;
  } else if (!held && !a.held()) {
    return;  // a resume while not held, with the cap not in the way: nothing to do
  }
  if (held != a.held()) {
    set_timestamp(a.mutable_since(), st.ctx->wall->now());
    if (held) a.set_holds_total(a.holds_total() + 1);
    // Cleanup under pressure: the records cached for queued jobs go (they are read back when claimed).
    auto freed = st.ready.set_caching(!held);
    if (held)
      spdlog::warn("scheduler: admission held: {}; dropped {:.1f} MiB of cached queued records; running jobs capped "
                   "at {}", reason, static_cast<double>(freed) / (1 << 20), a.running_cap());
    else
      spdlog::info("scheduler: admission resumed: {}; running jobs capped at {}", reason, a.running_cap());
  }
  a.set_held(held);
  a.set_reason(reason);
  if (!held) dispatch(self);
}

}  // namespace troupe
