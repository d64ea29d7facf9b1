#define BOOST_TEST_MODULE e2e_cli
#include <boost/test/unit_test.hpp>

// The `troupe` CLI against a real node: what each command prints and its exit code (cmd/troupe/cli.hpp: 0 ok,
// 1 a job did not succeed, 2 usage, 3 unreachable, 4 refused, 5 node failure, 124 deadline); bad input is refused
// with a message naming the problem, stores nothing and leaves the node serving.

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <map>
#include <fstream>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "support/process.hpp"
#include "support/temp_dir.hpp"
#include "support/troupe_cli.hpp"

using namespace troupe;
using namespace troupe::test;
using namespace std::chrono_literals;

namespace {

constexpr int exit_negative = 1, exit_usage = 2, exit_unreachable = 3, exit_refused = 4;

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

std::string lower(std::string text) {
  for (auto& c : text) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return text;
}

struct node_fixture {
  temp_dir dir;
  node_process node{dir.sub("data"), {"--maxConcurrentJobs", "2"}, dir.path()};
  node_fixture() { node.start(); }
};

uint64_t submit_one(const node_process& node, const std::vector<std::string>& flags) {
  std::vector<std::string> args{"submit"};
  args.insert(args.end(), flags.begin(), flags.end());
  auto r = node.run(args);
  BOOST_REQUIRE_MESSAGE(r.exit_code == 0, "troupe submit: " << r.describe());
  auto ids = parse_ids(r.out);
  BOOST_REQUIRE_EQUAL(ids.size(), 1u);
  return ids[0];
}

std::vector<uint64_t> ids_of(const std::vector<Job>& jobs) {
  std::vector<uint64_t> ids;
  for (const auto& job : jobs) ids.push_back(job.id());
  return ids;
}

// Runs a command that must be refused: exit `code`, every one of `mentions` in its stderr, nothing on stdout,
// no job stored, and the node still answering afterwards.
void check_refused(const node_process& node, const std::vector<std::string>& args, int code,
                   const std::vector<std::string>& mentions) {
  std::string line = "troupe";
  for (const auto& a : args) line += " " + a.substr(0, 60);
  BOOST_TEST_CONTEXT(line) {
    auto before = job_count(node);
    auto r = node.run(args);
    BOOST_TEST(r.exit_code == code, r.describe());
    for (const auto& m : mentions) BOOST_TEST(contains(r.err, m), "stderr names '" << m << "': " << r.err);
    BOOST_TEST(r.out.empty(), "nothing on stdout: " << r.out);
    BOOST_TEST(job_count(node) == before, "no job stored");  // job_count also requires the node to answer
  }
}

// A TCP port on 127.0.0.1 where nothing listens (the kernel picked it for a socket that is closed again).
uint16_t unused_port() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  BOOST_REQUIRE(fd >= 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  BOOST_REQUIRE(bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0);
  socklen_t len = sizeof(addr);
  BOOST_REQUIRE(getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0);
  close(fd);
  return ntohs(addr.sin_port);
}

uint16_t port_of(const std::string& address) { return static_cast<uint16_t>(std::stoul(address.substr(address.rfind(':') + 1))); }

// True when process `pid` holds an ESTABLISHED TCP connection to port `port` (read from /proc: the kernel gives
// no event for it).
bool connected_to(pid_t pid, uint16_t port) {
  std::set<std::string> inodes;
  std::error_code ec;
  for (const auto& fd : std::filesystem::directory_iterator{"/proc/" + std::to_string(pid) + "/fd", ec}) {
    auto target = std::filesystem::read_symlink(fd.path(), ec).string();
    if (!ec && target.rfind("socket:[", 0) == 0) inodes.insert(target.substr(8, target.size() - 9));
  }
  std::ifstream tcp{"/proc/" + std::to_string(pid) + "/net/tcp"};
  std::string line;
  std::getline(tcp, line);  // header
  while (std::getline(tcp, line)) {
    std::istringstream fields{line};
    std::string slot, local, remote, state, queues, timer, retransmits, uid, timeout, inode;
    fields >> slot >> local >> remote >> state >> queues >> timer >> retransmits >> uid >> timeout >> inode;
    auto colon = remote.find(':');
    if (colon == std::string::npos || state != "01") continue;
    if (std::stoul(remote.substr(colon + 1), nullptr, 16) == port && inodes.count(inode) > 0) return true;
  }
  return false;
}

}  // namespace

// --- commands that succeed ------------------------------------------------------------------------------------

