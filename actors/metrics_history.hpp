#pragma once
// The metrics history in RocksDB (the store's `metrics` family): every sample goes into tier 0; per-minute
// averages into tier 1 and per-hour averages into tier 2 as each minute and hour ends, and each tier keeps what
// its retention allows (metricsFineRetentionMinutes, metricsMinuteRetentionHours, maxJobHistoryDays). A query
// reads the finest tier that still covers its range and averages the points into its step. Not thread-safe: the
// metrics actor owns one; the store it writes to is.

#include <array>
#include <cstdint>
#include <map>
#include <string>

#include "schemas/time.hpp"
#include "schemas/troupe.pb.h"
#include "storage/store.hpp"

namespace troupe {

struct history_retention {
  micros fine = 0;    // tier 0
  micros minute = 0;  // tier 1
  micros hour = 0;    // tier 2
};

class metrics_history {
 public:
  static constexpr std::array<micros, 3> tier_step = {0, 60'000'000, 3'600'000'000};

  metrics_history(storage::job_store& store, history_retention retention) : store_(store), retention_(retention) {}

  // Stores a sample; closes the minute (and hour) it ended, storing their averages and dropping what aged out.
  storage::status add(const MetricsSample& sample);

  // The points of the asked series (all node-wide series when none is named) between query.from and query.to
  // (defaults: the last hour up to `now`), at query.step_seconds (0: the finest tier kept that far back, at most
  // max_points per series: a larger step is used then). `known` lists the names of the newest sample in range
  // when a series asked for is unknown or none was asked.
  storage::status query(const MetricsQuery& query, micros now, SeriesSet* out) const;

  static constexpr size_t max_points = 10'000;

 private:
  // Averages of the samples of one minute or hour.
  struct accumulator {
    micros start = -1;
    uint32_t samples = 0;
    std::map<std::string, double> sums;
    void add(const MetricsSample& sample);
    MetricsSample average() const;
  };
  storage::status close_tier(size_t tier, micros bucket_start);

  storage::job_store& store_;
  history_retention retention_;
  std::array<accumulator, 3> open_;  // [1] the minute, [2] the hour being accumulated ([0] unused)
};

}  // namespace troupe
