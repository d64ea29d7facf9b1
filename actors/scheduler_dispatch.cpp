// The scheduler's hot path: claim ready jobs for free slots, run them, take their outcomes, write the results.

#include <spdlog/spdlog.h>

#include "actors/scheduler_state.hpp"
#include "schemas/lifecycle.hpp"

namespace troupe {

namespace {

void release_slot(scheduler_self self, uint32_t slot) {
  auto& s = self->state.slots[slot];
  s.busy = false;
  if (s.alive) self->state.free_slots.push_back(slot);
}

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

void on_outcome(scheduler_self self, job_id id, uint32_t attempt, outcome result, micros duration) {
  auto& st = self->state;
  auto it = st.running.find(id);
  if (it == st.running.end() || it->second.job.attempts() != attempt) {
    spdlog::debug("scheduler: ignoring an outcome for job {} attempt {} (stale lease)", id, attempt);
    return;
  }
  auto run = std::move(it->second);
  st.running.erase(it);
  release_slot(self, run.slot);
  auto before = storage::job_position::of(run.job);
  auto now = st.ctx->wall->now();
  if (run.stop == running_job::stop_reason::hand_back) {
    lifecycle::hand_back(run.job, now, st.ctx->store->take_ready_seq(),
                         "handed back: the node shut down before the attempt finished");
  } else {
    if (result.code == outcome::status::cancelled && run.stop == running_job::stop_reason::cancel)
      result.error = "cancelled while running";
    lifecycle::finish_attempt(run.job, result, duration, now, st.ctx->store->take_ready_seq());
  }
  count_result(st, result, run.job, now);
  queue_final(self, std::move(run.job), before);
  dispatch(self);
}

void run_in_slot(scheduler_self self, job_id id) {
  auto& st = self->state;
  auto& run = st.running.at(id);
  auto attempt = run.job.attempts();
  self->request(st.slots[run.slot].handle, caf::infinite, run_atom::value, run.job)
      .then([=](outcome& result, int64_t duration) { on_outcome(self, id, attempt, std::move(result), duration); },
            [=](caf::error& err) {
              on_outcome(self, id, attempt, outcome::failure("the job actor failed: " + describe(err)), 0);
            });
}

void on_claimed(scheduler_self self, const std::vector<claim_ticket>& tickets, std::vector<Job>& jobs) {
  auto& st = self->state;
  for (size_t i = 0; i < tickets.size(); ++i) {
    const auto& ticket = tickets[i];
    auto& job = jobs[i];
    st.claiming.erase(ticket.id);
    bool claimed = job.state() == Job::RUNNING && job.lease().node() == ticket.lease.node() &&
                   job.lease().slot() == ticket.lease.slot();
    bool cancel = st.cancel_after_claim.erase(ticket.id) > 0;
    if (!claimed) {  // no longer READY in the store (or gone); nothing to run
      release_slot(self, ticket.lease.slot());
      if (st.waiters.count(ticket.id) > 0) notify_waiters(self, ticket.id, nullptr);
      continue;
    }
    if (cancel || st.draining) {  // never started: cancel it, or give it back without counting the attempt
      auto before = storage::job_position::of(job);
      auto now = st.ctx->wall->now();
      release_slot(self, ticket.lease.slot());
      if (cancel) {
        lifecycle::cancel(job, now, "cancelled before it started");
        ++st.counters.cancelled;
      } else {
        lifecycle::hand_back(job, now, st.ctx->store->take_ready_seq(), "handed back: the node is shutting down");
      }
      queue_final(self, std::move(job), before);
      continue;
    }
    auto& run = st.running[ticket.id];
    run.job = std::move(job);
    run.slot = ticket.lease.slot();
    run_in_slot(self, ticket.id);
  }
}

void send_claim(scheduler_self self, std::vector<claim_ticket> tickets) {
  auto& st = self->state;
  self->request(st.journal, caf::infinite, claim_atom::value, tickets)
      .then([=](std::vector<Job>& jobs) {
              on_claimed(self, tickets, jobs);
              dispatch(self);
              check_drained(self);
            },
            [=](caf::error& err) {
              // The journal failed: nothing was claimed. The jobs stay READY in the store; the supervisor
              // restarts the engine, which rebuilds the queue from there.
              spdlog::error("scheduler: claim failed: {}", describe(err));
              for (const auto& t : tickets) {
                self->state.claiming.erase(t.id);
                release_slot(self, t.lease.slot());
              }
              check_drained(self);
            });
}

}  // namespace

void dispatch(scheduler_self self) {
  auto& st = self->state;
  if (st.draining) return;
  const auto& opts = st.ctx->options;
  size_t budget = opts.maxJobsPerRun;
  while (budget > 0 && !st.free_slots.empty()) {
    std::vector<claim_ticket> tickets;
    size_t cap = std::min<size_t>(opts.batchClaimSize, budget);
    while (tickets.size() < cap && !st.free_slots.empty()) {
      auto next = st.ready.pop();
      if (!next) break;
      auto slot = st.free_slots.back();
      st.free_slots.pop_back();
      st.slots[slot].busy = true;
      claim_ticket ticket;
      ticket.id = next->id;
      ticket.lease.set_node(st.ctx->node_name);
      ticket.lease.set_slot(slot);
      st.claiming.insert(next->id);
      tickets.push_back(std::move(ticket));
    }
    if (tickets.empty()) return;
    budget -= tickets.size();
    send_claim(self, std::move(tickets));
  }
  // A full turn: let other messages in, then go on.
  if (budget == 0 && !st.free_slots.empty() && !st.ready.empty() && !st.dispatch_scheduled) {
    st.dispatch_scheduled = true;
    self->send(self, dispatch_atom::value);
  }
}

void queue_final(scheduler_self self, Job job, const storage::job_position& before) {
  auto& st = self->state;
  st.finishing.insert(job.id());
  st.pending.updates.push_back(job_update{std::move(job), before});
  if (!st.flush_scheduled) {
    st.flush_scheduled = true;
    self->send(self, flush_atom::value);
  }
}

namespace {

// What to do with one job once its final record is durable.
struct after_flush {
  job_id id = 0;
  Job::State state = Job::PENDING;
  int lane = 0;
  uint64_t seq = 0;
  std::optional<Job> record;  // kept only when someone waits for the job
};

}  // namespace

void flush(scheduler_self self) {
  auto& st = self->state;
  st.flush_scheduled = false;
  if (st.pending.empty()) return;
  auto writes = std::move(st.pending);
  st.pending = journal_writes{};
  auto todo = std::make_shared<std::vector<after_flush>>();
  todo->reserve(writes.updates.size());
  for (const auto& u : writes.updates) {
    after_flush a;
    a.id = u.job.id();
    a.state = u.job.state();
    a.lane = lifecycle::lane_of(u.job.spec().priority());
    a.seq = u.job.ready_seq();
    if (lifecycle::is_terminal(a.state) && st.waiters.count(a.id) > 0) a.record = u.job;
    todo->push_back(std::move(a));
  }
  ++st.writes_in_flight;
  self->request(st.journal, caf::infinite, commit_atom::value, std::move(writes))
      .then(
          [=](ok_atom) {
            auto& st = self->state;
            --st.writes_in_flight;
            for (auto& a : *todo) {
              st.finishing.erase(a.id);
              if (a.state == Job::READY) st.ready.push(a.lane, a.seq, a.id);
              else notify_waiters(self, a.id, a.record ? &*a.record : nullptr);
            }
            dispatch(self);
            check_drained(self);
          },
          [=](caf::error& err) {
            spdlog::error("scheduler: writing {} results failed: {}", todo->size(), describe(err));
            auto& st = self->state;
            --st.writes_in_flight;
            for (auto& a : *todo) st.finishing.erase(a.id);
            check_drained(self);
          });
}

void check_drained(scheduler_self self) {
  auto& st = self->state;
  if (!st.draining || st.drain_promises.empty()) return;
  if (!st.running.empty() || !st.claiming.empty() || !st.finishing.empty() || !st.cancelling.empty() ||
      st.writes_in_flight > 0 || !st.pending.empty())
    return;
  for (auto& rp : st.drain_promises) rp.deliver(ok_atom::value);
  st.drain_promises.clear();
}

}  // namespace troupe
