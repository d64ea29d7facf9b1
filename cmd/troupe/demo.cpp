#include "cmd/troupe/demo.hpp"

#include <fmt/format.h>

#include <chrono>
#include <iostream>
#include <map>

#include "cmd/troupe/cli.hpp"
#include "schemas/lifecycle.hpp"
#include "troupe/client.hpp"
#include "troupe/json.hpp"

namespace troupe::cli {

namespace {

JobSpec spec(const std::string& kind, const std::string& payload_json, JobSpec::Priority priority,
             uint32_t max_attempts = 0, int64_t timeout_ms = 0) {
  JobSpec s;
  s.set_kind(kind);
  (void)from_json(payload_json, s.mutable_payload());
  s.set_priority(priority);
  s.set_max_attempts(max_attempts);
  s.set_user("demo");
  s.set_batch("demo");
  if (timeout_ms > 0) set_duration(s.mutable_timeout(), timeout_ms * 1000);
  return s;
}

struct demo_job {
  std::string role;  // what the job shows
  JobSpec spec;
  size_t count;
};

std::vector<demo_job> workload() {
  return {
      {"API calls: sleep 1 s each (HIGH)", spec("sleep", R"({"ms": 1000})", JobSpec::HIGH), 100},
      {"bulk no-op jobs (NORMAL)", spec("noop", "{}", JobSpec::NORMAL), 300},
      {"reports: 100 ms of CPU each (LOW)", spec("cpu", R"({"ms": 100})", JobSpec::LOW), 12},
      {"flaky: fails twice, then succeeds", spec("fail", R"({"times": 2})", JobSpec::NORMAL, 5), 4},
      {"broken: fails every attempt (3 allowed)", spec("fail", R"({"times": 100})", JobSpec::NORMAL, 3), 1},
      {"fails permanently: no retry", spec("fail", R"({"times": 1, "permanent": true})", JobSpec::NORMAL), 1},
      {"exec: a real process", spec("exec", R"({"argv": ["sh", "-c", "echo hello from $(uname -s) pid $$"]})",
                                    JobSpec::HIGH), 1},
      {"exec: times out after 1 s (2 attempts)",
       spec("exec", R"({"argv": ["sleep", "30"]})", JobSpec::NORMAL, 2, 1000), 1},
      {"a long job that the demo cancels", spec("sleep", R"({"ms": 60000})", JobSpec::LOW), 1},
      {"an urgent job, submitted last (CRITICAL)", spec("sleep", R"({"ms": 100})", JobSpec::CRITICAL), 1},
  };
}

JobSpec step(JobSpec s, const std::string& ref, std::vector<std::string> after = {}) {
  s.set_ref(ref);
  for (auto& a : after) s.add_after(a);
  return s;
}

// A workflow, submitted in one request: extract, three transforms after it, load after them; a publish step
// after the broken job of the workload (cancelled when that job dies); and the callback of the "demo" batch.
std::vector<JobSpec> workflow(job_id broken) {
  std::vector<JobSpec> w;
  w.push_back(step(spec("sleep", R"({"ms": 500})", JobSpec::NORMAL), "extract"));
  for (int i = 1; i <= 3; ++i)
    w.push_back(step(spec("cpu", R"({"ms": 100})", JobSpec::NORMAL), "transform-" + std::to_string(i), {"extract"}));
  w.push_back(step(spec("sleep", R"({"ms": 200})", JobSpec::NORMAL), "load",
                   {"transform-1", "transform-2", "transform-3"}));
  auto publish = step(spec("noop", "{}", JobSpec::NORMAL), "publish");
  publish.add_dependencies(broken);
  w.push_back(publish);
  auto notify = step(spec("noop", "{}", JobSpec::HIGH), "notify");
  notify.clear_batch();
  notify.set_batch_callback("demo");
  w.push_back(notify);
  return w;
}

// Prints one line of the node's status; `rate` is jobs finished per second since the previous line.
void print_status(const NodeStatus& s, double seconds, double rate) {
  uint64_t ready = 0, running = 0;
  for (const auto& d : s.depth()) {
    if (d.state() == Job::READY) ready += d.count();
    if (d.state() == Job::RUNNING) running += d.count();
  }
  std::cout << fmt::format("  {:5.1f}s  ready {:4}  running {:3}  succeeded {:4}  failed attempts {:3}  dead {:2}  "
                           "cancelled {:2}  {:6.0f} jobs/s\n",
                           seconds, ready, running, s.succeeded_total(), s.failed_total(), s.dead_total(),
                           s.cancelled_total(), rate);
}

uint64_t finished(const NodeStatus& s) { return s.succeeded_total() + s.dead_total() + s.cancelled_total(); }

// How long a job waited in the queue before its first attempt started, in seconds.
double first_wait(const Job& job) {
  micros ready = 0;
  for (const auto& t : job.transitions()) {
    if (t.state() == Job::READY && ready == 0) ready = to_micros(t.at());
    if (t.state() == Job::RUNNING) return static_cast<double>(to_micros(t.at()) - ready) / 1e6;
  }
  return 0;
}

void print_transitions(const Job& job) {
  for (const auto& t : job.transitions()) {
    std::cout << fmt::format("      {:>9}  attempt {}  {}\n", Job::State_Name(t.state()), t.attempt(), t.reason());
  }
}

}  // namespace

demo_runner::demo_runner(caf::actor_system& sys, gateway_actor gateway, std::string address, std::string http,
                         std::string data)
    : address_(std::move(address)),
      http_(std::move(http)),
      data_(std::move(data)),
      thread_([this, &sys, gateway] { run(sys, gateway); }) {}

demo_runner::~demo_runner() {
  stop();
  thread_.join();
}

void demo_runner::run(caf::actor_system& sys, gateway_actor gateway) {
  auto c = client::local(sys, gateway);
  auto jobs = workload();
  std::cout << "\ntroupe demo: submitting a small workload to the node at " << address_ << "\n";
  std::vector<job_id> all;
  std::map<std::string, std::vector<job_id>> by_role;
  for (const auto& j : jobs) {
    std::vector<JobSpec> specs(j.count, j.spec);
    auto ids = c.submit(std::move(specs));
    if (!ids) {
      std::cout << "  could not submit '" << j.role << "': " << describe(ids.error()) << "\n";
      return;
    }
    std::cout << fmt::format("  {:4} x {}\n", j.count, j.role);
    by_role[j.role] = *ids;
    all.insert(all.end(), ids->begin(), ids->end());
  }
  auto flow = c.submit(workflow(by_role["broken: fails every attempt (3 allowed)"].at(0)));
  if (!flow) {
    std::cout << "  could not submit the workflow: " << describe(flow.error()) << "\n";
    return;
  }
  std::map<std::string, job_id> step_id;
  for (const auto& name : {"extract", "transform-1", "transform-2", "transform-3", "load", "publish", "notify"})
    step_id[name] = (*flow)[step_id.size()];
  std::cout << "     7 x a workflow in one request: extract -> 3 transforms -> load; publish after the broken job; "
               "notify when every job of batch \"demo\" has ended\n";
  all.insert(all.end(), flow->begin(), flow->end());
  CronControl heartbeat;
  heartbeat.set_action(CronControl::ADD);
  heartbeat.set_replace(true);  // the demo may run again on the same data directory
  heartbeat.set_by("demo");
  heartbeat.mutable_schedule()->set_name("demo-heartbeat");
  heartbeat.mutable_schedule()->set_cron("* * * * *");
  heartbeat.mutable_schedule()->mutable_job()->set_kind("noop");
  if (auto added = c.cron(heartbeat); added && added->schedules_size() == 1)
    std::cout << fmt::format("     1 x cron schedule demo-heartbeat: a noop job at the start of every minute, next "
                             "at {} UTC\n", format_time(added->schedules(0).next_occurrence()));
  else if (!added)
    std::cout << "  could not add the cron schedule: " << describe(added.error()) << "\n";
  std::cout << "\n  time    queue and counters (every half second)\n";
  auto start = std::chrono::steady_clock::now();
  auto elapsed = [&] { return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count(); };
  bool cancelled = false;
  std::vector<Job> records;
  uint64_t last_finished = 0;
  double last_time = 0;
  while (!stop_) {
    if (!cancelled && elapsed() > 1.0) {
      auto id = by_role["a long job that the demo cancels"].at(0);
      auto r = c.cancel(id);
      std::cout << "  (the demo cancels job " << id << ": "
                << (r ? Job::State_Name(r->state()) : describe(r.error())) << ")\n";
      cancelled = true;
    }
    auto done = c.wait(all, std::chrono::milliseconds{500});
    if (auto s = c.status()) {
      double now = elapsed();
      print_status(*s, now, static_cast<double>(finished(*s) - last_finished) / std::max(now - last_time, 1e-3));
      last_finished = finished(*s);
      last_time = now;
    }
    if (done) {
      records = std::move(*done);
      break;
    }
    if (code_of(done.error()) != ec::timeout) return;  // the node is stopping
  }
  if (stop_) return;

  std::map<std::string, size_t> by_state;
  std::map<int, std::pair<double, size_t>> wait_by_lane;  // total wait and count per priority lane
  for (const auto& job : records) {
    ++by_state[Job::State_Name(job.state())];
    if (job.attempts() == 0) continue;
    auto& w = wait_by_lane[lifecycle::lane_of(job.spec().priority())];
    w.first += first_wait(job);
    ++w.second;
  }
  std::cout << fmt::format("\nAll {} demo jobs finished in {:.1f} s:", records.size(), elapsed());
  for (const auto& [state, n] : by_state) std::cout << "  " << state << " " << n;
  std::cout << "\n\n  Priorities: average wait in the queue before the first attempt started\n";
  static constexpr const char* lane_names[] = {"CRITICAL", "HIGH", "NORMAL", "LOW"};
  for (const auto& [lane, w] : wait_by_lane)
    std::cout << fmt::format("    {:<8}  {:5.2f} s  ({} jobs)\n", lane_names[lane], w.first / w.second, w.second);
  std::cout << "  (the CRITICAL job was submitted after all the others and still ran first once a slot freed)\n";
  auto show = [&](const std::string& role, const char* what) {
    auto r = c.get(by_role[role].at(0));
    if (!r) return;
    std::cout << fmt::format("\n  {} (job {}, {}): {}\n", role, r->id(), Job::State_Name(r->state()), what);
    print_transitions(*r);
    if (!r->last_error().empty()) std::cout << "      last error: " << r->last_error() << "\n";
    if (!r->result().output().empty()) std::cout << "      output: " << r->result().output();
  };
  show("flaky: fails twice, then succeeds",
       "retried after a backoff (about 1 s, then 2 s: retryBaseMs, retryFactor, with jitter) until it succeeded");
  show("broken: fails every attempt (3 allowed)", "every attempt failed");
  show("exec: times out after 1 s (2 attempts)", "the engine killed the process at its timeout, twice");
  show("exec: a real process", "its output is kept in the result");

  if (auto plan = c.plan(step_id["load"])) {
    std::cout << fmt::format("\n  The workflow's plan as seen from load (critical path {} jobs):\n",
                             plan->critical_path_length());
    for (const auto& st : plan->steps())
      std::cout << fmt::format("    level {}  {:<12} {:<9}\n", st.level(), st.ref(), Job::State_Name(st.state()));
  }
  if (auto publish = c.get(step_id["publish"]))
    std::cout << fmt::format("  publish ({}): {}\n", Job::State_Name(publish->state()), publish->last_error());
  if (auto batch = c.batch("demo"))
    std::cout << fmt::format("\n  Batch demo: {}, {} jobs ({} succeeded, {} failed, {} cancelled); its callback, "
                             "job {}, ran once after all of them: {}\n",
                             BatchSummary::State_Name(batch->state()), batch->total(), batch->succeeded(),
                             batch->failed(), batch->cancelled(), step_id["notify"],
                             batch->callbacks_size() > 0 ? Job::State_Name(batch->callbacks(0).state()) : "?");
  std::cout << "\nThe node keeps running at " << address_ << " until you press Ctrl-C. In another terminal, try:\n"
            << "  build/troupe status\n"
            << "  build/troupe jobs list --state DEAD\n"
            << "  build/troupe jobs show " << by_role["a long job that the demo cancels"].at(0) << "\n"
            << "  build/troupe jobs plan " << step_id["extract"] << "\n"
            << "  build/troupe batches show demo\n"
            << "  build/troupe cron list\n"
            << "  build/troupe submit --kind sleep --payload '{\"ms\": 2000}' --priority HIGH\n"
            << "  build/troupe wait <id>\n"
            << "Stop it with Ctrl-C and start it again (build/troupe serve): every job is still there.\n";
  if (!http_.empty())
    std::cout << "The live dashboard is at http://" << http_ << "/ (sign in with the admin's token, in " << data_
              << "/admin.token; docs/dashboard.md).\n"
              << "The HTTP/JSON API listens on the same address (docs/api.md), Prometheus metrics at /metrics:\n"
              << "  curl -s http://" << http_ << "/api/jobs/status -H \"Authorization: Bearer $(cat " << data_
              << "/admin.token)\"\n"
              << "  build/troupe alerts          # active alerts and the health score (docs/metrics.md)\n";
}

}  // namespace troupe::cli
