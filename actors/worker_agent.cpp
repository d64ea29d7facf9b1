#include "actors/worker_agent.hpp"

#include <unistd.h>

#include <algorithm>

#include <caf/actor_clock.hpp>
#include <caf/actor_system.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/io/middleman.hpp>
#include <caf/openssl/manager.hpp>
#include <caf/send.hpp>
#include <caf/stateful_actor.hpp>
#include <caf/typed_event_based_actor.hpp>
#include <spdlog/spdlog.h>

#include "actors/job_slot.hpp"
#include "troupe/client.hpp"

namespace troupe {

namespace {

using idle_atom = caf::atom_constant<caf::atom("idle")>;
using reconnect_atom = caf::atom_constant<caf::atom("reconnect")>;
using grace_atom = caf::atom_constant<caf::atom("grace")>;
using offer_atom = caf::atom_constant<caf::atom("offer")>;

// --- relays -------------------------------------------------------------------------------------------------------

struct relay_state {
  static inline const char* name = "troupe.worker.relay";
  uint32_t index = 0;
  slot_actor slot;
  caf::actor agent;
  std::shared_ptr<std::atomic<uint64_t>> epoch;
};

using relay_self = slot_actor::stateful_pointer<relay_state>;

slot_actor::behavior_type relay(relay_self self, uint32_t index, slot_actor slot, caf::actor agent,
                                std::shared_ptr<std::atomic<uint64_t>> epoch) {
  auto& st = self->state;
  st.index = index;
  st.slot = std::move(slot);
  st.agent = std::move(agent);
  st.epoch = std::move(epoch);
  self->monitor(st.slot);
  self->set_down_handler([=](caf::down_msg& msg) { self->quit(msg.reason); });
  return {
      [=](run_atom, Job& job) -> caf::result<Job, outcome, int64_t> {
        auto& st = self->state;
        auto started_in = st.epoch->load();
        caf::anon_send(st.agent, run_atom::value, st.index, started_in);
        auto rp = self->make_response_promise<Job, outcome, int64_t>();
        self->request(st.slot, caf::infinite, run_atom::value, std::move(job))
            .then(
                [=](Job& job, outcome& result, int64_t duration) mutable {
                  auto& st = self->state;
                  if (st.epoch->load() != started_in) {
                    // The connection it came on is gone: the agent keeps the result for the next join.
                    caf::anon_send(st.agent, idle_atom::value, st.index, started_in,
                                   attempt_report{std::move(job), std::move(result), duration});
                    return;
                  }
                  // The answer first: it must be on its way to the node before the agent, told the slot is
                  // idle, may leave (the node takes a leaving worker's pool out after what it sent before).
                  rp.deliver(std::move(job), std::move(result), duration);
                  caf::anon_send(st.agent, idle_atom::value, st.index, started_in, attempt_report{});
                },
                [=](caf::error& err) mutable { rp.deliver(std::move(err)); });
        return rp;
      },
      [=](stop_atom, job_id id, uint32_t attempt) { self->send(self->state.slot, stop_atom::value, id, attempt); },
      [=](finished_atom, uint64_t, outcome&) {},  // the local slot's own messages; never sent to a relay
      [=](timeout_atom) {},
  };
}

// --- the agent ----------------------------------------------------------------------------------------------------

struct relay_entry {
  slot_actor handle;
  bool busy = false;
  uint64_t busy_since_epoch = 0;  // while busy: the epoch its attempt came in
  bool offered = false;           // offered to the node in the current epoch
};

struct agent_state {
  static inline const char* name = "troupe.worker.agent";
  engine_context_ptr ctx;
  worker_options opts;
  std::shared_ptr<worker_shared_status> status;
  std::shared_ptr<std::atomic<uint64_t>> epoch = std::make_shared<std::atomic<uint64_t>>(0);
  std::vector<relay_entry> relays;
  std::vector<caf::actor> local_slots;
  std::string host;
  uint16_t port = 0;
  access_actor node;       // while connected
  caf::actor registry;     // the node's scaling actor, once joined
  bool joined = false;
  bool connecting = false;
  uint32_t backoff_ms = 0;
  std::vector<attempt_report> reports;  // results kept for the node
  bool reporting = false;               // a report request is out
  bool draining = false;
  bool handed_back = false;  // the grace deadline passed once
  bool leaving = false;      // the leave is on its way
  caf::actor_clock::time_point hold_offers_until{};  // see offer_free_slots
  uint64_t finished = 0;
};

using agent_self = caf::stateful_actor<agent_state>*;

uint32_t running_count(const agent_state& st) {
  return static_cast<uint32_t>(std::count_if(st.relays.begin(), st.relays.end(), [](auto& r) { return r.busy; }));
}

void publish_status(agent_state& st) {
  st.status->connected = st.joined;
  st.status->draining = st.draining;
  st.status->running = running_count(st);
  st.status->finished = st.finished;
  st.status->reports_pending = static_cast<uint32_t>(st.reports.size());
}

void maybe_leave(agent_self self);

void schedule_connect(agent_self self) {
  auto& st = self->state;
  if (st.connecting) return;
  st.connecting = true;
  st.backoff_ms = st.backoff_ms == 0 ? st.opts.reconnect_min_ms : std::min(st.backoff_ms * 2, st.opts.reconnect_max_ms);
  self->delayed_send(self, std::chrono::milliseconds{st.backoff_ms}, reconnect_atom::value);
}

// The connection (or the node's registry of us) is gone: a new epoch; results of attempts still running are kept.
void lose_node(agent_self self, const std::string& why) {
  auto& st = self->state;
  if (st.node) self->demonitor(st.node.address());
  bool was_joined = st.joined;
  st.node = nullptr;
  st.registry = nullptr;
  st.joined = false;
  st.reporting = false;  // its answer will not come: sent again after the next join
  ++*st.epoch;
  for (auto& r : st.relays) r.offered = false;
  publish_status(st);
  if (was_joined)
    spdlog::warn("worker {}: lost the scheduling node ({}); {} attempts still running keep their results",
                 st.opts.name, why, running_count(st));
  schedule_connect(self);
  maybe_leave(self);  // a drained worker need not wait for the node to come back
}

// Offers the free relays that the node does not have in this epoch. Not while kept results wait to be reported:
// the node applies a result only while its job is not claimed again, so the slots come after the report. Nor,
// for up to hold_offer_ms after a join, while attempts that came over a lost connection still run here: after a
// restart of the node their jobs are READY there, and a free slot of this worker would run them a second time.
void offer_free_slots(agent_self self) {
  auto& st = self->state;
  if (!st.joined || st.draining || st.reporting || !st.reports.empty()) return;
  auto epoch = st.epoch->load();
  bool old_attempts = std::any_of(st.relays.begin(), st.relays.end(),
                                  [&](const relay_entry& r) { return r.busy && r.busy_since_epoch != epoch; });
  if (old_attempts && self->clock().now() < st.hold_offers_until) return;
  std::vector<slot_actor> handles;
  for (auto& r : st.relays) {
    if (r.busy || r.offered) continue;
    r.offered = true;
    handles.push_back(r.handle);
  }
  if (!handles.empty()) self->send(st.registry, slots_atom::value, st.opts.name, std::move(handles));
}

void send_reports(agent_self self);

// After a join or a report: publishes the status, then what waits for the node goes on: the next kept results,
// the free slots (once nothing waits to be reported), the leave of a drained worker.
void move_on(agent_self self) {
  publish_status(self->state);
  send_reports(self);
  offer_free_slots(self);
  maybe_leave(self);
}

// Sends the kept results, one request at a time; they are dropped once the node acknowledged them.
void send_reports(agent_self self) {
  auto& st = self->state;
  if (!st.joined || st.reporting || st.reports.empty()) return;
  st.reporting = true;
  auto sent = st.reports.size();
  auto epoch = st.epoch->load();
  self->request(st.registry, caf::infinite, report_atom::value, st.opts.name, st.reports)
      .then(
          [=](uint32_t applied) {
            auto& st = self->state;
            if (st.epoch->load() != epoch) return;  // lost meanwhile: they are sent again
            st.reporting = false;
            st.reports.erase(st.reports.begin(), st.reports.begin() + static_cast<long>(sent));
            spdlog::info("worker {}: reported {} kept results; the node applied {}", st.opts.name, sent, applied);
            move_on(self);
          },
          [=](caf::error& err) {
            auto& st = self->state;
            if (st.epoch->load() != epoch) return;
            st.reporting = false;
            spdlog::warn("worker {}: reporting {} results failed: {}", st.opts.name, sent, describe(err));
            if (st.epoch->load() == epoch && st.joined) lose_node(self, "a report failed");
          });
}

void join(agent_self self) {
  auto& st = self->state;
  WorkerJoin req;
  req.set_secret(st.opts.secret);
  req.set_name(st.opts.name);
  for (const auto& k : st.opts.kinds) req.add_kinds(k);
  req.set_slots(st.opts.slots);
  char host[256] = {};
  gethostname(host, sizeof(host) - 1);
  req.set_host(host);
  req.set_pid(static_cast<uint64_t>(getpid()));
  req.set_version(TROUPE_VERSION);
  auto epoch = st.epoch->load();
  self->request(st.node, caf::infinite, join_atom::value, std::move(req),
                caf::actor_cast<caf::actor>(self))
      .then(
          [=](WorkerWelcome& welcome, caf::actor& registry) {
            auto& st = self->state;
            if (st.epoch->load() != epoch) return;
            st.registry = std::move(registry);
            st.joined = true;
            st.backoff_ms = 0;
            auto hold = std::chrono::milliseconds{st.opts.hold_offer_ms};
            st.hold_offers_until = self->clock().now() + hold;
            self->delayed_send(self, hold, offer_atom::value, st.epoch->load());
            ++st.status->joins;
            spdlog::info("worker {}: joined node {} at {}:{} with {} slots", st.opts.name, welcome.node(), st.host,
                         st.port, st.opts.slots);
            if (st.draining) self->send(st.registry, drain_atom::value, st.opts.name);
            move_on(self);
          },
          [=](caf::error& err) {
            auto& st = self->state;
            if (st.epoch->load() != epoch) return;
            if (code_of(err) == ec::unauthenticated) {
              spdlog::error("worker {}: the node refused the join: {}", st.opts.name, describe(err));
              self->quit(err);
              return;
            }
            lose_node(self, "join failed: " + describe(err));
          });
}

void connect(agent_self self) {
  auto& st = self->state;
  st.connecting = false;
  if (st.node) return;
  auto& sys = self->home_system();
  auto mm = st.opts.tls ? sys.openssl_manager().actor_handle() : sys.middleman().actor_handle();
  self->request(mm, std::chrono::seconds{10}, caf::connect_atom::value, st.host, st.port)
      .then(
          [=](const caf::node_id&, caf::strong_actor_ptr& ptr, const std::set<std::string>&) {
            auto& st = self->state;
            if (!ptr) {
              lose_node(self, "nothing is published there");
              return;
            }
            st.node = caf::actor_cast<access_actor>(std::move(ptr));
            self->monitor(st.node);
            join(self);
          },
          [=](caf::error& err) {
            auto& st = self->state;
            if (st.backoff_ms >= st.opts.reconnect_max_ms || st.status->joins == 0)
              spdlog::warn("worker {}: cannot reach {}:{} ({}); retrying", st.opts.name, st.host, st.port,
                           self->home_system().render(err));
            schedule_connect(self);
          });
}

// Leaves once drained: nothing runs, nothing is left to report (or the node is out of reach).
void maybe_leave(agent_self self) {
  auto& st = self->state;
  if (!st.draining || running_count(st) > 0) return;
  if (!st.joined) {
    if (!st.reports.empty()) return;  // wait for the node until the grace deadline
    self->quit();
    return;
  }
  if (!st.reports.empty() || st.reporting || st.leaving) return;
  st.leaving = true;
  self->request(st.registry, caf::infinite, leave_atom::value, st.opts.name)
      .then([=](ok_atom) { self->quit(); }, [=](caf::error&) { self->quit(); });
}

caf::behavior agent(agent_self self, engine_context_ptr ctx, worker_options opts,
                    std::shared_ptr<worker_shared_status> status) {
  auto& st = self->state;
  st.ctx = std::move(ctx);
  st.opts = std::move(opts);
  st.status = std::move(status);
  parse_endpoint(st.opts.join, &st.host, &st.port);  // checked by worker::start
  auto& sys = self->home_system();
  for (uint32_t i = 0; i < st.opts.slots; ++i) {
    auto slot = spawn_slot(sys, st.ctx, i);
    st.local_slots.push_back(caf::actor_cast<caf::actor>(slot));
    st.relays.push_back({sys.spawn(relay, i, slot, caf::actor_cast<caf::actor>(self), st.epoch), false, false});
  }
  self->attach_functor([slots = st.local_slots](const caf::error&) {
    for (auto& s : slots) caf::anon_send_exit(s, caf::exit_reason::user_shutdown);
  });
  self->set_down_handler([=](caf::down_msg& msg) {
    auto& st = self->state;
    if (st.node && msg.source == st.node.address()) lose_node(self, describe(msg.reason));
  });
  self->send(self, reconnect_atom::value);
  self->send(self, tick_atom::value);
  return {
      [=](reconnect_atom) { connect(self); },
      [=](tick_atom) {
        auto& st = self->state;
        publish_status(st);
        if (st.joined) {
          WorkerBeat beat;
          beat.set_name(st.opts.name);
          beat.set_running(running_count(st));
          beat.set_finished(st.finished);
          beat.set_reports_pending(static_cast<uint32_t>(st.reports.size()));
          beat.set_draining(st.draining);
          self->send(st.registry, beat_atom::value, std::move(beat));
        }
        if (st.opts.heartbeat_interval_ms > 0)
          self->delayed_send(self, std::chrono::milliseconds{st.opts.heartbeat_interval_ms}, tick_atom::value);
      },
      [=](rejoin_atom) {
        // The node restarted its engine and forgot its pools: join again, as after a lost connection.
        auto& st = self->state;
        spdlog::warn("worker {}: the node asks it to join again (its engine restarted)", st.opts.name);
        lose_node(self, "the node's engine restarted");
      },
      [=](run_atom, uint32_t index, uint64_t epoch) {
        auto& st = self->state;
        st.relays[index].busy = true;
        st.relays[index].busy_since_epoch = epoch;
        publish_status(st);
      },
      [=](offer_atom, uint64_t epoch) {  // the hold after a join is over
        if (epoch == self->state.epoch->load()) offer_free_slots(self);
      },
      [=](idle_atom, uint32_t index, uint64_t started_in, attempt_report& report) {
        auto& st = self->state;
        auto& r = st.relays[index];
        r.busy = false;
        ++st.finished;
        if (started_in != st.epoch->load()) {
          st.reports.push_back(std::move(report));
          send_reports(self);
          offer_free_slots(self);  // the node of this epoch has not seen this relay yet
        }
        publish_status(st);
        maybe_leave(self);
      },
      [=](drain_atom) {
        auto& st = self->state;
        if (st.draining) return;
        st.draining = true;
        spdlog::info("worker {}: draining: {} attempts running, grace {} ms", st.opts.name, running_count(st),
                     st.opts.shutdown_grace_ms);
        if (st.joined) self->send(st.registry, drain_atom::value, st.opts.name);
        self->delayed_send(self, std::chrono::milliseconds{st.opts.shutdown_grace_ms}, grace_atom::value);
        publish_status(st);
        maybe_leave(self);
      },
      [=](grace_atom) {
        // The first deadline hands back what still runs; the second ends the worker whatever is left.
        auto& st = self->state;
        if (st.handed_back) {
          spdlog::error("worker {}: leaving with {} jobs not handed back and {} results not reported", st.opts.name,
                        running_count(st), st.reports.size());
          self->quit();
          return;
        }
        st.handed_back = true;
        if (!st.joined) {
          spdlog::warn("worker {}: grace period over without the node; {} kept results are not reported",
                       st.opts.name, st.reports.size());
          self->quit();
          return;
        }
        if (running_count(st) > 0) {
          spdlog::warn("worker {}: grace period over; handing {} running jobs back", st.opts.name,
                       running_count(st));
          self->send(st.registry, hand_back_atom::value, st.opts.name);
        }
        self->delayed_send(self, std::chrono::milliseconds{st.opts.shutdown_grace_ms}, grace_atom::value);
      },
  };
}

}  // namespace

caf::actor spawn_worker_agent(caf::actor_system& sys, engine_context_ptr ctx, worker_options opts,
                              std::shared_ptr<worker_shared_status> status) {
  return sys.spawn(agent, std::move(ctx), std::move(opts), std::move(status));
}

void drain_worker_agent(const caf::actor& agent) { caf::anon_send(agent, drain_atom::value); }

}  // namespace troupe
