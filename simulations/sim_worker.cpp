#include "simulations/sim_worker.hpp"

#include <unistd.h>

#include <caf/event_based_actor.hpp>
#include <caf/send.hpp>
#include <caf/stateful_actor.hpp>
#include <caf/typed_event_based_actor.hpp>

#include "schemas/time.hpp"

namespace troupe::sim {

namespace {

using sim_join_atom = caf::atom_constant<caf::atom("simjoin")>;
using partition_atom = caf::atom_constant<caf::atom("partition")>;
using kept_atom = caf::atom_constant<caf::atom("kept")>;
using idle_atom = caf::atom_constant<caf::atom("idle")>;

}  // namespace

// What the agent and its slots share (one thread: see the header).
struct slot_info {
  slot_actor handle;
  bool busy = false;
  uint64_t started_in = 0;  // while busy: the connection epoch its attempt came in
  bool offered = false;     // offered to the node in the current epoch
};

struct worker_shared {
  sim_worker_config config;
  std::shared_ptr<clock> wall;
  std::shared_ptr<sim_ledger> ledger;
  uint64_t epoch = 0;  // one per connection
  std::vector<slot_info> slots;
  sim_worker_view view;
};

namespace {

// --- slots ---------------------------------------------------------------------------------------------------

struct slot_state {
  static inline const char* name = "sim.slot";
  std::shared_ptr<worker_shared> shared;
  caf::actor agent;
  uint32_t index = 0;
  uint64_t token = 0;  // the current attempt's
  Job job;
  micros started_at = 0;
  caf::typed_response_promise<Job, outcome, int64_t> promise;
};

using slot_self = slot_actor::stateful_pointer<slot_state>;

// Whether the attempt fails: from the seed, the job and the attempt only (splitmix64 of their mix).
bool attempt_fails(uint64_t seed, const Job& job, double fail_pct) {
  if (fail_pct <= 0) return false;
  uint64_t z = seed ^ (job.id() * 0x9e3779b97f4a7c15ULL) ^ (uint64_t{job.attempts()} << 48);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  z ^= z >> 31;
  return static_cast<double>(z % 1'000'000) < fail_pct * 10'000;
}

micros attempt_length(const Job& job) {
  const auto& fields = job.spec().payload().struct_value().fields();
  auto it = fields.find("ms");
  double ms = it == fields.end() ? 0 : it->second.number_value();
  return static_cast<micros>(ms * 1000);
}

void end_attempt(slot_self self, outcome result) {
  auto& st = self->state;
  auto& info = st.shared->slots[st.index];
  auto duration = st.shared->wall->now() - st.started_at;
  st.shared->ledger->on_finish(st.job, result.ok());
  result.output = "sim token " + std::to_string(st.job.lease().token());
  info.busy = false;
  if (info.started_in == st.shared->epoch) {
    st.promise.deliver(std::move(st.job), std::move(result), duration);
  } else {
    // The connection it came on is gone: the agent keeps the result for the next join.
    caf::anon_send(st.agent, kept_atom::value, attempt_report{std::move(st.job), std::move(result), duration});
    st.promise = {};
  }
  st.job = Job{};
  ++st.token;
  caf::anon_send(st.agent, idle_atom::value);
}

slot_actor::behavior_type sim_slot(slot_self self, std::shared_ptr<worker_shared> shared, caf::actor agent,
                                   uint32_t index) {
  self->state.shared = std::move(shared);
  self->state.agent = std::move(agent);
  self->state.index = index;
  return {
      [=](run_atom, Job& job) -> caf::result<Job, outcome, int64_t> {
        auto& st = self->state;
        auto& info = st.shared->slots[st.index];
        if (info.busy) return make_error(ec::invalid_argument, "sim slot: busy");
        info.busy = true;
        info.started_in = st.shared->epoch;
        st.started_at = st.shared->wall->now();
        st.shared->ledger->on_start(job, st.started_at);
        auto length = attempt_length(job);
        outcome result = attempt_fails(st.shared->config.seed, job, st.shared->config.fail_pct)
                             ? outcome::failure("simulated failure")
                             : outcome::success();
        if (job.spec().has_timeout() && to_micros(job.spec().timeout()) < length) {
          length = to_micros(job.spec().timeout());
          result = outcome::failure("timed out");
          result.code = outcome::status::timed_out;
        }
        st.job = std::move(job);
        st.promise = self->make_response_promise<Job, outcome, int64_t>();
        self->delayed_send(self, std::chrono::microseconds{length}, finished_atom::value, st.token,
                           std::move(result));
        return st.promise;
      },
      [=](stop_atom, job_id id, uint32_t attempt) {
        auto& st = self->state;
        if (!st.shared->slots[st.index].busy || st.job.id() != id || st.job.attempts() != attempt) return;
        outcome stopped;
        stopped.code = outcome::status::cancelled;
        stopped.error = "stopped";
        end_attempt(self, std::move(stopped));
      },
      [=](finished_atom, uint64_t token, outcome& result) {
        auto& st = self->state;
        if (token != st.token || !st.shared->slots[st.index].busy) return;  // stopped before
        end_attempt(self, std::move(result));
      },
      [=](timeout_atom) {},
  };
}

// --- the agent -----------------------------------------------------------------------------------------------

struct agent_state {
  static inline const char* name = "sim.worker";
  std::shared_ptr<worker_shared> shared;
  scaling_actor scaling;   // the node's registry, as last joined
  caf::actor registry;     // while joined
  caf::actor link;         // stands for the connection
  std::vector<attempt_report> reports;
  bool joining = false;
  bool reporting = false;
  bool leaving = false;
};

using agent_self = caf::stateful_actor<agent_state>*;

void publish(agent_self self) {
  auto& st = self->state;
  auto& v = st.shared->view;
  v.busy = 0;
  for (auto& s : st.shared->slots) v.busy += s.busy ? 1 : 0;
  v.kept = static_cast<uint32_t>(st.reports.size());
}

void lose_node(agent_self self) {
  auto& st = self->state;
  if (st.registry) self->demonitor(st.registry);
  if (st.link) self->send_exit(st.link, caf::exit_reason::user_shutdown);
  st.registry = nullptr;
  st.link = nullptr;
  st.joining = false;
  st.reporting = false;
  st.leaving = false;
  ++st.shared->epoch;
  for (auto& s : st.shared->slots) s.offered = false;
  st.shared->view.joined = false;
}

void move_on(agent_self self);

void send_reports(agent_self self) {
  auto& st = self->state;
  if (!st.registry || st.reporting || st.reports.empty()) return;
  st.reporting = true;
  auto sent = st.reports.size();
  auto epoch = st.shared->epoch;
  auto registry = caf::actor_cast<scaling_actor>(st.registry);
  self->request(registry, caf::infinite, report_atom::value, st.shared->config.name, st.reports)
      .then(
          [=](uint32_t applied) {
            auto& st = self->state;
            if (st.shared->epoch != epoch) return;
            st.reporting = false;
            st.reports.erase(st.reports.begin(), st.reports.begin() + static_cast<std::ptrdiff_t>(sent));
            st.shared->ledger->on_reported(sent, applied);
            move_on(self);
          },
          [=](caf::error&) {
            if (self->state.shared->epoch == epoch) self->state.reporting = false;
          });
}

void offer_free_slots(agent_self self) {
  auto& st = self->state;
  if (!st.registry || st.shared->view.draining || st.reporting || !st.reports.empty()) return;
  std::vector<slot_actor> handles;
  for (auto& s : st.shared->slots) {
    if (s.busy || s.offered) continue;
    s.offered = true;
    handles.push_back(s.handle);
  }
  if (!handles.empty()) self->send(st.registry, slots_atom::value, st.shared->config.name, std::move(handles));
}

void maybe_leave(agent_self self) {
  auto& st = self->state;
  if (!st.shared->view.draining || st.leaving || st.shared->view.busy > 0 || !st.reports.empty()) return;
  if (!st.registry) return;  // leaves once it reached the node again
  st.leaving = true;
  auto registry = caf::actor_cast<scaling_actor>(st.registry);
  self->request(registry, caf::infinite, leave_atom::value, st.shared->config.name)
      // Then the worker's process ends, as `troupe worker` does: its slots and connection with it (user_shutdown
      // reaches the linked actors; a normal exit would leave them running, holding the node's actors).
      .then([=](ok_atom) { self->quit(caf::exit_reason::user_shutdown); },
            [=](caf::error&) { self->state.leaving = false; });
}

void move_on(agent_self self) {
  publish(self);
  send_reports(self);
  offer_free_slots(self);
  maybe_leave(self);
}

void join(agent_self self) {
  auto& st = self->state;
  if (st.joining || st.registry || !st.scaling) return;
  st.joining = true;
  st.link = self->spawn<caf::linked>([](caf::event_based_actor*) -> caf::behavior {
    return {[](ok_atom) {}};
  });
  WorkerJoin req;
  req.set_secret(st.shared->config.secret);
  req.set_name(st.shared->config.name);
  req.add_kinds("sleep");
  req.set_slots(static_cast<uint32_t>(st.shared->slots.size()));
  req.set_host("simulated");
  req.set_pid(static_cast<uint64_t>(::getpid()));
  auto epoch = st.shared->epoch;
  self->request(st.scaling, caf::infinite, join_atom::value, std::move(req), st.link)
      .then(
          [=](WorkerWelcome&, caf::actor& registry) {
            auto& st = self->state;
            if (st.shared->epoch != epoch) return;
            st.joining = false;
            st.registry = registry;
            self->monitor(registry);
            st.shared->view.joined = true;
            move_on(self);
          },
          [=](caf::error&) {
            if (self->state.shared->epoch == epoch) lose_node(self);
          });
}

caf::behavior agent_behavior(agent_self self, std::shared_ptr<worker_shared> shared) {
  self->state.shared = shared;
  for (uint32_t i = 0; i < shared->config.slots; ++i)
    shared->slots.push_back(slot_info{self->spawn<caf::linked>(sim_slot, shared, caf::actor{self}, i)});
  self->set_down_handler([=](caf::down_msg& msg) {
    if (msg.source == self->state.registry.address()) lose_node(self);
  });
  // A link ended by a partition exits with user_shutdown: the agent goes on. (A kill of the agent is fatal to the
  // slots and the link, exit handler or not: the registry sees the connection drop.)
  self->set_exit_handler([=](caf::exit_msg& msg) {
    if (msg.reason == caf::exit_reason::user_shutdown) return;
    self->quit(msg.reason);
  });
  self->attach_functor([shared] { shared->view.gone = true; });
  return {
      [=](sim_join_atom, scaling_actor& scaling) {
        self->state.scaling = std::move(scaling);
        join(self);
      },
      [=](rejoin_atom) { join(self); },
      [=](partition_atom, uint32_t down_ms) {
        lose_node(self);
        self->delayed_send(self, std::chrono::milliseconds{down_ms}, rejoin_atom::value);
      },
      [=](drain_atom) {
        auto& st = self->state;
        st.shared->view.draining = true;
        if (st.registry) self->send(st.registry, drain_atom::value, st.shared->config.name);
        move_on(self);
      },
      [=](kept_atom, attempt_report& report) {
        self->state.reports.push_back(std::move(report));
        self->state.shared->ledger->on_kept();
      },
      [=](idle_atom) { move_on(self); },
  };
}

}  // namespace

sim_worker::sim_worker(caf::actor_system& sys, sim_worker_config config, std::shared_ptr<clock> wall,
                       std::shared_ptr<sim_ledger> ledger)
    : name_(config.name), shared_(std::make_shared<worker_shared>()) {
  shared_->config = std::move(config);
  shared_->wall = std::move(wall);
  shared_->ledger = std::move(ledger);
  agent_ = sys.spawn(agent_behavior, shared_);
}

void sim_worker::join(const scaling_actor& scaling) { caf::anon_send(agent_, sim_join_atom::value, scaling); }

void sim_worker::partition(uint32_t down_ms) { caf::anon_send(agent_, partition_atom::value, down_ms); }

void sim_worker::drain() { caf::anon_send(agent_, drain_atom::value); }

void sim_worker::kill() { caf::anon_send_exit(agent_, caf::exit_reason::kill); }

sim_worker_view sim_worker::view() const { return shared_->view; }

}  // namespace troupe::sim
