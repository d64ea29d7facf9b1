#pragma once
// The journal: the only writer of a node's store. Requests that arrive while a commit runs are coalesced into the
// next commit, one RocksDB WriteBatch with one fsync (group policy); under the sync policy every request is its
// own synced write. Every request is answered only after its writes are durable. Runs on a thread of its own
// (detached) so that an fsync never holds one of CAF's scheduler threads.
//
// On a storage error, every pending and later request fails with ec::storage_failure and the journal exits with
// that error; its supervisor decides what happens to the node.

#include <caf/fwd.hpp>

#include "actors/engine_context.hpp"
#include "actors/interfaces.hpp"

namespace troupe {

// `detached`: on a thread of its own (production); false keeps it on CAF's scheduler, for the deterministic
// test coordinator.
journal_actor spawn_journal(caf::actor_system& sys, engine_context_ptr ctx, bool detached = true);

}  // namespace troupe
