#include "actors/retention.hpp"

#include <caf/actor_system.hpp>
#include <caf/stateful_actor.hpp>
#include <caf/typed_event_based_actor.hpp>
#include <spdlog/spdlog.h>

#include "storage/graph_queries.hpp"

namespace troupe {

namespace {

struct retention_state {
  static inline const char* name = "troupe.retention";
  uint64_t deleted = 0;
  bool busy = false;
};

using retention_self = retention_actor::stateful_pointer<retention_state>;

retention_actor::behavior_type retention(retention_self self, engine_context_ptr ctx, journal_actor journal) {
  auto interval = std::chrono::milliseconds{ctx->options.retentionIntervalMs};
  self->delayed_send(self, interval, tick_atom::value);
  return {
      [=](tick_atom) {
        if (self->state.busy) return;
        const auto& opts = ctx->options;
        auto cutoff = ctx->wall->now() - static_cast<micros>(opts.maxJobHistoryDays) * 86'400'000'000LL;
        std::vector<storage::history_entry> expired;
        uint64_t generation = 0;
        if (auto s = ctx->store->expired(opts.maxCompletedJobsToKeep, cutoff, retention_chunk, &expired, &generation);
            !s) {
          spdlog::error("retention: cannot read the history: {}", s.message());
          self->delayed_send(self, interval, tick_atom::value);
          return;
        }
        bool full = expired.size() == retention_chunk;
        // Relations to delete with the jobs; parents that unfinished jobs wait for stay.
        if (auto s = storage::prepare_expiry(*ctx->store, &expired); !s) {
          spdlog::error("retention: cannot read the jobs to delete: {}", s.message());
          self->delayed_send(self, interval, tick_atom::value);
          return;
        }
        if (expired.empty()) {
          self->delayed_send(self, interval, tick_atom::value);
          return;
        }
        self->state.busy = true;
        self->request(journal, caf::infinite, expire_atom::value, std::move(expired), generation)
            .then(
                [=](uint64_t deleted) {
                  self->state.busy = false;
                  self->state.deleted += deleted;
                  // More to do: go on at once, unless nothing could go (parents that jobs still wait for).
                  if (full && deleted > 0) self->send(self, tick_atom::value);
                  else self->delayed_send(self, interval, tick_atom::value);
                },
                [=](caf::error& err) {
                  self->state.busy = false;
                  spdlog::error("retention: deleting finished jobs failed: {}", describe(err));
                  self->delayed_send(self, interval, tick_atom::value);
                });
      },
  };
}

}  // namespace

retention_actor spawn_retention(caf::actor_system& sys, engine_context_ptr ctx, journal_actor journal,
                                bool detached) {
  if (detached) return sys.spawn<caf::detached>(retention, std::move(ctx), std::move(journal));
  return sys.spawn(retention, std::move(ctx), std::move(journal));
}

}  // namespace troupe
