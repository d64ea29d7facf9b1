#include "actors/pool.hpp"

#include <unordered_set>

#include <caf/actor_system.hpp>
#include <caf/typed_event_based_actor.hpp>
#include <caf/stateful_actor.hpp>
#include <spdlog/spdlog.h>

#include "actors/job_slot.hpp"

namespace troupe {

namespace {

struct pool_state {
  static inline const char* name = "troupe.pool";
  engine_context_ptr ctx;
  scheduler_actor scheduler;
  std::string pool_name;
  uint32_t next_index = 0;
  std::unordered_set<caf::actor_addr> slots;
};

using pool_self = pool_actor::stateful_pointer<pool_state>;

slot_actor add_slot(pool_self self) {
  auto& st = self->state;
  auto slot = spawn_slot(self->home_system(), st.ctx, st.next_index++);
  self->link_to(slot);  // the slot dies with the pool
  self->monitor(slot);
  st.slots.insert(slot.address());
  return slot;
}

pool_actor::behavior_type pool(pool_self self, engine_context_ptr ctx, scheduler_actor scheduler, std::string name,
                               uint32_t slots) {
  auto& st = self->state;
  st.ctx = std::move(ctx);
  st.scheduler = scheduler;
  st.pool_name = std::move(name);
  // A slot that fails must not take the pool with it through the link: its down message replaces it. An exit
  // message from anyone else (the supervisor) ends the pool, and the link ends its slots.
  self->set_exit_handler([=](caf::exit_msg& msg) {
    if (self->state.slots.count(msg.source) > 0) return;
    self->quit(msg.reason);
  });
  self->set_down_handler([=](caf::down_msg& msg) {
    self->state.slots.erase(msg.source);
    spdlog::warn("pool {}: a slot stopped ({}); starting a replacement", self->state.pool_name,
                 describe(msg.reason));
    std::vector<slot_actor> replacement{add_slot(self)};
    self->send(self->state.scheduler, slots_atom::value, self->state.pool_name, std::move(replacement));
  });
  std::vector<slot_actor> handles;
  for (uint32_t i = 0; i < slots; ++i) handles.push_back(add_slot(self));
  if (!handles.empty()) self->send(scheduler, slots_atom::value, st.pool_name, std::move(handles));
  return {
      // How many slots the pool has.
      [=](status_atom) { return static_cast<uint32_t>(self->state.slots.size()); },
  };
}

}  // namespace

pool_actor spawn_pool(caf::actor_system& sys, engine_context_ptr ctx, scheduler_actor scheduler, std::string name,
                      uint32_t slots) {
  return sys.spawn(pool, std::move(ctx), std::move(scheduler), std::move(name), slots);
}

}  // namespace troupe
