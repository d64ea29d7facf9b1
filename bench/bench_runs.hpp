#pragma once
// A node's benchmark runs over HTTP (POST and GET /api/jobs/benchmark, docs/api.md): at most one run at a time,
// made on a thread of its own so that no actor of the node waits for it. A run is bench/modes.hpp's run_mode
// against fresh in-process nodes with the serving node's options (its slots, durability, compression), each on
// a temporary directory: the node's own jobs, metrics and alerts are not touched, but the run shares the
// machine with the node, and measures what this configuration can do here.
//
// Finished runs (DONE or FAILED) are stored in the node's `meta` as "bench:" . id (a BenchmarkRun; the newest
// `keep` are kept); the run in progress is kept in memory only, so a node killed during a run forgets it.
// Thread-safe. The destructor stop()s.

#include <cstddef>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>

#include "api/bench_api.hpp"
#include "bench/bench.hpp"

namespace troupe::storage {
class job_store;
}

namespace troupe::bench {

class bench_runs final : public api::bench_api {
 public:
  // `store`: the node's (REQUIRES: it outlives this object). `node`: the serving node's options, the base of
  // every measurement's node (its data directory, listeners, metrics, webhook and scaling are not used).
  bench_runs(storage::job_store& store, const node_options& node, size_t keep = 50);
  ~bench_runs() override;
  bench_runs(const bench_runs&) = delete;
  bench_runs& operator=(const bench_runs&) = delete;

  // Stops a run in progress at its next measurement and waits for it (it is stored FAILED, "stopped"); later
  // starts are refused (ec::shutting_down). Idempotent. Call it before the node shuts down.
  void stop();

  caf::expected<BenchmarkRun> start(const BenchmarkRequest& request, const std::string& by) override;
  caf::expected<BenchmarkRuns> list() const override;
  caf::expected<BenchmarkRun> get(const std::string& id) const override;
  caf::expected<std::string> plot(const std::string& id) const override;

 private:
  void run(BenchmarkRequest request);
  void finish(BenchmarkRun run);

  storage::job_store& store_;
  bench_options base_;
  size_t keep_;
  mutable std::mutex mutex_;
  std::optional<BenchmarkRun> current_;  // the run in progress
  bool stopping_ = false;
  std::thread thread_;                   // the last run's thread (joined before the next starts)
};

}  // namespace troupe::bench