BOOST_FIXTURE_TEST_CASE(submit_prints_only_the_new_id_and_show_and_wait_report_the_job, node_fixture) {
  auto r = node.run({"submit", "--kind", "sleep", "--payload", R"({"ms": 10})"});
  BOOST_REQUIRE_MESSAGE(r.exit_code == 0, r.describe());
  BOOST_TEST(std::regex_match(r.out, std::regex{"[0-9]+\n"}), "stdout is the id alone: '" << r.out << "'");
  auto id = parse_ids(r.out).at(0);

  auto shown = node.run({"jobs", "show", std::to_string(id)});
  BOOST_REQUIRE_MESSAGE(shown.exit_code == 0, shown.describe());
  BOOST_TEST(contains(shown.out, "\"state\""), shown.out);
  auto job = parse_job(shown.out);
  BOOST_TEST(job.id() == id);
  BOOST_TEST(job.spec().kind() == "sleep");

  auto waited = node.run({"wait", std::to_string(id)});
  BOOST_TEST(waited.exit_code == 0, waited.describe());
  BOOST_TEST(contains(waited.out, "SUCCEEDED"), waited.out);
  BOOST_TEST(Job::State_Name(show_job(node, id).state()) == "SUCCEEDED");
}

BOOST_FIXTURE_TEST_CASE(wait_exits_1_when_a_job_ends_dead, node_fixture) {
  auto id = submit_one(node, {"--kind", "fail", "--payload", R"({"times": 5})", "--max-attempts", "2"});
  auto waited = node.run({"wait", std::to_string(id), "--timeout", "30s"});
  BOOST_TEST(waited.exit_code == exit_negative, waited.describe());
  BOOST_TEST(contains(waited.err, "DEAD"), waited.err);
  auto job = show_job(node, id);
  BOOST_TEST(Job::State_Name(job.state()) == "DEAD");
  BOOST_TEST(job.attempts() == 2u);

  // One id that succeeds and one that does not: still 1.
  auto ok = submit_one(node, {"--kind", "noop"});
  auto both = node.run({"wait", std::to_string(ok), std::to_string(id), "--timeout", "30s"});
  BOOST_TEST(both.exit_code == exit_negative, both.describe());
}

BOOST_FIXTURE_TEST_CASE(jobs_list_filters_by_state_kind_and_limit_and_status_shows_the_queue, node_fixture) {
  // 3 noop jobs that finish, 2 long sleeps that hold both slots, then a HIGH and a LOW sleep that stay READY.
  std::vector<uint64_t> noops, running, queued;
  for (int i = 0; i < 3; ++i) noops.push_back(submit_one(node, {"--kind", "noop"}));
  std::vector<std::string> wait_args{"wait", "--timeout", "30s"};
  for (auto id : noops) wait_args.push_back(std::to_string(id));
  auto waited = node.run(wait_args);
  BOOST_REQUIRE_MESSAGE(waited.exit_code == 0, waited.describe());
  for (int i = 0; i < 2; ++i) running.push_back(submit_one(node, {"--kind", "sleep", "--payload", R"({"ms": 60000})"}));
  wait_until([&] { return list_jobs(node, {"--state", "RUNNING"}).size() == 2; }, 20s, "both sleeps are RUNNING");
  queued.push_back(submit_one(node, {"--kind", "sleep", "--payload", R"({"ms": 60000})", "--priority", "HIGH"}));
  queued.push_back(submit_one(node, {"--kind", "sleep", "--payload", R"({"ms": 60000})", "--priority", "low"}));

  BOOST_TEST(ids_of(list_jobs(node, {"--state", "SUCCEEDED"})) == noops, boost::test_tools::per_element());
  BOOST_TEST(ids_of(list_jobs(node, {"--state", "running"})) == running, boost::test_tools::per_element());
  BOOST_TEST(ids_of(list_jobs(node, {"--state", "READY"})) == queued, boost::test_tools::per_element());
  BOOST_TEST(ids_of(list_jobs(node, {"--kind", "noop"})) == noops, boost::test_tools::per_element());
  auto sleeps = running;
  sleeps.insert(sleeps.end(), queued.begin(), queued.end());
  BOOST_TEST(ids_of(list_jobs(node, {"--kind", "sleep"})) == sleeps, boost::test_tools::per_element());
  BOOST_TEST(list_jobs(node, {"--kind", "sleep", "--state", "SUCCEEDED"}).empty());
  BOOST_TEST(list_jobs(node, {"--kind", "cpu"}).empty());

  // --limit: the first page, and the cursor of the next one on stderr.
  auto page = node.run({"jobs", "list", "--json", "--limit", "2"});
  BOOST_REQUIRE_MESSAGE(page.exit_code == 0, page.describe());
  auto first = ids_of(parse_job_lines(page.out));
  BOOST_TEST(first == std::vector<uint64_t>(noops.begin(), noops.begin() + 2), boost::test_tools::per_element());
  BOOST_TEST(contains(page.err, "--after " + std::to_string(noops[1])), page.err);
  auto next = node.run({"jobs", "list", "--json", "--limit", "2", "--after", std::to_string(noops[1])});
  BOOST_REQUIRE_MESSAGE(next.exit_code == 0, next.describe());
  BOOST_TEST(ids_of(parse_job_lines(next.out)) == (std::vector<uint64_t>{noops[2], running[0]}),
             boost::test_tools::per_element());

  // The table: a header and one row per job.
  auto table = node.run({"jobs", "list", "--state", "READY"});
  BOOST_REQUIRE_MESSAGE(table.exit_code == 0, table.describe());
  auto rows = table.out_lines();
  BOOST_REQUIRE_EQUAL(rows.size(), 3u);
  BOOST_TEST(contains(rows[0], "ID"));
  BOOST_TEST(contains(rows[0], "STATE"));
  BOOST_TEST(contains(rows[1], std::to_string(queued[0])));
  BOOST_TEST(contains(rows[1], "HIGH"));
  BOOST_TEST(contains(rows[2], "LOW"));

  check_refused(node, {"jobs", "list", "--state", "WAITING"}, exit_usage, {"--state", "WAITING"});
  check_refused(node, {"jobs", "list", "--limit", "0"}, exit_usage, {"--limit"});

  // status --json: queue depth by state and priority, running jobs, slots, throughput.
  wait_until([&] { return status_of(node).throughput().last_60s() > 0; }, 10s,
             "the status shows the noop jobs' throughput");
  auto status = status_of(node);
  BOOST_TEST(status.slots_total() == 2u);
  BOOST_TEST(status.slots_busy() == 2u);
  BOOST_TEST(status.running() == 2u);
  BOOST_TEST(status.succeeded_total() == 3u);
  BOOST_TEST(status.accepting());
  auto depth = [&](Job::State state, JobSpec::Priority priority) {
    uint64_t n = 0;
    for (const auto& d : status.depth())
      if (d.state() == state && d.priority() == priority) n += d.count();
    return n;
  };
  BOOST_TEST(depth(Job::READY, JobSpec::HIGH) == 1u);
  BOOST_TEST(depth(Job::READY, JobSpec::LOW) == 1u);
  BOOST_TEST(depth(Job::READY, JobSpec::NORMAL) == 0u);
  BOOST_TEST(depth(Job::RUNNING, JobSpec::NORMAL) == 2u);

  // The table form of the same.
  auto text = node.run({"status"});
  BOOST_REQUIRE_MESSAGE(text.exit_code == 0, text.describe());
  BOOST_TEST(contains(text.out, "slots: 2 busy of 2 (0 free)"), text.out);
  BOOST_TEST(std::regex_search(text.out, std::regex{R"(CRITICAL\s+HIGH\s+NORMAL\s+LOW\s+total)"}), text.out);
  BOOST_TEST(std::regex_search(text.out, std::regex{R"(READY\s+0\s+1\s+0\s+1\s+2\n)"}), text.out);
  BOOST_TEST(std::regex_search(text.out, std::regex{R"(RUNNING\s+0\s+0\s+2\s+0\s+2\n)"}), text.out);
  BOOST_TEST(contains(text.out, "3 succeeded"), text.out);
  BOOST_TEST(contains(text.out, "throughput (jobs/s):"), text.out);
}

