#pragma once
// Turns the scheduler's cumulative counters, sampled at intervals, into the values of one MetricsSample: depths,
// rates over 1 s, 1 min and 1 h, error rates and latency percentiles over the last minute, counts over the last
// 10 minutes, backlog growth and the time to drain it, slots, memory and CPU. Node-wide series have plain names
// ("throughput_1m"); per kind, user and priority they are prefixed ("kind:email:throughput_1m"). docs/metrics.md
// lists every name. Pure: no clock, no I/O; the caller hands it each sample in time order. Memory: a snapshot of
// every group's counters per sample over the last minute and per minute over the last hour.

#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <unordered_map>
#include <unordered_set>

#include "actors/metrics_recorder.hpp"
#include "actors/process_usage.hpp"
#include "schemas/time.hpp"
#include "schemas/troupe.pb.h"

namespace troupe {

// The p-quantile (0 < q < 1) of the observations in `h`, interpolated linearly inside the bucket it falls in (as
// Prometheus' histogram_quantile); 0 for an empty histogram; the largest bound for the +Inf bucket.
double quantile(const histogram& h, double q);

class metrics_windows {
 public:
  struct config {
    uint64_t max_memory_bytes = 0;  // maxMemoryMB: the base of memory_percent (0: not computed)
    size_t max_groups = 20;         // most kinds (and, apart, users) with series of their own
  };

  explicit metrics_windows(config c) : config_(c) {}

  // The values after `counters` (taken at counters.at, later than the previous one's) and the process's usage.
  MetricsSample add(const SchedulerSample& counters, const std::optional<process_usage>& process);

 private:
  struct totals {
    uint64_t submitted = 0, started = 0, succeeded = 0, failed = 0, dead = 0, cancelled = 0;
    uint64_t failed_attempts = 0, retried = 0;
    int64_t ready = 0, running = 0;
    histogram pickup, run, blocked_wait;
    uint64_t finished() const { return succeeded + failed + dead + cancelled; }
    void add(const LabelCounters& row);
  };
  struct snapshot {
    micros at = 0;
    std::unordered_map<std::string, totals> groups;  // "" the node, "kind:NAME", "user:NAME", "priority:NAME"
    double utilization = 0;                          // percent of slots busy at that moment
    uint64_t slots_lost = 0;
    int64_t backlog = 0;
    double cpu_seconds = -1;
  };

  snapshot take(const SchedulerSample& counters, const std::optional<process_usage>& process);
  bool admitted(std::unordered_set<std::string>& names, const std::string& name);
  // The newest snapshot at least `span` older than `now` (the oldest one kept if none is that old); null if none.
  const snapshot* before(micros now, micros span) const;

  config config_;
  std::deque<snapshot> fine_;    // every sample of the last minute (and one older)
  std::deque<snapshot> coarse_;  // one per minute over the last hour (and one older)
  std::unordered_set<std::string> kinds_, users_;
};

}  // namespace troupe
