#include "actors/supervisor.hpp"

#include <deque>
#include <unordered_set>

#include <caf/actor_system.hpp>
#include <caf/stateful_actor.hpp>
#include <caf/typed_event_based_actor.hpp>
#include <spdlog/spdlog.h>

#include "actors/dependency.hpp"
#include "actors/journal.hpp"
#include "actors/pool.hpp"
#include "actors/reader.hpp"
#include "actors/resources.hpp"
#include "actors/retention.hpp"
#include "actors/scaling.hpp"
#include "actors/scheduler.hpp"
#include "storage/recovery.hpp"

namespace troupe {

namespace {

// A drain after hand back waits at most this long for the handed-back jobs to be written.
constexpr auto hand_back_wait = std::chrono::seconds{60};

struct supervisor_state {
  static inline const char* name = "troupe.supervisor";

  enum class phase { running, restarting, draining, stopping, stopping_journal };

  engine_context_ptr ctx;
  bool detached = true;
  journal_actor journal;
  scheduler_actor scheduler;
  dependency_actor deps;
  pool_actor pool;
  reader_actor reader;
  retention_actor retention;
  gateway_internal_actor gateway;
  scaling_actor scaling;
  resource_actor resources;

  phase current = phase::running;
  std::unordered_set<caf::actor_addr> awaiting_exit;
  std::deque<micros> restart_times;
  std::vector<caf::typed_response_promise<ok_atom>> shutdown_promises;
  caf::error failure;  // why the node is stopping on its own
};

using supervisor_self = supervisor_actor::stateful_pointer<supervisor_state>;

template <class Handle>
void watch(supervisor_self self, const Handle& h) {
  if (h) self->monitor(h);
}

void spawn_engine(supervisor_self self) {
  auto& st = self->state;
  auto& sys = self->home_system();
  st.journal = spawn_journal(sys, st.ctx, st.detached);
  st.deps = spawn_dependency_manager(sys, st.ctx, st.detached);
  st.scheduler = spawn_scheduler(sys, st.ctx, st.journal, st.reader, st.deps);
  if (st.ctx->options.maxConcurrentJobs > 0)
    st.pool = spawn_pool(sys, st.ctx, st.scheduler, st.ctx->node_name + "/local", st.ctx->options.maxConcurrentJobs);
  st.retention = spawn_retention(sys, st.ctx, st.journal, st.detached);
  watch(self, st.journal);
  watch(self, st.scheduler);
  watch(self, st.deps);
  watch(self, st.pool);
  watch(self, st.retention);
}

template <class Handle>
void stop_and_await(supervisor_self self, Handle& h, caf::exit_reason reason) {
  if (!h) return;
  self->state.awaiting_exit.insert(h.address());
  self->send_exit(h, reason);
}

void finish_stop(supervisor_self self) {
  auto& st = self->state;
  for (auto& rp : st.shutdown_promises) rp.deliver(ok_atom::value);
  st.shutdown_promises.clear();
  spdlog::info("node stopped");
  if (st.failure) self->quit(st.failure);
  else self->quit();
}

// Stops everything but the journal; the journal goes last (see on_exit_seen).
void stop_actors(supervisor_self self) {
  auto& st = self->state;
  st.current = supervisor_state::phase::stopping;
  stop_and_await(self, st.gateway, caf::exit_reason::user_shutdown);
  stop_and_await(self, st.scaling, caf::exit_reason::user_shutdown);
  stop_and_await(self, st.resources, caf::exit_reason::user_shutdown);
  stop_and_await(self, st.pool, caf::exit_reason::user_shutdown);
  stop_and_await(self, st.scheduler, caf::exit_reason::user_shutdown);
  stop_and_await(self, st.deps, caf::exit_reason::user_shutdown);
  stop_and_await(self, st.retention, caf::exit_reason::user_shutdown);
  stop_and_await(self, st.reader, caf::exit_reason::user_shutdown);
  if (st.awaiting_exit.empty()) {
    st.current = supervisor_state::phase::stopping_journal;
    stop_and_await(self, st.journal, caf::exit_reason::user_shutdown);
    if (st.awaiting_exit.empty()) finish_stop(self);
  }
}

void begin_shutdown(supervisor_self self, std::chrono::milliseconds grace) {
  auto& st = self->state;
  if (st.current != supervisor_state::phase::running) {
    if (st.current == supervisor_state::phase::restarting) stop_actors(self);
    return;
  }
  st.current = supervisor_state::phase::draining;
  spdlog::info("shutting down: running jobs have {} ms to finish", grace.count());
  self->request(st.scheduler, grace, drain_atom::value)
      .then([=](ok_atom) { stop_actors(self); },
            [=](caf::error&) {
              spdlog::warn("shutdown: grace period over; handing running jobs back to the queue");
              self->send(self->state.scheduler, hand_back_atom::value);
              self->request(self->state.scheduler, hand_back_wait, drain_atom::value)
                  .then([=](ok_atom) { stop_actors(self); },
                        [=](caf::error& err) {
                          spdlog::error("shutdown: jobs were not handed back in time: {}", describe(err));
                          stop_actors(self);
                        });
            });
}

void restart_engine(supervisor_self self, const caf::error& reason) {
  auto& st = self->state;
  auto now = st.ctx->wall->now();
  while (!st.restart_times.empty() && st.restart_times.front() < now - 60'000'000) st.restart_times.pop_front();
  if (static_cast<int>(st.restart_times.size()) >= max_engine_restarts) {
    st.failure = make_error(ec::internal, "the engine failed " + std::to_string(max_engine_restarts) +
                                              " times within a minute; last: " + describe(reason));
    spdlog::critical("{}", describe(st.failure));
    stop_actors(self);
    return;
  }
  st.restart_times.push_back(now);
  spdlog::error("engine failure ({}); restarting the scheduler, dependency manager, journal and pool",
                describe(reason));
  st.current = supervisor_state::phase::restarting;
  stop_and_await(self, st.pool, caf::exit_reason::kill);
  stop_and_await(self, st.scheduler, caf::exit_reason::kill);
  stop_and_await(self, st.deps, caf::exit_reason::kill);
  stop_and_await(self, st.retention, caf::exit_reason::kill);
  stop_and_await(self, st.journal, caf::exit_reason::kill);
}

void finish_restart(supervisor_self self) {
  auto& st = self->state;
  storage::recovery_report report;
  if (auto s = storage::recover_interrupted(*st.ctx->store, st.ctx->wall->now(), &report); !s) {
    st.failure = make_error(ec::storage_failure, "recovery after an engine failure: " + s.message());
    spdlog::critical("{}", describe(st.failure));
    stop_actors(self);
    return;
  }
  spdlog::info("engine restart: {} running jobs requeued, {} dead", report.requeued, report.dead);
  spawn_engine(self);
  self->send(st.gateway, engine_atom::value, st.scheduler, st.reader);
  self->send(st.scaling, engine_atom::value, caf::actor_cast<pool_scheduler_actor>(st.scheduler));
  self->send(st.resources, engine_atom::value, st.scheduler);
  st.current = supervisor_state::phase::running;
}

// Forgets the handle of an actor that exited; returns which one it was.
enum class member { journal, scheduler, deps, pool, reader, retention, gateway, scaling, resources, other };

template <class Handle>
bool forget(Handle& h, const caf::actor_addr& addr) {
  if (!h || h.address() != addr) return false;
  h = Handle{};
  return true;
}

member forget_member(supervisor_state& st, const caf::actor_addr& addr) {
  if (forget(st.journal, addr)) return member::journal;
  if (forget(st.scheduler, addr)) return member::scheduler;
  if (forget(st.deps, addr)) return member::deps;
  if (forget(st.pool, addr)) return member::pool;
  if (forget(st.reader, addr)) return member::reader;
  if (forget(st.retention, addr)) return member::retention;
  if (forget(st.gateway, addr)) return member::gateway;
  if (forget(st.scaling, addr)) return member::scaling;
  if (forget(st.resources, addr)) return member::resources;
  return member::other;
}

void on_down(supervisor_self self, const caf::down_msg& msg) {
  auto& st = self->state;
  using phase = supervisor_state::phase;
  auto who = forget_member(st, msg.source);
  if (st.awaiting_exit.erase(msg.source) > 0 && st.awaiting_exit.empty()) {
    switch (st.current) {
      case phase::restarting: finish_restart(self); return;
      case phase::stopping:
        st.current = phase::stopping_journal;
        stop_and_await(self, st.journal, caf::exit_reason::user_shutdown);
        if (st.awaiting_exit.empty()) finish_stop(self);
        return;
      case phase::stopping_journal: finish_stop(self); return;
      default: return;
    }
  }
  if (st.current != phase::running && st.current != phase::draining) return;
  switch (who) {
    case member::reader:
      spdlog::error("reader failed ({}); restarting it", describe(msg.reason));
      st.reader = spawn_reader(self->home_system(), st.ctx, st.detached);
      watch(self, st.reader);
      self->send(st.gateway, engine_atom::value, st.scheduler, st.reader);
      self->send(st.scheduler, reader_atom::value, st.reader);
      return;
    case member::retention:
      spdlog::error("retention failed ({}); restarting it", describe(msg.reason));
      st.retention = spawn_retention(self->home_system(), st.ctx, st.journal, st.detached);
      watch(self, st.retention);
      return;
    case member::gateway:
    case member::scaling:
    case member::resources:
      st.failure = make_error(ec::internal, std::string{who == member::gateway   ? "the gateway"
                                                        : who == member::scaling ? "the scaling actor"
                                                                                 : "the resource manager"} +
                                                " failed: " + describe(msg.reason));
      spdlog::critical("{}", describe(st.failure));
      stop_actors(self);
      return;
    case member::journal:
    case member::scheduler:
    case member::deps:
    case member::pool:
      if (st.current == phase::draining) {  // no restart while stopping: finish the stop
        stop_actors(self);
        return;
      }
      restart_engine(self, msg.reason);
      return;
    case member::other: return;
  }
}

supervisor_actor::behavior_type supervisor(supervisor_self self, engine_context_ptr ctx, bool detached) {
  auto& st = self->state;
  st.ctx = std::move(ctx);
  st.detached = detached;
  self->set_down_handler([=](caf::down_msg& msg) { on_down(self, msg); });
  st.reader = spawn_reader(self->home_system(), st.ctx, st.detached);
  watch(self, st.reader);
  spawn_engine(self);
  st.gateway = spawn_gateway(self->home_system(), st.ctx, st.scheduler, st.reader);
  watch(self, st.gateway);
  st.scaling = spawn_scaling(self->home_system(), st.ctx, caf::actor_cast<pool_scheduler_actor>(st.scheduler));
  watch(self, st.scaling);
  st.resources = spawn_resources(self->home_system(), st.ctx, st.scheduler);
  watch(self, st.resources);
  return {
      [=](gateway_atom) { return self->state.gateway; },
      [=](scaling_atom) { return self->state.scaling; },
      [=](shutdown_atom, uint64_t grace_ms) -> caf::result<ok_atom> {
        auto rp = self->make_response_promise<ok_atom>();
        self->state.shutdown_promises.push_back(rp);
        begin_shutdown(self, std::chrono::milliseconds{grace_ms});
        return rp;
      },
  };
}

}  // namespace

supervisor_actor spawn_supervisor(caf::actor_system& sys, engine_context_ptr ctx, bool detached) {
  return sys.spawn(supervisor, std::move(ctx), detached);
}

}  // namespace troupe
