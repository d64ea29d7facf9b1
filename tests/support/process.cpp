#include "support/process.hpp"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/test/framework.hpp>
#include <boost/test/results_collector.hpp>
#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>
#include <thread>

#include "support/sanitizer.hpp"

extern char** environ;

namespace troupe::test {

namespace {

using clock_type = std::chrono::steady_clock;

std::string read_file(const std::string& path) {
  std::ifstream in{path, std::ios::binary};
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

// A fresh empty file under $TMPDIR named after `stem`.
std::string fresh_file(const std::string& stem) {
  const char* base = std::getenv("TMPDIR");
  std::string pattern = std::string{base ? base : "/tmp"} + "/troupe-test-" + stem + "-XXXXXX";
  int fd = mkstemp(pattern.data());
  BOOST_REQUIRE_MESSAGE(fd >= 0, "mkstemp " << pattern << ": " << std::strerror(errno));
  close(fd);
  return pattern;
}

// The last `lines` lines of `text`.
std::string tail(const std::string& text, size_t lines) {
  size_t pos = text.size();
  if (pos > 0 && text[pos - 1] == '\n') --pos;
  for (size_t n = 0; n < lines && pos != std::string::npos && pos > 0; ++n) pos = text.rfind('\n', pos - 1);
  return pos == std::string::npos || pos == 0 ? text : text.substr(pos + 1);
}

bool current_test_failed() {
  auto id = boost::unit_test::framework::current_test_case().p_id;
  return !boost::unit_test::results_collector.results(id).passed();
}

// A sanitized `troupe` (the -DTROUPE_SANITIZE=ON build) writes its AddressSanitizer, LeakSanitizer and UBSan
// reports to files named PREFIX.<pid> instead of its stderr: the test's own options (CTest's, see
// cmake/sanitizer_env.cmake.in) with a log_path of the child's own added last, so that it wins. The files are
// checked when the child is reaped (child_process::reaped), whatever the child's exit code says, and a report
// fails the test; tests that look at a command's stderr see only what troupe wrote. An unsanitized program
// ignores these variables.
void add_sanitizer_log_path(std::map<std::string, std::string>& vars, const std::string& prefix) {
  for (const char* name : {"ASAN_OPTIONS", "UBSAN_OPTIONS"}) {
    auto& value = vars[name];
    value += (value.empty() ? "" : ":") + std::string{"log_path="} + prefix;
  }
}

// The sanitizer reports written to `prefix`.<pid> files, removing them (they are reported once).
std::string take_sanitizer_reports(const std::string& prefix) {
  namespace fs = std::filesystem;
  auto path = fs::path{prefix};
  auto stem = path.filename().string() + ".";
  std::string reports;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator{path.parent_path(), ec}) {
    auto name = entry.path().filename().string();
    if (name.rfind(stem, 0) != 0) continue;
    auto text = read_file(entry.path().string());
    if (text.size() > 20000) text = text.substr(0, 20000) + "\n... (" + entry.path().string() + " is longer)";
    reports += "--- " + entry.path().string() + " ---\n" + text;
    fs::remove(entry.path(), ec);
  }
  return reports;
}

int exit_code_of_status(int status) {
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return -1;
}

}  // namespace

const std::string& troupe_binary() {
  static const std::string path = TROUPE_BINARY;
  return path;
}

bool poll_until(const std::function<bool()>& condition, std::chrono::milliseconds timeout,
                std::chrono::milliseconds interval) {
  auto deadline = clock_type::now() + timeout;
  // Start with short intervals: most conditions in these tests come true within milliseconds.
  auto pause = std::chrono::milliseconds{1};
  for (;;) {
    if (condition()) return true;
    if (clock_type::now() >= deadline) return condition();
    std::this_thread::sleep_for(std::min<std::chrono::nanoseconds>(pause, deadline - clock_type::now()));
    pause = std::min(pause * 2, interval);
  }
}

void wait_until(const std::function<bool()>& condition, std::chrono::milliseconds timeout, const std::string& what,
                std::chrono::milliseconds interval) {
  if (!poll_until(condition, timeout, interval))
    BOOST_FAIL("timed out after " << timeout.count() << " ms waiting until " << what);
}

// --- command_result ----------------------------------------------------------------------------------------------

std::string command_result::describe() const {
  auto clip = [](const std::string& text) { return text.size() > 2000 ? "..." + text.substr(text.size() - 2000) : text; };
  return "exit code " + std::to_string(exit_code) + ", stdout: '" + clip(out) + "', stderr: '" + clip(err) + "'";
}

std::vector<std::string> command_result::out_lines() const {
  std::vector<std::string> lines;
  std::istringstream in{out};
  std::string line;
  while (std::getline(in, line))
    if (!line.empty()) lines.push_back(line);
  return lines;
}

// --- child_process -----------------------------------------------------------------------------------------------

child_process::child_process(std::vector<std::string> argv, std::map<std::string, std::string> env,
                             std::string capture) {
  BOOST_REQUIRE(!argv.empty());
  if (capture.empty()) {
    auto stem = std::filesystem::path{argv[0]}.filename().string();
    out_path_ = fresh_file(stem + "-out");
    err_path_ = fresh_file(stem + "-err");
    remove_files_ = true;
  } else {
    out_path_ = capture + ".out";
    err_path_ = capture + ".err";
  }

  // The environment: the test's, with `env` applied.
  std::map<std::string, std::string> vars;
  for (char** e = environ; *e != nullptr; ++e) {
    std::string entry{*e};
    auto eq = entry.find('=');
    if (eq != std::string::npos) vars[entry.substr(0, eq)] = entry.substr(eq + 1);
  }
  for (const auto& [name, value] : env) {
    if (value.empty()) vars.erase(name);
    else vars[name] = value;
  }
  sanitizer_log_ = err_path_ + ".sanitizer";
  add_sanitizer_log_path(vars, sanitizer_log_);
  std::vector<std::string> env_strings;
  for (const auto& [name, value] : vars) env_strings.push_back(name + "=" + value);
  std::vector<char*> envp;
  for (auto& s : env_strings) envp.push_back(s.data());
  envp.push_back(nullptr);
  std::vector<char*> args;
  for (auto& a : argv) args.push_back(a.data());
  args.push_back(nullptr);

  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&actions, 1, out_path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_APPEND, 0644);
  posix_spawn_file_actions_addopen(&actions, 2, err_path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_APPEND, 0644);
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  sigset_t none, all;
  sigemptyset(&none);
  sigfillset(&all);
  sigdelset(&all, SIGKILL);
  sigdelset(&all, SIGSTOP);
  posix_spawnattr_setsigmask(&attr, &none);
  posix_spawnattr_setsigdefault(&attr, &all);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
  int rc = posix_spawn(&pid_, args[0], &actions, &attr, args.data(), envp.data());
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attr);
  if (rc != 0) {
    pid_ = -1;
    BOOST_FAIL("posix_spawn " << argv[0] << ": " << std::strerror(rc));
  }
}

