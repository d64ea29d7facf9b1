#pragma once
// The scaling manager's decision (the seed's scaling configuration): how many worker nodes this node wants, from
// what one interval showed. A pure policy with an injected clock (the `now` of each input), so that a test can
// replay a load curve and check every decision.
//
// - Queue depth: over targetQueueDepth x scaleUpThreshold READY jobs per wanted worker -> up to the count that
//   brings it to targetQueueDepth per worker (ceil(depth / targetQueueDepth)); under targetQueueDepth x
//   scaleDownThreshold -> down by one (one at a time: a burst that ended may come back), unless jobs wait and the
//   busy slots would not fit on one worker fewer (a short queue on a saturated fleet is no reason to shrink it;
//   the autoscaling simulation showed the fleet shrinking at its peak under a standing backlog).
// - Memory: at or over memoryThreshold % of maxMemoryMB on this node with jobs waiting -> one more worker takes
//   work off it; and no scale-down meanwhile.
// - Error rate: over errorRateThreshold % of the attempts of the interval failed -> no scale-up (more workers do
//   not fix failing jobs, and often make the failing dependency worse).
// - Bounds: never under minWorkers nor over maxWorkers.
// - Cooldowns: a scale-up at most every scaleUpCooldownMs; a scale-down only scaleDownCooldownMs after the last
//   change either way, so that the count does not flap.

#include <cstdint>
#include <string>

#include "schemas/time.hpp"

namespace troupe {

struct scaling_config {
  uint32_t min_workers = 0;
  uint32_t max_workers = 1;
  uint32_t target_depth = 25;
  double up_threshold = 1.5;
  double down_threshold = 0.5;
  double memory_threshold = 80;      // percent
  double error_rate_threshold = 15;  // percent
  micros up_cooldown = 0;
  micros down_cooldown = 0;
};

struct scaling_input {
  micros now = 0;
  uint64_t queue_depth = 0;     // READY jobs
  double memory_percent = -1;   // of maxMemoryMB on this node; negative: unknown
  double error_rate = -1;       // percent of the interval's attempts that failed; negative: none finished
  uint32_t slots_total = 0;     // slots of the node's pools (its own and its workers'), and of those the busy ones
  uint32_t slots_busy = 0;
  uint32_t active_workers = 0;  // worker nodes ACTIVE now
};

struct scaling_decision {
  enum class action { hold, up, down };
  action what = action::hold;
  uint32_t desired = 0;  // the count wanted after this decision
  std::string reason;
};

// "up", "down", "hold".
const char* to_string(scaling_decision::action a);

class scaling_policy {
 public:
  // `initial`: the count wanted at start (the workers there are), brought within the bounds by the first decision.
  scaling_policy(scaling_config config, uint32_t initial) : config_(config), desired_(initial) {}

  uint32_t desired() const { return desired_; }

  scaling_decision decide(const scaling_input& in);

 private:
  scaling_decision change(const scaling_input& in, uint32_t to, std::string reason);

  scaling_config config_;
  uint32_t desired_;
  micros last_up_ = -1;      // when the count last went up (-1: never)
  micros last_change_ = -1;  // when it last changed either way
};

}  // namespace troupe
