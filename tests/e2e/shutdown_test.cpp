#define BOOST_TEST_MODULE e2e_shutdown
#include <boost/test/unit_test.hpp>

// Graceful shutdown of `troupe serve` (SIGTERM, SIGINT): the node stops claiming jobs, lets the running ones
// finish within shutdownGraceMs, hands back those that do not (without counting their attempt) and exits 0.
// What happened is read back from the restarted node's job records (states, attempts, transition times).

#include <signal.h>

#include <chrono>
#include <fstream>
#include <string>
#include <vector>

#include "schemas/time.hpp"
#include "support/process.hpp"
#include "support/temp_dir.hpp"
#include "support/troupe_cli.hpp"

using namespace troupe;
using namespace troupe::test;
using namespace std::chrono_literals;

namespace {

using wall_clock = std::chrono::system_clock;

std::vector<uint64_t> submit_sleeps(const node_process& node, const std::string& file, int count, int ms) {
  write_jsonl(file, count, R"({"kind":"sleep","payload":{"ms":)" + std::to_string(ms) + "}}");
  auto r = node.run({"submit", "--file", file});
  BOOST_REQUIRE_MESSAGE(r.exit_code == 0, "troupe submit --file: " << r.describe());
  auto ids = parse_ids(r.out);
  BOOST_REQUIRE_EQUAL(ids.size(), static_cast<size_t>(count));
  return ids;
}

void wait_running(const node_process& node, size_t count) {
  wait_until([&] { return list_jobs(node, {"--state", "RUNNING"}).size() == count; }, 20s,
             std::to_string(count) + " jobs are RUNNING");
}

wall_clock::time_point time_of(const google::protobuf::Timestamp& ts) {
  return wall_clock::time_point{std::chrono::seconds{ts.seconds()} + std::chrono::nanoseconds{ts.nanos()}};
}

// The times at which `job` entered RUNNING.
std::vector<wall_clock::time_point> starts_of(const Job& job) {
  std::vector<wall_clock::time_point> starts;
  for (const auto& t : job.transitions())
    if (t.state() == Job::RUNNING) starts.push_back(time_of(t.at()));
  return starts;
}

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

// Two 2 s jobs run on the node's 2 slots and three short ones wait READY when `sig` arrives: the running two
// finish, the node exits 0 without starting the others, and the restarted node runs those.
void running_jobs_finish_and_queued_jobs_wait_for_the_restart(int sig) {
  temp_dir dir;
  node_process node{dir.sub("data"), {"--maxConcurrentJobs", "2"}, dir.path()};
  node.start();
  // One request, so the short jobs are queued behind the long ones from the start (FIFO within a priority).
  auto file = dir.sub("jobs.jsonl");
  {
    std::ofstream out{file};
    for (int i = 0; i < 2; ++i) out << R"({"kind":"sleep","payload":{"ms":2000}})" << "\n";
    for (int i = 0; i < 3; ++i) out << R"({"kind":"sleep","payload":{"ms":50}})" << "\n";
  }
  auto submitted = node.run({"submit", "--file", file});
  BOOST_REQUIRE_MESSAGE(submitted.exit_code == 0, "troupe submit --file: " << submitted.describe());
  auto ids = parse_ids(submitted.out);
  BOOST_REQUIRE_EQUAL(ids.size(), 5u);
  std::vector<uint64_t> running(ids.begin(), ids.begin() + 2), queued(ids.begin() + 2, ids.end());
  wait_running(node, 2);
  auto on_slots = list_jobs(node, {"--state", "RUNNING"});
  BOOST_REQUIRE_EQUAL(on_slots.size(), 2u);
  BOOST_REQUIRE(on_slots[0].id() == running[0] && on_slots[1].id() == running[1]);

  auto signalled_at = wall_clock::now();
  auto signalled = std::chrono::steady_clock::now();
  int code = node.stop(sig, 20s);  // the grace period is the default 30 s
  auto took = seconds_since(signalled);
  BOOST_TEST_MESSAGE("the node exited " << took << " s after signal " << sig);
  BOOST_TEST(code == 0, "exit code " << code << "; log: " << node.log());

  auto restarted_at = wall_clock::now();
  node.start();
  for (auto id : running) {
    auto job = show_job(node, id);
    BOOST_TEST_CONTEXT("running job " << id) {
      BOOST_REQUIRE_MESSAGE(time_of(job.finished_at()) >= signalled_at || job.finished_at().seconds() == 0,
                            "the job finished before the signal was sent: the machine is too slow for this test");
      // It finished after the signal, before the node exited, in its first and only attempt.
      BOOST_TEST(Job::State_Name(job.state()) == "SUCCEEDED");
      BOOST_TEST(job.attempts() == 1u);
      BOOST_TEST((time_of(job.finished_at()) < restarted_at));
      BOOST_TEST(!job.result().timed_out());
    }
  }
  command_result failure;
  BOOST_TEST(wait_all(node, queued, "30s", &failure) == 0, failure.describe());
  for (auto id : queued) {
    auto job = show_job(node, id);
    BOOST_TEST_CONTEXT("queued job " << id) {
      BOOST_TEST(Job::State_Name(job.state()) == "SUCCEEDED");
      BOOST_TEST(job.attempts() == 1u);
      // The stopping node claimed none of them: each started only after the restart.
      auto starts = starts_of(job);
      BOOST_TEST(starts.size() == 1u);
      for (auto at : starts) BOOST_TEST((at >= restarted_at));
    }
  }
}

}  // namespace

