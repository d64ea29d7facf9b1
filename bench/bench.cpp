#include "bench/bench.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <random>
#include <thread>
#include <unordered_map>

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/scoped_actor.hpp>

#include "actors/engine_context.hpp"
#include "actors/interfaces.hpp"
#include "actors/ready_queue.hpp"
#include "actors/system_config.hpp"
#include "bench/client_workloads.hpp"
#include "schemas/lifecycle.hpp"
#include "schemas/time.hpp"
#include "troupe/client.hpp"
#include "troupe/json.hpp"
#include "troupe/node.hpp"

namespace troupe {

namespace {

// A memory figure of /proc/self/status ("VmHWM:", "VmRSS:"), in MiB; 0 if absent.
double status_mib(std::string_view field) {
  std::ifstream in{"/proc/self/status"};
  std::string line;
  while (std::getline(in, line))
    if (line.rfind(field, 0) == 0) return std::stod(line.substr(field.size())) / 1024.0;
  return 0;
}

}  // namespace

double peak_rss_mb() { return status_mib("VmHWM:"); }

namespace {

using steady = std::chrono::steady_clock;

int64_t steady_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(steady::now().time_since_epoch()).count();
}

// The data directory of a run: the given one, or a fresh temporary one removed afterwards.
class bench_dir {
 public:
  explicit bench_dir(std::string given) : path_(std::move(given)) {
    if (!path_.empty()) return;
    std::string pattern = std::filesystem::temp_directory_path() / "troupe-bench-XXXXXX";
    if (mkdtemp(pattern.data()) != nullptr) path_ = pattern, owned_ = true;
  }
  ~bench_dir() {
    std::error_code ignored;
    if (owned_) std::filesystem::remove_all(path_, ignored);
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
  bool owned_ = false;
};

// The ready queue alone: what one push and one pop cost with many users and jobs queued.
std::string queue_only(const bench_options& o) {
  fair_share_config config;
  config.aging_threshold = static_cast<micros>(o.node.priorityAgingMs) * 1000;
  ready_queue q{config};
  std::mt19937_64 rng{42};
  std::vector<ready_queue::flow_key> keys;
  for (uint32_t u = 0; u < o.users; ++u)
    for (const char* kind : {"a", "b", "c", "d"}) keys.push_back(q.key_of("user-" + std::to_string(u), kind));
  std::vector<std::pair<ready_queue::flow_key, int>> jobs(o.jobs);
  for (auto& j : jobs) j = {keys[rng() % keys.size()], static_cast<int>(rng() % 4)};
  auto t0 = steady_ns();
  for (uint64_t i = 0; i < o.jobs; ++i) q.push(jobs[i].second, i + 1, i + 1, jobs[i].first, 0);
  auto t1 = steady_ns();
  uint64_t popped = 0;
  while (auto p = q.pop(0)) {
    q.finished(p->key);
    ++popped;
  }
  auto t2 = steady_ns();
  return fmt::format("workload=queue jobs={} users={} popped={} push_ns={:.0f} pop_ns={:.0f}", o.jobs, o.users,
                     popped, static_cast<double>(t1 - t0) / static_cast<double>(o.jobs),
                     static_cast<double>(t2 - t1) / static_cast<double>(std::max<uint64_t>(popped, 1)));
}

// Start times of probe jobs (steady clock, ns), written by the probe kind on the slots' threads.
struct probe_log {
  std::mutex mutex;
  std::unordered_map<job_id, int64_t> started;
};

using send_atom = caf::atom_constant<caf::atom("send")>;

// When one probe job's submit was sent and acknowledged (steady clock, ns).
struct submit_times {
  job_id id = 0;
  int64_t sent = 0;
  int64_t acked = 0;
};

// Sends probe jobs open-loop: on every millisecond tick, as many single-job submits as the rate asks for by then,
// without waiting for answers. Records when each submit was acknowledged.
struct sender_state {
  int64_t begin_ns = 0;
  std::shared_ptr<std::atomic<bool>> stop;  // set: send no more (total becomes what was sent)
  uint64_t sent = 0;
  uint64_t total = 0;
  double rate = 0;
  std::shared_ptr<std::vector<submit_times>> acks;
  std::shared_ptr<std::atomic<uint64_t>> answered;  // acks + failures; released after each append
  std::shared_ptr<std::atomic<uint64_t>> failures;
};

caf::behavior sender(caf::stateful_actor<sender_state>* self, gateway_actor gateway, double rate, uint64_t total,
                     std::string user, std::shared_ptr<std::vector<submit_times>> acks,
                     std::shared_ptr<std::atomic<uint64_t>> answered, std::shared_ptr<std::atomic<uint64_t>> failures,
                     std::shared_ptr<std::atomic<bool>> stop, std::shared_ptr<std::atomic<uint64_t>> sent_total) {
  auto& st = self->state;
  st.begin_ns = steady_ns();
  st.rate = rate;
  st.total = total;
  st.acks = acks;
  st.answered = answered;
  st.failures = failures;
  st.stop = stop;
  self->send(self, send_atom::value);
  JobSpec spec;
  spec.set_kind("bench_probe");
  spec.set_user(user);
  return {
      [=](send_atom) {
        auto& st = self->state;
        if (st.stop->load()) st.total = st.sent;
        double elapsed = static_cast<double>(steady_ns() - st.begin_ns) / 1e9;
        auto due = std::min<uint64_t>(st.total, static_cast<uint64_t>(elapsed * st.rate));
        for (; st.sent < due; ++st.sent) {
          auto sent = steady_ns();
          self->request(gateway, caf::infinite, submit_atom::value, std::vector<JobSpec>{spec})
              .then(
                  [=](std::vector<job_id>& ids) {
                    self->state.acks->push_back({ids[0], sent, steady_ns()});
                    self->state.answered->fetch_add(1, std::memory_order_release);
                  },
                  [=](caf::error&) {
                    ++*self->state.failures;
                    self->state.answered->fetch_add(1, std::memory_order_release);
                  });
        }
        sent_total->store(st.sent);
        if (st.sent < st.total) self->delayed_send(self, std::chrono::milliseconds{1}, send_atom::value);
      },
  };
}

// Latencies of probe jobs, each sorted: pickup (acknowledged -> started; a job whose slot starts it before the
// acknowledgement reaches the sender has a pickup of 0), the durable submit (sent -> acknowledged), and
// sent -> started.
struct latencies {
  std::vector<double> pickup_ms, ack_ms, start_ms;
};

latencies measure(const std::vector<submit_times>& acks, probe_log& probes) {
  latencies out;
  {
    std::lock_guard<std::mutex> guard{probes.mutex};
    for (const auto& t : acks) {
      auto it = probes.started.find(t.id);
      if (it == probes.started.end()) continue;
      out.pickup_ms.push_back(std::max<double>(0, static_cast<double>(it->second - t.acked) / 1e6));
      out.ack_ms.push_back(static_cast<double>(t.acked - t.sent) / 1e6);
      out.start_ms.push_back(static_cast<double>(it->second - t.sent) / 1e6);
    }
  }
  for (auto* v : {&out.pickup_ms, &out.ack_ms, &out.start_ms}) std::sort(v->begin(), v->end());
  return out;
}

double percentile(std::vector<double>& sorted, double p) {
  if (sorted.empty()) return 0;
  auto index = static_cast<size_t>(p * static_cast<double>(sorted.size() - 1) + 0.5);
  return sorted[std::min(index, sorted.size() - 1)];
}

caf::expected<std::string> steady_load(const bench_options& o, caf::actor_system& sys, node& n,
                                       const std::shared_ptr<probe_log>& probes,
                                       const std::function<void(double)>& progress) {
  auto total = static_cast<uint64_t>(o.rate * o.seconds);
  if (total == 0) return make_error(ec::invalid_argument, "--rate x --seconds gives no jobs");
  auto acks = std::make_shared<std::vector<submit_times>>();
  acks->reserve(total);
  auto answered = std::make_shared<std::atomic<uint64_t>>(0);
  auto failures = std::make_shared<std::atomic<uint64_t>>(0);
  auto c = client::local(sys, n.gateway());
  auto window_end = steady::now() + std::chrono::duration_cast<steady::duration>(
                                        std::chrono::duration<double>(static_cast<double>(total) / o.rate));
  sys.spawn(sender, n.gateway(), o.rate, total, std::string{}, acks, answered, failures,
            std::make_shared<std::atomic<bool>>(false), std::make_shared<std::atomic<uint64_t>>(0));
  if (!wait_finished(c, 0, total - failures->load(), progress, 0.0, 1.0))
    return make_error(ec::unavailable, "the node stopped answering");
  // How long the backlog took to drain after the last submit was due: near 0 below capacity.
  auto drain_s = std::max(0.0, std::chrono::duration<double>(steady::now() - window_end).count());
  // The sender is done with `acks` once every submit was answered.
  while (answered->load(std::memory_order_acquire) < total) std::this_thread::sleep_for(std::chrono::milliseconds{1});
  latencies lat = measure(*acks, *probes);
  return fmt::format("workload=steady rate={:.0f} seconds={:.3g} jobs={} slots={} durability={} failed_submits={} "
                     "p50_submit_ms={:.3f} p99_submit_ms={:.3f} p50_sent_to_start_ms={:.3f} "
                     "p99_sent_to_start_ms={:.3f} p50_pickup_ms={:.3f} p99_pickup_ms={:.3f} max_pickup_ms={:.3f} "
                     "drain_s={:.3f}",
                     o.rate, o.seconds, lat.pickup_ms.size(), o.node.maxConcurrentJobs, to_string(o.node.durability),
                     failures->load(), percentile(lat.ack_ms, 0.5), percentile(lat.ack_ms, 0.99),
                     percentile(lat.start_ms, 0.5), percentile(lat.start_ms, 0.99), percentile(lat.pickup_ms, 0.5),
                     percentile(lat.pickup_ms, 0.99), lat.pickup_ms.empty() ? 0.0 : lat.pickup_ms.back(), drain_s);
}

caf::expected<std::string> fairness(const bench_options& o, caf::actor_system& sys, node& n,
                                    const std::shared_ptr<probe_log>& probes,
                                    const std::function<void(double)>& progress) {
  auto c = client::local(sys, n.gateway());
  JobSpec heavy;
  heavy.set_kind("noop");
  heavy.set_user("heavy");
  auto start = steady::now();
  for (uint64_t sent = 0; sent < o.jobs; sent += o.submit_batch) {
    auto count = std::min<uint64_t>(o.submit_batch, o.jobs - sent);
    if (auto ids = c.submit(std::vector<JobSpec>(count, heavy)); !ids) return ids.error();
  }
  // The light user submits while the heavy user's jobs drain, and stops when they are done.
  auto acks = std::make_shared<std::vector<submit_times>>();
  auto answered = std::make_shared<std::atomic<uint64_t>>(0);
  auto failures = std::make_shared<std::atomic<uint64_t>>(0);
  auto stop = std::make_shared<std::atomic<bool>>(false);
  auto light_sent = std::make_shared<std::atomic<uint64_t>>(0);
  auto light_cap = static_cast<uint64_t>(o.light_rate * 3600);
  acks->reserve(std::min<uint64_t>(light_cap, 1'000'000));
  sys.spawn(sender, n.gateway(), o.light_rate, light_cap, std::string{"light"}, acks, answered, failures, stop,
            light_sent);
  double heavy_secs = 0;
  for (;;) {
    auto s = c.status();
    if (!s) return make_error(ec::unavailable, "the node stopped answering");
    uint64_t light_done = 0;
    {
      std::lock_guard<std::mutex> guard{probes->mutex};
      light_done = probes->started.size();
    }
    uint64_t done = s->succeeded_total() + s->dead_total() + s->cancelled_total();
    uint64_t heavy_done = done - std::min(done, light_done);
    progress(static_cast<double>(std::min(heavy_done, o.jobs)) / static_cast<double>(o.jobs));
    if (heavy_done >= o.jobs) {
      heavy_secs = std::chrono::duration<double>(steady::now() - start).count();
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds{5});
  }
  stop->store(true);
  // Every light job sent is answered and started before the figures are taken.
  for (;;) {
    auto sent = light_sent->load();
    bool all_answered = answered->load(std::memory_order_acquire) >= sent;
    size_t started = 0;
    {
      std::lock_guard<std::mutex> guard{probes->mutex};
      started = probes->started.size();
    }
    if (all_answered && started + failures->load() >= sent) break;
    std::this_thread::sleep_for(std::chrono::milliseconds{1});
  }
  latencies lat = measure(*acks, *probes);
  return fmt::format("workload=fairness heavy_jobs={} light_rate={:.0f} light_jobs={} slots={} durability={} "
                     "light_p50_pickup_ms={:.3f} light_p99_pickup_ms={:.3f} light_max_pickup_ms={:.3f} "
                     "light_p99_sent_to_start_ms={:.3f} heavy_jobs_per_s={:.0f}",
                     o.jobs, o.light_rate, lat.pickup_ms.size(), o.node.maxConcurrentJobs,
                     to_string(o.node.durability), percentile(lat.pickup_ms, 0.5), percentile(lat.pickup_ms, 0.99),
                     lat.pickup_ms.empty() ? 0.0 : lat.pickup_ms.back(), percentile(lat.start_ms, 0.99),
                     static_cast<double>(o.jobs) / heavy_secs);
}

// The process's resident set size now in MiB.
double rss_mb() { return status_mib("VmRSS:"); }

void sleep_until_wall(micros t) {
  for (auto now = wall_now(); now < t; now = wall_now())
    std::this_thread::sleep_for(std::chrono::microseconds{std::min<micros>(t - now, 100'000)});
}

// o.jobs no-op jobs with run_at spread over [start + lead, start + lead + seconds): what waiting costs (CPU while
// all are SCHEDULED and none due) and how late each one becomes READY and starts (from its record).
caf::expected<std::string> delayed(const bench_options& o, caf::actor_system& sys, node& n,
                                   const std::function<void(double)>& progress) {
  auto c = client::local(sys, n.gateway());
  c.set_request_timeout(std::chrono::minutes{2});
  auto lead_s = o.lead > 0 ? o.lead : 2.0 + static_cast<double>(o.jobs) / 50'000.0;
  auto lead = static_cast<micros>(lead_s * 1e6);
  auto spread = static_cast<micros>(o.seconds * 1e6);
  auto t0 = wall_now();
  auto first_due = t0 + lead;
  auto run_at = [&](uint64_t i) {
    return first_due + static_cast<micros>(static_cast<double>(spread) * static_cast<double>(i) /
                                           static_cast<double>(o.jobs));
  };
  JobSpec spec;
  spec.set_kind("noop");
  uint64_t late_submits = 0;
  for (uint64_t sent = 0; sent < o.jobs; sent += o.submit_batch) {
    auto count = std::min<uint64_t>(o.submit_batch, o.jobs - sent);
    std::vector<JobSpec> specs(count, spec);
    for (uint64_t i = 0; i < count; ++i) set_timestamp(specs[i].mutable_run_at(), run_at(sent + i));
    if (auto ids = c.submit(std::move(specs)); !ids) return ids.error();
    auto acked = wall_now();
    for (uint64_t i = 0; i < count; ++i) late_submits += run_at(sent + i) <= acked ? 1 : 0;
    progress(0.4 * static_cast<double>(sent + count) / static_cast<double>(o.jobs));
  }
  auto submitted = wall_now();
  auto submit_s = static_cast<double>(submitted - t0) / 1e6;
  // The idle phase: every job SCHEDULED, none due; nothing here asks the node anything.
  std::string idle_cpu_pct = "n/a";
  double idle_s = 0;
  if (submitted < first_due) {
    auto cpu0 = cpu_seconds();
    auto w0 = wall_now();
    sleep_until_wall(first_due);
    auto w1 = wall_now();
    idle_s = static_cast<double>(w1 - w0) / 1e6;
    idle_cpu_pct = fmt::format("{:.2f}", 100.0 * (cpu_seconds() - cpu0) / idle_s);
  }
  auto idle_rss = rss_mb();  // every job waiting (when the lead was long enough)
  auto writes0 = n.context().store->stats();
  progress(0.5);
  if (!wait_finished(c, 0, o.jobs, progress, 0.5, 0.9))
    return make_error(ec::unavailable, "the node stopped answering");
  auto drained = wall_now();
  auto rss = peak_rss_mb();
  // Commits from the first due time to the end: READY, RUNNING and SUCCEEDED records of every job.
  auto writes1 = n.context().store->stats();
  auto commits = writes1.writes - writes0.writes;
  // Every record, in pages: lateness of RUNNING and of READY ("due") after run_at.
  std::vector<double> late_ms, due_ms;
  late_ms.reserve(o.jobs);
  due_ms.reserve(o.jobs);
  uint64_t read = 0, ready_at_submit = 0, not_succeeded = 0;
  JobQuery query;
  query.set_limit(10'000);
  auto read_start = steady::now();
  for (;;) {
    auto page = c.list(query);
    if (!page) return page.error();
    // The node counts a job finished as it writes its end; a record read that soon may still say RUNNING.
    for (int tries = 0; tries < 100; ++tries) {
      auto& jobs = page->jobs();
      if (std::all_of(jobs.begin(), jobs.end(), [](const Job& j) { return lifecycle::is_terminal(j.state()); }))
        break;
      std::this_thread::sleep_for(std::chrono::milliseconds{10});
      page = c.list(query);
      if (!page) return page.error();
    }
    for (const auto& job : page->jobs()) {
      ++read;
      if (job.state() != Job::SUCCEEDED) ++not_succeeded;
      auto due_at = to_micros(job.spec().run_at());
      bool running_seen = false, due_seen = false;
      for (const auto& t : job.transitions()) {
        if (t.state() == Job::RUNNING && !running_seen) {
          running_seen = true;
          late_ms.push_back(static_cast<double>(to_micros(t.at()) - due_at) / 1e3);
        } else if (t.state() == Job::READY && !due_seen) {
          if (t.reason() == "due") {
            due_seen = true;
            due_ms.push_back(static_cast<double>(to_micros(t.at()) - due_at) / 1e3);
          } else if (t.reason().empty()) {
            ++ready_at_submit;  // accepted READY: its run_at had passed by then
          }
        }
      }
    }
    progress(0.9 + 0.1 * static_cast<double>(std::min(read, o.jobs)) / static_cast<double>(o.jobs));
    if (page->next_after_id() == 0) break;
    query.set_after_id(page->next_after_id());
  }
  auto read_s = std::chrono::duration<double>(steady::now() - read_start).count();
  std::sort(late_ms.begin(), late_ms.end());
  std::sort(due_ms.begin(), due_ms.end());
  return fmt::format(
      "workload=delayed jobs={} slots={} durability={} lead_s={:.2f} spread_s={:.1f} submit_s={:.2f} "
      "submit_per_s={:.0f} late_submits={} ready_at_submit={} idle_s={:.2f} idle_cpu_pct={} read=all read_jobs={} "
      "read_s={:.1f} not_succeeded={} p50_due_ms={:.3f} p99_due_ms={:.3f} max_due_ms={:.3f} p50_late_ms={:.3f} "
      "p99_late_ms={:.3f} max_late_ms={:.3f} finished_after_last_due_s={:.3f} commits={} ops_per_commit={:.0f} "
      "commit_ms={:.2f} jobs_per_s={:.0f} idle_rss_mb={:.1f} peak_rss_mb={:.1f}",
      o.jobs, o.node.maxConcurrentJobs, to_string(o.node.durability), lead_s, o.seconds, submit_s,
      static_cast<double>(o.jobs) / submit_s, late_submits, ready_at_submit, idle_s, idle_cpu_pct, read, read_s,
      not_succeeded, percentile(due_ms, 0.5), percentile(due_ms, 0.99), due_ms.empty() ? 0.0 : due_ms.back(),
      percentile(late_ms, 0.5), percentile(late_ms, 0.99), late_ms.empty() ? 0.0 : late_ms.back(),
      static_cast<double>(drained - run_at(o.jobs - 1)) / 1e6, commits,
      static_cast<double>(writes1.ops - writes0.ops) / std::max<double>(1, static_cast<double>(commits)),
      static_cast<double>(writes1.nanos - writes0.nanos) / 1e6 / std::max<double>(1, static_cast<double>(commits)),
      static_cast<double>(o.jobs) / (static_cast<double>(drained - std::max(first_due, submitted)) / 1e6), idle_rss,
      rss);
}

}  // namespace

caf::expected<std::string> run_bench(bench_options o, const std::function<void(double)>& progress) {
  if (o.workload == "queue") return queue_only(o);
  if (o.workload == "cluster") return run_cluster_bench(o, progress);
  if (o.workload == "storage") return run_storage_bench(o, progress);
  if (o.workload != "burn" && o.workload != "steady" && o.workload != "fairness" && o.workload != "dag" &&
      o.workload != "delayed")
    return make_error(ec::invalid_argument, "--workload must be burn, steady, fairness, dag, delayed, queue, "
                                            "cluster or storage, not '" + o.workload + "'");
  // delayed reads every record back once all ran: retention must not delete them first.
  if (o.workload == "delayed") o.node.maxCompletedJobsToKeep = std::max(o.node.maxCompletedJobsToKeep, o.jobs);
  bench_dir dir{o.node.data};
  if (dir.path().empty()) return make_error(ec::storage_failure, "cannot create a temporary data directory");
  o.node.data = dir.path();

  caf::actor_system_config cfg;
  configure_node_system(cfg, o.node);
  caf::actor_system sys{cfg};

  auto probes = std::make_shared<probe_log>();
  kind_registry kinds;
  (void)kinds.add_function(
      "bench_probe",
      [probes](const attempt& run) {
        auto now = steady_ns();
        std::lock_guard<std::mutex> guard{probes->mutex};
        probes->started.emplace(run.job().id(), now);
        return outcome::success();
      },
      kind_registry::execution::inline_call);
  auto started = node::start(sys, o.node, std::move(kinds));
  if (!started) return started.error();
  auto local = client::local(sys, (*started)->gateway());
  auto result = o.workload == "burn"     ? burn_workload(o, local, (*started)->context().store.get(), progress)
                : o.workload == "steady" ? steady_load(o, sys, **started, probes, progress)
                : o.workload == "dag"    ? dag_workload(o, local, true, progress)
                : o.workload == "delayed" ? delayed(o, sys, **started, progress)
                                         : fairness(o, sys, **started, probes, progress);
  (*started)->shutdown(std::chrono::seconds{10});
  return result;
}

}  // namespace troupe
