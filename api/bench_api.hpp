#pragma once
// What the HTTP routes need to serve benchmark runs (GET/POST /api/jobs/benchmark): a node's runner of them
// (bench/bench_runs.hpp). The routes authenticate and authorize the caller first (api/routes.hpp); these calls
// trust them. Every call returns quickly: a run goes on in the background.

#include <string>

#include <caf/expected.hpp>

#include "schemas/troupe.pb.h"

namespace troupe::api {

class bench_api {
 public:
  virtual ~bench_api() = default;
  // Starts a run of `request` for `by`; the run as it starts (RUNNING, with its id). ec::conflict while another
  // run is in progress; ec::invalid_argument for a bad request (named).
  virtual caf::expected<BenchmarkRun> start(const BenchmarkRequest& request, const std::string& by) = 0;
  // The run in progress (if any), then the stored runs, newest first.
  virtual caf::expected<BenchmarkRuns> list() const = 0;
  // One run by id; ec::unknown_job when there is none.
  virtual caf::expected<BenchmarkRun> get(const std::string& id) const = 0;
  // Its plot: an SVG document (throughput vs slot count, latency vs load, the stress searches).
  virtual caf::expected<std::string> plot(const std::string& id) const = 0;
};

}  // namespace troupe::api