// --- bad input ---------------------------------------------------------------------------------------------------

BOOST_FIXTURE_TEST_CASE(a_malformed_json_payload_is_refused_naming_the_payload, node_fixture) {
  check_refused(node, {"submit", "--kind", "sleep", "--payload", R"({"ms": )"}, exit_usage, {"--payload", "JSON"});
  check_refused(node, {"submit", "--kind", "sleep", "--payload", "ms=5"}, exit_usage, {"--payload"});
  // Valid JSON the kind cannot use.
  check_refused(node, {"submit", "--kind", "sleep", "--payload", R"({"ms": "five"})"}, exit_refused, {"ms"});
}

BOOST_FIXTURE_TEST_CASE(an_unknown_kind_is_refused_naming_the_kind, node_fixture) {
  check_refused(node, {"submit", "--kind", "resize-image"}, exit_refused, {"unknown kind", "resize-image"});
}

BOOST_FIXTURE_TEST_CASE(an_unknown_priority_is_refused_naming_the_priority, node_fixture) {
  check_refused(node, {"submit", "--kind", "noop", "--priority", "URGENT"}, exit_usage, {"--priority", "URGENT"});
}

BOOST_AUTO_TEST_CASE(a_payload_over_maxJobPayloadSizeMB_is_refused_and_nothing_of_its_file_is_stored) {
  temp_dir dir;
  node_process node{dir.sub("data"), {"--maxJobPayloadSizeMB", "1"}, dir.path()};
  node.start();
  auto file = dir.sub("big.jsonl");
  {
    std::ofstream out{file};
    out << R"({"kind":"sleep","payload":{"ms":1}})" << "\n";
    out << R"({"kind":"sleep","payload":{"ms":1,"padding":")" << std::string(1536 * 1024, 'x') << "\"}}\n";
  }
  check_refused(node, {"submit", "--file", file}, exit_refused, {"maxJobPayloadSizeMB", "job 2"});
  // The node still takes a job of a normal size, and it is the first job: the file's first job took no id.
  auto r = node.run({"submit", "--kind", "noop"});
  BOOST_TEST(r.exit_code == 0, r.describe());
  BOOST_TEST(parse_ids(r.out).at(0) == 1u);
  auto listed = node.run({"jobs", "list", "--json"});
  BOOST_TEST(listed.exit_code == 0, listed.describe());
  BOOST_TEST(!contains(listed.out, "sleep"), listed.out);
}

