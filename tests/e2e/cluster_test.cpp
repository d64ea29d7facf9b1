// End to end on loopback: a scheduling node that runs nothing itself (--maxConcurrentJobs 0) and `troupe worker`
// processes that join it. Workers are killed (SIGKILL), hung (SIGSTOP), drained (SIGTERM) and refused; the node
// is killed and restarted under a running worker. Every case checks the jobs' records: nothing lost, nothing run
// twice where it must not be, and where each attempt ran (the RUNNING transition names the worker).

#define BOOST_TEST_MODULE e2e_cluster
#include <boost/test/unit_test.hpp>

#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <iostream>
#include <map>

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>

#include "support/engine_fixture.hpp"
#include "support/process.hpp"
#include "support/temp_dir.hpp"
#include "troupe/client.hpp"
#include "troupe/json.hpp"

namespace troupe::test {
namespace {

const std::string secret = "e2e-cluster-secret";

// A port that was free a moment ago (the node must listen on the same port across a restart).
uint16_t free_port() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  BOOST_REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0);
  socklen_t len = sizeof(addr);
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  ::close(fd);
  return ntohs(addr.sin_port);
}

std::vector<std::string> scheduler_flags(std::vector<std::string> more = {}) {
  std::vector<std::string> flags{"--maxConcurrentJobs", "0", "--clusterSecret", secret, "--metricsEnabled", "false",
                                 "--maxCompletedJobsToKeep", "100000"};
  flags.insert(flags.end(), more.begin(), more.end());
  return flags;
}

child_process start_worker(const std::string& join, const std::string& name, int slots, const std::string& logs,
                           std::vector<std::string> more = {}) {
  std::vector<std::string> argv{troupe_binary(), "worker", "--join", join, "--slots", std::to_string(slots),
                                "--name", name};
  argv.insert(argv.end(), more.begin(), more.end());
  return child_process{argv, {{"TROUPE_CLUSTER_SECRET", secret}}, logs + "/" + name};
}

// A client of the node in this process.
struct node_client {
  caf::actor_system_config cfg;
  std::unique_ptr<caf::actor_system> sys;
  std::optional<client> c;

  explicit node_client(const node_process& node) {
    client::prepare(cfg);
    sys = std::make_unique<caf::actor_system>(cfg);
    std::string host;
    uint16_t port = 0;
    BOOST_REQUIRE(!parse_endpoint(node.address(), &host, &port));
    auto connected = client::connect(*sys, host, port, node.admin_token());
    BOOST_REQUIRE_MESSAGE(connected, "cannot connect: " << test::error_text(connected));
    c.emplace(std::move(*connected));
  }
  const client* operator->() const { return &*c; }
};

JobSpec sleep_spec(int ms) {
  JobSpec spec;
  spec.set_kind("sleep");
  BOOST_REQUIRE(!from_json("{\"ms\": " + std::to_string(ms) + "}", spec.mutable_payload()));
  return spec;
}

std::optional<WorkerInfo> worker_named(const client& c, const std::string& name) {
  auto list = c.workers();
  if (!list) return std::nullopt;
  for (const auto& w : list->workers())
    if (w.name() == name) return w;
  return std::nullopt;
}

bool worker_in_state(const client& c, const std::string& name, WorkerInfo::State state, uint32_t slots = 0) {
  auto w = worker_named(c, name);
  return w && w->state() == state && w->slots() >= slots;
}

// Waits until the node lists worker `name` in `state` with at least `slots` slots.
void await_worker(const client& c, const std::string& name, WorkerInfo::State state, uint32_t slots = 0,
                  std::chrono::milliseconds timeout = 30s) {
  wait_until([&] { return worker_in_state(c, name, state, slots); }, timeout,
             "worker " + name + " is listed " + WorkerInfo::State_Name(state) +
                 (slots > 0 ? " with " + std::to_string(slots) + " slots" : std::string{}));
}

std::vector<Job> records(const client& c, const std::vector<job_id>& ids) {
  std::vector<Job> out;
  for (auto id : ids) {
    auto job = c.get(id);
    BOOST_REQUIRE_MESSAGE(job, "job " << id << ": " << test::error_text(job));
    out.push_back(std::move(*job));
  }
  return out;
}

int64_t micros_of(const google::protobuf::Timestamp& t) { return t.seconds() * 1'000'000 + t.nanos() / 1000; }

size_t count_in(const client& c, const std::vector<job_id>& ids, Job::State state) {
  size_t n = 0;
  for (const auto& job : records(c, ids)) n += job.state() == state ? 1 : 0;
  return n;
}