child_process::child_process(child_process&& other) noexcept
    : pid_(other.pid_),
      status_(other.status_),
      out_path_(std::move(other.out_path_)),
      err_path_(std::move(other.err_path_)),
      sanitizer_log_(std::move(other.sanitizer_log_)),
      remove_files_(other.remove_files_) {
  other.pid_ = -1;
  other.remove_files_ = false;
}

child_process::~child_process() {
  kill();
  if (remove_files_) {
    std::error_code ignored;
    std::filesystem::remove(out_path_, ignored);
    std::filesystem::remove(err_path_, ignored);
  }
}

bool child_process::running() {
  if (pid_ < 0 || status_) return false;
  int status = 0;
  pid_t r = 0;
  while ((r = waitpid(pid_, &status, WNOHANG)) < 0 && errno == EINTR) {
  }
  if (r == pid_) {
    reaped(status);
    return false;
  }
  BOOST_REQUIRE_MESSAGE(r == 0, "waitpid " << pid_ << ": " << std::strerror(errno));
  return true;
}

void child_process::signal(int sig) {
  if (pid_ > 0 && !status_) ::kill(pid_, sig);
}

void child_process::kill() {
  if (pid_ < 0 || status_) return;
  ::kill(pid_, SIGKILL);
  int status = 0;
  while (waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
  }
  reaped(status);
}

void child_process::reaped(int status) {
  status_ = status;
  auto reports = take_sanitizer_reports(sanitizer_log_);
  // BOOST_ERROR, not BOOST_FAIL: this runs in destructors too; the test case fails either way.
  if (!reports.empty())
    BOOST_ERROR("the sanitizers reported errors in " << pid_ << " (exit code " << exit_code_of_status(status)
                                                     << "):\n" << reports);
}

std::optional<int> child_process::wait_for(std::chrono::milliseconds timeout) {
  if (!poll_until([&] { return !running(); }, timeout, 5ms)) return std::nullopt;
  return exit_code();
}

int child_process::wait(std::chrono::milliseconds timeout, const std::string& what) {
  auto code = wait_for(timeout);
  if (!code) {
    kill();
    BOOST_FAIL(what << " did not exit within " << timeout.count() << " ms (killed it); stdout: '" << out()
                    << "', stderr: '" << err() << "'");
  }
  return *code;
}

int child_process::exit_code() const {
  BOOST_REQUIRE_MESSAGE(status_.has_value(), "the process " << pid_ << " has not exited");
  return exit_code_of_status(*status_);
}

std::string child_process::out() const { return read_file(out_path_); }
std::string child_process::err() const { return read_file(err_path_); }

command_result child_process::result() const { return command_result{exit_code(), out(), err()}; }

command_result run_troupe(const std::vector<std::string>& args, std::map<std::string, std::string> env,
                      std::chrono::milliseconds timeout) {
  std::vector<std::string> argv{troupe_binary()};
  argv.insert(argv.end(), args.begin(), args.end());
  std::string line = "troupe";
  for (const auto& a : args) line += " " + (a.size() > 80 ? a.substr(0, 80) + "..." : a);
  child_process child{std::move(argv), std::move(env)};
  child.wait(timeout, "'" + line + "'");
  return child.result();
}