BOOST_FIXTURE_TEST_CASE(a_non_positive_or_malformed_timeout_is_refused_naming_the_flag, node_fixture) {
  check_refused(node, {"submit", "--kind", "noop", "--timeout", "0s"}, exit_usage, {"--timeout", "positive"});
  check_refused(node, {"submit", "--kind", "noop", "--timeout=-5s"}, exit_usage, {"--timeout", "-5s"});
  check_refused(node, {"submit", "--kind", "noop", "--timeout", "soon"}, exit_usage, {"--timeout", "soon"});

  auto id = submit_one(node, {"--kind", "noop"});
  check_refused(node, {"wait", std::to_string(id), "--timeout", "soon"}, exit_usage, {"--timeout", "soon"});
  check_refused(node, {"wait", std::to_string(id), "--timeout=-1s"}, exit_usage, {"--timeout", "-1s"});
  check_refused(node, {"wait", std::to_string(id), "--timeout", "0s"}, exit_usage, {"--timeout"});
  check_refused(node, {"status", "--request-timeout", "whenever"}, exit_usage, {"--request-timeout", "whenever"});
  check_refused(node, {"status", "--request-timeout", "0ms"}, exit_usage, {"--request-timeout", "positive"});
}

BOOST_FIXTURE_TEST_CASE(an_unknown_job_id_is_refused_by_show_cancel_and_wait, node_fixture) {
  auto known = submit_one(node, {"--kind", "noop"});
  const std::string unknown = "987654321";
  check_refused(node, {"jobs", "show", unknown}, exit_refused, {"unknown job", unknown});
  check_refused(node, {"jobs", "cancel", unknown}, exit_refused, {"unknown job", unknown});
  check_refused(node, {"wait", unknown, "--timeout", "10s"}, exit_refused, {"unknown job", unknown});
  check_refused(node, {"wait", std::to_string(known), unknown, "--timeout", "10s"}, exit_refused,
                {"unknown job", unknown});
  check_refused(node, {"jobs", "show", "twelve"}, exit_usage, {"twelve"});
}

BOOST_FIXTURE_TEST_CASE(a_jsonl_file_with_one_bad_line_submits_nothing_and_names_the_line, node_fixture) {
  auto file = dir.sub("jobs.jsonl");
  {
    std::ofstream out{file};
    out << R"({"kind":"sleep","payload":{"ms":5}})" << "\n";
    out << R"({"kind":"noop"})" << "\n";
    out << R"({"kind":"sleep","payload":{"ms":5})" << "\n";  // one brace short
    out << R"({"kind":"noop"})" << "\n";
  }
  check_refused(node, {"submit", "--file", file}, exit_usage, {"line 3", file});

  // A line the node refuses (an unknown kind) also stores nothing of the file.
  auto refused = dir.sub("refused.jsonl");
  {
    std::ofstream out{refused};
    out << R"({"kind":"noop"})" << "\n";
    out << R"({"kind":"no-such-kind"})" << "\n";
  }
  check_refused(node, {"submit", "--file", refused}, exit_refused, {"job 2", "no-such-kind"});
  check_refused(node, {"submit", "--file", dir.sub("missing.jsonl")}, exit_usage, {"missing.jsonl"});
}

// --- reaching the node -----------------------------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(client_commands_exit_3_naming_the_address_when_no_node_listens) {
  auto address = "127.0.0.1:" + std::to_string(unused_port());
  for (const auto& args : std::vector<std::vector<std::string>>{{"status"},
                                                                {"submit", "--kind", "noop"},
                                                                {"jobs", "list"},
                                                                {"jobs", "show", "1"},
                                                                {"jobs", "cancel", "1"},
                                                                {"wait", "1"}}) {
    BOOST_TEST_CONTEXT(args[0]) {
      auto with_flag = args;
      with_flag.push_back("--node");
      with_flag.push_back(address);
      auto r = run_troupe(with_flag);
      BOOST_TEST(r.exit_code == exit_unreachable, r.describe());
      BOOST_TEST(contains(r.err, address), r.err);
      auto from_env = run_troupe(args, {{"TROUPE_NODE", address}});
      BOOST_TEST(from_env.exit_code == exit_unreachable, from_env.describe());
      BOOST_TEST(contains(from_env.err, address), from_env.err);
    }
  }
  auto bad = run_troupe({"status", "--node", "localhost"});
  BOOST_TEST(bad.exit_code == exit_usage, bad.describe());
  BOOST_TEST(contains(bad.err, "--node"), bad.err);
}

BOOST_FIXTURE_TEST_CASE(a_client_killed_while_waiting_harms_neither_the_node_nor_the_job, node_fixture) {
  auto id = submit_one(node, {"--kind", "sleep", "--payload", R"({"ms": 4000})"});
  auto waiter = node.spawn({"wait", std::to_string(id), "--timeout", "60s"});
  auto port = port_of(node.address());
  wait_until([&] { return connected_to(waiter.pid(), port) || !waiter.running(); }, 20s,
             "troupe wait is connected to the node");
  if (!waiter.running()) BOOST_FAIL("troupe wait ended early: " << waiter.result().describe());
  waiter.kill();  // while its wait is pending: the job sleeps for seconds more

  BOOST_TEST(node.running());
  auto again = node.run({"wait", std::to_string(id), "--timeout", "30s"});
  BOOST_TEST(again.exit_code == 0, again.describe());
  BOOST_TEST(node.running());
  BOOST_TEST(status_of(node).succeeded_total() == 1u);
  BOOST_TEST(node.run({"submit", "--kind", "noop"}).exit_code == 0);
}