BOOST_AUTO_TEST_CASE(five_thousand_jobs_survive_a_worker_killed_midway) {
  temp_dir dir;
  node_process node{dir.path() + "/node", scheduler_flags()};
  node.start();
  node_client c{node};
  auto a = start_worker(node.address(), "wA", 8, dir.path());
  auto b = start_worker(node.address(), "wB", 8, dir.path());
  await_worker(*c.c, "wA", WorkerInfo::ACTIVE, 8);
  await_worker(*c.c, "wB", WorkerInfo::ACTIVE, 8);

  std::vector<JobSpec> specs(5000, sleep_spec(10));
  auto ids = c->submit(specs);
  BOOST_REQUIRE_MESSAGE(ids, test::error_text(ids));

  // Midway: once a third has finished, wB dies without a word.
  uint32_t max_busy_a = 0, max_busy_b = 0;
  wait_until([&] {
    auto status = c->status();
    if (auto w = worker_named(*c.c, "wA")) max_busy_a = std::max(max_busy_a, w->busy());
    if (auto w = worker_named(*c.c, "wB")) max_busy_b = std::max(max_busy_b, w->busy());
    return status && status->succeeded_total() >= 1500;
  }, 120s, "1,500 jobs succeeded");
  BOOST_REQUIRE(b.running());
  b.signal(SIGKILL);
  await_worker(*c.c, "wB", WorkerInfo::LOST, 0, 10s);

  auto done = c->wait(*ids, std::chrono::minutes{5});
  BOOST_REQUIRE_MESSAGE(done, test::error_text(done));
  size_t succeeded = 0;
  for (const auto& job : *done) succeeded += job.state() == Job::SUCCEEDED ? 1 : 0;
  BOOST_CHECK_EQUAL(succeeded, 5000u);

  auto lost = worker_named(*c.c, "wB");
  BOOST_REQUIRE(lost && lost->has_left_at());
  auto lost_at = micros_of(lost->left_at());
  size_t on_a = 0, on_b = 0, started_on_b_after_loss = 0, retried = 0;
  for (const auto& job : records(*c.c, *ids)) {
    retried += job.attempts() > 1 ? 1 : 0;
    for (const auto& t : job.transitions()) {
      if (t.state() != Job::RUNNING) continue;
      if (t.reason() == "on worker wA") ++on_a;
      if (t.reason() == "on worker wB") {
        ++on_b;
        if (micros_of(t.at()) > lost_at) ++started_on_b_after_loss;
      }
    }
  }
  std::cout << "cluster e2e: attempts on wA " << on_a << ", on wB " << on_b << "; jobs retried after wB's loss "
            << retried << " (wB's requeued: " << lost->requeued() << "); most busy slots seen wA " << max_busy_a
            << ", wB " << max_busy_b << "\n";
  BOOST_CHECK_EQUAL(started_on_b_after_loss, 0u);
  BOOST_CHECK_GT(on_a, 0u);
  BOOST_CHECK_GT(on_b, 0u);
  BOOST_CHECK_EQUAL(retried, lost->requeued());
  BOOST_CHECK_LE(max_busy_a, 8u);
  BOOST_CHECK_LE(max_busy_b, 8u);
}

BOOST_AUTO_TEST_CASE(a_worker_without_the_secret_is_refused) {
  temp_dir dir;
  node_process node{dir.path() + "/node", scheduler_flags()};
  node.start();
  child_process wrong{{troupe_binary(), "worker", "--join", node.address(), "--name", "intruder", "--clusterSecret",
                       "not-the-secret"},
                      {{"TROUPE_CLUSTER_SECRET", ""}},
                      dir.path() + "/intruder"};
  auto code = wrong.wait(30s, "the refused worker exits");
  BOOST_CHECK_EQUAL(code, 4);
  BOOST_CHECK_MESSAGE(wrong.err().find("wrong cluster secret") != std::string::npos, wrong.err());
  wait_until([&] { return node.log().find("refused worker 'intruder'") != std::string::npos; }, 10s,
             "the node logged the refusal");
  node_client c{node};
  BOOST_CHECK(!worker_named(*c.c, "intruder"));
}

