// Pools and placement: which free slot a job goes to, and what happens when a pool drains, leaves or is lost.
//
// Placement: a job goes only to a pool that runs its kind, and to the one of those with the most free slots. A
// kind that every accepting pool runs is *universal*: any free slot will do. For the others the scheduler counts
// the free slots that run them, and a kind with none is marked unplaceable in the ready queue, which parks it
// like a limit (no pop returns it, no cost per pop) until a slot that runs it is free again. With one pool (a
// single node) every kind it runs is universal and placement costs nothing per job.

#include <spdlog/spdlog.h>

#include "actors/scheduler_state.hpp"
#include "schemas/lifecycle.hpp"

namespace troupe {

namespace {

constexpr uint32_t no_pool = UINT32_MAX;

// The kind's tables cover every kind the ready queue interned.
void grow_kind_tables(scheduler_state& st) {
  auto n = st.ready.kind_count();
  if (st.kind_universal.size() < n) {
    st.kind_universal.resize(n, 0);
    st.kind_free.resize(n, 0);
  }
}

void set_placeable(scheduler_state& st, uint32_t kind) {
  bool has_free = st.kind_universal[kind] ? st.free_total > 0 : st.kind_free[kind] > 0;
  // A universal kind is never parked: with no free slot at all, dispatch stops before it pops.
  st.ready.set_kind_unplaceable(kind, !st.kind_universal[kind] && !has_free);
}

// Recomputes which kinds are universal, each pool's tracked kinds, the free slots in all and per tracked kind
// (after a pool came, drained, left or lost its last slot).
void recompute_placement(scheduler_state& st) {
  grow_kind_tables(st);
  auto n = st.kind_universal.size();
  std::vector<uint32_t> accepting_runs(n, 0);
  uint32_t accepting = 0;
  for (const auto& p : st.pools) {
    if (!p.accepts()) continue;
    ++accepting;
    for (auto k : p.kinds) ++accepting_runs[k];
  }
  std::fill(st.kind_free.begin(), st.kind_free.end(), 0);
  st.free_total = 0;
  for (size_t k = 0; k < n; ++k) st.kind_universal[k] = accepting > 0 && accepting_runs[k] == accepting;
  for (auto& p : st.pools) {
    p.tracked.clear();
    if (!p.accepts()) continue;
    st.free_total += static_cast<uint32_t>(p.free.size());
    for (auto k : p.kinds) {
      if (st.kind_universal[k]) continue;
      p.tracked.push_back(k);
      st.kind_free[k] += static_cast<uint32_t>(p.free.size());
    }
  }
  for (size_t k = 0; k < n; ++k) set_placeable(st, static_cast<uint32_t>(k));
}

// A pool's free slots changed by `delta` (one slot taken or given back).
void count_free(scheduler_state& st, pool_entry& p, int delta) {
  st.free_total += delta;
  for (auto k : p.tracked) {
    auto before = st.kind_free[k];
    st.kind_free[k] += delta;
    if ((before == 0) != (st.kind_free[k] == 0)) set_placeable(st, k);
  }
}

uint32_t find_pool(const scheduler_state& st, const std::string& name) {
  auto it = st.pool_by_name.find(name);
  return it == st.pool_by_name.end() ? no_pool : it->second;
}

// The pool stops offering its free slots (it drains, or is gone).
void withdraw_free(scheduler_state& st, pool_entry& p) {
  st.free_total -= static_cast<uint32_t>(p.free.size());
  p.free.clear();
  p.held.clear();
}

// A free slot of an accepting pool: offered, or held back while the pool runs and offers as many as its limit.
// Returns whether it was offered (the caller counts it).
bool offer_or_hold(pool_entry& p, uint32_t slot) {
  if (p.busy + p.free.size() < p.limit) {
    p.free.push_back(slot);
    return true;
  }
  p.held.push_back(slot);
  return false;
}

}  // namespace

void place_new_kinds(scheduler_state& st) {
  auto before = st.kind_universal.size();
  if (before == st.ready.kind_count()) return;
  grow_kind_tables(st);
  // A kind never seen before is run by no pool yet (pools intern their kinds when they come).
  for (auto k = before; k < st.kind_universal.size(); ++k) set_placeable(st, static_cast<uint32_t>(k));
}

bool placeable(scheduler_state& st, uint32_t kind) {
  place_new_kinds(st);
  return st.kind_universal[kind] ? st.free_total > 0 : st.kind_free[kind] > 0;
}

uint32_t take_free_slot(scheduler_state& st, uint32_t kind) {
  uint32_t best = no_pool;
  size_t most = 0;
  for (uint32_t i = 0; i < st.pools.size(); ++i) {
    const auto& p = st.pools[i];
    if (p.free.size() > most && p.runs(kind)) {
      best = i;
      most = p.free.size();
    }
  }
  assert(best != no_pool);
  auto& p = st.pools[best];
  auto slot = p.free.back();
  p.free.pop_back();
  ++p.busy;
  st.slots[slot].busy = true;
  count_free(st, p, -1);
  return slot;
}

void return_slot(scheduler_state& st, uint32_t slot) {
  auto& s = st.slots[slot];
  s.busy = false;
  auto& p = st.pools[s.pool];
  --p.busy;
  if (!s.alive || !p.accepts()) return;
  if (offer_or_hold(p, slot)) count_free(st, p, +1);
}

void add_slots(scheduler_self self, const pool_offer& offer, std::vector<slot_actor>& handles) {
  auto& st = self->state;
  auto index = find_pool(st, offer.pool);
  if (index == no_pool || st.pools[index].gone) {
    // A new entry even for a name seen before: slots of the gone one may still be released into it.
    index = static_cast<uint32_t>(st.pools.size());
    st.pool_by_name[offer.pool] = index;
    auto& p = st.pools.emplace_back();
    p.name = offer.pool;
    p.remote = offer.remote;
    for (const auto& kind : offer.kinds) p.kinds.push_back(st.ready.key_of({}, kind).kind);
    p.kind_names = offer.kinds;
    std::sort(p.kind_names.begin(), p.kind_names.end());
    std::sort(p.kinds.begin(), p.kinds.end());
    p.kinds.erase(std::unique(p.kinds.begin(), p.kinds.end()), p.kinds.end());
    spdlog::info("scheduler: pool {} joined with {} slots ({} kinds)", offer.pool, handles.size(), p.kinds.size());
  }
  auto& p = st.pools[index];
  bool was_accepting = p.accepts();
  auto free_before = p.free.size();
  for (auto& h : handles) {
    auto slot = static_cast<uint32_t>(st.slots.size());
    self->monitor(h);
    st.slot_by_addr[h.address()] = slot;
    st.slots.push_back(slot_entry{std::move(h), index, true, false});
    ++p.alive;
    if (p.accepts()) offer_or_hold(p, slot);
  }
  if (p.accepts() && !was_accepting) {
    recompute_placement(st);
  } else if (p.accepts()) {
    auto added = static_cast<int>(p.free.size() - free_before);
    st.free_total += added;
    for (auto k : p.tracked) {
      bool was_zero = st.kind_free[k] == 0;
      st.kind_free[k] += added;
      if (was_zero) set_placeable(st, k);
    }
  }
  dispatch(self);
}

void drain_pool(scheduler_self self, const std::string& name) {
  auto& st = self->state;
  auto index = find_pool(st, name);
  if (index == no_pool || st.pools[index].draining || st.pools[index].gone) return;
  auto& p = st.pools[index];
  withdraw_free(st, p);
  p.draining = true;
  recompute_placement(st);
  spdlog::info("scheduler: pool {} drains ({} jobs still running in it)", name, p.busy);
}

void hand_back_pool(scheduler_self self, const std::string& name) {
  auto& st = self->state;
  auto index = find_pool(st, name);
  if (index == no_pool) return;
  for (auto& [id, run] : st.running) {
    if (st.slots[run.slot].pool != index || run.stop != running_job::stop_reason::none) continue;
    run.stop = running_job::stop_reason::hand_back;
    if (!run.starting) self->send(st.slots[run.slot].handle, stop_atom::value, id, run.attempt);
  }
}

std::string lost_reason(const scheduler_state& st, uint32_t slot) {
  return "worker " + st.pools[st.slots[slot].pool].name + " was lost during the attempt";
}

void requeue_lost(scheduler_self self, job_id id, uint32_t attempt, std::string why) {
  with_running_record(self, id, attempt, "its worker was lost", [=](Job job) {
    auto& st = self->state;
    auto before = storage::job_position::of(job);
    lifecycle::requeue_interrupted(job, st.ctx->wall->now(), st.ctx->store->take_ready_seq(), why);
    if (job.state() == Job::DEAD) ++st.counters.dead;
    queue_final(self, std::move(job), before);
  });
}

namespace {

// Takes the running jobs of `slot` back to READY (attempt counted): its worker is gone. Returns how many.
uint32_t requeue_slot(scheduler_self self, uint32_t slot) {
  auto& st = self->state;
  std::vector<std::pair<job_id, running_job*>> lost;
  for (auto& [id, run] : st.running)
    if (run.slot == slot) lost.emplace_back(id, &run);
  uint32_t count = 0;
  for (auto& [id, run] : lost) {
    ++count;
    if (run->starting) {  // its claim is being written: requeued once that is durable (on_committed)
      if (run->stop == running_job::stop_reason::none) run->stop = running_job::stop_reason::lost;
      continue;
    }
    auto attempt = run->attempt;
    auto stop = run->stop;
    st.running.erase(id);
    release_slot(self, slot);
    if (stop == running_job::stop_reason::cancel) {
      // A cancel was on its way to the lost slot: the job ends CANCELLED as asked.
      auto why = cancel_reason(st, id, " while its worker was lost");
      with_running_record(self, id, attempt, "its worker was lost", [=](Job job) {
        outcome cancelled;
        cancelled.code = outcome::status::cancelled;
        cancelled.error = why;
        finish(self, std::move(job), running_job::stop_reason::cancel, std::move(cancelled), 0);
      });
      continue;
    }
    requeue_lost(self, id, attempt, lost_reason(st, slot));
  }
  return count;
}

// The slot is dead (`lost`: not by a drained pool's leave): out of its pool's free slots and counts.
void forget_slot(scheduler_state& st, uint32_t slot, bool lost) {
  auto& s = st.slots[slot];
  if (!s.alive) return;
  s.alive = false;
  if (lost) ++st.slots_lost;
  st.slot_by_addr.erase(s.handle.address());
  auto& p = st.pools[s.pool];
  --p.alive;
  if (auto it = std::find(p.free.begin(), p.free.end(), slot); it != p.free.end()) {
    p.free.erase(it);
    count_free(st, p, -1);
  }
  if (auto it = std::find(p.held.begin(), p.held.end(), slot); it != p.held.end()) p.held.erase(it);
  if (p.alive == 0) recompute_placement(st);
}

}  // namespace

void on_slot_down(scheduler_self self, const caf::down_msg& msg) {
  auto& st = self->state;
  auto it = st.slot_by_addr.find(msg.source);
  if (it == st.slot_by_addr.end()) return;
  auto slot = it->second;
  auto& pool = st.pools[st.slots[slot].pool];
  forget_slot(st, slot, /*lost=*/!pool.draining);
  if (pool.remote) {
    pool.requeued += requeue_slot(self, slot);
  } else {
    fail_attempts_in(self, slot, msg.reason);
  }
  dispatch(self);
}

uint32_t remove_pool(scheduler_self self, const std::string& name, const std::string& why) {
  auto& st = self->state;
  auto index = find_pool(st, name);
  if (index == no_pool || st.pools[index].gone) return 0;
  uint32_t requeued = 0;
  bool drained = st.pools[index].draining;
  for (uint32_t slot = 0; slot < st.slots.size(); ++slot) {
    if (st.slots[slot].pool != index || !st.slots[slot].alive) continue;
    forget_slot(st, slot, /*lost=*/!drained);
    requeued += requeue_slot(self, slot);
  }
  auto& p = st.pools[index];
  p.requeued += requeued;  // besides those its slots' down messages requeued before
  withdraw_free(st, p);
  p.gone = true;
  recompute_placement(st);
  if (requeued > 0)
    spdlog::warn("scheduler: pool {} is gone ({}): {} running jobs went back to READY", name, why, requeued);
  else
    spdlog::info("scheduler: pool {} is gone ({})", name, why);
  dispatch(self);
  return static_cast<uint32_t>(p.requeued);
}

caf::result<uint32_t> apply_reports(scheduler_self self, std::vector<attempt_report>& reports) {
  auto& st = self->state;
  uint32_t applied = 0;
  std::vector<job_id> to_load;
  auto kept = std::make_shared<std::vector<attempt_report>>();
  for (auto& r : reports) {
    auto id = r.job.id();
    auto token = r.job.lease().token();
    if (auto it = st.running.find(id); it != st.running.end()) {
      // Its attempt still runs here under that lease (the answer was lost on the way): an outcome like any.
      if (it->second.token == token && !it->second.starting) {
        on_outcome(self, id, r.job.attempts(), token, std::move(r.job), std::move(r.result), r.duration);
        ++applied;
      }
      continue;
    }
    if (in_flight(st, id) || st.reporting.count(id) > 0) continue;
    st.reporting[id] = false;
    to_load.push_back(id);
    kept->push_back(std::move(r));
  }
  if (to_load.empty()) return applied;
  auto rp = self->make_response_promise<uint32_t>();
  self->request(st.reader, caf::infinite, load_atom::value, std::move(to_load))
      .then(
          [=](std::vector<Job>& jobs) mutable {
            auto& st = self->state;
            uint32_t count = applied;
            auto now = st.ctx->wall->now();
            for (size_t i = 0; i < jobs.size(); ++i) {
              auto& job = jobs[i];
              auto& r = (*kept)[i];
              bool touched = st.reporting[job.id()];
              st.reporting.erase(job.id());
              // Applied only while the record still holds the interrupted attempt's lease: READY, not claimed
              // again, not changed since it was read.
              if (touched || in_flight(st, job.id()) || job.state() != Job::READY || !job.has_lease() ||
                  job.lease().token() != r.job.lease().token())
                continue;
              st.ready.remove(job.id(), lifecycle::lane_of(job.spec().priority()), job.ready_seq(),
                              flow_key_of(st, job));
              lifecycle::resume_reported(job, now,
                                         "result reported by worker " + r.job.lease().node() +
                                             " after this node lost it");
              finish(self, std::move(job), running_job::stop_reason::none, std::move(r.result), r.duration);
              ++count;
            }
            rp.deliver(count);
            dispatch(self);
          },
          [=](caf::error& err) mutable {
            auto& st = self->state;
            for (const auto& r : *kept) st.reporting.erase(r.job.id());
            rp.deliver(std::move(err));
          });
  return rp;
}

void set_pool_limit(scheduler_self self, const std::string& name, uint32_t limit, const std::string& reason) {
  auto& st = self->state;
  auto index = find_pool(st, name);
  if (index == no_pool || st.pools[index].gone || limit == 0) return;
  auto& p = st.pools[index];
  auto before = std::min(p.limit, p.alive);
  if (std::min(limit, p.alive) != before) {
    spdlog::info("scheduler: pool {} may run {} of its {} slots' jobs at once (was {}): {}", name,
                 std::min(limit, p.alive), p.alive, before, reason);
    ++p.limit_changes;
  }
  p.limit = limit;
  p.limit_reason = reason;
  p.limit_changed_at = st.ctx->wall->now();
  while (!p.free.empty() && p.busy + p.free.size() > p.limit) {
    p.held.push_back(p.free.back());
    p.free.pop_back();
    count_free(st, p, -1);
  }
  while (!p.held.empty() && p.accepts() && p.busy + p.free.size() < p.limit) {
    p.free.push_back(p.held.back());
    p.held.pop_back();
    count_free(st, p, +1);
  }
  dispatch(self);
}

void count_pool_start(scheduler_state& st, uint32_t slot, const Job& job) {
  auto& p = st.pools[st.slots[slot].pool];
  ++p.started;
  if (auto wait = lifecycle::wait_in(job, Job::READY); wait > 0) p.pickup_seconds += wait;
}

void count_pool_finish(scheduler_state& st, uint32_t slot, const outcome& result) {
  auto& p = st.pools[st.slots[slot].pool];
  ++p.finished;
  if (!result.ok() && result.code != outcome::status::cancelled) ++p.failed;
}

PoolLoads pool_loads(const scheduler_state& st) {
  PoolLoads out;
  for (const auto& p : st.pools) {
    if (p.gone) continue;
    auto* l = out.add_pools();
    l->set_pool(p.name);
    l->set_slots(p.alive);
    l->set_busy(p.busy);
    l->set_limit(std::min(p.limit, p.alive));
    l->set_started(p.started);
    l->set_finished(p.finished);
    l->set_failed(p.failed);
    l->set_pickup_seconds(p.pickup_seconds);
  }
  out.set_backlog(st.ready.size());
  return out;
}

void fill_pool_limits(const scheduler_state& st, google::protobuf::RepeatedPtrField<PoolLimit>* out) {
  for (const auto& p : st.pools) {
    if (p.gone) continue;
    auto* l = out->Add();
    l->set_pool(p.name);
    l->set_slots(p.alive);
    l->set_limit(std::min(p.limit, p.alive));
    l->set_busy(p.busy);
    l->set_reason(p.limit_reason);
    if (p.limit_changed_at > 0) set_timestamp(l->mutable_changed_at(), p.limit_changed_at);
    l->set_changes_total(p.limit_changes);
  }
}

WorkerList pool_list(const scheduler_state& st) {
  WorkerList out;
  for (const auto& p : st.pools) {
    if (p.gone) continue;
    auto* w = out.add_workers();
    w->set_name(p.name);
    w->set_state(p.draining ? WorkerInfo::DRAINING : WorkerInfo::ACTIVE);
    for (const auto& k : p.kind_names) w->add_kinds(k);
    w->set_slots(p.alive);
    w->set_busy(p.busy);
    w->set_requeued(p.requeued);
  }
  return out;
}

}  // namespace troupe