// --- node_process ------------------------------------------------------------------------------------------------

node_process::node_process(std::string data, std::vector<std::string> flags, std::string logs)
    : data_(std::move(data)), flags_(std::move(flags)), logs_(std::move(logs)) {
  if (logs_.empty()) logs_ = std::filesystem::path{data_}.parent_path().string();
}

node_process::~node_process() {
  if (process_ && !std::uncaught_exceptions() && !current_test_failed()) {
    process_->kill();
    return;
  }
  if (process_) {
    process_->kill();
    std::cerr << "--- node on " << data_ << " (start " << starts_ << ", " << address_
              << "): last lines of its log ---\n"
              << tail(log(), 40) << "\n--- end of the node's log ---\n";
  }
}

void node_process::start(std::chrono::milliseconds timeout) {
  BOOST_REQUIRE_MESSAGE(!running(), "node_process::start: the node is still running");
  std::filesystem::create_directories(data_);
  auto addr_file = data_ + "/node.addr";
  std::error_code ignored;
  std::filesystem::remove(addr_file, ignored);
  std::filesystem::remove(data_ + "/http.addr", ignored);
  ++starts_;
  std::vector<std::string> argv{troupe_binary(), "serve", "--data", data_};
  if (std::find(flags_.begin(), flags_.end(), "--listen") == flags_.end())
    argv.insert(argv.end(), {"--listen", "127.0.0.1:0"});
  // Tests run side by side: each node's HTTP API on a port of its own, unless the test says otherwise.
  if (std::find(flags_.begin(), flags_.end(), "--httpListen") == flags_.end())
    argv.insert(argv.end(), {"--httpListen", "127.0.0.1:0"});
  // Under AddressSanitizer, room for the sanitizer's own memory unless the test sets a limit (support/sanitizer.hpp).
  if (sanitizer_max_memory_mb > 0 && std::find(flags_.begin(), flags_.end(), "--maxMemoryMB") == flags_.end())
    argv.insert(argv.end(), {"--maxMemoryMB", std::to_string(sanitizer_max_memory_mb)});
  argv.insert(argv.end(), flags_.begin(), flags_.end());
  process_ = std::make_unique<child_process>(std::move(argv), std::map<std::string, std::string>{},
                                             logs_ + "/node-" + std::to_string(starts_));
  std::string address;
  bool exited = false;
  bool listening = poll_until(
      [&] {
        auto text = read_file(addr_file);
        if (!text.empty() && text.back() == '\n') {
          address = text.substr(0, text.size() - 1);
          return true;
        }
        exited = !process_->running();
        return exited;
      },
      timeout);
  if (exited && address.empty())
    BOOST_FAIL("troupe serve on " << data_ << " exited with code " << process_->exit_code()
                                  << " before listening; stdout: '" << tail(process_->out(), 20) << "', stderr: '"
                                  << tail(process_->err(), 20) << "'");
  if (!listening)
    BOOST_FAIL("troupe serve on " << data_ << " did not write node.addr within " << timeout.count()
                                  << " ms; log: '" << tail(log(), 20) << "'");
  address_ = address;
  // The node writes http.addr (when it serves HTTP) before node.addr.
  auto http = read_file(data_ + "/http.addr");
  http_address_ = !http.empty() && http.back() == '\n' ? http.substr(0, http.size() - 1) : "";
}

void node_process::restart(std::chrono::milliseconds timeout) {
  kill();
  start(timeout);
}

void node_process::kill() {
  if (process_) process_->kill();
}

int node_process::stop(int sig, std::chrono::milliseconds timeout) {
  BOOST_REQUIRE_MESSAGE(process_ != nullptr, "node_process::stop: never started");
  process_->signal(sig);
  auto code = process_->wait_for(timeout);
  if (!code) {
    auto text = log();
    process_->kill();
    BOOST_FAIL("the node did not exit within " << timeout.count() << " ms of signal " << sig << "; log: '"
                                               << tail(text, 30) << "'");
  }
  return *code;
}

bool node_process::running() { return process_ != nullptr && process_->running(); }

pid_t node_process::pid() const { return process_ ? process_->pid() : -1; }

child_process& node_process::process() {
  BOOST_REQUIRE(process_ != nullptr);
  return *process_;
}

std::string node_process::admin_token() const {
  auto text = read_file(data_ + "/admin.token");
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.pop_back();
  return text;
}

command_result node_process::run(const std::vector<std::string>& args, std::chrono::milliseconds timeout) const {
  return run_troupe(args, {{"TROUPE_NODE", address_}, {"TROUPE_TOKEN", admin_token()}}, timeout);
}

child_process node_process::spawn(const std::vector<std::string>& args) const {
  std::vector<std::string> argv{troupe_binary()};
  argv.insert(argv.end(), args.begin(), args.end());
  return child_process{std::move(argv), {{"TROUPE_NODE", address_}, {"TROUPE_TOKEN", admin_token()}}};
}

std::string node_process::log() const {
  if (!process_) return {};
  return process_->out() + process_->err();
}

}  // namespace troupe::test