// --- troupe serve ------------------------------------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(serve_exits_2_naming_an_unknown_option_an_invalid_value_or_an_unknown_config_key) {
  temp_dir dir;
  auto serve = [&](std::vector<std::string> more) {
    std::vector<std::string> args{"serve", "--data", dir.sub("data"), "--listen", "127.0.0.1:0"};
    args.insert(args.end(), more.begin(), more.end());
    return run_troupe(args, {}, 20s);
  };
  auto unknown = serve({"--maxConcurentJobs", "4"});
  BOOST_TEST(unknown.exit_code == exit_usage, unknown.describe());
  BOOST_TEST(contains(unknown.err, "--maxConcurentJobs"), unknown.err);

  auto invalid = serve({"--maxConcurrentJobs", "-1"});
  BOOST_TEST(invalid.exit_code == exit_usage, invalid.describe());
  BOOST_TEST(contains(invalid.err, "maxConcurrentJobs"), invalid.err);
  BOOST_TEST(contains(invalid.err, "-1"), invalid.err);

  auto durability = serve({"--durability", "eventually"});
  BOOST_TEST(durability.exit_code == exit_usage, durability.describe());
  BOOST_TEST(contains(durability.err, "eventually"), durability.err);

  auto config = dir.sub("troupe.toml");
  std::ofstream{config} << "maxConcurrentJobs = 4\nmaxConcurrentJob = 5\n";
  auto bad_key = serve({"--config", config});
  BOOST_TEST(bad_key.exit_code == exit_usage, bad_key.describe());
  BOOST_TEST(contains(bad_key.err, "maxConcurrentJob"), bad_key.err);

  auto bad_value = dir.sub("bad-value.toml");
  std::ofstream{bad_value} << "maxConcurrentJobs = -1\n";
  auto negative = serve({"--config", bad_value});
  BOOST_TEST(negative.exit_code == exit_usage, negative.describe());
  BOOST_TEST(contains(negative.err, "maxConcurrentJobs"), negative.err);

  auto missing = serve({"--config", dir.sub("missing.toml")});
  BOOST_TEST(missing.exit_code == exit_usage, missing.describe());
  BOOST_TEST(contains(missing.err, "missing.toml"), missing.err);
}

BOOST_FIXTURE_TEST_CASE(a_second_node_on_the_same_data_directory_exits_naming_the_lock, node_fixture) {
  auto second = run_troupe({"serve", "--data", node.data(), "--listen", "127.0.0.1:0"}, {}, 30s);
  BOOST_TEST(second.exit_code != 0, second.describe());
  BOOST_TEST(second.exit_code != exit_usage, second.describe());
  BOOST_TEST(contains(lower(second.err), "lock"), second.err);
  BOOST_TEST(contains(second.err, node.data()), second.err);
  // The first node is unharmed.
  BOOST_TEST(node.running());
  BOOST_TEST(node.run({"submit", "--kind", "noop"}).exit_code == 0);
}

BOOST_FIXTURE_TEST_CASE(a_workflow_file_prints_ids_by_ref_and_plan_and_batches_show_its_progress, node_fixture) {
  auto file = dir.sub("etl.jsonl");
  {
    std::ofstream out{file};
    out << R"({"kind":"sleep","payload":{"ms":300},"ref":"extract","batch":"etl"})" << "\n"
        << R"({"kind":"noop","ref":"transform","after":["extract"],"batch":"etl"})" << "\n"
        << R"({"kind":"noop","ref":"load","after":["transform"],"batch":"etl"})" << "\n"
        << R"({"kind":"noop","ref":"report","batchCallback":"etl"})" << "\n";
  }
  auto r = node.run({"submit", "--file", file});
  BOOST_REQUIRE_MESSAGE(r.exit_code == 0, r.describe());
  std::map<std::string, uint64_t> id_of;
  std::istringstream lines{r.out};
  std::string ref;
  uint64_t id = 0;
  while (lines >> ref >> id) id_of[ref] = id;
  BOOST_REQUIRE_EQUAL(id_of.size(), 4u);

  auto plan = node.run({"jobs", "plan", std::to_string(id_of["transform"])});
  BOOST_REQUIRE_MESSAGE(plan.exit_code == 0, plan.describe());
  for (const auto* name : {"extract", "transform", "load", "critical path 3 jobs"})
    BOOST_TEST(contains(plan.out, name), "plan shows " << name << ":\n" << plan.out);
  BOOST_TEST(plan.out.find("extract") < plan.out.find("load"), "parents come first:\n" << plan.out);

  // --after on the command line: a job after `load`.
  auto last = submit_one(node, {"--kind", "noop", "--after", std::to_string(id_of["load"])});
  auto waited = node.run({"wait", std::to_string(last), std::to_string(id_of["report"]), "--timeout", "30s"});
  BOOST_TEST(waited.exit_code == 0, waited.describe());

  auto batch = node.run({"batches", "show", "etl"});
  BOOST_REQUIRE_MESSAGE(batch.exit_code == 0, batch.describe());
  BOOST_TEST(contains(batch.out, "batch etl: SUCCEEDED"), batch.out);
  BOOST_TEST(contains(batch.out, "total 3  succeeded 3"), batch.out);
  BOOST_TEST(contains(batch.out, "callback job " + std::to_string(id_of["report"]) + ": SUCCEEDED"), batch.out);
  auto json = node.run({"batches", "show", "etl", "--json"});
  BOOST_TEST(contains(json.out, "\"succeeded\": \"3\""), json.out);

  check_refused(node, {"batches", "show", "nothing-here"}, exit_refused, {"'nothing-here'", "no jobs"});
  check_refused(node, {"jobs", "plan", "987654"}, exit_refused, {"987654"});
}

