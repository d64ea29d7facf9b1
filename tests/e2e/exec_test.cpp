#define BOOST_TEST_MODULE e2e_exec
#include <boost/test/unit_test.hpp>

// The exec kind through a real node (--execEnabled true): exit codes and output in the job's result, and no
// process left behind when an attempt times out or is cancelled (the whole process group is killed).

#include <signal.h>
#include <sys/types.h>

#include <cerrno>
#include <fstream>
#include <string>
#include <vector>

#include "support/process.hpp"
#include "support/temp_dir.hpp"
#include "support/troupe_cli.hpp"

using namespace troupe;
using namespace troupe::test;
using namespace std::chrono_literals;

namespace {

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

struct exec_node {
  temp_dir dir;
  node_process node{dir.sub("data"), {"--execEnabled", "true", "--maxConcurrentJobs", "4"}, dir.path()};
  exec_node() { node.start(); }
};

// {"argv":["sh","-c",SCRIPT]}, with the script's quotes and backslashes escaped for JSON.
std::string sh_payload(const std::string& script) {
  std::string escaped;
  for (char c : script) {
    if (c == '"' || c == '\\') escaped += '\\';
    escaped += c;
  }
  return R"({"argv":["sh","-c",")" + escaped + "\"]}";
}

uint64_t submit_exec(const node_process& node, const std::string& script, std::vector<std::string> flags = {}) {
  std::vector<std::string> args{"submit", "--kind", "exec", "--payload", sh_payload(script)};
  args.insert(args.end(), flags.begin(), flags.end());
  auto r = node.run(args);
  BOOST_REQUIRE_MESSAGE(r.exit_code == 0, "troupe submit --kind exec: " << r.describe());
  return parse_ids(r.out).at(0);
}

// The pid a script wrote to `path` (waits until the file holds a whole line).
pid_t read_pid(const std::string& path) {
  std::string text;
  wait_until(
      [&] {
        std::ifstream in{path};
        std::getline(in, text, '\0');
        return !text.empty() && text.back() == '\n';
      },
      20s, "the job's script wrote " + path);
  return static_cast<pid_t>(std::stol(text));
}

// The state letter of `pid` in /proc/PID/stat (R, S, Z, ...), or 0 when there is no such process.
char state_of(pid_t pid) {
  std::ifstream stat{"/proc/" + std::to_string(pid) + "/stat"};
  std::string line;
  if (!std::getline(stat, line)) return 0;
  auto name_end = line.rfind(')');
  return name_end != std::string::npos && name_end + 2 < line.size() ? line[name_end + 2] : 0;
}

// True once `pid` no longer runs: kill(pid, 0) fails, or the process is a zombie (it has exited and waits only
// for a parent to reap it; an orphan's parent is init, which in a container may never reap it).
bool gone(pid_t pid) {
  if (::kill(pid, 0) != 0 && errno == ESRCH) return true;
  return state_of(pid) == 'Z';
}

}  // namespace

BOOST_FIXTURE_TEST_CASE(an_exec_job_that_exits_3_ends_dead_with_exit_code_3, exec_node) {
  auto id = submit_exec(node, "exit 3", {"--max-attempts", "1"});
  auto waited = node.run({"wait", std::to_string(id), "--timeout", "30s"});
  BOOST_TEST(waited.exit_code == 1, waited.describe());
  auto job = show_job(node, id);
  BOOST_TEST(Job::State_Name(job.state()) == "DEAD");
  BOOST_TEST(job.attempts() == 1u);
  BOOST_TEST(job.result().exit_code() == 3);
  BOOST_TEST(job.result().signal() == 0);
  BOOST_TEST(!job.result().timed_out());
  BOOST_TEST(contains(job.last_error(), "3"), job.last_error());
}

BOOST_FIXTURE_TEST_CASE(an_exec_jobs_output_is_in_its_result, exec_node) {
  auto id = submit_exec(node, "echo hello from exec; echo and from stderr >&2");
  auto waited = node.run({"wait", std::to_string(id), "--timeout", "30s"});
  BOOST_TEST(waited.exit_code == 0, waited.describe());
  auto job = show_job(node, id);
  BOOST_TEST(Job::State_Name(job.state()) == "SUCCEEDED");
  BOOST_TEST(job.result().exit_code() == 0);
  BOOST_TEST(contains(job.result().output(), "hello from exec"), job.result().output());
  BOOST_TEST(contains(job.result().output(), "and from stderr"), job.result().output());
}

