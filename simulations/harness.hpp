#pragma once
// The simulation harness: runs one scenario (simulations/scenario.hpp) against a virtual node (the real actors
// on simulated time and a real RocksDB store) and simulated workers, checks the invariants as it goes and at the
// end, and writes the time series (NAME.csv) and a plot of it (NAME.svg) to the scenario's `out` directory.
//
// Invariants, every sample:
// - no job lost or invented: every acknowledged job is in the node (READY, RUNNING, BLOCKED, SCHEDULED or
//   finished in the history), and nothing else is there but submits that were cut off by a crash before their
//   acknowledgement;
// - the scenario's bounds: p99 pickup latency of light users, memory percent.
// At the end (every job read back from the store):
// - every acknowledged job is terminal: SUCCEEDED (or DEAD when attempts fail on purpose), within max-drain-s;
// - no job finished twice: at most one SUCCEEDED transition, and the result it holds came from the newest lease
//   a worker was given for it (a result kept across a lost connection is applied only under its own lease);
// - no job started before its dependencies succeeded;
// - the scenario's bounds: overall p99 pickup latency, changes of the desired worker count, admission held.
// The verdict is PASS when none was broken.

#include <cstdint>
#include <iosfwd>
#include <string>
#include <vector>

#include <caf/expected.hpp>

#include "simulations/scenario.hpp"

namespace troupe::sim {

struct run_result {
  bool passed = false;
  std::vector<std::string> violations;  // the first few of each kind
  std::string summary;                  // key=value figures of the run, ending with verdict=PASS|FAIL
  std::string csv_path, svg_path;
};

// Runs `s` (seed already chosen: s.seed != 0). Progress and findings go to `log`. Fails only when the run
// could not be carried out (the store could not be opened, the output not written); broken invariants are a
// result with passed = false.
caf::expected<run_result> run_scenario(const scenario& s, std::ostream& log);

}  // namespace troupe::sim
