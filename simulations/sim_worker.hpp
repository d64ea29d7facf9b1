#pragma once
// A simulated worker node: an agent that joins the scheduling node's real scaling actor (the worker registry)
// with the cluster secret, as `troupe worker` does, and offers slots that run attempts on simulated time. An
// attempt of the `sleep` kind takes its payload's "ms" (a delayed message on CAF's test clock, so nothing runs
// for real) and fails with probability fail_pct (decided from the seed, the job id and the attempt, so a run
// is reproducible whatever the order of events).
//
// It follows the real agent's rules (actors/worker_agent.hpp):
// - it joins through a link actor that stands for its connection: partition() kills the link, so the registry
//   sees the connection drop (the worker is LOST, its running jobs go back to READY with the attempt counted),
//   while its slots keep running; a result that outlives the connection it came on is kept and reported after
//   the next join (the node applies it only under the lease the job still holds), and the slot is offered
//   again once free and reported;
// - it watches the registry: a crash of the scheduling node is a lost connection too; the harness rejoins it
//   to the new node (join());
// - drain(): no new jobs; it leaves once its slots are idle, then ends.
// Killing the agent (crash) kills its slots and link: the registry sees the connection drop, results are lost.
//
// The agent and its slots share a slot table: every actor of a simulation runs on the harness's thread
// (CAF's test coordinator), so they need no locks.

#include <cstdint>
#include <memory>
#include <string>

#include <caf/actor.hpp>
#include <caf/actor_system.hpp>

#include "actors/clock.hpp"
#include "actors/interfaces.hpp"
#include "simulations/sim_ledger.hpp"

namespace troupe::sim {

struct sim_worker_config {
  std::string name;
  uint32_t slots = 4;
  std::string secret;
  double fail_pct = 0;  // chance (percent) that an attempt fails
  uint64_t seed = 0;
};

// The harness's view of one worker.
struct sim_worker_view {
  bool joined = false;
  bool draining = false;
  bool gone = false;  // left after a drain, or killed
  uint32_t busy = 0;
  uint32_t kept = 0;  // results waiting to be reported
};

class sim_worker {
 public:
  sim_worker(caf::actor_system& sys, sim_worker_config config, std::shared_ptr<clock> wall,
             std::shared_ptr<sim_ledger> ledger);
  const std::string& name() const { return name_; }
  const caf::actor& agent() const { return agent_; }
  // Joins (or rejoins) the node whose registry is `scaling`.
  void join(const scaling_actor& scaling);
  // The connection drops for `down_ms`: the worker rejoins by itself afterwards.
  void partition(uint32_t down_ms);
  // Drains and leaves.
  void drain();
  // Kills the worker process.
  void kill();
  sim_worker_view view() const;

 private:
  std::string name_;
  caf::actor agent_;
  std::shared_ptr<struct worker_shared> shared_;
};

}  // namespace troupe::sim