BOOST_AUTO_TEST_CASE(a_hung_worker_is_detected_and_its_jobs_run_elsewhere) {
  temp_dir dir;
  node_process node{dir.path() + "/node", scheduler_flags()};
  node.start();
  node_client c{node};
  auto hung = start_worker(node.address(), "hung", 2, dir.path());
  await_worker(*c.c, "hung", WorkerInfo::ACTIVE, 2);
  auto ids = c->submit({sleep_spec(3000), sleep_spec(3000)});
  BOOST_REQUIRE(ids);
  wait_until([&] { return count_in(*c.c, *ids, Job::RUNNING) == 2; }, 30s, "both jobs run on the worker");
  hung.signal(SIGSTOP);
  auto stopped = std::chrono::steady_clock::now();
  await_worker(*c.c, "hung", WorkerInfo::LOST, 0, 15s);
  auto detected = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - stopped);
  std::cout << "cluster e2e: a SIGSTOPped worker was detected after " << detected.count()
            << " ms (heartbeat 500 ms, peerTimeoutMs 2500)\n";
  auto other = start_worker(node.address(), "other", 2, dir.path());
  auto done = c->wait(*ids, std::chrono::minutes{1});
  BOOST_REQUIRE(done);
  for (const auto& job : *done) {
    BOOST_CHECK_EQUAL(Job::State_Name(job.state()), "SUCCEEDED");
    BOOST_CHECK_EQUAL(job.attempts(), 2u);  // the hung worker's attempt counted
    BOOST_CHECK_EQUAL(job.transitions(job.transitions_size() - 2).reason(), "on worker other");
  }
  // Woken up, the worker finds its connection gone, joins again, and its attempts' results (answered into the dead
  // connection, or kept and reported, whichever it noticed first) change nothing: the jobs were requeued.
  hung.signal(SIGCONT);
  await_worker(*c.c, "hung", WorkerInfo::ACTIVE, 2);
  for (const auto& job : records(*c.c, *ids)) {
    BOOST_CHECK_EQUAL(Job::State_Name(job.state()), "SUCCEEDED");
    BOOST_CHECK_EQUAL(job.attempts(), 2u);
  }
}

BOOST_AUTO_TEST_CASE(sigterm_drains_a_worker_and_it_exits_0) {
  temp_dir dir;
  node_process node{dir.path() + "/node", scheduler_flags()};
  node.start();
  node_client c{node};
  auto w = start_worker(node.address(), "drained", 4, dir.path());
  await_worker(*c.c, "drained", WorkerInfo::ACTIVE, 4);
  auto running = c->submit({sleep_spec(1500), sleep_spec(1500), sleep_spec(1500)});
  BOOST_REQUIRE(running);
  wait_until([&] { return count_in(*c.c, *running, Job::RUNNING) == 3; }, 30s, "three jobs run on the worker");
  w.signal(SIGTERM);
  await_worker(*c.c, "drained", WorkerInfo::DRAINING, 0, 10s);
  auto later = c->submit(sleep_spec(10));  // no new job for a draining worker
  BOOST_REQUIRE(later);
  BOOST_CHECK_EQUAL(w.wait(30s, "the drained worker exits"), 0);
  // The node can record the results a moment after the drained worker has exited.
  wait_until([&] { return count_in(*c.c, *running, Job::SUCCEEDED) == 3; }, 10s, "the drained jobs are SUCCEEDED");
  auto finished = records(*c.c, *running);
  for (const auto& job : finished) {
    BOOST_CHECK_EQUAL(Job::State_Name(job.state()), "SUCCEEDED");
    BOOST_CHECK_EQUAL(job.attempts(), 1u);
  }
  BOOST_CHECK(worker_in_state(*c.c, "drained", WorkerInfo::LEFT));
  BOOST_CHECK_EQUAL(Job::State_Name(c->get(*later)->state()), "READY");
  auto next = start_worker(node.address(), "next", 1, dir.path());
  auto done = c->wait({*later}, std::chrono::minutes{1});
  BOOST_REQUIRE(done);
  BOOST_CHECK_EQUAL(Job::State_Name(done->at(0).state()), "SUCCEEDED");
}

