#include "actors/pool.hpp"

#include <memory>
#include <unordered_map>

#include <caf/actor_system.hpp>
#include <caf/send.hpp>
#include <caf/stateful_actor.hpp>
#include <caf/typed_event_based_actor.hpp>
#include <spdlog/spdlog.h>

#include "actors/job_slot.hpp"

namespace troupe {

namespace {

// The pool's live slots, shared with the exit hook that stops them when the pool ends.
using slot_set = std::unordered_map<caf::actor_addr, slot_actor>;

struct pool_state {
  static inline const char* name = "troupe.pool";
  engine_context_ptr ctx;
  scheduler_actor scheduler;
  std::string pool_name;
  uint32_t next_index = 0;
  std::shared_ptr<slot_set> slots = std::make_shared<slot_set>();
};

using pool_self = pool_actor::stateful_pointer<pool_state>;

// The node's own pool runs every kind of the node's registry.
pool_offer offer_of(const pool_state& st) { return pool_offer{st.pool_name, st.ctx->kinds->names(), false}; }

// Slots are monitored, not linked: a link would make a slot's `kill` fatal to the pool (CAF 0.17 does not let an
// exit handler catch `kill`), so the pool stops its slots itself when it ends.
slot_actor add_slot(pool_self self) {
  auto& st = self->state;
  auto slot = spawn_slot(self->home_system(), st.ctx, st.next_index++);
  self->monitor(slot);
  st.slots->emplace(slot.address(), slot);
  return slot;
}

pool_actor::behavior_type pool(pool_self self, engine_context_ptr ctx, scheduler_actor scheduler, std::string name,
                               uint32_t slots) {
  auto& st = self->state;
  st.ctx = std::move(ctx);
  st.scheduler = scheduler;
  st.pool_name = std::move(name);
  self->attach_functor([slots = st.slots](const caf::error& reason) {
    for (auto& [addr, slot] : *slots)
      caf::anon_send_exit(slot, reason ? caf::exit_reason::user_shutdown : caf::exit_reason::normal);
  });
  // A slot that stops is replaced; the scheduler learns of the stop from its own monitor and fails the attempt
  // the slot was running.
  self->set_down_handler([=](caf::down_msg& msg) {
    if (self->state.slots->erase(msg.source) == 0) return;
    spdlog::warn("pool {}: a slot stopped ({}); starting a replacement", self->state.pool_name,
                 describe(msg.reason));
    std::vector<slot_actor> replacement{add_slot(self)};
    self->send(self->state.scheduler, slots_atom::value, offer_of(self->state), std::move(replacement));
  });
  std::vector<slot_actor> handles;
  for (uint32_t i = 0; i < slots; ++i) handles.push_back(add_slot(self));
  if (!handles.empty()) self->send(scheduler, slots_atom::value, offer_of(st), std::move(handles));
  return {
      // How many slots the pool has.
      [=](status_atom) { return static_cast<uint32_t>(self->state.slots->size()); },
  };
}

}  // namespace

pool_actor spawn_pool(caf::actor_system& sys, engine_context_ptr ctx, scheduler_actor scheduler, std::string name,
                      uint32_t slots) {
  return sys.spawn(pool, std::move(ctx), std::move(scheduler), std::move(name), slots);
}

}  // namespace troupe
