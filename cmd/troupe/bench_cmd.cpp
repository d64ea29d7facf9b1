// `troupe bench`: the in-process benchmark (bench/bench.hpp).

#include <unistd.h>

#include <iostream>

#include "bench/bench.hpp"
#include "cmd/troupe/cli.hpp"
#include "config/options_cli.hpp"

#include <spdlog/spdlog.h>

namespace troupe::cli {

void add_bench_command(CLI::App& app, std::optional<command_fn>& run) {
  auto o = std::make_shared<bench_options>();
  o->node.maxConcurrentJobs = 256;  // no-op jobs need many in flight to keep the journal busy
  o->node.logLevel = "warn";
  o->node.data.clear();  // a fresh temporary directory unless --data is given
  auto* cmd = app.add_subcommand("bench", "Benchmark an in-process node on a fresh data directory. The last line is "
                                          "key=value figures.");
  cmd->add_option("--workload", o->workload, "burn: N no-op jobs submitted then drained; steady: open-loop submits "
                                             "at --rate for --seconds, measuring pickup latency; fairness: a heavy "
                                             "user queues --jobs no-op jobs while a light user submits at "
                                             "--light-rate, measuring the light user's pickup latency; dag: one "
                                             "workflow of --jobs no-op jobs (--shape chain or layers); queue: the "
                                             "ready queue alone, --jobs over --users; delayed: --jobs no-op jobs "
                                             "with run_at spread over --seconds after --lead, measuring idle CPU "
                                             "while they wait and how late each becomes READY and starts; cluster: "
                                             "--jobs sleep jobs of --sleep-ms on --workers `troupe worker` "
                                             "processes of --worker-slots slots (one run per count); storage: "
                                             "bytes on disk per job of --jobs jobs with a small and a large JSON "
                                             "payload under each payloadCompression")
      ->check(CLI::IsMember({"burn", "steady", "fairness", "dag", "queue", "delayed", "cluster", "storage"}))
      ->capture_default_str();
  auto* jobs = cmd->add_option("--jobs", o->jobs, "burn: how many jobs; fairness: the heavy user's jobs (default "
                                                  "100000); dag: the workflow's jobs (default 100000, at most "
                                                  "100000: one request); delayed: how many delayed jobs (default "
                                                  "1000000); storage: jobs per run (default 20000)")
                   ->check(CLI::Range(uint64_t{1}, uint64_t{100'000'000}))
                   ->capture_default_str();
  cmd->add_option("--users", o->users, "burn, queue: spread the jobs over this many users")
      ->check(CLI::Range(1u, 1'000'000u))
      ->capture_default_str();
  cmd->add_option("--shape", o->shape, "dag: chain (each job after the one before) or layers (of 1,000; each job "
                                       "after 2 random jobs of the layer above)")
      ->check(CLI::IsMember({"chain", "layers"}))
      ->capture_default_str();
  cmd->add_option("--seed", o->seed, "dag with --shape layers: the random seed (0: pick one; printed)");
  cmd->add_option("--light-rate", o->light_rate, "fairness: the light user's jobs per second")
      ->check(CLI::Range(0.1, 1e6))
      ->capture_default_str();
  cmd->add_option("--submit-batch", o->submit_batch, "burn, delayed: jobs per submit request")
      ->check(CLI::Range(1u, 100'000u))->capture_default_str();
  cmd->add_option("--rate", o->rate, "steady: jobs per second offered")->check(CLI::Range(1.0, 1e7))
      ->capture_default_str();
  auto* seconds = cmd->add_option("--seconds", o->seconds, "steady: how long to offer load; delayed: the window "
                                                          "the jobs' due times are spread over (default 100)")
      ->check(CLI::Range(0.1, 86400.0))
      ->capture_default_str();
  cmd->add_option("--lead", o->lead, "delayed: seconds from the start to the first due time; long enough for all "
                                     "submits to finish first (0: 2 + jobs / 50000)")
      ->check(CLI::Range(0.0, 86400.0))
      ->capture_default_str();
  cmd->add_option("--workers", o->cluster_workers, "cluster: worker process counts, one run each (e.g. 1,2,4)")
      ->delimiter(',')
      ->check(CLI::Range(1u, 64u))
      ->capture_default_str();
  cmd->add_option("--worker-slots", o->worker_slots, "cluster: slots of each worker")
      ->check(CLI::Range(1u, 10'000u))
      ->capture_default_str();
  cmd->add_option("--sleep-ms", o->sleep_ms, "cluster: how long each job sleeps")
      ->check(CLI::Range(1u, 60'000u))
      ->capture_default_str();
  add_node_options(*cmd, o->node);
  cmd->callback([&run, o, jobs, seconds] {
    run = [o, jobs, seconds] {
      if ((o->workload == "fairness" || o->workload == "dag") && jobs->count() == 0) o->jobs = 100'000;
      if (o->workload == "delayed" && jobs->count() == 0) o->jobs = 1'000'000;
      if ((o->workload == "cluster" || o->workload == "storage") && jobs->count() == 0) o->jobs = 20'000;
      if (o->workload == "delayed" && seconds->count() == 0) o->seconds = 100;  // 10,000 due per second
      if (auto problem = validate(o->node); !problem.empty()) return fail_usage("bench", problem);
      spdlog::set_level(spdlog::level::from_str(o->node.logLevel));
      bool tty = isatty(STDERR_FILENO) != 0;
      auto progress = [tty, last = -1](double fraction) mutable {
        int pct = static_cast<int>(fraction * 100);
        if (!tty || pct == last) return;
        last = pct;
        std::cerr << "\r[" << std::string(pct / 2, '#') << std::string(50 - pct / 2, '.') << "] " << pct << "%"
                  << std::flush;
      };
      auto line = run_bench(*o, progress);
      if (tty) std::cerr << "\n";
      if (!line) return fail("bench", line.error());
      std::cout << *line << std::endl;
      return int{exit_ok};
    };
  });
}

}  // namespace troupe::cli
