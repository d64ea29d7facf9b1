// `troupe bench --workload cluster`: a scheduling node in this process that runs nothing itself, and `troupe worker`
// processes on loopback that join it; throughput of short sleep jobs with 1, 2, 4 ... workers (bench/bench.hpp).

#include <fcntl.h>
#include <fmt/format.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <filesystem>
#include <random>
#include <thread>

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/io/middleman.hpp>

#include "actors/system_config.hpp"
#include "bench/bench.hpp"
#include "troupe/client.hpp"
#include "troupe/json.hpp"
#include "troupe/node.hpp"

extern char** environ;

namespace troupe {

namespace {

using steady = std::chrono::steady_clock;

// Worker processes of one run, stopped (SIGTERM: they drain and leave) and reaped when it ends.
class worker_processes {
 public:
  caf::error spawn(const std::vector<std::string>& argv, const std::string& log) {
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    posix_spawn_file_actions_t files;
    posix_spawn_file_actions_init(&files);
    posix_spawn_file_actions_addopen(&files, STDOUT_FILENO, log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    posix_spawn_file_actions_adddup2(&files, STDOUT_FILENO, STDERR_FILENO);
    pid_t pid = 0;
    int rc = posix_spawn(&pid, argv[0].c_str(), &files, nullptr, args.data(), environ);
    posix_spawn_file_actions_destroy(&files);
    if (rc != 0) return make_error(ec::internal, "cannot start " + argv[0] + ": " + std::strerror(rc));
    pids_.push_back(pid);
    return caf::none;
  }
  ~worker_processes() {
    for (auto pid : pids_) ::kill(pid, SIGTERM);
    for (auto pid : pids_) {
      int status = 0;
      ::waitpid(pid, &status, 0);
    }
  }

 private:
  std::vector<pid_t> pids_;
};

std::string self_executable() {
  std::error_code ec;
  auto path = std::filesystem::read_symlink("/proc/self/exe", ec);
  return ec ? std::string{} : path.string();
}

caf::expected<std::string> one_run(const bench_options& o, uint32_t workers,
                                   const std::function<void(double)>& progress, double from, double to) {
  char pattern[] = "/tmp/troupe-bench-cluster-XXXXXX";
  if (mkdtemp(pattern) == nullptr) return make_error(ec::storage_failure, "cannot create a temporary directory");
  std::string dir = pattern;
  struct cleanup {
    std::string dir;
    ~cleanup() {
      std::error_code ignored;
      std::filesystem::remove_all(dir, ignored);
    }
  } remove_dir{dir};

  auto opts = o.node;
  opts.data = dir + "/node";
  opts.maxConcurrentJobs = 0;  // the node only schedules
  opts.clusterSecret = fmt::format("{:016x}", std::random_device{}() * 0x9e3779b97f4a7c15ull);
  opts.maxCompletedJobsToKeep = std::max<uint64_t>(opts.maxCompletedJobsToKeep, 1000);
  caf::actor_system_config cfg;
  configure_node_system(cfg, opts);
  caf::actor_system sys{cfg};
  auto started = node::start(sys, opts, kind_registry{});
  if (!started) return started.error();
  auto& n = **started;
  auto port = sys.middleman().publish(n.access(), 0, "127.0.0.1", true);
  if (!port) return make_error(ec::unavailable, "cannot listen: " + sys.render(port.error()));
  auto c = client::local(sys, n.gateway());
  std::string result;
  {
    worker_processes procs;
    auto exe = self_executable();
    for (uint32_t i = 0; i < workers; ++i) {
      auto name = "bench-w" + std::to_string(i + 1);
      if (auto err = procs.spawn({exe, "worker", "--join", "127.0.0.1:" + std::to_string(*port), "--slots",
                                  std::to_string(o.worker_slots), "--name", name, "--clusterSecret",
                                  opts.clusterSecret, "--logLevel", "warn"},
                                 dir + "/" + name + ".log"))
        return err;
    }
    // Every worker joined once the node counts all their slots.
    auto deadline = steady::now() + std::chrono::seconds{60};
    for (;;) {
      auto s = c.status();
      if (s && s->slots_total() == workers * o.worker_slots) break;
      if (steady::now() > deadline)
        return make_error(ec::timeout, fmt::format("{} workers did not join within 60 s (logs in {})", workers, dir));
      std::this_thread::sleep_for(std::chrono::milliseconds{20});
    }
    JobSpec spec;
    spec.set_kind("sleep");
    if (auto err = from_json(fmt::format("{{\"ms\": {}}}", o.sleep_ms), spec.mutable_payload())) return err;
    auto start = steady::now();
    for (uint64_t sent = 0; sent < o.jobs; sent += o.submit_batch) {
      auto count = std::min<uint64_t>(o.submit_batch, o.jobs - sent);
      if (auto ids = c.submit(std::vector<JobSpec>(count, spec)); !ids) return ids.error();
    }
    for (;;) {
      auto s = c.status();
      if (!s) return s.error();
      auto done = s->succeeded_total() + s->dead_total() + s->cancelled_total();
      progress(from + (to - from) * static_cast<double>(std::min(done, o.jobs)) / static_cast<double>(o.jobs));
      if (done >= o.jobs) break;
      std::this_thread::sleep_for(std::chrono::milliseconds{5});
    }
    auto secs = std::chrono::duration<double>(steady::now() - start).count();
    double ideal = 1000.0 / o.sleep_ms * workers * o.worker_slots;
    result = fmt::format("workload=cluster workers={} slots_per_worker={} sleep_ms={} jobs={} seconds={:.2f} "
                         "jobs_per_s={:.0f} ideal_jobs_per_s={:.0f} efficiency_pct={:.0f}",
                         workers, o.worker_slots, o.sleep_ms, o.jobs, secs, static_cast<double>(o.jobs) / secs,
                         ideal, 100.0 * static_cast<double>(o.jobs) / secs / ideal);
  }  // workers drain and leave
  n.shutdown(std::chrono::seconds{10});
  return result;
}

}  // namespace

caf::expected<std::string> run_cluster_bench(const bench_options& o, const std::function<void(double)>& progress) {
  if (o.cluster_workers.empty()) return make_error(ec::invalid_argument, "--workers: at least one count");
  std::string lines;
  for (size_t i = 0; i < o.cluster_workers.size(); ++i) {
    auto n = o.cluster_workers.size();
    auto line = one_run(o, o.cluster_workers[i], progress, static_cast<double>(i) / n, static_cast<double>(i + 1) / n);
    if (!line) return line.error();
    lines += (lines.empty() ? "" : "\n") + *line;
  }
  return lines;
}

}  // namespace troupe
