#pragma once
// A simulation scenario's parameters. Scenario files (simulations/scenarios/*.toml) are config files of
// `troupe-sim`: top-level keys are these parameters (kebab-case) and the node's own options (camelCase, as in
// config/troupe.toml); the command line overrides the file (the test suite runs each scenario in a quick form
// that way: simulations/CMakeLists.txt).
//
// Time is simulated: duration-s of load, then up to drain-s for the backlog to finish. Every parameter has a
// default that makes a small steady-load run.

#include <cstdint>
#include <string>

#include "config/options.hpp"

namespace CLI {
class App;
}  // namespace CLI

namespace troupe::sim {

struct scenario {
  std::string name = "steady";
  std::string description;
  uint64_t seed = 0;          // 0: pick one (printed)
  std::string out = "sim-out";  // directory for the CSV and the SVG plot

  // --- time ----------------------------------------------------------------------------------------------------
  double duration_s = 60;     // how long load is offered
  double drain_s = 600;       // after that, how long the backlog may take to finish
  uint32_t step_ms = 100;     // submits and faults happen at step boundaries
  uint32_t sample_ms = 1000;  // one CSV row (and the per-sample invariants) per sample

  // --- workers -------------------------------------------------------------------------------------------------
  uint32_t workers = 10;       // simulated worker nodes at the start
  uint32_t worker_slots = 4;   // slots of each
  uint32_t join_delay_ms = 2000;  // autoscale: how long a new worker takes to join

  // --- load ----------------------------------------------------------------------------------------------------
  std::string profile = "constant";  // constant | burst | daily
  double rate = 100;                 // jobs per second offered (daily: the mean)
  double burst_factor = 100;         // burst: the rate during the burst, times `rate`
  double burst_at_s = 10;
  double burst_s = 5;
  double daily_period_s = 86400;     // daily: one "day" (a sine from rate * (1 - amplitude) at night to the peak)
  double daily_amplitude = 0.8;
  uint64_t total_jobs = 0;           // stop offering after this many (0: no limit)
  double job_ms = 100;               // mean attempt length
  std::string job_dist = "exp";      // const | exp
  double fail_pct = 0;               // chance that an attempt fails (retried by the node's policy)
  uint32_t users = 10;               // jobs are spread over users u0..u(N-1)
  double noisy_rate = 0;             // a user "noisy" offers this many jobs per second on top
  uint64_t noisy_burst = 0;          // ... and queues this many at once at the start
  uint32_t submit_batch = 5000;      // at most this many specs per submit request

  // --- a DAG ---------------------------------------------------------------------------------------------------
  uint64_t dag_jobs = 0;     // a workflow of this many jobs submitted at the start (layers of dag-width)
  uint32_t dag_width = 1000;
  uint32_t dag_parents = 2;  // each job after this many random jobs of the layer above

  // --- faults --------------------------------------------------------------------------------------------------
  double kills_per_min = 0;       // worker processes killed (at random), each rejoining after rejoin-ms
  uint32_t rejoin_ms = 5000;
  double partitions_per_min = 0;  // workers cut off for partition-ms (their slots keep running)
  uint32_t partition_ms = 10000;
  uint32_t node_restarts = 0;     // the scheduling node is killed at this many random moments and restarted
  uint32_t restart_down_ms = 3000;

  // --- memory model (the node's RSS as the resource manager sees it) --------------------------------------------
  bool memory_model = false;   // off: the real /proc figures
  double base_mb = 100;
  double per_running_mb = 0;   // each running job holds this much on the node
  double per_ready_kb = 0;     // each READY job

  // --- autoscaling -----------------------------------------------------------------------------------------------
  bool autoscale = false;  // the harness provisions workers to follow the scaling manager's desired count

  // --- invariants with bounds (0: not checked) -------------------------------------------------------------------
  double max_p99_pickup_ms = 0;        // over the whole run
  double max_light_p99_pickup_ms = 0;  // per sample, users other than "noisy", once they had 20 pickups
  double max_memory_percent = 0;       // per sample, of maxMemoryMB
  double max_drain_s = 0;              // the backlog is gone within this long after load stops
  uint32_t max_scaling_changes = 0;    // autoscale: changes of the desired count
  bool expect_admission_hold = false;  // memory: admission must have held at least once

  node_options node;
};

// Registers the parameters and the node's options (add_node_options, which brings --config FILE) on `app`.
// Defaults for the node suit a simulation: no local slots (workers run everything), history kept for every job.
void add_scenario_options(CLI::App& app, scenario& s);

// "" or what is wrong with `s` (several problems separated by "; ").
std::string validate(const scenario& s);

}  // namespace troupe::sim