BOOST_FIXTURE_TEST_CASE(an_exec_jobs_peak_rss_and_cpu_time_are_in_its_stored_result, exec_node) {
  // The peak RSS never falls below the node's own (the child is charged for the node's pages until it execs), so
  // the allocating job is compared with a job that allocates nothing, run just before it on the same node; and it
  // allocates the idle job's peak and 50 MB more, so that it stands out however large the node is (under
  // AddressSanitizer, the sanitizer build, the node's own resident memory is about 150 MB).
  auto idle = submit_exec(node, "true");
  auto waited = node.run({"wait", std::to_string(idle), "--timeout", "30s"});
  BOOST_REQUIRE_MESSAGE(waited.exit_code == 0, waited.describe());
  auto idle_result = show_job(node, idle).result();
  BOOST_TEST_REQUIRE(idle_result.max_rss_kb() > 0);
  // The shell holds that many bytes of output in a variable (a multiple of yes's 32-byte lines).
  int64_t bytes = (idle_result.max_rss_kb() + 50'000) * 1024;
  auto hungry = submit_exec(node, "x=$(yes aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa | head -c " + std::to_string(bytes) +
                                      "); echo ${#x}");
  waited = node.run({"wait", std::to_string(hungry), "--timeout", "60s"});
  BOOST_REQUIRE_MESSAGE(waited.exit_code == 0, waited.describe());
  auto result = show_job(node, hungry).result();
  BOOST_TEST(contains(result.output(), std::to_string(bytes - 1)), result.output());  // $(...) drops the last \n
  BOOST_TEST(idle_result.cpu_ms() >= 0);
  BOOST_TEST(result.max_rss_kb() > 50'000);
  BOOST_TEST(result.max_rss_kb() > idle_result.max_rss_kb() + 40'000,
             "peak RSS " << result.max_rss_kb() << " KiB against " << idle_result.max_rss_kb() << " KiB idle");
  BOOST_TEST(result.cpu_ms() > 0);  // about a second of yes, head and the shell's copying
}

BOOST_FIXTURE_TEST_CASE(an_exec_job_past_its_timeout_ends_dead_and_its_background_process_is_killed, exec_node) {
  auto pidfile = dir.sub("background.pid");
  auto id = submit_exec(node, "sleep 100 & echo $! > " + pidfile + "; sleep 100",
                        {"--timeout", "500ms", "--max-attempts", "1"});
  auto background = read_pid(pidfile);
  auto waited = node.run({"wait", std::to_string(id), "--timeout", "30s"});
  BOOST_TEST(waited.exit_code == 1, waited.describe());
  auto job = show_job(node, id);
  BOOST_TEST(Job::State_Name(job.state()) == "DEAD");
  BOOST_TEST(job.result().timed_out());
  wait_until([&] { return gone(background); }, 10s,
             "the job's background sleep (pid " + std::to_string(background) + ") is gone");
}

BOOST_FIXTURE_TEST_CASE(cancelling_a_running_exec_job_kills_its_process_group, exec_node) {
  auto shell_pidfile = dir.sub("shell.pid");
  auto pidfile = dir.sub("background.pid");
  auto id = submit_exec(node, "echo $$ > " + shell_pidfile + "; sleep 100 & echo $! > " + pidfile + "; sleep 100");
  auto shell = read_pid(shell_pidfile);
  auto background = read_pid(pidfile);
  BOOST_TEST(Job::State_Name(show_job(node, id).state()) == "RUNNING");

  auto cancelled = node.run({"jobs", "cancel", std::to_string(id)});
  BOOST_TEST(cancelled.exit_code == 0, cancelled.describe());
  BOOST_TEST(contains(cancelled.out, "CANCELLED"), cancelled.out);
  BOOST_TEST(Job::State_Name(show_job(node, id).state()) == "CANCELLED");
  wait_until([&] { return gone(shell); }, 10s, "the job's shell (pid " + std::to_string(shell) + ") is gone");
  wait_until([&] { return gone(background); }, 10s,
             "the job's background sleep (pid " + std::to_string(background) + ") is gone");
  auto waited = node.run({"wait", std::to_string(id), "--timeout", "10s"});
  BOOST_TEST(waited.exit_code == 1, waited.describe());
}

BOOST_AUTO_TEST_CASE(an_exec_job_is_refused_with_exit_4_naming_execEnabled_when_exec_is_disabled) {
  temp_dir dir;
  node_process node{dir.sub("data"), {}, dir.path()};
  node.start();
  auto r = node.run({"submit", "--kind", "exec", "--payload", sh_payload("echo hi")});
  BOOST_TEST(r.exit_code == 4, r.describe());
  BOOST_TEST(contains(r.err, "execEnabled"), r.err);
  BOOST_TEST(r.out.empty(), r.out);
  BOOST_TEST(job_count(node) == 0u);
  BOOST_TEST(node.run({"submit", "--kind", "noop"}).exit_code == 0);
}
