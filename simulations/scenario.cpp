#include "simulations/scenario.hpp"

#include <CLI/CLI.hpp>

#include "config/options_cli.hpp"

namespace troupe::sim {

void add_scenario_options(CLI::App& app, scenario& s) {
  s.node.nodeName = "sim-node";
  s.node.maxConcurrentJobs = 0;
  s.node.workerPoolSize = 1;
  s.node.clusterSecret = "simulation";
  s.node.maxCompletedJobsToKeep = 100'000'000;  // the end-of-run checks read every job back
  s.node.logLevel = "warn";
  s.node.scalingIntervalMs = 5000;
  add_node_options(app, s.node);

  const char* run = "simulation";
  app.add_option("--name", s.name, "the scenario's name (files: NAME.csv, NAME.svg)")->group(run);
  app.add_option("--description", s.description, "what the scenario shows")->group(run);
  app.add_option("--seed", s.seed, "random seed; 0 picks one (printed, so a run can be repeated)")->group(run);
  app.add_option("--out", s.out, "directory for the CSV time series and the SVG plot")->group(run);
  app.add_option("--duration-s", s.duration_s, "simulated seconds of offered load")
      ->check(CLI::Range(0.0, 1e7))->group(run);
  app.add_option("--drain-s", s.drain_s, "then at most this long for the backlog to finish")
      ->check(CLI::Range(0.0, 1e7))->group(run);
  app.add_option("--step-ms", s.step_ms, "submits and faults happen every step")->check(CLI::Range(1u, 3'600'000u))
      ->group(run);
  app.add_option("--sample-ms", s.sample_ms, "one CSV row (and the per-sample checks) every sample")
      ->check(CLI::Range(1u, 86'400'000u))->group(run);

  const char* workers = "simulated workers";
  app.add_option("--workers", s.workers, "worker nodes at the start")->check(CLI::Range(0u, 100'000u))
      ->group(workers);
  app.add_option("--worker-slots", s.worker_slots, "slots of each worker")->check(CLI::Range(1u, 10'000u))
      ->group(workers);
  app.add_option("--join-delay-ms", s.join_delay_ms, "autoscale: how long a new worker takes to join")
      ->group(workers);
  app.add_flag("--autoscale,!--no-autoscale", s.autoscale,
               "provision workers to follow the scaling manager's desired count (its scalingMode off "
               "recommendation)")->group(workers);

  const char* load = "load";
  app.add_option("--profile", s.profile, "constant, burst (burst-factor x rate for burst-s at burst-at-s) or "
                                         "daily (a sine over daily-period-s)")
      ->check(CLI::IsMember({"constant", "burst", "daily"}))->group(load);
  app.add_option("--rate", s.rate, "jobs per second offered")->check(CLI::Range(0.0, 1e7))->group(load);
  app.add_option("--burst-factor", s.burst_factor, "burst: the rate during the burst, times rate")->group(load);
  app.add_option("--burst-at-s", s.burst_at_s, "burst: when it starts")->group(load);
  app.add_option("--burst-s", s.burst_s, "burst: how long it lasts")->group(load);
  app.add_option("--daily-period-s", s.daily_period_s, "daily: the length of a day")
      ->check(CLI::Range(1.0, 1e7))->group(load);
  app.add_option("--daily-amplitude", s.daily_amplitude, "daily: the rate swings by this fraction around rate")
      ->check(CLI::Range(0.0, 1.0))->group(load);
  app.add_option("--total-jobs", s.total_jobs, "stop offering after this many jobs (0: no limit)")->group(load);
  app.add_option("--job-ms", s.job_ms, "mean attempt length")->check(CLI::Range(0.0, 1e8))->group(load);
  app.add_option("--job-dist", s.job_dist, "attempt lengths: const or exp (exponential)")
      ->check(CLI::IsMember({"const", "exp"}))->group(load);
  app.add_option("--fail-pct", s.fail_pct, "chance (percent) that an attempt fails")
      ->check(CLI::Range(0.0, 100.0))->group(load);
  app.add_option("--users", s.users, "jobs are spread over this many users")->check(CLI::Range(1u, 1'000'000u))
      ->group(load);
  app.add_option("--noisy-rate", s.noisy_rate, "user 'noisy' offers this many jobs per second on top")
      ->check(CLI::Range(0.0, 1e7))->group(load);
  app.add_option("--noisy-burst", s.noisy_burst, "user 'noisy' queues this many jobs at the start")->group(load);
  app.add_option("--submit-batch", s.submit_batch, "at most this many jobs per submit request")
      ->check(CLI::Range(1u, 100'000u))->group(load);
  app.add_option("--dag-jobs", s.dag_jobs, "a workflow of this many jobs at the start, in layers")
      ->check(CLI::Range(uint64_t{0}, uint64_t{10'000'000}))->group(load);
  app.add_option("--dag-width", s.dag_width, "jobs per layer of the workflow")->check(CLI::Range(1u, 1'000'000u))
      ->group(load);
  app.add_option("--dag-parents", s.dag_parents, "each job after this many random jobs of the layer above")
      ->check(CLI::Range(1u, 100u))->group(load);

  const char* faults = "faults";
  app.add_option("--kills-per-min", s.kills_per_min, "worker processes killed per minute (each rejoins after "
                                                     "rejoin-ms)")->check(CLI::Range(0.0, 1e6))->group(faults);
  app.add_option("--rejoin-ms", s.rejoin_ms, "how long a killed worker takes to come back")->group(faults);
  app.add_option("--partitions-per-min", s.partitions_per_min, "workers cut off per minute (their slots keep "
                                                               "running; results are reported after the "
                                                               "rejoin)")->check(CLI::Range(0.0, 1e6))
      ->group(faults);
  app.add_option("--partition-ms", s.partition_ms, "how long a cut-off worker stays away")->group(faults);
  app.add_option("--node-restarts", s.node_restarts, "the scheduling node is killed this many times at random "
                                                     "moments and restarted on its RocksDB store")->group(faults);
  app.add_option("--restart-down-ms", s.restart_down_ms, "how long the node stays down")->group(faults);

  const char* memory = "memory model";
  app.add_flag("--memory-model,!--no-memory-model", s.memory_model,
               "the node's memory as the resource manager sees it is base-mb + per-running-mb x running jobs + "
               "per-ready-kb x READY jobs (off: /proc)")->group(memory);
  app.add_option("--base-mb", s.base_mb, "memory model: the node's memory at rest")->group(memory);
  app.add_option("--per-running-mb", s.per_running_mb, "memory model: per running job")->group(memory);
  app.add_option("--per-ready-kb", s.per_ready_kb, "memory model: per READY job")->group(memory);

  const char* checks = "invariants (0: not checked)";
  app.add_option("--max-p99-pickup-ms", s.max_p99_pickup_ms, "p99 pickup latency over the run")->group(checks);
  app.add_option("--max-light-p99-pickup-ms", s.max_light_p99_pickup_ms,
                 "per sample: p99 pickup latency of users other than 'noisy'")->group(checks);
  app.add_option("--max-memory-percent", s.max_memory_percent, "per sample: memory as a percent of maxMemoryMB")
      ->group(checks);
  app.add_option("--max-drain-s", s.max_drain_s, "the backlog is gone this long after load stops")->group(checks);
  app.add_option("--max-scaling-changes", s.max_scaling_changes, "autoscale: changes of the desired count")
      ->group(checks);
  app.add_flag("--expect-admission-hold", s.expect_admission_hold, "memory: admission held at least once")
      ->group(checks);
}

std::string validate(const scenario& s) {
  std::string out;
  auto add = [&](const std::string& problem) { out += (out.empty() ? "" : "; ") + problem; };
  if (auto problem = troupe::validate(s.node); !problem.empty()) add(problem);
  if (s.node.clusterSecret.empty()) add("clusterSecret is empty: simulated workers join with it");
  if (s.sample_ms < s.step_ms) add("sample-ms must be at least step-ms");
  if (s.workers == 0 && !s.autoscale && s.node.maxConcurrentJobs == 0)
    add("nothing can run: workers = 0, no autoscale and maxConcurrentJobs = 0");
  if (s.dag_jobs > 0 && s.dag_jobs < s.dag_width) add("dag-jobs must be 0 or at least dag-width");
  if (s.memory_model && s.node.maxMemoryMB == 0) add("the memory model needs maxMemoryMB");
  return out;
}

}  // namespace troupe::sim