BOOST_FIXTURE_TEST_CASE(a_workflow_file_with_a_cycle_or_an_unknown_parent_is_refused_and_stores_nothing,
                        node_fixture) {
  auto cyclic = dir.sub("cycle.jsonl");
  {
    std::ofstream out{cyclic};
    out << R"({"kind":"noop","ref":"a","after":["b"]})" << "\n" << R"({"kind":"noop","ref":"b","after":["a"]})" << "\n";
  }
  check_refused(node, {"submit", "--file", cyclic}, exit_refused, {"cycle", "'a'", "'b'"});
  check_refused(node, {"submit", "--kind", "noop", "--after", "4242"}, exit_refused, {"4242"});
}

BOOST_FIXTURE_TEST_CASE(submit_in_or_at_delays_a_job_and_a_bad_time_is_refused, node_fixture) {
  auto id = submit_one(node, {"--kind", "noop", "--in", "1s"});
  auto job = show_job(node, id);
  BOOST_TEST(Job::State_Name(job.state()) == "SCHEDULED");
  BOOST_TEST(job.has_scheduled_for());
  auto waited = node.run({"wait", std::to_string(id), "--timeout", "30s"});
  BOOST_TEST(waited.exit_code == 0, waited.describe());
  auto past = submit_one(node, {"--kind", "noop", "--at", "2020-01-01T00:00:00Z"});
  waited = node.run({"wait", std::to_string(past), "--timeout", "30s"});
  BOOST_TEST(waited.exit_code == 0, waited.describe());
  check_refused(node, {"submit", "--kind", "noop", "--at", "next tuesday"}, exit_usage, {"--at", "next tuesday"});
  check_refused(node, {"submit", "--kind", "noop", "--in", "soon"}, exit_usage, {"--in", "soon"});
}

BOOST_FIXTURE_TEST_CASE(queue_runner_and_job_controls_from_the_command_line, node_fixture) {
  // Pause a queue: its jobs wait; list shows it; drain cancels them; resume.
  auto paused = node.run({"queues", "pause", "sleep", "--by", "ops"});
  BOOST_REQUIRE_MESSAGE(paused.exit_code == 0, paused.describe());
  BOOST_TEST(std::regex_search(paused.out, std::regex{R"(sleep\s+0\s+0\s+paused)"}), paused.out);
  auto waiting = submit_one(node, {"--kind", "sleep", "--payload", R"({"ms": 10})"});
  auto listed = node.run({"queues", "list"});
  BOOST_TEST(std::regex_search(listed.out, std::regex{R"(sleep\s+1\s+0\s+paused)"}), listed.out);
  BOOST_TEST(Job::State_Name(show_job(node, waiting).state()) == "READY");
  auto drained = node.run({"queues", "drain", "sleep", "--by", "ops"});
  BOOST_TEST(contains(drained.out, "1 waiting jobs cancelled"), drained.describe());
  auto cancelled = show_job(node, waiting);
  BOOST_TEST(Job::State_Name(cancelled.state()) == "CANCELLED");
  BOOST_TEST(cancelled.transitions().rbegin()->reason() == "cancelled by admin (ops)",
             "the history names who drained it: the token's user, and who it said it was");
  BOOST_TEST(node.run({"queues", "resume", "sleep"}).exit_code == 0);

  // Retry the drained job by filter; it runs.
  auto retried = node.run({"jobs", "retry", "--state", "CANCELLED", "--kind", "sleep", "--by", "ops"});
  BOOST_TEST(contains(retried.out, "job " + std::to_string(waiting) + " READY"), retried.describe());
  BOOST_TEST(node.run({"wait", std::to_string(waiting), "--timeout", "30s"}).exit_code == 0);
  auto job = show_job(node, waiting);
  bool recorded = false;
  for (const auto& t : job.transitions()) recorded = recorded || t.reason() == "retried by admin (ops)";
  BOOST_TEST(recorded);

  // Stop the runner: nothing starts; prioritize and run-now still work on queued jobs; start it again.
  BOOST_TEST(contains(node.run({"runner", "stop"}).out, "STOPPED"));
  auto later = submit_one(node, {"--kind", "noop", "--in", "1h"});
  auto run_now = node.run({"jobs", "run", std::to_string(later)});
  BOOST_TEST(contains(run_now.out, "READY"), run_now.describe());
  auto queued = submit_one(node, {"--kind", "noop"});
  auto moved = node.run({"jobs", "prioritize", std::to_string(queued), "--priority", "critical"});
  BOOST_TEST(moved.exit_code == 0, moved.describe());
  BOOST_TEST(JobSpec::Priority_Name(show_job(node, queued).spec().priority()) == "CRITICAL");
  BOOST_TEST(Job::State_Name(show_job(node, queued).state()) == "READY");
  BOOST_TEST(contains(node.run({"runner", "start"}).out, "runner: running"));
  BOOST_TEST(node.run({"wait", std::to_string(later), std::to_string(queued), "--timeout", "30s"}).exit_code == 0);

  // A control that the job's state does not allow is refused by name.
  check_refused(node, {"jobs", "run", std::to_string(queued)}, exit_refused, {"SUCCEEDED", "SCHEDULED"});

  // Cleanup of finished noop jobs.
  auto cleaned = node.run({"queues", "cleanup", "noop", "--state", "SUCCEEDED"});
  BOOST_TEST(contains(cleaned.out, "2 finished jobs deleted"), cleaned.describe());

  // Each node-wide control is in the history, newest first, with who asked.
  auto history = node.run({"queues", "history"});
  BOOST_TEST(contains(history.out, "cleanup: 2 deleted, finished jobs in state SUCCEEDED of kind noop"),
             history.describe());
  BOOST_TEST(std::regex_search(history.out, std::regex{R"(\d{2}:\d{2}:\d{2}\s+admin \(ops\)\s+queue sleep paused)"}),
             history.describe());
  BOOST_TEST(history.out.find("runner started") < history.out.find("runner stopped"), "newest first");
}

