#include "actors/journal.hpp"

#include <functional>

#include <caf/actor_system.hpp>
#include <caf/stateful_actor.hpp>
#include <caf/typed_event_based_actor.hpp>
#include <spdlog/spdlog.h>



namespace troupe {

namespace {

// Most operations in one commit: bounds the latency of the requests in it.
constexpr size_t max_ops_per_commit = 50'000;

struct journal_state {
  static inline const char* name = "troupe.journal";

  engine_context_ptr ctx;
  storage::write_batch batch;  // what the next commit writes
  // Called after the commit that holds the request's writes, with none or the storage error.
  std::vector<std::function<void(const caf::error&)>> replies;
  bool flush_scheduled = false;
  caf::error failure;  // set once a write failed; every later request gets it
  uint64_t commits = 0;
};

using journal_self = journal_actor::stateful_pointer<journal_state>;

void commit(journal_self self) {
  auto& st = self->state;
  if (st.replies.empty() && st.batch.empty()) return;
  auto status = st.ctx->store->write(st.batch, st.ctx->sync_writes);
  caf::error err;
  if (!status) {
    err = make_error(ec::storage_failure, "the store rejected a write: " + status.message());
    spdlog::critical("journal: {}", describe(err));
    st.failure = err;
  }
  ++st.commits;
  auto replies = std::move(st.replies);
  st.replies.clear();
  for (auto& reply : replies) reply(err);
  if (err) self->quit(err);
}

// Decides whether to commit now or let more requests join: under `group`, a commit waits while more requests
// are queued (they arrived during the previous fsync) or for the configured window.
void after_request(journal_self self) {
  auto& st = self->state;
  const auto& opts = st.ctx->options;
  if (opts.durability == durability_policy::sync || st.batch.size() >= max_ops_per_commit) {
    commit(self);
    return;
  }
  if (opts.groupCommitWindowUs > 0) {
    if (!st.flush_scheduled) {
      st.flush_scheduled = true;
      self->delayed_send(self, std::chrono::microseconds{opts.groupCommitWindowUs}, flush_atom::value);
    }
    return;
  }
  if (self->mailbox().empty()) commit(self);
}

template <class Promise, class Value>
void reply_after_commit(journal_self self, Promise rp, Value value) {
  self->state.replies.emplace_back([rp, value = std::move(value)](const caf::error& err) mutable {
    if (err) rp.deliver(err);
    else rp.deliver(std::move(value));
  });
}

journal_actor::behavior_type journal(journal_self self, engine_context_ptr ctx) {
  self->state.ctx = ctx;
  return {
      [=](commit_atom, storage::write_batch& batch) -> caf::result<ok_atom> {
        if (self->state.failure) return self->state.failure;
        self->state.batch.append(std::move(batch));
        auto rp = self->make_response_promise<ok_atom>();
        reply_after_commit(self, rp, ok_atom::value);
        after_request(self);
        return rp;
      },
      [=](expire_atom, std::vector<storage::history_entry>& entries, uint64_t generation) -> caf::result<uint64_t> {
        auto& st = self->state;
        if (st.failure) return st.failure;
        commit(self);  // so that the store reflects every earlier write
        // Only a job that left the history since the listing (a retry) may be gone from it: check one by one then.
        bool check = st.ctx->store->history_changed_since(generation);
        uint64_t deleted = 0;
        for (const auto& e : entries) {
          if (check && !st.ctx->store->in_history(e)) continue;
          st.batch.erase_finished(e);
          ++deleted;
        }
        auto rp = self->make_response_promise<uint64_t>();
        reply_after_commit(self, rp, deleted);
        commit(self);
        return rp;
      },
      [=](flush_atom) {
        self->state.flush_scheduled = false;
        commit(self);
      },
  };
}

}  // namespace

journal_actor spawn_journal(caf::actor_system& sys, engine_context_ptr ctx, bool detached) {
  if (detached) return sys.spawn<caf::detached>(journal, std::move(ctx));
  return sys.spawn(journal, std::move(ctx));
}

}  // namespace troupe
