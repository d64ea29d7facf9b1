#pragma once
// What the scheduler counts for the metrics actor, per (kind, user, priority): jobs submitted and ended in each
// state, attempts started, failed and retried, the jobs READY and RUNNING now, and histograms of pickup latency
// (the time a job waited READY before its attempt started), run time (per attempt) and the wait of jobs that were
// BLOCKED. Fed by the one place every job record the scheduler writes goes through (write_job), from the record
// and its state before, so no path is counted twice or missed. Cumulative since the scheduler started; the
// metrics actor takes differences. Cost per write: one hash lookup on two interned ids and a few additions; no
// allocation once a label set has been seen. Not thread-safe: owned by the scheduler.

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>

#include "schemas/time.hpp"
#include "schemas/troupe.pb.h"

namespace troupe {

// Upper bounds (seconds) of the histogram buckets, shared by every histogram of troupe; a last bucket is +Inf.
inline constexpr std::array<double, 20> histogram_bounds = {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1,
                                                            0.25,  0.5,    1,     2.5,  5,     10,   30,
                                                            60,    120,    300,   600,  1800,  3600};

// Observations counted per bucket of histogram_bounds (+Inf last).
struct histogram {
  std::array<uint64_t, histogram_bounds.size() + 1> buckets{};
  uint64_t count = 0;
  double sum = 0;  // seconds

  void observe(double seconds);
  void to_proto(Histogram* out) const;
};

class metrics_recorder {
 public:
  // Interned ids of a job's user and kind (the ready queue's flow key) and its priority lane.
  struct label {
    uint32_t user = 0;
    uint32_t kind = 0;
    int lane = 0;
    bool operator==(const label&) const = default;
  };

  // A job record was written: `job` after the change, `from` its state before (PENDING: a new job) and `from_lane`
  // its lane before. `user` and `kind` are the ready queue's interned ids (its flow key).
  void on_write(const Job& job, uint32_t user, uint32_t kind, Job::State from, int from_lane);
  // `n` READY jobs found in the store when the scheduler starts.
  void add_ready(const label& l, std::string_view user, std::string_view kind, int64_t n);
  // Every label set seen, cumulative, into `out`.
  void fill(SchedulerSample* out) const;

 private:
  struct label_hash {
    size_t operator()(const label& l) const {
      return std::hash<uint64_t>{}((uint64_t{l.user} << 34) ^ (uint64_t{l.kind} << 2) ^ static_cast<uint64_t>(l.lane));
    }
  };
  struct counts {
    std::string user, kind;
    uint64_t submitted = 0, started = 0, succeeded = 0, failed = 0, dead = 0, cancelled = 0;
    uint64_t failed_attempts = 0, retried = 0;
    int64_t ready = 0, running = 0;
    histogram pickup, run, blocked_wait;
  };
  counts& at(const label& l, const Job& job);

  std::unordered_map<label, counts, label_hash> labels_;
};

}  // namespace troupe
