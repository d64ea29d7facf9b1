#pragma once
// A troupe scheduling node on simulated time: the real supervisor and everything under it (journal, reader,
// scheduler, dependency, resource, scaling, metrics and alert actors, gateway) on CAF's deterministic test
// coordinator, over a real RocksDB store on disk, with a manual wall clock that moves with CAF's test clock.
// Nothing runs until the harness says so: run() lets every actor handle its mailbox, advance_to() moves time,
// stopping at every timer on the way. Other actors may share the system (the simulated workers): crash() kills
// only the node's own actors (named "troupe.*"), so the workers live through a restart of the node, as real
// worker processes do.
//
// Errors come back as caf::error (no exceptions): a request the node did not answer is ec::unavailable.
//
// Lifecycle: create() opens the store (storage recovery included) and starts the engine; crash() kills the
// node's actors without a drain, close_store() closes RocksDB, reopen() opens it again (recovery) and starts a
// new engine; shutdown() drains and stops it.

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/scheduler/test_coordinator.hpp>
#include <caf/scoped_actor.hpp>

#include "actors/clock.hpp"
#include "actors/engine_context.hpp"
#include "actors/gateway.hpp"
#include "actors/interfaces.hpp"
#include "actors/supervisor.hpp"
#include "storage/recovery.hpp"

namespace troupe::sim {

class virtual_node {
 public:
  // `options.data` must name the store's directory. `sync_writes`: see engine_context::sync_writes.
  static caf::expected<std::unique_ptr<virtual_node>> create(node_options options,
                                                             engine_context::usage_fn usage_probe = {},
                                                             bool sync_writes = false);
  ~virtual_node();
  virtual_node(const virtual_node&) = delete;
  virtual_node& operator=(const virtual_node&) = delete;

  caf::actor_system& sys() { return *sys_; }
  caf::scoped_actor& self() { return *self_; }
  const node_options& options() const { return options_; }
  bool running() const { return static_cast<bool>(gateway_); }
  const gateway_internal_actor& gateway() const { return gateway_; }
  const scaling_actor& scaling() const { return scaling_; }
  const storage::job_store& store() const { return *ctx_->store; }
  const storage::recovery_report& last_recovery() const { return last_recovery_; }

  // --- time --------------------------------------------------------------------------------------------------
  // Simulated time since create(), in microseconds (CAF's test clock and the wall clock move together).
  micros elapsed() const;
  micros wall_now() const { return wall_->now(); }
  std::shared_ptr<manual_clock> wall_clock() const { return wall_; }
  // Handles every message until none is left (timers do not fire). Returns how many were handled.
  size_t run();
  // Handles at most `n` messages (a crash at a random point in the middle of work).
  size_t run_some(size_t n);
  // Moves time to `elapsed` (from create()), firing each timer at its own time with run() after it.
  void advance_to(micros elapsed);
  // The earliest pending timer, as elapsed time; nullopt if none.
  std::optional<micros> next_timer() const;

  // --- requests ----------------------------------------------------------------------------------------------
  // Sends a submit through the gateway without waiting; take the answer with take_submit_answer() after run().
  void send_submit(std::vector<JobSpec> specs);
  // The answer to the oldest submit sent, if it came; nullopt otherwise.
  std::optional<caf::expected<std::vector<job_id>>> take_submit_answer();
  caf::expected<NodeStatus> status();
  caf::expected<ScalingStatus> scaling_status();

  // --- lifecycle ---------------------------------------------------------------------------------------------
  // Kills the node's actors (the supervisor first), as a crash of the node's process would.
  void crash();
  // Closes the store. REQUIRES: crashed or shut down. Fails if an actor still holds it.
  caf::error close_store();
  // Opens the store again (storage recovery) and starts a new engine.
  caf::error reopen();
  // Drains and stops the engine (grace in simulated time); the store stays open for reading.
  caf::error shutdown(std::chrono::milliseconds grace);

 private:
  virtual_node() = default;
  caf::error open_store();
  caf::error start();
  void note_actor(caf::resumable* job);
  template <class T>
  std::optional<caf::expected<T>> take_reply();
  template <class T, class Handle, class... Ts>
  caf::expected<T> ask(const Handle& target, Ts&&... xs);

  node_options options_;
  engine_context::usage_fn usage_probe_;
  bool sync_writes_ = false;
  std::shared_ptr<manual_clock> wall_ = std::make_shared<manual_clock>();
  micros wall_base_ = 0;
  caf::actor_clock::time_point caf_base_{};

  std::unique_ptr<caf::actor_system_config> cfg_;
  std::unique_ptr<caf::actor_system> sys_;
  caf::scheduler::test_coordinator* sched_ = nullptr;
  std::unique_ptr<caf::scoped_actor> self_;
  std::shared_ptr<engine_context> ctx_;
  storage::recovery_report last_recovery_;
  supervisor_actor supervisor_;
  gateway_internal_actor gateway_;
  scaling_actor scaling_;
  // The node's actors seen running (to kill them in a crash), by id.
  struct node_actor {
    caf::weak_actor_ptr handle;
    std::shared_ptr<bool> alive;
  };
  std::vector<node_actor> node_actors_;
  std::vector<caf::actor_id> seen_ids_;
};

}  // namespace troupe::sim