BOOST_FIXTURE_TEST_CASE(cron_schedules_from_the_command_line, node_fixture) {
  auto added = node.run({"cron", "add", "nightly", "--cron", "30 2 * * *", "--tz", "Europe/Berlin", "--kind", "noop",
                         "--missed", "skip", "--by", "ops"});
  BOOST_REQUIRE_MESSAGE(added.exit_code == 0, added.describe());
  BOOST_TEST(std::regex_search(added.out, std::regex{R"(nightly\s+30 2 \* \* \*\s+Europe/Berlin\s+\S+ \S+:30:00)"}),
             added.out);
  BOOST_TEST(contains(node.run({"cron", "pause", "nightly", "--by", "ops"}).out, "paused by admin (ops)"));
  auto listed = node.run({"cron", "list"});
  BOOST_TEST(contains(listed.out, "paused by admin (ops)"), listed.describe());

  // Bad schedules are refused by name; nothing is stored.
  check_refused(node, {"cron", "add", "bad", "--cron", "61 * * * *", "--kind", "noop"}, exit_refused,
                {"minute: 61 is out of range 0-59"});
  check_refused(node, {"cron", "add", "bad", "--cron", "@reboot", "--kind", "noop"}, exit_refused, {"@reboot"});
  check_refused(node, {"cron", "add", "bad", "--cron", "* * * * *", "--tz", "Mars/Olympus", "--kind", "noop"},
                exit_refused, {"Mars/Olympus"});
  check_refused(node, {"cron", "add", "bad", "--cron", "* * * * *", "--kind", "nope"}, exit_refused, {"nope"});
  check_refused(node, {"cron", "add", "nightly", "--cron", "@daily", "--kind", "noop"}, exit_refused,
                {"exists", "--replace"});
  check_refused(node, {"cron", "delete", "nope"}, exit_refused, {"no cron schedule named 'nope'"});
  BOOST_TEST(!contains(node.run({"cron", "list"}).out, "bad"));

  // A schedule fires at the next minute, on the real clock; its progress and the pause survive a SIGKILL.
  auto minutely = node.run({"cron", "add", "minutely", "--cron", "* * * * *", "--kind", "noop"});
  BOOST_REQUIRE_MESSAGE(minutely.exit_code == 0, minutely.describe());
  auto fired = [&](const std::string& name) {
    std::smatch m;
    auto out = node.run({"cron", "list", name}).out;
    return std::regex_search(out, m, std::regex{name + R"(\s+.*?\s+(\d+)\s+(\d+)\s+noop)"}) ? std::stoi(m[1]) : -1;
  };
  wait_until([&] { return fired("minutely") >= 1; }, 75s, "the minutely schedule fires");
  node.kill();
  node.restart();
  // Every occurrence counted as fired has its one job (the schedule's are the only jobs here), read between two
  // listings that agree, so that no minute passed in between.
  int before = 0, after = 0;
  size_t jobs = 0;
  do {
    before = fired("minutely");
    jobs = job_count(node);
    after = fired("minutely");
  } while (before != after);
  BOOST_TEST(before >= 1);
  BOOST_TEST(jobs == static_cast<size_t>(before), "one job per fired occurrence, none lost or doubled");
  BOOST_TEST(contains(node.run({"cron", "list", "nightly"}).out, "paused by admin (ops)"), "the pause is durable");
  BOOST_TEST(contains(node.run({"cron", "delete", "minutely"}).out, "minutely"));
  BOOST_TEST(contains(node.run({"cron", "resume", "nightly"}).out, "active"));
  check_refused(node, {"cron", "list", "minutely"}, exit_refused, {"no cron schedule named 'minutely'"});
}

