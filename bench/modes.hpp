#pragma once
// The benchmark modes (`troupe bench --mode`, POST /api/jobs/benchmark): each composes the workloads of
// bench/bench.hpp at chosen sizes and draws its conclusions with bench/analysis.hpp.
//
//   quick:         burn (--jobs, default 200,000 no-op jobs) and steady (10,000 jobs/s offered for --seconds,
//                  default 10): about half a minute.
//   comprehensive: a concurrency sweep: a mix of sleep, noop and cpu jobs (sleep:1,noop,cpu:1; --jobs per point,
//                  default 4,000) at maxConcurrentJobs 1, 2, 4, ... up to --max-slots (default 256) while
//                  throughput rises by more than 5%; the best count is where it stopped rising. Then capacity (a
//                  burn of 10 x --jobs no-op jobs), pickup latency at 25/50/75/100% of it (--seconds each, default
//                  5), and a resource profile: peak RSS, CPU seconds per 1,000 jobs (from the burn), bytes on disk
//                  per job (the storage workload with --jobs / 2 jobs, the node's payloadCompression).
//   stress:        capacity (a burn), then three limit searches, each stopping at the first step that fails:
//                  offered load from half the capacity up by 1.5x per step (--seconds each, default 3; fails on
//                  p99 pickup over --latency-target-ms, default 1000, a failed submit, or a backlog that takes
//                  longer than the window to drain); payload size from 1 KiB up 4x per step (fails on a refused
//                  submit, e.g. over maxJobPayloadSizeMB, or payload bytes/s falling under half the best); chain
//                  depth from 100 (or --jobs if less) up 2x per step (fails when a chain takes over 10 s).
//                  --max-steps (default 10) steps per search at most. Each limit is printed and named:
//                  limit=offered_rate_jobs_per_s:42000 reason="p99 pickup latency 1840 ms over 1000 ms".
//
// Each mode returns a BenchmarkRun (schemas/troupe.proto): the result line (key=value, what `troupe bench`
// prints last), every measurement's own line, recommendations, limits, and the points of its curves.
//
// Threads: run_mode blocks the calling thread for the whole run; it must not be an actor's (the node runs it on
// a thread of its own: bench/bench_runs.hpp).

#include <functional>
#include <string>

#include <caf/expected.hpp>

#include "bench/bench.hpp"
#include "bench/svg_plot.hpp"
#include "schemas/troupe.pb.h"

namespace troupe::bench {

// Runs one workload of bench/bench.hpp with `options` and returns its key=value line: run_bench for a node on a
// fresh directory in this process (slots vary per measurement), or the remote workloads against a running node.
using workload_runner =
    std::function<caf::expected<std::string>(const bench_options& options, const std::function<void(double)>&)>;

struct target {
  workload_runner run;
  // Whether each measurement gets a fresh node with the slot count it asks for (the concurrency sweep and the
  // storage profile need that; against a running node they are skipped, and said so).
  bool fresh_nodes = true;
  // Checked before each measurement: true ends the run with ec::shutting_down (the node is stopping).
  std::function<bool()> stopped = {};
};

// Called as the run goes: the phase ("sweep slots=16") and how far the current measurement is (0..1).
using phase_progress = std::function<void(const std::string& phase, double fraction)>;

// The run `request` asks for, each workload starting from `base` (node options, workload defaults). An
// ec::invalid_argument error names a bad mode; a workload's error ends the run with it.
caf::expected<BenchmarkRun> run_mode(const BenchmarkRequest& request, const bench_options& base, const target& t,
                                     const phase_progress& progress);

// The charts of a run's points: throughput vs slot count, pickup latency vs offered load, and the stress
// searches; none for a run without points.
std::vector<plot_chart> charts_of(const BenchmarkRun& run);
// The run's SVG plot (bench/svg_plot.hpp).
std::string plot_of(const BenchmarkRun& run);

}  // namespace troupe::bench
