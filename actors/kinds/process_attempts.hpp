#pragma once
// Runs job attempts as processes: the one place the exec kind and the command kinds share. Each attempt's process
// runs in its own process group (process_runner); exit code 0 succeeds, any other exit or a signal fails the
// attempt naming it, and the tail of stdout+stderr goes into the outcome either way. stop() kills the whole group.
//
// Thread-safe: kinds call start() and stop() from any slot; completions finish attempts from the runner's reaper
// thread. One instance per node, shared by the kinds that run processes, so a node has one reaper thread.

#include <cstdint>
#include <memory>
#include <mutex>
#include <unordered_map>

#include "actors/kinds/process_runner.hpp"
#include "troupe/kind.hpp"

namespace troupe {

class process_attempts {
 public:
  explicit process_attempts(uint32_t output_tail_bytes);
  ~process_attempts();  // kills what still runs and waits until it is reaped
  process_attempts(const process_attempts&) = delete;
  process_attempts& operator=(const process_attempts&) = delete;

  // Starts `spec` for `run` (spec.output_tail_bytes is set here) and finishes `run` when the process ends. A spec
  // the runner refuses (a program that cannot be run, a missing cwd) fails the attempt at once; failure messages
  // start with spec.label.
  void start(const std::shared_ptr<attempt>& run, process_spec spec);
  // Kills the process group of `run`, if it still runs. The attempt's finish comes later and is ignored.
  void stop(attempt& run);

 private:
  uint32_t tail_;
  std::mutex mutex_;
  std::unordered_map<const attempt*, process_runner::process_id> processes_ = {};  // guarded by mutex_
  std::unique_ptr<process_runner> runner_;  // last: destroyed (processes reaped) before the map
};

}  // namespace troupe
