#pragma once
// The engine's side of troupe::attempt: one per attempt, shared by the slot that runs it and the kind. A kind
// may finish from any thread; the slot learns of it either directly (a finish during start(), picked up when
// start() returns, with no message) or through a `finished` message carrying the attempt's token.

#include <atomic>
#include <memory>
#include <optional>

#include <caf/actor_control_block.hpp>
#include <caf/weak_intrusive_ptr.hpp>

#include "actors/interfaces.hpp"
#include "actors/worker_pool.hpp"
#include "troupe/kind.hpp"

namespace troupe {

class attempt_impl final : public attempt, public std::enable_shared_from_this<attempt_impl> {
 public:
  attempt_impl(Job job, uint64_t token, caf::weak_actor_ptr slot, std::shared_ptr<worker_pool> workers);

  const Job& job() const override { return job_; }
  void finish(outcome result) override;
  void finish_after(std::chrono::microseconds delay, outcome result) override;
  void run_blocking(std::function<outcome(const attempt&)> work) override;
  bool stopped() const override { return stopped_.load(std::memory_order_relaxed); }

  // --- the slot's side ---
  uint64_t token() const { return token_; }
  // Marks the attempt stopped: later finishes are ignored.
  void stop() { stopped_ = true; }
  // Called by the slot after kind.start() returned: the outcome if the kind finished inside start().
  std::optional<outcome> take_inline_outcome();
  // Moves the record out. REQUIRES: the attempt is over and nobody else holds it.
  Job release_job() { return std::move(job_); }

 private:
  enum phase : int { starting = 0, running = 1, finished_in_start = 2 };
  void send_to_slot(outcome result);

  Job job_;
  uint64_t token_;
  caf::weak_actor_ptr slot_;
  std::shared_ptr<worker_pool> workers_;
  std::atomic<bool> claimed_{false};   // a finish was called
  std::atomic<bool> stopped_{false};
  std::atomic<int> phase_{starting};
  outcome inline_outcome_;             // written before phase_ becomes finished_in_start
};

}  // namespace troupe