// Tokens over the CAF peer path: the CLI and the node use the same users as the HTTP API.
BOOST_FIXTURE_TEST_CASE(tokens_decide_who_may_do_what_through_the_cli_and_a_first_admin_is_made_offline,
                        node_fixture) {
  auto added = node.run({"users", "add", "alice"});
  BOOST_REQUIRE_MESSAGE(added.exit_code == 0, added.describe());
  auto alice = added.out.substr(0, added.out.find('\n'));
  BOOST_TEST(alice.rfind("alice.", 0) == 0u, added.out);
  BOOST_TEST(contains(added.err, "shown only this once"));

  auto admins_job = submit_one(node, {"--kind", "noop"});
  auto hers = submit_one(node, {"--kind", "noop", "--token", alice});
  // Another user's job is unknown to her, with the message of a job that is not there.
  auto foreign = node.run({"jobs", "show", std::to_string(admins_job), "--token", alice});
  BOOST_TEST(foreign.exit_code == exit_refused, foreign.describe());
  BOOST_TEST(contains(foreign.err, "unknown job id " + std::to_string(admins_job)), foreign.describe());
  auto listed = node.run({"jobs", "list", "--json", "--token", alice});
  auto id_field = [](uint64_t id) { return "\"id\":\"" + std::to_string(id) + "\""; };
  BOOST_TEST(contains(listed.out, id_field(hers)), listed.describe());
  BOOST_TEST(!contains(listed.out, id_field(admins_job)), listed.describe());
  BOOST_TEST(node.run({"queues", "pause", "noop", "--token", alice}).exit_code == exit_refused);

  // No token, a wrong one, a revoked one: refused by name; the node keeps serving.
  auto wrong = node.run({"status", "--token", "alice.00"});
  BOOST_TEST(wrong.exit_code == exit_refused);
  BOOST_TEST(contains(wrong.err, "not valid"), wrong.describe());
  auto none = run_troupe({"status", "--node", node.address(), "--token-file", node.data() + "/missing"});
  BOOST_TEST(none.exit_code == exit_usage, none.describe());
  BOOST_TEST(node.run({"users", "revoke", "alice"}).exit_code == 0);
  auto revoked = node.run({"status", "--token", alice});
  BOOST_TEST(contains(revoked.err, "not valid"), revoked.describe());
  BOOST_TEST(node.run({"status"}).exit_code == 0);

  // The first admin of a node can also be made on its machine, on its store, while it is stopped.
  BOOST_TEST(node.stop(SIGTERM, 30s) == 0);
  auto ops = run_troupe({"users", "add", "ops", "--role", "admin", "--data", node.data()});
  BOOST_REQUIRE_MESSAGE(ops.exit_code == 0, ops.describe());
  node.start();
  auto whoami = node.run({"users", "whoami", "--token", ops.out.substr(0, ops.out.find('\n'))});
  BOOST_TEST(contains(whoami.out, "ops"), whoami.describe());
  BOOST_TEST(contains(whoami.out, "admin"), whoami.describe());
}

// Alerts through the CLI (docs/metrics.md, "Alerts"): the list with the health score (status shows it too); the
// operator's answers name an alert that is not active, and are for admins only.
BOOST_FIXTURE_TEST_CASE(alerts_lists_the_health_score_and_refuses_an_alert_that_is_not_active, node_fixture) {
  auto listed = node.run({"alerts"});
  BOOST_TEST(listed.exit_code == 0, listed.describe());
  BOOST_TEST(contains(listed.out, "health: 100/100"), listed.describe());
  BOOST_TEST(contains(listed.out, "no active alerts"), listed.describe());
  auto status = node.run({"status"});
  BOOST_TEST(contains(status.out, "health: 100/100"), status.describe());
  auto json = node.run({"alerts", "list", "--json", "--limit", "5"});
  BOOST_TEST(contains(json.out, "\"health\""), json.describe());
  check_refused(node, {"alerts", "ack", "memory_pressure"}, exit_refused, {"no active alert 'memory_pressure'"});
  check_refused(node, {"alerts", "silence", "memory_pressure", "--minutes", "0"}, exit_usage, {"--minutes"});
  auto added = node.run({"users", "add", "auditor", "--role", "read-only"});
  BOOST_REQUIRE_MESSAGE(added.exit_code == 0, added.describe());
  auto auditor = added.out.substr(0, added.out.find('\n'));
  BOOST_TEST(node.run({"alerts", "--token", auditor}).exit_code == 0);
  check_refused(node, {"alerts", "unsilence", "memory_pressure", "--token", auditor}, exit_refused,
                {"auditor", "may not"});
}
