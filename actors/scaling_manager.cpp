#include "actors/scaling_manager.hpp"

#include <algorithm>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "actors/process_usage.hpp"
#include "schemas/time.hpp"

namespace troupe {

namespace {

constexpr int changes_kept = 50;

scaling_config config_of(const node_options& o) {
  scaling_config c;
  c.min_workers = o.minWorkers;
  c.max_workers = o.maxWorkers;
  c.target_depth = o.targetQueueDepth;
  c.up_threshold = o.scaleUpThreshold;
  c.down_threshold = o.scaleDownThreshold;
  c.memory_threshold = o.memoryThreshold;
  c.error_rate_threshold = o.errorRateThreshold;
  c.up_cooldown = micros{o.scaleUpCooldownMs} * 1000;
  c.down_cooldown = micros{o.scaleDownCooldownMs} * 1000;
  return c;
}

uint64_t ready_depth(const NodeStatus& s) {
  uint64_t n = 0;
  for (const auto& d : s.depth())
    if (d.state() == Job::READY) n += d.count();
  return n;
}

std::string replace_all(std::string text, const std::string& what, const std::string& with) {
  for (auto at = text.find(what); at != std::string::npos; at = text.find(what, at + with.size()))
    text.replace(at, what.size(), with);
  return text;
}

}  // namespace

scaling_manager::scaling_manager(engine_context_ptr ctx)
    : ctx_(std::move(ctx)), policy_(config_of(ctx_->options), 0), executable_(own_executable()) {
  status_.set_mode(ctx_->options.scalingMode);
}

void scaling_manager::reap() {
  for (const auto& e : launcher_.reap()) {
    if (e.pid == command_pid_) {
      command_pid_ = 0;
      bool ok = e.exit_code == 0;
      if (ok) applied_ = command_count_;
      status_.set_action_result(
          ok ? fmt::format("scalingCommand ran with count {}: exit 0", command_count_)
             : fmt::format("scalingCommand with count {} failed: {}; run again at the next decision", command_count_,
                           e.signal ? fmt::format("signal {}", e.signal) : fmt::format("exit {}", e.exit_code)));
      if (ok) spdlog::info("scaling: {}", status_.action_result());
      else spdlog::warn("scaling: {}", status_.action_result());
      continue;
    }
    auto how = e.signal ? fmt::format("signal {}", e.signal) : fmt::format("exit {}", e.exit_code);
    spdlog::info("scaling: worker process {} (pid {}) ended: {}", e.name, e.pid, how);
    status_.set_action_result(fmt::format("worker process {} ended: {}", e.name, how));
  }
  status_.clear_managed();
  for (const auto& p : launcher_.running())
    if (p.pid != command_pid_) status_.add_managed(p.name + (p.terminating ? " (draining)" : ""));
}

void scaling_manager::tick(const NodeStatus& node, uint32_t active_workers) {
  reap();
  scaling_input in;
  in.now = ctx_->wall->now();
  in.queue_depth = ready_depth(node);
  in.slots_total = node.slots_total();
  in.slots_busy = node.slots_busy();
  in.active_workers = active_workers;
  auto budget = uint64_t{ctx_->options.maxMemoryMB} << 20;
  if (auto usage = ctx_->usage(); usage && budget > 0)
    in.memory_percent = memory_percent(*usage, budget);
  std::pair<uint64_t, uint64_t> counts{node.succeeded_total(), node.failed_total()};
  if (last_counts_) {
    auto ok = counts.first - last_counts_->first;
    auto failed = counts.second - last_counts_->second;
    if (ok + failed > 0) in.error_rate = 100.0 * static_cast<double>(failed) / static_cast<double>(ok + failed);
  }
  last_counts_ = counts;

  auto d = policy_.decide(in);
  ScalingDecision record;
  set_timestamp(record.mutable_at(), in.now);
  record.set_action(to_string(d.what));
  record.set_desired(d.desired);
  record.set_workers(active_workers);
  record.set_reason(d.reason);
  if (d.what != scaling_decision::action::hold) {
    spdlog::info("scaling{}: desired workers {} ({}): {}",
                 ctx_->options.scalingMode == "off" ? " (scalingMode off: a recommendation)" : "", d.desired,
                 to_string(d.what), d.reason);
    (d.what == scaling_decision::action::up ? status_.set_ups_total(status_.ups_total() + 1)
                                            : status_.set_downs_total(status_.downs_total() + 1));
    auto* changes = status_.mutable_changes();
    *changes->Add() = record;
    std::rotate(changes->begin(), changes->end() - 1, changes->end());  // newest first
    while (changes->size() > changes_kept) changes->RemoveLast();
  }
  *status_.mutable_last() = std::move(record);
  status_.set_desired(d.desired);
  status_.set_workers(active_workers);
  act(d.desired);
}

void scaling_manager::act(uint32_t desired) {
  const auto& mode = ctx_->options.scalingMode;
  if (mode == "local") run_local(desired);
  else if (mode == "command") run_command(desired);
}

std::vector<std::string> scaling_manager::worker_argv(const std::string& name) const {
  const auto& o = ctx_->options;
  std::vector<std::string> argv = {executable_,
                                   "worker",
                                   "--join",
                                   join_address_,
                                   "--name",
                                   name,
                                   "--slots",
                                   std::to_string(o.scalingWorkerSlots),
                                   "--heartbeatIntervalMs",
                                   std::to_string(o.heartbeatIntervalMs),
                                   "--peerTimeoutMs",
                                   std::to_string(o.peerTimeoutMs),
                                   "--shutdownGraceMs",
                                   std::to_string(o.shutdownGraceMs),
                                   "--logLevel",
                                   o.logLevel};
  if (o.tlsEnabled) argv.insert(argv.end(), {"--tlsEnabled", "true"});
  // The node's own certificate, key and CA file: a worker on this machine is trusted as the node is.
  if (!o.tlsCertificate.empty()) argv.insert(argv.end(), {"--tlsCertificate", o.tlsCertificate});
  if (!o.tlsKey.empty()) argv.insert(argv.end(), {"--tlsKey", o.tlsKey});
  if (!o.tlsCaFile.empty()) argv.insert(argv.end(), {"--tlsCaFile", o.tlsCaFile});
  if (o.execEnabled) argv.insert(argv.end(), {"--execEnabled", "true"});
  if (!o.commandKinds.empty()) argv.insert(argv.end(), {"--commandKinds", o.commandKinds});
  return argv;
}

void scaling_manager::run_local(uint32_t desired) {
  if (join_address_.empty() || executable_.empty()) {
    status_.set_action_result("no worker started yet: the node's listen address is not known yet");
    return;
  }
  std::vector<process_launcher::running_process> alive;
  for (const auto& p : launcher_.running())
    if (!p.terminating) alive.push_back(p);
  for (auto n = alive.size(); n < desired; ++n) {
    auto name = fmt::format("{}-auto-{}", ctx_->node_name, next_worker_++);
    auto started = launcher_.start(name, worker_argv(name), {"TROUPE_CLUSTER_SECRET=" + ctx_->options.clusterSecret});
    if (!started) {
      status_.set_action_result("cannot start a worker: " + describe(started.error()));
      spdlog::error("scaling: {}", status_.action_result());
      return;
    }
    spdlog::info("scaling: started worker process {} (pid {}), joining {}", name, *started, join_address_);
    status_.set_action_result(fmt::format("started worker process {} (pid {})", name, *started));
  }
  // Newest first: the oldest have the warmest caches and the longest-running jobs least likely to be cut.
  for (auto n = alive.size(); n > desired; --n) {
    const auto& p = alive[n - 1];
    spdlog::info("scaling: draining worker process {} (pid {})", p.name, p.pid);
    launcher_.terminate(p.pid);
    status_.set_action_result(fmt::format("draining worker process {} (pid {})", p.name, p.pid));
  }
  reap();  // lists the processes as they are now
}

void scaling_manager::run_command(uint32_t desired) {
  if (command_pid_ != 0 || applied_ == desired) return;  // one at a time; the next tick runs a newer count
  auto command = replace_all(ctx_->options.scalingCommand, "{count}", std::to_string(desired));
  auto started = launcher_.start("scalingCommand", {"/bin/sh", "-c", command},
                                 {"TROUPE_DESIRED_WORKERS=" + std::to_string(desired)});
  if (!started) {
    status_.set_action_result("cannot run scalingCommand: " + describe(started.error()));
    spdlog::error("scaling: {}", status_.action_result());
    return;
  }
  command_pid_ = *started;
  command_count_ = desired;
  status_.set_action_result(fmt::format("running scalingCommand with count {} (pid {})", desired, command_pid_));
  spdlog::info("scaling: running scalingCommand with count {}: {}", desired, command);
}

}  // namespace troupe
