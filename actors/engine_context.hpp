#pragma once
// What every actor of a node shares: the options, the store, the kinds, the clock and the worker pool. Built once
// by the node before it spawns its actors; immutable afterwards (the store and pool are thread-safe).

#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "actors/clock.hpp"
#include "actors/cluster_kinds.hpp"
#include "actors/process_usage.hpp"
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
  // Where the node's own resource use comes from: /proc/self unless set (the simulation harness models memory).
  // Called from the resource, metrics and scaling actors; must be thread-safe.
  using usage_fn = std::function<std::optional<process_usage>()>;
  usage_fn usage_probe;
  // Whether the journal fsyncs each commit. Only the simulation harness turns it off: its writes still reach
  // RocksDB's WAL file (and the OS's cache), so its in-process crashes lose nothing a real crash would keep.
  bool sync_writes = true;

  // The node's resource use now, from usage_probe or /proc/self.
  std::optional<process_usage> usage() const { return usage_probe ? usage_probe() : read_process_usage(); }
};

using engine_context_ptr = std::shared_ptr<const engine_context>;

}  // namespace troupe
