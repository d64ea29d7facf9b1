#pragma once
// Benchmark figures as key=value text (the last line `troupe bench` prints) and the regression check between
// two such lines (`troupe bench --baseline FILE`). Pure functions: no I/O, no clock.
//
// A figure's direction comes from its name, in one place (direction_of): throughputs (`*_per_s`) and limits
// (`limit_*`) are better higher; latencies and costs (`*_ms`, `*_ns`), memory (`*_mb`), bytes per job
// (`*_bytes_per_job`) and CPU per job (`cpu_s_per_1000_jobs`) are better lower. Any other key (counts, settings
// such as `slots=256`, names such as `mode=quick`) has no direction and is never compared.

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace troupe::bench {

// key=value pairs in the order they were written.
using figures = std::vector<std::pair<std::string, std::string>>;

// Parses "a=1 b=x c=2.5": tokens separated by spaces, each split at its first '='; tokens without one are
// skipped. A value may be double-quoted to hold spaces (reason="p99 over 1 s"); the quotes are removed.
figures parse_figures(std::string_view line);

// The value of `key` as a number; nullopt when absent or not a number.
std::optional<double> number_of(const figures& f, std::string_view key);

// The last line of `text` that holds a key=value pair (a saved baseline file may end with a newline, or hold
// the whole output of a run).
std::string last_figures_line(std::string_view text);

enum class direction { none, higher_is_better, lower_is_better };
direction direction_of(std::string_view key);

// One figure compared with the baseline. change_pct is (now - before) / before x 100.
struct comparison {
  std::string key;
  double before = 0;
  double now = 0;
  double change_pct = 0;
  bool regressed = false;  // worse than the baseline by more than the threshold, in the figure's direction
};

// Every figure with a direction that both lines hold as a number, in the order of `now`. A figure whose
// baseline is 0 has no relative change and is not compared. REQUIRES: threshold_pct >= 0.
std::vector<comparison> compare(const figures& baseline, const figures& now, double threshold_pct);

// "regression: jobs_per_s 33853 -> 25000 (-26.2%, threshold 10%)".
std::string describe_regression(const comparison& c, double threshold_pct);

}  // namespace troupe::bench
