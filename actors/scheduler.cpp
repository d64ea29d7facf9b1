#include "actors/scheduler.hpp"

#include <caf/actor_system.hpp>
#include <spdlog/spdlog.h>

#include "actors/job_errors.hpp"
#include "actors/scheduler_state.hpp"
#include "actors/workflow.hpp"
#include "storage/keys.hpp"
#include "schemas/lifecycle.hpp"

namespace troupe {

void throughput_window::record(micros now, uint64_t count) {
  int64_t second = now / 1'000'000;
  if (second > last_second_) {
    for (int64_t s = std::max(last_second_ + 1, second - size + 1); s <= second; ++s) buckets_[s % size] = 0;
    last_second_ = second;
  }
  if (second > last_second_ - size) buckets_[second % size] += count;
}

double throughput_window::per_second(micros now, int seconds) const {
  int64_t current = now / 1'000'000;
  uint64_t sum = 0;
  for (int64_t s = current - seconds; s < current; ++s)
    if (s <= last_second_ && s > last_second_ - size) sum += buckets_[s % size];
  return static_cast<double>(sum) / seconds;
}

// Is the job somewhere the scheduler will see it end?
bool in_flight(const scheduler_state& st, job_id id) {
  return st.running.count(id) > 0 || st.loading.count(id) > 0 || st.finishing.count(id) > 0;
}

void add_waiter(scheduler_self self, job_id id, waiter w) {
  ++w.request->remaining;
  self->state.waiters[id].push_back(std::move(w));
}

namespace {

void answer_if_complete(const std::shared_ptr<await_request>& req) {
  if (req->answered || req->remaining > 0) return;
  req->answered = true;
  req->on_done(req->results);
}

void fail_request(const std::shared_ptr<await_request>& req, caf::error err) {
  if (req->answered) return;
  req->answered = true;
  req->on_error(std::move(err));
}

}  // namespace

void notify_waiters(scheduler_self self, job_id id, const Job* job) {
  auto& st = self->state;
  auto it = st.waiters.find(id);
  if (it == st.waiters.end()) return;
  Job from_store;
  if (job == nullptr) {
    if (auto s = st.ctx->store->get(id, &from_store); !s) {
      for (auto& w : it->second) fail_request(w.request, make_error(ec::storage_failure, s.message()));
      st.waiters.erase(it);
      return;
    }
    if (!lifecycle::is_terminal(from_store.state())) return;  // still to come
    job = &from_store;
  }
  for (auto& w : it->second) {
    w.request->results[w.index] = *job;
    --w.request->remaining;
    answer_if_complete(w.request);
  }
  st.waiters.erase(it);
}

namespace {

// The job that a spec with this idempotency key (`key`: its unique_prefix) duplicates, or 0.
job_id existing_unique(scheduler_state& st, const std::string& key, const JobSpec& spec, micros now) {
  if (auto it = st.pending_unique.find(key); it != st.pending_unique.end()) return it->second;
  job_id id = 0;
  if (!st.ctx->store->latest_unique(spec.user(), spec.idempotency_key(), &id)) return 0;
  Job job;
  if (!st.ctx->store->get(id, &job)) return 0;
  if (!lifecycle::is_terminal(job.state())) return id;
  auto window = static_cast<micros>(st.ctx->options.idempotencyWindowMs) * 1000;
  return to_micros(job.finished_at()) + window > now ? id : 0;
}

}  // namespace

caf::expected<std::vector<job_id>> accept_specs(scheduler_self self, std::vector<JobSpec>& specs,
                                                after_commit::submitted sub, const CronOrigin* origin) {
  auto& st = self->state;
  auto n = specs.size();
  auto now = st.ctx->wall->now();
  // Unique jobs: a spec whose idempotency key names a job that has not ended (or ended within the window), or an
  // earlier spec of this request, gets that job's id instead of a new job; only the others (`fresh`) make jobs
  // and count against quotas. The scheduler handles submits one at a time, so this is atomic.
  std::vector<bool> fresh(n, true);
  std::vector<job_id> existing(n, 0);  // a duplicate of a job stored or accepted earlier: that job
  std::vector<size_t> same_as(n, n);   // a duplicate of an earlier spec of this request: that spec
  std::vector<std::string> unique_keys(n);
  std::unordered_map<std::string, size_t> first_with_key;
  for (size_t i = 0; i < n; ++i) {
    if (specs[i].idempotency_key().empty()) continue;
    unique_keys[i] = storage::keys::unique_prefix(specs[i].user(), specs[i].idempotency_key());
    if (auto it = first_with_key.find(unique_keys[i]); it != first_with_key.end()) {
      same_as[i] = it->second;
      fresh[i] = false;
    } else if ((existing[i] = existing_unique(st, unique_keys[i], specs[i], now)) != 0) {
      fresh[i] = false;
    } else {
      first_with_key.emplace(unique_keys[i], i);
    }
  }
  // Admission, before anything is taken or written: the whole request fits its users' quotas, or none of it goes.
  if (auto err = check_quotas(st, specs, fresh)) return err;
  auto first = st.ctx->store->take_ids(n);
  std::vector<job_id> ids(n);
  for (size_t i = 0; i < n; ++i) {
    ids[i] = fresh[i] ? first + i : existing[i] != 0 ? existing[i] : ids[same_as[i]];
    if (!fresh[i] || unique_keys[i].empty()) continue;
    st.pending_unique[unique_keys[i]] = ids[i];
    sub.unique.emplace_back(std::move(unique_keys[i]), ids[i]);
  }
  sub.ids.reserve(n);
  sub.entries.reserve(n);
  sub.lanes.reserve(n);
  sub.keys.reserve(n);
  resolve_refs(specs, ids);
  for (size_t i = 0; i < n; ++i) {
    auto id = ids[i];
    sub.ids.push_back(id);
    if (!fresh[i]) continue;
    Job job;
    *job.mutable_spec() = std::move(specs[i]);
    if (origin != nullptr) *job.mutable_cron() = *origin;
    const auto& batch = job.spec().batch();
    if (waits_for_something(job.spec())) {
      // Stored BLOCKED; the dependency manager hears of it once that is durable and decides when it runs.
      lifecycle::accept_blocked(job, id, now);
      ++st.blocked_jobs;
      st.after.dep_events.push_back({id, Job::BLOCKED, batch});
      write_job(st, job, /*before=*/nullptr);
      continue;
    }
    lifecycle::accept(job, id, now, st.ctx->store->take_ready_seq());
    if (st.blocked_jobs > 0 && !batch.empty()) st.after.dep_events.push_back({id, Job::READY, batch});
    if (job.state() == Job::SCHEDULED) {  // its run_at is ahead: the timer queue takes it once it is durable
      ++st.scheduled_jobs;
      st.after.scheduled.emplace_back(to_micros(job.scheduled_for()), id);
      write_job(st, job, /*before=*/nullptr);
      continue;
    }
    auto key = flow_key_of(st, job);
    // Direct dispatch: while nothing waits in the queue, a new job takes a free slot at once. Its first write is
    // then its RUNNING record (attempt counted): one commit makes it durable and started, and it runs as the
    // submit is acknowledged.
    if (can_start_at_once(st, key)) {
      auto slot = occupy_slot(self, key, /*counted=*/false);
      start_attempt_in(self, std::move(job), slot, /*before=*/nullptr);
      continue;
    }
    const auto& record = write_job(st, job, /*before=*/nullptr);
    // A copy of the serialized record for the queue's cache, unless the cache would drop it (a large payload, a
    // full cache): the claim then reads the record back instead.
    sub.entries.push_back({job.ready_seq(), job.id(), st.ready.would_cache(record.size()) ? record : std::string{}});
    sub.lanes.push_back(lifecycle::lane_of(job.spec().priority()));
    sub.keys.push_back(key);
  }
  st.batch.set_next_id(first + n);
  auto out = sub.ids;
  st.after.submits.push_back(std::move(sub));
  schedule_flush(self);
  return out;
}

namespace {

caf::result<std::vector<job_id>> submit(scheduler_self self, std::vector<JobSpec>& specs) {
  auto& st = self->state;
  if (st.draining) return make_error(ec::shutting_down, "the node is shutting down and accepts no jobs");
  if (specs.empty()) return std::vector<job_id>{};
  after_commit::submitted sub;
  sub.promise = self->make_response_promise<std::vector<job_id>>();
  auto rp = sub.promise;
  // Refusals go through the promise: once it exists, CAF 0.17 drops an error the handler returns.
  if (auto ids = accept_specs(self, specs, std::move(sub), /*origin=*/nullptr); !ids) rp.deliver(ids.error());
  return rp;
}

// Reads a job the scheduler does not hold. On failure (unknown id, storage error) the error goes to `req` and the
// result is false.
bool read_job(scheduler_self self, job_id id, Job* out, const std::shared_ptr<await_request>& req) {
  const auto& store = *self->state.ctx->store;
  auto s = store.get(id, out);
  if (s.is_not_found()) fail_request(req, unknown_job(store, id));
  else if (!s) fail_request(req, make_error(ec::storage_failure, s.message()));
  return s.is_ok();
}

caf::result<std::vector<Job>> await_jobs(scheduler_self self, const std::vector<job_id>& ids) {
  auto& st = self->state;
  auto rp = self->make_response_promise<std::vector<Job>>();
  auto req = std::make_shared<await_request>();
  req->on_done = [rp](std::vector<Job>& jobs) mutable { rp.deliver(std::move(jobs)); };
  req->on_error = [rp](caf::error err) mutable { rp.deliver(std::move(err)); };
  req->results.resize(ids.size());
  for (size_t i = 0; i < ids.size(); ++i) {
    auto id = ids[i];
    if (!in_flight(st, id)) {
      if (!read_job(self, id, &req->results[i], req)) return rp;
      if (lifecycle::is_terminal(req->results[i].state())) continue;
    }
    add_waiter(self, id, waiter{req, i});
  }
  answer_if_complete(req);
  return rp;
}

}  // namespace

void cancel_record(scheduler_self self, Job job, bool in_ready_queue) {
  auto& st = self->state;
  note_left_queue(st, job.id());
  if (in_ready_queue && job.state() == Job::READY)
    st.ready.remove(job.id(), lifecycle::lane_of(job.spec().priority()), job.ready_seq(), flow_key_of(st, job));
  auto before = storage::job_position::of(job);
  auto now = st.ctx->wall->now();
  lifecycle::cancel(job, now, cancel_reason(st, job.id()));
  ++st.counters.cancelled;
  st.throughput.record(now);
  queue_final(self, std::move(job), before);
}

std::string cancel_reason(const scheduler_state& st, job_id id, std::string_view when) {
  auto by = st.cancelled_by.find(id);
  return "cancelled by " + (by != st.cancelled_by.end() ? by->second : std::string{"a client"}) + std::string{when};
}

caf::result<Job> cancel_job(scheduler_self self, job_id id, const std::string& by) {
  auto& st = self->state;
  auto rp = self->make_response_promise<Job>();
  // The cancel is answered with the record the job ends with.
  auto req = std::make_shared<await_request>();
  req->results.resize(1);
  req->on_done = [rp](std::vector<Job>& jobs) mutable { rp.deliver(std::move(jobs[0])); };
  req->on_error = [rp](caf::error err) mutable { rp.deliver(std::move(err)); };
  if (auto it = st.running.find(id); it != st.running.end()) {
    auto& run = it->second;
    if (run.stop == running_job::stop_reason::none) {
      run.stop = running_job::stop_reason::cancel;
      if (!run.starting) self->send(st.slots[run.slot].handle, stop_atom::value, id, run.attempt);
    }
  } else if (st.loading.count(id) > 0) {
    st.cancel_after_load.insert(id);
  } else if (st.finishing.count(id) > 0) {
    // Its new state is being written: a retry is cancelled once that is durable (on_committed).
    st.cancel_after_write.insert(id);
  } else {
    // Refusals go through the promise: once it exists, CAF 0.17 drops an error the handler returns.
    Job job;
    if (!read_job(self, id, &job, req)) return rp;
    if (lifecycle::is_terminal(job.state())) {
      fail_request(req, make_error(ec::conflict, "job " + std::to_string(id) + " is already " +
                                                     lifecycle::state_name(job.state())));
      return rp;
    }
    if (!by.empty()) st.cancelled_by.emplace(id, by);
    add_waiter(self, id, waiter{req, 0});
    cancel_record(self, std::move(job), /*in_ready_queue=*/true);
    return rp;
  }
  // The first to ask is the one the job's history names.
  if (!by.empty()) st.cancelled_by.emplace(id, by);
  add_waiter(self, id, waiter{req, 0});
  return rp;
}

void cancel_stored(scheduler_self self, job_id id) {
  Job job;
  if (auto s = self->state.ctx->store->get(id, &job); !s) {
    spdlog::error("scheduler: cannot read job {} to cancel it: {}", id, s.message());
    return;
  }
  if (!lifecycle::is_terminal(job.state())) cancel_record(self, std::move(job), /*in_ready_queue=*/true);
}

backoff_policy retry_policy_of(const scheduler_state& st, const Job& job) {
  auto kind = st.kind_retry.find(job.spec().kind());
  return apply(job.spec().retry(), kind != st.kind_retry.end() ? kind->second : st.node_retry);
}

namespace {

SchedulerSample metrics_sample_of(const scheduler_state& st) {
  SchedulerSample out;
  set_timestamp(out.mutable_at(), st.ctx->wall->now());
  st.metrics.fill(&out);
  out.set_blocked(st.blocked_jobs);
  out.set_scheduled(st.scheduled_jobs);
  uint32_t alive = 0, busy = 0;
  for (const auto& p : st.pools) {
    alive += p.gone ? 0 : p.alive;
    busy += p.gone ? 0 : p.busy;
  }
  out.set_slots_total(alive);
  out.set_slots_busy(busy);
  out.set_slots_lost(st.slots_lost);
  out.set_runner_stopped(st.runner_stopped);
  out.set_admission_held(st.admission.held());
  out.set_admission_holds(st.admission.holds_total());
  fill_pool_limits(st, out.mutable_pools());
  return out;
}

NodeStatus status_of(scheduler_self self) {
  auto& st = self->state;
  NodeStatus out;
  auto now = st.ctx->wall->now();
  out.set_node(st.ctx->node_name);
  out.set_version(TROUPE_VERSION);
  set_timestamp(out.mutable_started_at(), st.started_at);
  static constexpr JobSpec::Priority lane_priority[] = {JobSpec::CRITICAL, JobSpec::HIGH, JobSpec::NORMAL,
                                                        JobSpec::LOW};
  std::array<uint64_t, lifecycle::lane_count> running_by_lane{};
  for (const auto& [id, run] : st.running) ++running_by_lane[run.lane];
  for (int lane = 0; lane < lifecycle::lane_count; ++lane) {
    for (auto [state, count] : {std::pair{Job::READY, uint64_t{st.ready.size(lane)}},
                                std::pair{Job::RUNNING, running_by_lane[lane]}}) {
      auto* d = out.add_depth();
      d->set_state(state);
      d->set_priority(lane_priority[lane]);
      d->set_count(count);
    }
  }
  uint32_t alive = 0, busy = 0;
  for (const auto& p : st.pools) {
    alive += p.gone ? 0 : p.alive;
    busy += p.gone ? 0 : p.busy;
  }
  out.set_slots_total(alive);
  out.set_slots_busy(busy);
  out.set_running(st.running.size());
  auto* tp = out.mutable_throughput();
  tp->set_last_1s(st.throughput.per_second(now, 1));
  tp->set_last_10s(st.throughput.per_second(now, 10));
  tp->set_last_60s(st.throughput.per_second(now, 60));
  out.set_submitted_total(st.counters.submitted);
  out.set_blocked(st.blocked_jobs);
  out.set_scheduled(st.scheduled_jobs);
  out.set_aged_total(st.ready.aged());
  out.set_succeeded_total(st.counters.succeeded);
  out.set_failed_total(st.counters.failed_attempts);
  out.set_dead_total(st.counters.dead);
  out.set_cancelled_total(st.counters.cancelled);
  out.set_finished_in_store(static_cast<uint64_t>(std::max<int64_t>(0, st.ctx->store->history_size())));
  out.set_accepting(!st.draining);
  out.set_durability(to_string(st.ctx->options.durability));
  for (const auto& name : st.ctx->kinds->names()) out.add_kinds(name);
  *out.mutable_admission() = st.admission;
  fill_pool_limits(st, out.mutable_pools());
  return out;
}

fair_share_config fair_share_of(const node_options& options) {
  fair_share_config c;
  c.strict_priority = options.enablePriorityScheduling;
  c.cache_bytes = size_t{options.queueCacheMB} << 20;
  c.aging_threshold = static_cast<micros>(options.priorityAgingMs) * 1000;
  // The options were validated when they were parsed.
  c.user_weights = parse_name_values(options.userWeights).value_or(decltype(c.user_weights){});
  c.kind_weights = parse_name_values(options.kindWeights).value_or(decltype(c.kind_weights){});
  c.default_user_limit = options.maxRunningPerUser;
  c.user_limits = parse_name_values(options.userRunningLimits).value_or(decltype(c.user_limits){});
  c.kind_limits = parse_name_values(options.kindRunningLimits).value_or(decltype(c.kind_limits){});
  return c;
}

// Rebuilds the ready queue from the store (after recovery requeued what was running).
void rebuild(scheduler_self self) {
  auto& st = self->state;
  size_t queued = 0;
  auto now = st.ctx->wall->now();
  auto s = st.ctx->store->scan_queue([&](const storage::job_store::queued_entry& e) {
    // Records are loaded when the jobs are claimed; their wait for aging counts from now.
    auto key = st.ready.key_of(e.user, e.kind);
    st.ready.push(e.lane, e.seq, e.id, key, now);
    if (st.metrics_on) st.metrics.add_ready({key.user, key.kind, e.lane}, e.user, e.kind, 1);
    ++queued;
  });
  if (s) s = restore_usage(st);
  if (s) s = restore_pauses(self);
  if (s) s = restore_cron(self);
  // Every BLOCKED job goes to the dependency manager again, which reads what each waits for from the store.
  std::vector<dependency_event> blocked;
  if (s) s = st.ctx->store->scan_blocked([&](job_id id) { blocked.push_back({id, Job::BLOCKED, {}}); });
  // Every SCHEDULED job goes to the timer queue.
  std::vector<std::pair<micros, job_id>> scheduled;
  if (s) s = st.ctx->store->scan_scheduled([&](micros at, job_id id) { scheduled.emplace_back(at, id); });
  if (!s) {
    spdlog::critical("scheduler: cannot read the queue indexes: {}", s.message());
    self->quit(make_error(ec::storage_failure, s.message()));
    return;
  }
  if (queued > 0) spdlog::info("scheduler: {} ready jobs queued from the store", queued);
  if (!scheduled.empty()) {
    spdlog::info("scheduler: {} jobs scheduled for later", scheduled.size());
    st.scheduled_jobs = scheduled.size();
    add_timers(self, scheduled);
  }
  if (!blocked.empty()) {
    spdlog::info("scheduler: {} jobs wait for dependencies or batches", blocked.size());
    st.blocked_jobs = blocked.size();
    report_to_dependencies(self, std::move(blocked));
  }
}

scheduler_actor::behavior_type scheduler(scheduler_self self, engine_context_ptr ctx, journal_actor journal,
                                         reader_actor reader, dependency_actor deps) {
  auto& st = self->state;
  st.ctx = ctx;
  st.journal = std::move(journal);
  st.reader = std::move(reader);
  st.deps = std::move(deps);
  st.ready = ready_queue{fair_share_of(ctx->options)};
  st.quotas = quota_limits_of(ctx->options);
  st.node_retry = backoff_policy{static_cast<micros>(ctx->options.retryBaseMs) * 1000, ctx->options.retryFactor,
                                 static_cast<micros>(ctx->options.retryMaxDelayMs) * 1000, ctx->options.retryJitter};
  auto rate_of = [](const rate_setting& r) {
    return rate_limiter::limit{static_cast<double>(r.count) / (static_cast<double>(r.interval_ms) * 1000),
                               static_cast<double>(r.burst)};
  };
  using rates = std::unordered_map<std::string, rate_setting>;  // the options were validated when parsed
  for (const auto& [kind, r] : parse_rate_limits(ctx->options.kindRateLimits).value_or(rates{}))
    st.limiter.limit_kind(st.ready.key_of({}, kind).kind, rate_of(r));
  for (const auto& [user, r] : parse_rate_limits(ctx->options.userRateLimits).value_or(rates{}))
    st.limiter.limit_user(st.ready.key_of(user, {}).user, rate_of(r));
  auto kind_retry = parse_kind_retry(ctx->options.kindRetry).value_or(std::unordered_map<std::string, retry_setting>{});
  for (const auto& [kind, r] : kind_retry)
    st.kind_retry[kind] = backoff_policy{static_cast<micros>(r.base_ms) * 1000, r.factor,
                                         static_cast<micros>(r.max_delay_ms) * 1000, r.jitter};
  st.started_at = ctx->wall->now();
  st.metrics_on = ctx->options.metricsEnabled;
  self->set_down_handler([=](caf::down_msg& msg) { on_slot_down(self, msg); });
  rebuild(self);
  return {
      [=](submit_atom, std::vector<JobSpec>& specs) { return submit(self, specs); },
      [=](cancel_atom, job_id id) { return cancel_job(self, id, {}); },
      [=](await_atom, const std::vector<job_id>& ids) { return await_jobs(self, ids); },
      [=](status_atom) { return status_of(self); },
      [=](metrics_atom) { return metrics_sample_of(self->state); },
      [=](control_atom, const JobControl& control) { return control_job(self, control); },
      [=](queues_atom, const QueueControl& control) { return control_queues(self, control); },
      [=](cron_atom, const CronControl& control) { return control_cron(self, control); },
      [=](usage_atom, const std::string& user) { return usage_of(self->state, user); },
      [=](slots_atom, const pool_offer& offer, std::vector<slot_actor>& handles) {
        add_slots(self, offer, handles);
      },
      [=](drain_atom, const std::string& pool) { drain_pool(self, pool); },
      [=](hand_back_atom, const std::string& pool) { hand_back_pool(self, pool); },
      [=](leave_atom, const std::string& pool, const std::string& why) { return remove_pool(self, pool, why); },
      [=](report_atom, std::vector<attempt_report>& reports) { return apply_reports(self, reports); },
      [=](workers_atom) { return pool_list(self->state); },
      [=](admission_atom, bool held, double memory_percent, const std::string& reason) {
        set_admission(self, held, memory_percent, reason);
      },
      [=](limit_atom, const std::string& pool, uint32_t limit, const std::string& reason) {
        set_pool_limit(self, pool, limit, reason);
      },
      [=](pool_load_atom) { return pool_loads(self->state); },
      [=](drain_atom) -> caf::result<ok_atom> {
        auto& st = self->state;
        st.draining = true;
        auto rp = self->make_response_promise<ok_atom>();
        st.drain_promises.push_back(rp);
        check_drained(self);
        return rp;
      },
      [=](hand_back_atom) {
        auto& st = self->state;
        st.draining = true;
        for (auto& [id, run] : st.running) {
          if (run.stop != running_job::stop_reason::none) continue;
          run.stop = running_job::stop_reason::hand_back;
          if (!run.starting) self->send(st.slots[run.slot].handle, stop_atom::value, id, run.attempt);
        }
      },
      [=](reader_atom, reader_actor& reader) { self->state.reader = std::move(reader); },
      [=](flush_atom) { flush(self); },
      [=](dispatch_atom) {
        self->state.dispatch_scheduled = false;
        dispatch(self);
      },
      [=](due_atom) { fire_timers(self); },
      [=](refill_atom) { refill_rates(self); },
      [=](cron_tick_atom) { fire_cron(self); },
  };
}

}  // namespace

scheduler_actor spawn_scheduler(caf::actor_system& sys, engine_context_ptr ctx, journal_actor journal,
                                reader_actor reader, dependency_actor deps) {
  return sys.spawn(scheduler, std::move(ctx), std::move(journal), std::move(reader), std::move(deps));
}

}  // namespace troupe
