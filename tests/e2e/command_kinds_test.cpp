#define BOOST_TEST_MODULE e2e_command_kinds
#include <boost/test/unit_test.hpp>

// Command kinds through a real `troupe serve` (with exec disabled, the default): a payload full of shell syntax
// reaches the program as one literal argument and runs nothing, the kind's environment and timeout apply, bad
// payloads are refused at submit, and a bad command kinds file stops the node at start naming the file.

#include <signal.h>
#include <sys/types.h>

#include <cerrno>
#include <cstdlib>
#include <filesystem>
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

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

const char* commands = R"({"kinds": [
  {"name": "show-args", "argv": ["printf", "[%s]\\n", "{message}", "{count}"]},
  {"name": "show-env", "argv": ["env"], "env": {"GREETING": "hello from the kind"}},
  {"name": "nap", "argv": ["sleep", "{seconds}"], "timeout": "1s"},
  {"name": "nap-pid", "argv": ["sh", "-c", "echo $$ > \"$1\"; exec sleep \"$2\"", "sh", "{pidfile}", "{seconds}"],
   "timeout": "1s"}
]})";

struct command_node {
  temp_dir dir;
  std::string file = dir.sub("commands.json");
  node_process node{dir.sub("data"), {"--commandKinds", file, "--maxConcurrentJobs", "4"}, dir.path()};
  command_node() {
    std::ofstream{file} << commands;
    node.start();
  }

  uint64_t submit(const std::string& kind, const std::string& payload, std::vector<std::string> flags = {}) {
    std::vector<std::string> args{"submit", "--kind", kind, "--payload", payload};
    args.insert(args.end(), flags.begin(), flags.end());
    auto r = node.run(args);
    BOOST_REQUIRE_MESSAGE(r.exit_code == 0, "troupe submit --kind " << kind << ": " << r.describe());
    return parse_ids(r.out).at(0);
  }

  // Waits for the job to end and returns its record.
  Job finished(uint64_t id) {
    auto waited = node.run({"wait", std::to_string(id), "--timeout", "30s"});
    BOOST_TEST((waited.exit_code == 0 || waited.exit_code == 1), waited.describe());
    return show_job(node, id);
  }
};

// `troupe serve` with `--commandKinds file` (and a data directory that it must not create): its result.
command_result serve_with(const temp_dir& dir, const std::string& file) {
  return run_troupe({"serve", "--data", dir.sub("data"), "--listen", "127.0.0.1:0", "--commandKinds", file}, {},
                    30s);
}

}  // namespace

BOOST_FIXTURE_TEST_CASE(shell_syntax_in_a_payload_is_one_literal_argument_and_runs_nothing, command_node) {
  auto pwned = dir.sub("pwned");
  // {"message": "x\"; touch P; $(touch P) `touch P`", "count": 2}
  auto id = submit("show-args", R"({"message": "x\"; touch )" + pwned + "; $(touch " + pwned + ") `touch " + pwned +
                                    R"(`", "count": 2})");
  auto job = finished(id);
  BOOST_TEST(Job::State_Name(job.state()) == "SUCCEEDED", job.last_error());
  BOOST_TEST(job.result().output() ==
             "[x\"; touch " + pwned + "; $(touch " + pwned + ") `touch " + pwned + "`]\n[2]\n");
  BOOST_TEST(!std::filesystem::exists(pwned));
}

BOOST_FIXTURE_TEST_CASE(a_command_sees_the_nodes_path_and_its_kinds_env_and_nothing_else, command_node) {
  auto job = finished(submit("show-env", "{}"));
  BOOST_TEST(Job::State_Name(job.state()) == "SUCCEEDED", job.last_error());
  const char* path = std::getenv("PATH");
  BOOST_REQUIRE(path != nullptr);
  BOOST_TEST(job.result().output() == "GREETING=hello from the kind\nPATH=" + std::string{path} + "\n");
}

