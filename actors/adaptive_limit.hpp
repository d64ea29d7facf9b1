#pragma once
// Adaptive concurrency of one pool (adaptiveThrottling): how many of its slots may run jobs at once. A pure
// controller, fed one observation per interval by the resource manager (actors/resources.cpp), so that a test can
// drive it with a scripted load and check where it settles.
//
// Additive increase, multiplicative decrease (AIMD), on three signals:
// - error rate: more than errorRateThreshold % of the attempts that finished in the interval failed -> the limit
//   is halved (at least `min`). Failures that grow with concurrency (an overloaded database, rate limits
//   downstream) stop growing with it. If the next interval's error rate did not fall by a quarter, the failures
//   do not come from load (a kind that fails on its own): the limit goes back, and from then on only an error
//   rate over 1.5 x that one counts.
// - pickup latency: jobs wait for this pool (it has a backlog and all its allowed slots are busy) longer than
//   pickupLatencyTargetMs, and errors are under the threshold -> one more slot (up to the pool's slots).
// - throughput: if the interval after an increase finished fewer jobs per second than the one before it (by more
//   than `plateau_tolerance`), the increase is taken back and the limit holds for `hold_intervals` intervals:
//   more concurrency did not buy throughput.
// Otherwise the limit holds. The limit starts at the pool's slots, so a healthy pool runs exactly as without
// throttling.

#include <cstdint>
#include <optional>
#include <string>

namespace troupe {

struct adaptive_config {
  uint32_t min = 1;                   // adaptiveMinConcurrency
  double error_rate_threshold = 0.15;  // errorRateThreshold / 100
  double pickup_target_s = 1.0;        // pickupLatencyTargetMs / 1000
  uint32_t min_samples = 20;           // fewer finished attempts in an interval say little about its error rate
  double plateau_tolerance = 0.05;
  uint32_t hold_intervals = 10;
  double error_drop = 0.25;  // a decrease for errors must cut the error rate by this fraction to stand
};

// What one interval showed of a pool.
struct pool_observation {
  double seconds = 1;        // length of the interval
  uint32_t slots = 0;        // slots alive now (the upper bound)
  uint32_t busy = 0;         // running jobs now
  uint64_t finished = 0;     // attempts that ended in the interval
  uint64_t failed = 0;       // of those, failed ones (not cancellations)
  uint64_t started = 0;      // attempts started in the interval
  double pickup_mean_s = 0;  // mean READY -> RUNNING wait of those starts
  uint64_t backlog = 0;      // READY jobs waiting (node-wide)
};

// A change of the limit and why, in words an operator reads in `troupe status`.
struct limit_change {
  uint32_t limit = 0;
  std::string reason;
};

class adaptive_limit {
 public:
  explicit adaptive_limit(adaptive_config config) : config_(config) {}

  // The limit in force (0 before the first observation: none yet).
  uint32_t limit() const { return limit_; }

  // Takes one interval's observation; returns the new limit and its reason if it changed.
  std::optional<limit_change> observe(const pool_observation& o);

 private:
  adaptive_config config_;
  uint32_t limit_ = 0;
  bool last_was_increase_ = false;
  double throughput_before_increase_ = 0;  // jobs/s of the interval before the last increase
  uint32_t hold_left_ = 0;
  // The last change was a decrease for errors: the error rate and limit before it (to check that it helped).
  bool last_was_error_decrease_ = false;
  double error_rate_before_decrease_ = 0;
  uint32_t limit_before_decrease_ = 0;
  double error_floor_ = 0;  // the highest error rate seen not to come from load
};

}  // namespace troupe
