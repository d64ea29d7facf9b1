#include "actors/resources.hpp"

#include <malloc.h>

#include <unordered_map>

#include <caf/actor_system.hpp>
#include <caf/stateful_actor.hpp>
#include <caf/typed_event_based_actor.hpp>
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "actors/adaptive_limit.hpp"
#include "actors/memory_admission.hpp"
#include "actors/process_usage.hpp"

namespace troupe {

namespace {

struct pool_history {
  adaptive_limit controller;
  PoolLoad last;  // the counters at the previous tick
};

struct resource_state {
  static inline const char* name = "troupe.resources";
  explicit resource_state(caf::local_actor*) {}

  engine_context_ptr ctx;
  scheduler_actor scheduler;
  std::unique_ptr<memory_admission> admission;
  std::string admission_reason;
  double memory_percent = 0;  // at the last sample
  bool ever_held = false;     // the scheduler may have a running cap to raise
  std::unordered_map<std::string, pool_history> pools;
  micros last_loads_at = 0;
  bool loading = false;  // a PoolLoads request is out
};

using resource_self = resource_actor::stateful_pointer<resource_state>;

adaptive_config adaptive_config_of(const node_options& o) {
  adaptive_config c;
  c.min = o.adaptiveMinConcurrency;
  c.error_rate_threshold = o.errorRateThreshold / 100.0;
  c.pickup_target_s = o.pickupLatencyTargetMs / 1000.0;
  return c;
}

void sample_memory(resource_self self) {
  auto& st = self->state;
  auto usage = st.ctx->usage();
  if (!usage || st.ctx->options.maxMemoryMB == 0) return;
  auto percent = memory_percent(*usage, uint64_t{st.ctx->options.maxMemoryMB} << 20);
  st.memory_percent = percent;
  if (auto change = st.admission->observe(percent)) {
    st.admission_reason = *change;
    st.ever_held |= st.admission->held();
    self->send(st.scheduler, admission_atom::value, st.admission->held(), percent, *change);
  } else if (st.ever_held && !st.admission->held() && percent < st.admission->resume_level()) {
    // Room under the resume level: the scheduler raises its running cap, if the cap is what holds jobs back.
    self->send(st.scheduler, admission_atom::value, false, percent,
               fmt::format("memory at {:.1f}%, under the resume level {:.0f}%", percent,
                           st.admission->resume_level()));
  }
  // Cleanup while held: memory the allocator keeps free goes back to the system (the scheduler drops its cache of
  // queued records as it holds), so that use can fall below the threshold without a job finishing.
  if (st.admission->held()) ::malloc_trim(0);
}

void adapt(resource_self self, const PoolLoads& loads) {
  auto& st = self->state;
  auto now = st.ctx->wall->now();
  double seconds = st.last_loads_at > 0 ? static_cast<double>(now - st.last_loads_at) / 1e6 : 0;
  st.last_loads_at = now;
  std::unordered_map<std::string, pool_history> next;
  for (const auto& load : loads.pools()) {
    auto it = st.pools.find(load.pool());
    // A pool seen for the first time, or one that left and came back under its name (its counters start over).
    if (it != st.pools.end() &&
        (load.started() < it->second.last.started() || load.finished() < it->second.last.finished())) {
      st.pools.erase(it);
      it = st.pools.end();
    }
    if (it == st.pools.end())
      it = st.pools.emplace(load.pool(), pool_history{adaptive_limit{adaptive_config_of(st.ctx->options)}, load})
               .first;
    auto& h = it->second;
    pool_observation o;
    o.seconds = seconds > 0 ? seconds : st.ctx->options.resourceIntervalMs / 1000.0;
    o.slots = load.slots();
    o.busy = load.busy();
    o.finished = load.finished() - h.last.finished();
    o.failed = load.failed() - h.last.failed();
    o.started = load.started() - h.last.started();
    o.pickup_mean_s = o.started > 0 ? (load.pickup_seconds() - h.last.pickup_seconds()) / o.started : 0;
    o.backlog = loads.backlog();
    h.last = load;
    if (auto change = h.controller.observe(o))
      self->send(st.scheduler, limit_atom::value, load.pool(), change->limit, change->reason);
    next.emplace(it->first, std::move(h));
  }
  st.pools = std::move(next);  // pools that left are forgotten
}

void tick(resource_self self) {
  auto& st = self->state;
  sample_memory(self);
  if (!st.ctx->options.adaptiveThrottling || st.loading) return;
  st.loading = true;
  auto interval = std::chrono::milliseconds{st.ctx->options.resourceIntervalMs};
  self->request(st.scheduler, interval * 5, pool_load_atom::value)
      .then(
          [=](PoolLoads& loads) {
            self->state.loading = false;
            adapt(self, loads);
          },
          [=](caf::error& err) {
            spdlog::debug("resources: no pool loads from the scheduler: {}", describe(err));
            self->state.loading = false;
          });
}

resource_actor::behavior_type resources(resource_self self, engine_context_ptr ctx, scheduler_actor scheduler) {
  auto& st = self->state;
  st.ctx = std::move(ctx);
  st.scheduler = std::move(scheduler);
  const auto& o = st.ctx->options;
  st.admission = std::make_unique<memory_admission>(o.memoryThreshold, o.memoryHysteresisPercent, o.maxMemoryMB);
  self->send(self, tick_atom::value);
  return {
      [=](tick_atom) {
        self->delayed_send(self, std::chrono::milliseconds{self->state.ctx->options.resourceIntervalMs},
                           tick_atom::value);
        tick(self);
      },
      [=](engine_atom, scheduler_actor& scheduler) {
        auto& st = self->state;
        st.scheduler = std::move(scheduler);
        // The new scheduler starts admitting with every pool at its slots: tell it what holds now.
        if (st.admission->held())
          self->send(st.scheduler, admission_atom::value, true, st.memory_percent, st.admission_reason);
        st.pools.clear();
        st.last_loads_at = 0;
      },
  };
}

}  // namespace

resource_actor spawn_resources(caf::actor_system& sys, engine_context_ptr ctx, scheduler_actor scheduler) {
  return sys.spawn(resources, std::move(ctx), std::move(scheduler));
}

}  // namespace troupe