BOOST_AUTO_TEST_CASE(sigterm_lets_running_jobs_finish_and_exits_0_and_queued_jobs_run_after_a_restart) {
  running_jobs_finish_and_queued_jobs_wait_for_the_restart(SIGTERM);
}

BOOST_AUTO_TEST_CASE(sigint_lets_running_jobs_finish_and_exits_0_and_queued_jobs_run_after_a_restart) {
  running_jobs_finish_and_queued_jobs_wait_for_the_restart(SIGINT);
}

BOOST_AUTO_TEST_CASE(jobs_still_running_after_shutdownGraceMs_are_handed_back_without_counting_the_attempt) {
  temp_dir dir;
  node_process node{dir.sub("data"), {"--maxConcurrentJobs", "2", "--shutdownGraceMs", "200"}, dir.path()};
  node.start();
  auto ids = submit_sleeps(node, dir.sub("long.jsonl"), 2, 10000);
  wait_running(node, 2);

  auto signalled = std::chrono::steady_clock::now();
  int code = node.stop(SIGTERM, 8s);  // soon after the 200 ms grace, far before the jobs' 10 s
  auto took = seconds_since(signalled);
  BOOST_TEST_MESSAGE("the node exited " << took << " s after SIGTERM");
  BOOST_TEST(code == 0, "exit code " << code << "; log: " << node.log());
  BOOST_TEST(took >= 0.2);

  auto restarted_at = wall_clock::now();
  node.start();
  command_result failure;
  BOOST_TEST(wait_all(node, ids, "60s", &failure) == 0, failure.describe());
  for (auto id : ids) {
    auto job = show_job(node, id);
    BOOST_TEST_CONTEXT("job " << id) {
      BOOST_TEST(Job::State_Name(job.state()) == "SUCCEEDED");
      // Two runs, one counted: the handed-back attempt is not.
      BOOST_TEST(job.attempts() == 1u);
      auto starts = starts_of(job);
      BOOST_TEST(starts.size() == 2u);
      if (starts.size() == 2) {
        BOOST_TEST((starts[0] < restarted_at));
        BOOST_TEST((starts[1] >= restarted_at));
      }
      BOOST_TEST(!job.result().timed_out());
    }
  }
}
