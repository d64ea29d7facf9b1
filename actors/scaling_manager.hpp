#pragma once
// The scaling manager (scalingMode; the seed's scaling configuration), run by the scaling actor on its ticks:
// every scalingIntervalMs it reads the scheduler's status, asks scaling_policy for the desired worker count, and
// acts on it by mode:
// - off: nothing; the count is only recommended (status, troupe_desired_workers).
// - local: it runs that many `troupe worker` processes on this machine (this executable), which join through the
//   node's listen address with the cluster secret like any worker; to scale down it sends SIGTERM to the newest,
//   which drains (running jobs finish; what outlives its shutdownGraceMs is handed back) and leaves. A worker that
//   exits on its own is replaced at the next tick.
// - command: it runs scalingCommand (/bin/sh -c, {count} replaced, TROUPE_DESIRED_WORKERS set) each time the
//   desired count changes, and again at the next tick while the command fails.
// Every decision goes to the log when the count changes, and to status and metrics (ScalingStatus).

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "actors/engine_context.hpp"
#include "actors/process_launcher.hpp"
#include "actors/scaling_policy.hpp"
#include "troupe/protocol.hpp"

namespace troupe {

class scaling_manager {
 public:
  explicit scaling_manager(engine_context_ptr ctx);

  // Where workers join (local mode): the node's listen address, known once it published.
  void set_join_address(std::string host_port) { join_address_ = std::move(host_port); }

  // One tick: collects exited processes, decides from `status` (the scheduler's) and acts. `active_workers`:
  // ACTIVE worker nodes in the registry now.
  void tick(const NodeStatus& status, uint32_t active_workers);

  // Without a decision (between ticks): collects exited processes.
  void reap();

  const ScalingStatus& status() const { return status_; }

 private:
  void act(uint32_t desired);
  void run_local(uint32_t desired);
  void run_command(uint32_t desired);
  std::vector<std::string> worker_argv(const std::string& name) const;

  engine_context_ptr ctx_;
  scaling_policy policy_;
  ScalingStatus status_;
  std::string join_address_;
  std::string executable_;
  process_launcher launcher_;
  uint64_t next_worker_ = 1;
  // Error rate over the interval: the counters at the previous tick.
  std::optional<std::pair<uint64_t, uint64_t>> last_counts_;  // succeeded, failed attempts
  // command mode: the running command, and the count it was run with; the count last applied with success.
  pid_t command_pid_ = 0;
  uint32_t command_count_ = 0;
  std::optional<uint32_t> applied_;
};

}  // namespace troupe
