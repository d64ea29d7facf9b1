// `troupe bench --node HOST:PORT` (bench/bench.hpp): the workloads that a running node can be given through its
// client: burn and dag as in process (bench/client_workloads.hpp), and steady, whose pickup latency comes from the
// job records here (created_at -> the first RUNNING transition, both stamped by the node's clock), since a
// running node has no probe kind. drain_s ends when the last job's record was read.

#include <fmt/format.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>

#include "bench/bench.hpp"
#include "bench/client_workloads.hpp"
#include "schemas/time.hpp"
#include "troupe/error.hpp"

namespace troupe {

namespace {

using steady = std::chrono::steady_clock;

constexpr int sender_threads = 4;
constexpr std::chrono::milliseconds tick{5};

double percentile(std::vector<double>& sorted, double p) {
  if (sorted.empty()) return 0;
  auto index = static_cast<size_t>(p * static_cast<double>(sorted.size() - 1) + 0.5);
  return sorted[std::min(index, sorted.size() - 1)];
}

// Open-loop submits at o.rate for o.seconds: the jobs due in each 5 ms tick go in one request, the ticks taken in
// turn by a few threads so that one slow answer does not hold back the next tick. Meanwhile this thread awaits
// each request's jobs in turn and takes their records as they end: a node keeps few finished records
// (maxCompletedJobsToKeep), so reading them all at the end would find most deleted. A record deleted before its
// await answered counts in lost_records.
caf::expected<std::string> steady_remote(const bench_options& o, const client& c,
                                         const std::function<void(double)>& progress) {
  auto total = static_cast<uint64_t>(o.rate * o.seconds);
  if (total == 0) return make_error(ec::invalid_argument, "--rate x --seconds gives no jobs");
  JobSpec spec;
  spec.set_kind("noop");
  std::atomic<uint64_t> failures{0};
  std::mutex mutex;
  std::condition_variable submitted;
  std::deque<std::vector<job_id>> chunks;  // acknowledged, not yet awaited
  int senders = sender_threads;
  auto start = steady::now();
  auto due_by = [&](steady::time_point t) {
    return std::min<uint64_t>(total, static_cast<uint64_t>(std::chrono::duration<double>(t - start).count() * o.rate));
  };
  std::vector<std::thread> threads;
  for (int k = 0; k < sender_threads; ++k)
    threads.emplace_back([&, k] {
      for (uint64_t t = static_cast<uint64_t>(k);; t += sender_threads) {
        auto from = due_by(start + tick * t), to = due_by(start + tick * (t + 1));
        if (from >= total) break;
        std::this_thread::sleep_until(start + tick * (t + 1));
        if (to == from) continue;
        auto ids = c.submit(std::vector<JobSpec>(to - from, spec));
        if (!ids) {
          failures += to - from;
          continue;
        }
        std::lock_guard<std::mutex> guard{mutex};
        chunks.push_back(std::move(*ids));
        submitted.notify_one();
      }
      std::lock_guard<std::mutex> guard{mutex};
      --senders;
      submitted.notify_one();
    });
  std::vector<double> pickup_ms;
  uint64_t awaited = 0, lost = 0;
  caf::error first_error;
  for (;;) {
    std::vector<job_id> ids;
    {
      std::unique_lock<std::mutex> lock{mutex};
      submitted.wait(lock, [&] { return !chunks.empty() || senders == 0; });
      if (chunks.empty()) break;
      ids = std::move(chunks.front());
      chunks.pop_front();
    }
    awaited += ids.size();
    auto jobs = c.wait(ids, std::chrono::minutes{10});
    if (!jobs) {
      lost += ids.size();
      if (!first_error) first_error = jobs.error();
      continue;
    }
    for (const auto& job : *jobs)
      for (const auto& t : job.transitions())
        if (t.state() == Job::RUNNING) {
          pickup_ms.push_back(std::max<double>(0, static_cast<double>(to_micros(t.at()) -
                                                                      to_micros(job.created_at())) / 1e3));
          break;
        }
    progress(static_cast<double>(awaited) / static_cast<double>(total));
  }
  for (auto& t : threads) t.join();
  auto window_end = start + std::chrono::duration_cast<steady::duration>(
                                std::chrono::duration<double>(static_cast<double>(total) / o.rate));
  auto drain_s = std::max(0.0, std::chrono::duration<double>(steady::now() - window_end).count());
  if (pickup_ms.empty() && first_error) return first_error;
  std::sort(pickup_ms.begin(), pickup_ms.end());
  return fmt::format("workload=steady rate={:.0f} seconds={:.3g} jobs={} failed_submits={} lost_records={} "
                     "p50_pickup_ms={:.3f} p99_pickup_ms={:.3f} max_pickup_ms={:.3f} drain_s={:.3f}",
                     o.rate, o.seconds, pickup_ms.size(), failures.load(), lost, percentile(pickup_ms, 0.5),
                     percentile(pickup_ms, 0.99), pickup_ms.empty() ? 0.0 : pickup_ms.back(), drain_s);
}

}  // namespace

caf::expected<std::string> run_remote_bench(const bench_options& o, const client& c,
                                            const std::function<void(double)>& progress) {
  if (o.workload == "burn") return burn_workload(o, c, nullptr, progress);
  if (o.workload == "dag") return dag_workload(o, c, false, progress);
  if (o.workload == "steady") return steady_remote(o, c, progress);
  return make_error(ec::invalid_argument, "against a running node (--node), --workload must be burn, steady or "
                                          "dag, not '" + o.workload + "'");
}

}  // namespace troupe
