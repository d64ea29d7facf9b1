#pragma once
// What the benchmark modes conclude from their measurements (bench/modes.hpp), as pure functions of the
// figures: the best slot count of a concurrency sweep, the stopping rule of a search for a limit, and the
// recommendations printed and stored with a run. No I/O, no clock: unit-tested with made-up figures.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace troupe::bench {

// One point of a concurrency sweep: `slots` (maxConcurrentJobs) and the throughput measured with it.
struct sweep_point {
  uint32_t slots = 0;
  double jobs_per_s = 0;
};

// How much a step must raise throughput to count as rising (5%).
inline constexpr double rising_pct = 5;

// Whether a sweep over increasing slot counts should go on after `points`: while the last point raised
// throughput by more than rising_pct over the best before it (the first point always goes on).
bool sweep_goes_on(const std::vector<sweep_point>& points);

// The best slot count: the last point that raised throughput by more than rising_pct over every point before it
// (the first point if none did). nullopt for an empty sweep. REQUIRES: points in increasing slot order.
std::optional<sweep_point> best_slots(const std::vector<sweep_point>& points);

// A search for a limit: a load (offered rate, payload size, chain depth) raised step by step until a step fails
// its target. The limit is the last value that passed; `reached` is false when every step passed up to the
// largest one tried (the limit is then at least `value`).
struct limit {
  std::string name;    // e.g. "offered_rate_jobs_per_s"
  double value = 0;    // the last passing value (0 when the first step failed)
  bool reached = false;
  std::string reason;  // why the next step failed, or that none did
};

class limit_finder {
 public:
  // `max_steps`: steps tried at most. REQUIRES: max_steps >= 1.
  limit_finder(std::string name, uint32_t max_steps);

  // Records one step: `value` and whether it met the target (`why` says how it failed). Returns whether to try
  // another, larger step: false once a step failed or max_steps were tried.
  bool step(double value, bool passed, const std::string& why = "");
  uint32_t steps() const { return steps_; }
  const limit& result() const { return result_; }
  // `limit=NAME:VALUE reason="..."`, the line a stress run prints per limit.
  std::string line() const;

 private:
  uint32_t max_steps_;
  uint32_t steps_ = 0;
  bool done_ = false;
  limit result_;
};

// One offered load and the pickup latency measured under it.
struct load_point {
  double offered_per_s = 0;
  double p50_pickup_ms = 0;
  double p99_pickup_ms = 0;
};

// Recommendations drawn from the figures (each empty input yields none):
// "set maxConcurrentJobs to 32: throughput peaked there (12400 jobs/s), +18.0% over 16"
std::vector<std::string> recommend_slots(const std::vector<sweep_point>& sweep);
// "pickup latency p99 stays under 100 ms up to 30000 jobs/s (100% of measured capacity)", or that it did not
// at the lowest load tried.
std::vector<std::string> recommend_load(const std::vector<load_point>& loads, double capacity_per_s,
                                        double target_ms);
// "keep offered load under 42000 jobs/s: the next step failed (p99 pickup latency ...)", one per reached limit.
std::vector<std::string> recommend_limits(const std::vector<limit>& limits);

}  // namespace troupe::bench
