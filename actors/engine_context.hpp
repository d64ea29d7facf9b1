#pragma once
// What every actor of a node shares: the options, the store, the kinds, the clock and the worker pool. Built once
// by the node before it spawns its actors; immutable afterwards (the store and pool are thread-safe).

#include <memory>
#include <string>

#include "actors/clock.hpp"
#include "actors/cluster_kinds.hpp"
#include "actors/worker_pool.hpp"
#include "config/options.hpp"
#include "storage/store.hpp"
#include "troupe/kind.hpp"

namespace troupe {

struct engine_context {
  node_options options;
  std::string node_name;
  std::shared_ptr<storage::job_store> store;
  std::shared_ptr<const kind_registry> kinds;
  std::shared_ptr<clock> wall;
  std::shared_ptr<worker_pool> workers;
  // Kinds that joined workers run (a submit of one is valid here even if this node cannot run it).
  std::shared_ptr<cluster_kinds> worker_kinds = std::make_shared<cluster_kinds>();
};

using engine_context_ptr = std::shared_ptr<const engine_context>;

}  // namespace troupe