BOOST_AUTO_TEST_CASE(a_draining_worker_hands_back_what_outlives_its_grace_period) {
  temp_dir dir;
  node_process node{dir.path() + "/node", scheduler_flags()};
  node.start();
  node_client c{node};
  auto w = start_worker(node.address(), "brief", 1, dir.path(), {"--shutdownGraceMs", "300"});
  await_worker(*c.c, "brief", WorkerInfo::ACTIVE, 1);
  auto id = c->submit(sleep_spec(60'000));
  BOOST_REQUIRE(id);
  wait_until([&] { return count_in(*c.c, {*id}, Job::RUNNING) == 1; }, 30s, "the job runs on the worker");
  w.signal(SIGTERM);
  BOOST_CHECK_EQUAL(w.wait(30s, "the worker exits after its grace period"), 0);
  wait_until([&] { return count_in(*c.c, {*id}, Job::READY) == 1; }, 10s, "the job is back in the queue");
  auto job = c->get(*id);
  BOOST_REQUIRE(job);
  BOOST_CHECK_EQUAL(Job::State_Name(job->state()), "READY");
  BOOST_CHECK_EQUAL(job->attempts(), 0u);  // handed back: the attempt does not count
  BOOST_CHECK_EQUAL(job->transitions(job->transitions_size() - 1).reason(),
                    "handed back: worker brief drained and its grace period ended");
  BOOST_CHECK(worker_in_state(*c.c, "brief", WorkerInfo::LEFT));
}

BOOST_AUTO_TEST_CASE(a_worker_reports_what_it_finished_while_the_node_was_down) {
  temp_dir dir;
  auto listen = "127.0.0.1:" + std::to_string(free_port());
  node_process node{dir.path() + "/node", scheduler_flags({"--listen", listen})};
  node.start();
  auto w = start_worker(listen, "steady", 2, dir.path(), {"--reconnectMaxMs", "300"});
  std::vector<job_id> ids;
  {
    node_client c{node};
    await_worker(*c.c, "steady", WorkerInfo::ACTIVE, 2);
    auto submitted = c->submit({sleep_spec(2000), sleep_spec(2000)});
    BOOST_REQUIRE(submitted);
    ids = *submitted;
    wait_until([&] { return count_in(*c.c, ids, Job::RUNNING) == 2; }, 30s, "both jobs run on the worker");
  }
  node.kill();  // SIGKILL while both attempts run
  node.start();
  node_client c{node};
  auto done = c->wait(ids, std::chrono::minutes{1});
  BOOST_REQUIRE(done);
  for (const auto& job : *done) {
    BOOST_CHECK_EQUAL(Job::State_Name(job.state()), "SUCCEEDED");
    BOOST_CHECK_EQUAL(job.attempts(), 1u);  // not run again: the worker's kept result was applied
    BOOST_CHECK(job.transitions(job.transitions_size() - 2).reason().find("reported by worker steady") !=
                std::string::npos);
  }
  BOOST_CHECK(node.log().find("results it kept while it had lost this node") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(the_example_service_joins_with_its_own_kind) {
  temp_dir dir;
  node_process node{dir.path() + "/node", scheduler_flags()};
  node.start();
  node_client c{node};
  JobSpec spec;
  spec.set_kind("reverse");
  BOOST_REQUIRE(!from_json(R"({"text": "troupe"})", spec.mutable_payload()));
  auto before = c->submit(spec);  // nobody runs `reverse` yet: the node does not know the kind
  BOOST_REQUIRE(!before);
  BOOST_CHECK_MESSAGE(test::error_text(before).find("unknown kind 'reverse'") != std::string::npos,
                      test::error_text(before));
  child_process service{{TROUPE_EXAMPLE_WORKER, node.address()}, {{"TROUPE_CLUSTER_SECRET", secret}},
                        dir.path() + "/service"};
  await_worker(*c.c, "reverse-service", WorkerInfo::ACTIVE, 4);
  auto id = c->submit(spec);
  BOOST_REQUIRE_MESSAGE(id, test::error_text(id));
  auto done = c->wait({*id}, std::chrono::minutes{1});
  BOOST_REQUIRE(done);
  BOOST_CHECK_EQUAL(Job::State_Name(done->at(0).state()), "SUCCEEDED");
  BOOST_CHECK_EQUAL(done->at(0).result().output(), "epuort");
  service.signal(SIGTERM);
  BOOST_CHECK_EQUAL(service.wait(30s, "the service drains and exits"), 0);
}

BOOST_AUTO_TEST_CASE(over_tls_a_worker_joins_and_the_cli_talks_to_the_node) {
  temp_dir dir;
  node_process node{dir.path() + "/node", scheduler_flags({"--tlsEnabled", "true"})};
  node.start();
  auto w = start_worker(node.address(), "tls-worker", 2, dir.path(), {"--tlsEnabled", "true"});
  wait_until([&] { return node.run({"workers", "--tls"}).out.find("tls-worker") != std::string::npos; }, 30s,
             "the TLS worker is listed");
  auto submitted = node.run({"submit", "--tls", "--kind", "sleep", "--payload", R"({"ms": 10})"});
  BOOST_REQUIRE_MESSAGE(submitted.exit_code == 0, submitted.describe());
  auto id = submitted.out_lines().at(0);
  auto waited = node.run({"wait", "--tls", id, "--timeout", "60s"});
  BOOST_CHECK_MESSAGE(waited.exit_code == 0, waited.describe());
  // Without TLS the node does not answer: the CLI fails instead of hanging.
  auto plain = node.run({"status", "--request-timeout", "5s"});
  BOOST_CHECK_NE(plain.exit_code, 0);
}

// Whether process `pid` is gone (or a zombie left for init to reap: it runs nothing).
bool process_gone(uint64_t pid) {
  std::ifstream stat{"/proc/" + std::to_string(pid) + "/stat"};
  std::string text;
  if (!std::getline(stat, text)) return true;
  auto close = text.rfind(')');
  return close != std::string::npos && close + 2 < text.size() && text[close + 2] == 'Z';
}

BOOST_AUTO_TEST_CASE(local_scaling_starts_worker_processes_for_a_backlog_and_drains_them_when_it_is_gone) {
  temp_dir dir;
  node_process node{dir.path() + "/node",
                    scheduler_flags({"--nodeName", "auto", "--scalingMode", "local", "--minWorkers", "1",
                                     "--maxWorkers", "2", "--targetQueueDepth", "4", "--scalingIntervalMs", "200",
                                     "--scaleUpCooldownMs", "0", "--scaleDownCooldownMs", "1000",
                                     "--scalingWorkerSlots", "2", "--shutdownGraceMs", "5000"}),
                    dir.path()};
  node.start();
  node_client c{node};
  // minWorkers: one worker process is started and joins like any worker.
  await_worker(*c.c, "auto-auto-1", WorkerInfo::ACTIVE, 2);
  auto first = worker_named(*c.c, "auto-auto-1");
  BOOST_REQUIRE(first);
  BOOST_CHECK_NE(first->pid(), 0u);

  // A backlog of 40 jobs, far over targetQueueDepth 4 x scaleUpThreshold 1.5 per worker: a second worker.
  std::vector<JobSpec> specs(40, sleep_spec(150));
  auto ids = c->submit(specs);
  BOOST_REQUIRE_MESSAGE(ids, test::error_text(ids));
  await_worker(*c.c, "auto-auto-2", WorkerInfo::ACTIVE, 2);
  auto second = worker_named(*c.c, "auto-auto-2");
  BOOST_REQUIRE(second);
  auto done = c->wait(*ids, std::chrono::minutes{2});
  BOOST_REQUIRE_MESSAGE(done, test::error_text(done));
  int on_second = 0;
  for (const auto& job : *done) {
    BOOST_CHECK_EQUAL(Job::State_Name(job.state()), "SUCCEEDED");
    for (const auto& t : job.transitions()) on_second += t.reason() == "on worker auto-auto-2" ? 1 : 0;
  }
  BOOST_CHECK_GT(on_second, 0);

  // The backlog is gone: after the cooldown the newest worker is drained, leaves, and its process exits.
  await_worker(*c.c, "auto-auto-2", WorkerInfo::LEFT, 0, 60s);
  wait_until([&] { return process_gone(second->pid()); }, 30s, "the drained worker process exits");
  BOOST_CHECK(worker_in_state(*c.c, "auto-auto-1", WorkerInfo::ACTIVE));

  // The node reaps the exited process at its next decision: then it runs one worker process.
  caf::expected<NodeStatus> status = NodeStatus{};
  wait_until([&] { return (status = c->status()) && status->scaling().managed_size() == 1; }, 30s,
             "the node lists one worker process it runs");
  const auto& scaling = status->scaling();
  BOOST_CHECK_EQUAL(scaling.mode(), "local");
  BOOST_CHECK_EQUAL(scaling.desired(), 1u);
  BOOST_CHECK_GE(scaling.ups_total(), 2u);   // to minWorkers, then for the backlog
  BOOST_CHECK_GE(scaling.downs_total(), 1u);
  BOOST_REQUIRE_GE(scaling.changes_size(), 2);
  BOOST_CHECK_EQUAL(scaling.changes(0).action(), "down");
  BOOST_CHECK_MESSAGE(scaling.changes(0).reason().find("under targetQueueDepth") != std::string::npos,
                      scaling.changes(0).reason());
  BOOST_CHECK_EQUAL(scaling.managed(0), "auto-auto-1");

  // The node stops: its remaining worker drains and exits with it.
  BOOST_CHECK_EQUAL(node.stop(SIGTERM, 60s), 0);
  wait_until([&] { return process_gone(first->pid()); }, 30s, "the last worker process exits after the node");
}

}  // namespace
}  // namespace troupe::test
