#include "actors/scaling.hpp"

#include <algorithm>
#include <deque>
#include <functional>
#include <map>
#include <unordered_map>

#include <caf/actor_system.hpp>
#include <caf/send.hpp>
#include <caf/stateful_actor.hpp>
#include <caf/typed_event_based_actor.hpp>
#include <fmt/ranges.h>
#include <openssl/crypto.h>
#include <spdlog/spdlog.h>

#include "actors/scaling_manager.hpp"
#include "schemas/time.hpp"

namespace troupe {

namespace {

constexpr size_t departed_kept = 100;

struct registered_worker {
  WorkerInfo info;   // as listed (slots, busy, requeued come from the scheduler when listed)
  caf::actor agent;  // the worker's own actor: monitored
};

struct scaling_state {
  static inline const char* name = "troupe.scaling";
  engine_context_ptr ctx;
  pool_scheduler_actor scheduler;
  std::map<std::string, registered_worker> workers;             // by name
  std::unordered_map<caf::actor_addr, std::string> by_agent;   // agent -> name
  std::deque<WorkerInfo> departed;                              // lost and left, newest first
  std::unique_ptr<scaling_manager> manager;                     // desired count and local/command modes
  bool deciding = false;                                        // a tick waits for the scheduler's status
};

using scaling_self = scaling_actor::stateful_pointer<scaling_state>;

bool same_secret(const std::string& a, const std::string& b) {
  return a.size() == b.size() && CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

// Forgets a registered worker: its pool leaves the scheduler (its running jobs go back to READY). `state`: LOST or
// LEFT; `why` is logged and listed. `done` runs once the scheduler has taken the pool out.
void forget_worker(scaling_self self, const std::string& name, WorkerInfo::State state, const std::string& why,
                   std::function<void()> done = {}) {
  auto& st = self->state;
  auto it = st.workers.find(name);
  if (it == st.workers.end()) return;
  auto info = std::move(it->second.info);
  self->demonitor(it->second.agent);
  st.by_agent.erase(it->second.agent.address());
  st.workers.erase(it);
  info.set_state(state);
  info.set_reason(why);
  auto left_at = st.ctx->wall->now();
  set_timestamp(info.mutable_left_at(), left_at);
  st.departed.push_front(info);  // listed at once; the count of requeued jobs follows
  if (st.departed.size() > departed_kept) st.departed.pop_back();
  self->request(st.scheduler, caf::infinite, leave_atom::value, name, why)
      .then(
          [=](uint32_t requeued) {
            for (auto& d : self->state.departed)
              if (d.name() == name && to_micros(d.left_at()) == left_at) d.set_requeued(requeued);
            if (state == WorkerInfo::LOST)
              spdlog::warn("worker {} lost ({}); {} of its running jobs went back to READY", name, why, requeued);
            else
              spdlog::info("worker {} left ({})", name, why);
            if (done) done();
          },
          [=](caf::error& err) {
            spdlog::error("scaling: the scheduler did not take worker {} out: {}", name, describe(err));
            if (done) done();
          });
}

caf::result<WorkerWelcome, caf::actor> join(scaling_self self, WorkerJoin& req, caf::actor& agent) {
  auto& st = self->state;
  const auto& secret = st.ctx->options.clusterSecret;
  auto who = fmt::format("'{}' (host {}, pid {})", req.name(), req.host().empty() ? "?" : req.host(), req.pid());
  if (secret.empty()) {
    spdlog::warn("refused worker {}: this node has no clusterSecret, so it takes no workers", who);
    return make_error(ec::unauthenticated, "this node takes no workers: it has no clusterSecret configured");
  }
  if (!same_secret(req.secret(), secret)) {
    spdlog::warn("refused worker {}: wrong cluster secret", who);
    return make_error(ec::unauthenticated, "wrong cluster secret");
  }
  if (req.name().empty() || req.name().size() > 128 || req.name().find('/') != std::string::npos)
    return make_error(ec::invalid_argument, "a worker needs a name of 1 to 128 characters without '/'");
  if (!agent) return make_error(ec::invalid_argument, "a worker must send its own actor with the join");
  if (auto it = st.workers.find(req.name()); it != st.workers.end()) {
    // Usually a restarted worker whose old connection is not detected as dead yet. If the old one still runs, it
    // is told to end: two workers under one name would take each other's place forever.
    auto old = it->second.agent;
    forget_worker(self, req.name(), WorkerInfo::LOST, "replaced by a new join of the same name");
    if (old != agent)
      self->send_exit(old, make_error(ec::conflict, "another worker joined as '" + req.name() + "'"));
  }
  registered_worker w;
  auto now = st.ctx->wall->now();
  w.info.set_name(req.name());
  w.info.set_state(WorkerInfo::ACTIVE);
  *w.info.mutable_kinds() = req.kinds();
  w.info.set_slots(req.slots());
  set_timestamp(w.info.mutable_joined_at(), now);
  set_timestamp(w.info.mutable_last_heartbeat(), now);
  w.info.set_host(req.host());
  w.info.set_pid(req.pid());
  w.agent = agent;
  self->monitor(agent);
  st.by_agent[agent.address()] = req.name();
  st.ctx->worker_kinds->add({req.kinds().begin(), req.kinds().end()});
  st.workers[req.name()] = std::move(w);
  spdlog::info("worker {} joined: {} slots, kinds {}", who, req.slots(), fmt::join(req.kinds(), ","));
  WorkerWelcome welcome;
  welcome.set_node(st.ctx->node_name);
  welcome.set_pool(req.name());
  welcome.set_heartbeat_ms(st.ctx->options.heartbeatIntervalMs);
  return {std::move(welcome), caf::actor_cast<caf::actor>(self)};
}

registered_worker* find(scaling_self self, const std::string& name) {
  auto it = self->state.workers.find(name);
  return it == self->state.workers.end() ? nullptr : &it->second;
}

caf::result<WorkerList> list(scaling_self self) {
  auto rp = self->make_response_promise<WorkerList>();
  self->request(self->state.scheduler, caf::infinite, workers_atom::value)
      .then(
          [=](WorkerList& pools) mutable {
            auto& st = self->state;
            std::unordered_map<std::string, const WorkerInfo*> by_pool;
            for (const auto& p : pools.workers()) by_pool[p.name()] = &p;
            WorkerList out;
            for (const auto& [name, w] : st.workers) {
              auto* info = out.add_workers();
              *info = w.info;
              if (auto it = by_pool.find(name); it != by_pool.end()) {
                info->set_slots(it->second->slots());
                info->set_busy(it->second->busy());
                info->set_requeued(it->second->requeued());
                if (it->second->state() == WorkerInfo::DRAINING) info->set_state(WorkerInfo::DRAINING);
              } else {
                info->set_slots(0);  // joined; its slots are not offered yet
              }
            }
            for (const auto& d : st.departed) *out.add_workers() = d;
            *out.mutable_scaling() = st.manager->status();
            rp.deliver(std::move(out));
          },
          [=](caf::error& err) mutable { rp.deliver(std::move(err)); });
  return rp;
}

uint32_t active_workers(const scaling_state& st) {
  return static_cast<uint32_t>(std::count_if(st.workers.begin(), st.workers.end(), [](const auto& w) {
    return w.second.info.state() == WorkerInfo::ACTIVE;
  }));
}

// One decision of the scaling manager, on the scheduler's status; the next tick is armed by the caller.
void decide(scaling_self self) {
  auto& st = self->state;
  if (st.deciding) return;
  st.deciding = true;
  auto interval = std::chrono::milliseconds{st.ctx->options.scalingIntervalMs};
  self->request(st.scheduler, interval * 2, status_atom::value)
      .then(
          [=](NodeStatus& status) {
            auto& st = self->state;
            st.deciding = false;
            st.manager->tick(status, active_workers(st));
          },
          [=](caf::error& err) {
            // The engine restarts, or the scheduler is busy: no decision this interval.
            spdlog::debug("scaling: no status from the scheduler: {}", describe(err));
            self->state.deciding = false;
          });
}

scaling_actor::behavior_type scaling(scaling_self self, engine_context_ptr ctx, pool_scheduler_actor scheduler) {
  self->state.ctx = std::move(ctx);
  self->state.scheduler = std::move(scheduler);
  self->state.manager = std::make_unique<scaling_manager>(self->state.ctx);
  if (self->state.ctx->options.scalingIntervalMs > 0) self->send(self, tick_atom::value);
  self->set_down_handler([=](caf::down_msg& msg) {
    auto& st = self->state;
    auto it = st.by_agent.find(msg.source);
    if (it == st.by_agent.end()) return;
    auto name = it->second;
    forget_worker(self, name, WorkerInfo::LOST, "connection lost: " + describe(msg.reason));
  });
  return {
      [=](join_atom, WorkerJoin& req, caf::actor& agent) { return join(self, req, agent); },
      [=](slots_atom, const std::string& name, std::vector<slot_actor>& slots) {
        auto* w = find(self, name);
        if (w == nullptr) {
          spdlog::warn("scaling: slots offered by worker {}, which is not registered; ignored", name);
          return;
        }
        pool_offer offer{name, {w->info.kinds().begin(), w->info.kinds().end()}, /*remote=*/true};
        self->send(self->state.scheduler, slots_atom::value, std::move(offer), std::move(slots));
      },
      [=](beat_atom, const WorkerBeat& beat) {
        auto* w = find(self, beat.name());
        if (w == nullptr) return;
        set_timestamp(w->info.mutable_last_heartbeat(), self->state.ctx->wall->now());
        w->info.set_finished(beat.finished());
      },
      [=](report_atom, const std::string& name,
          std::vector<attempt_report>& reports) -> caf::result<uint32_t> {
        auto rp = self->make_response_promise<uint32_t>();
        auto count = reports.size();
        self->request(self->state.scheduler, caf::infinite, report_atom::value, std::move(reports))
            .then(
                [=](uint32_t applied) mutable {
                  spdlog::info("worker {} reported {} results it kept while it had lost this node: {} applied, "
                               "{} stale",
                               name, count, applied, count - applied);
                  rp.deliver(applied);
                },
                [=](caf::error& err) mutable { rp.deliver(std::move(err)); });
        return rp;
      },
      [=](drain_atom, const std::string& name) {
        auto* w = find(self, name);
        if (w == nullptr) return;
        w->info.set_state(WorkerInfo::DRAINING);
        spdlog::info("worker {} drains: it takes no new jobs", name);
        self->send(self->state.scheduler, drain_atom::value, name);
      },
      [=](hand_back_atom, const std::string& name) {
        if (find(self, name) == nullptr) return;
        spdlog::info("worker {}: grace period over; its running jobs are handed back", name);
        self->send(self->state.scheduler, hand_back_atom::value, name);
      },
      [=](leave_atom, const std::string& name) -> caf::result<ok_atom> {
        // Answered once the scheduler took the pool out, which is after it handled every result the worker sent
        // before: the worker may then exit without its last results being overtaken by its connection's end.
        auto rp = self->make_response_promise<ok_atom>();
        if (find(self, name) == nullptr) {
          rp.deliver(ok_atom::value);
          return rp;
        }
        forget_worker(self, name, WorkerInfo::LEFT, "drained and left",
                      [rp]() mutable { rp.deliver(ok_atom::value); });
        return rp;
      },
      [=](workers_atom) { return list(self); },
      [=](status_atom) {
        auto out = self->state.manager->status();
        out.set_workers(active_workers(self->state));
        return out;
      },
      [=](listen_atom, std::string& host_port) { self->state.manager->set_join_address(std::move(host_port)); },
      [=](tick_atom) {
        auto& st = self->state;
        self->delayed_send(self, std::chrono::milliseconds{st.ctx->options.scalingIntervalMs}, tick_atom::value);
        decide(self);
      },
      [=](engine_atom, pool_scheduler_actor& scheduler) {
        auto& st = self->state;
        st.scheduler = std::move(scheduler);
        // The new scheduler knows no pool: every worker joins again (its running attempts are reported).
        for (auto& [name, w] : st.workers) {
          self->demonitor(w.agent);
          caf::anon_send(w.agent, rejoin_atom::value);
        }
        st.workers.clear();
        st.by_agent.clear();
      },
  };
}

}  // namespace

scaling_actor spawn_scaling(caf::actor_system& sys, engine_context_ptr ctx, pool_scheduler_actor scheduler) {
  return sys.spawn(scaling, std::move(ctx), std::move(scheduler));
}

}  // namespace troupe