BOOST_FIXTURE_TEST_CASE(a_command_past_its_kinds_timeout_is_killed_and_ends_timed_out, command_node) {
  auto job = finished(submit("nap", R"({"seconds": 60})", {"--max-attempts", "1"}));
  BOOST_TEST(Job::State_Name(job.state()) == "DEAD");
  BOOST_TEST(job.result().timed_out());
  BOOST_TEST(to_micros(job.spec().timeout()) == 1'000'000);
  BOOST_TEST(contains(job.last_error(), "timed out after 1000 ms"), job.last_error());
  // The process itself is gone (its group was killed), not merely forgotten.
  auto pidfile = dir.sub("nap.pid");
  auto with_pid = finished(submit("nap-pid", R"({"pidfile": ")" + pidfile + R"(", "seconds": 60})",
                                  {"--max-attempts", "1"}));
  BOOST_TEST(with_pid.result().timed_out());
  std::string pid_text;
  std::ifstream{pidfile} >> pid_text;
  BOOST_REQUIRE_MESSAGE(!pid_text.empty(), "the command wrote its pid to " << pidfile);
  auto pid = static_cast<pid_t>(std::stol(pid_text));
  wait_until([&] { return ::kill(pid, 0) != 0 && errno == ESRCH; }, 10s,
             "the timed-out command (pid " + pid_text + ") is gone");
  // A job may ask for less than the kind's timeout, not for more.
  auto shorter = finished(submit("nap", R"({"seconds": 60})", {"--max-attempts", "1", "--timeout", "300ms"}));
  BOOST_TEST(shorter.result().timed_out());
  BOOST_TEST(contains(shorter.last_error(), "timed out after 300 ms"), shorter.last_error());
  auto longer = node.run({"submit", "--kind", "nap", "--payload", R"({"seconds": 1})", "--timeout", "5s"});
  BOOST_TEST(longer.exit_code == 4, longer.describe());
  BOOST_TEST(contains(longer.err, "timeout 5000 ms is over the 1000 ms that kind 'nap' allows"), longer.err);
}

BOOST_FIXTURE_TEST_CASE(a_payload_that_does_not_fit_is_refused_naming_the_kind_and_field_and_not_stored,
                        command_node) {
  auto typo = node.run({"submit", "--kind", "show-args", "--payload", R"({"mesage": "hi", "count": 1})"});
  BOOST_TEST(typo.exit_code == 4, typo.describe());
  BOOST_TEST(contains(typo.err, "show-args: unknown payload field 'mesage' (the command uses count, message)"),
             typo.err);
  auto missing = node.run({"submit", "--kind", "show-args", "--payload", R"({"message": "hi"})"});
  BOOST_TEST(missing.exit_code == 4, missing.describe());
  BOOST_TEST(contains(missing.err, "show-args: payload.count is missing (argv[3] uses it)"), missing.err);
  auto nested = node.run({"submit", "--kind", "show-args", "--payload", R"({"message": {"a": 1}, "count": 1})"});
  BOOST_TEST(nested.exit_code == 4, nested.describe());
  BOOST_TEST(contains(nested.err, "show-args: payload.message is an object"), nested.err);
  // Raw exec stays disabled on this node while its command kinds run.
  auto exec = node.run({"submit", "--kind", "exec", "--payload", R"({"argv": ["true"]})"});
  BOOST_TEST(exec.exit_code == 4, exec.describe());
  BOOST_TEST(job_count(node) == 0u);
}

BOOST_AUTO_TEST_CASE(a_node_with_a_bad_command_kinds_file_refuses_to_start_naming_the_file_and_problem) {
  temp_dir dir;
  auto missing = dir.sub("missing.json");
  auto r = serve_with(dir, missing);
  BOOST_TEST(r.exit_code == 2, r.describe());
  BOOST_TEST(contains(r.err, "command kinds file '" + missing + "': cannot read it: No such file or directory"),
             r.err);

  auto typo = dir.sub("typo.json");
  std::ofstream{typo} << R"({"kinds": [{"name": "say", "argv": ["echo", "{message}"], "timeuot": "1s"}]})";
  r = serve_with(dir, typo);
  BOOST_TEST(r.exit_code == 2, r.describe());
  BOOST_TEST(contains(r.err, "command kinds file '" + typo + "': invalid JSON"), r.err);
  BOOST_TEST(contains(r.err, "timeuot"), r.err);

  auto clash = dir.sub("clash.json");
  std::ofstream{clash} << R"({"kinds": [{"name": "sleep", "argv": ["sleep", "{seconds}"]}]})";
  r = serve_with(dir, clash);
  BOOST_TEST(r.exit_code == 2, r.describe());
  BOOST_TEST(contains(r.err, "command kinds file '" + clash + "': kind 'sleep' clashes with the built-in kind"),
             r.err);
  // Refused before the store was opened.
  BOOST_TEST(!std::filesystem::exists(dir.sub("data")));
}
