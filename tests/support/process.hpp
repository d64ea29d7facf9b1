#pragma once
// Real processes for end-to-end tests: a child process started with posix_spawn (its stdout and stderr captured
// in files), the `troupe` executable run as a command, a `troupe serve` node as a fixture, and wait_until, the
// one way these tests wait: poll a condition at short intervals until a deadline, then fail naming what did
// not happen. Nothing here sleeps for a fixed time to let something happen.
//
// Every child is killed (SIGKILL) and reaped by its owner's destructor, so a failing test leaves no process
// behind. These helpers are used from the test's thread only; they report problems through Boost.Test
// (BOOST_FAIL / BOOST_REQUIRE), which ends the test case.

#include <sys/types.h>

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace troupe::test {

using namespace std::chrono_literals;

// The troupe executable under test (the TROUPE_BINARY compile definition).
const std::string& troupe_binary();

// Polls `condition` (every `interval`, at first more often) until it returns true; fails the test case with
// "timed out after N ms waiting until <what>" when `timeout` passes first. The condition is also evaluated once
// after the deadline, so a slow machine that gets there just in time still passes.
void wait_until(const std::function<bool()>& condition, std::chrono::milliseconds timeout, const std::string& what,
                std::chrono::milliseconds interval = 10ms);

// As wait_until, but returns false on timeout instead of failing.
[[nodiscard]] bool poll_until(const std::function<bool()>& condition, std::chrono::milliseconds timeout,
                              std::chrono::milliseconds interval = 10ms);

// What a finished command left behind.
struct command_result {
  int exit_code = -1;  // the exit status; 128 + N if signal N ended it
  std::string out;     // all of stdout
  std::string err;     // all of stderr
  // "exit code 3, stdout: '...', stderr: '...'": for failure messages.
  std::string describe() const;
  // stdout split into non-empty lines.
  std::vector<std::string> out_lines() const;
};

// One child process. stdin is /dev/null; stdout and stderr go to files (`<capture>.out` and `<capture>.err` when
// a capture path prefix is given, else fresh files under $TMPDIR that are removed with the object). The child
// starts with an empty signal mask and default signal dispositions, in the test's process group. Sanitizer
// reports of a sanitized child (and of the troupe processes it starts) go to files next to its stderr, and fail
// the test case once the child is reaped.
class child_process {
 public:
  // argv[0] is the program's path. `env`: variables to set in the child on top of the test's environment (an
  // empty value removes the variable).
  explicit child_process(std::vector<std::string> argv, std::map<std::string, std::string> env = {},
                         std::string capture = "");
  ~child_process();  // SIGKILL and reap if still running
  child_process(child_process&& other) noexcept;
  child_process& operator=(child_process&&) = delete;
  child_process(const child_process&) = delete;
  child_process& operator=(const child_process&) = delete;

  pid_t pid() const { return pid_; }
  // True until the child has exited (reaps it when it has).
  bool running();
  // Sends `sig` to the child (nothing if it has already been reaped).
  void signal(int sig);
  // SIGKILL and reap. Idempotent.
  void kill();
  // Waits up to `timeout` for the child to exit; its exit code, or nullopt if it still runs.
  std::optional<int> wait_for(std::chrono::milliseconds timeout);
  // Waits up to `timeout` for the child to exit and returns its exit code; if it does not, kills it and fails
  // the test case naming `what`.
  int wait(std::chrono::milliseconds timeout, const std::string& what);
  // REQUIRES: the child has exited. 128 + N if signal N ended it.
  int exit_code() const;

  // What the child wrote so far.
  std::string out() const;
  std::string err() const;
  const std::string& out_path() const { return out_path_; }
  const std::string& err_path() const { return err_path_; }
  // The child's output as a command_result. REQUIRES: the child has exited.
  command_result result() const;

 private:
  // Records the wait status; fails the test case if the child (or a troupe process it started) left a
  // sanitizer report in sanitizer_log_.<pid>.
  void reaped(int status);

  pid_t pid_ = -1;
  std::optional<int> status_;  // the wait status once reaped
  std::string out_path_, err_path_;
  std::string sanitizer_log_;  // the log_path prefix of its sanitizer reports (process.cpp)
  bool remove_files_ = false;
};

// Runs `troupe <args>` to completion (at most `timeout`; past it the command is killed and the test fails).
command_result run_troupe(const std::vector<std::string>& args, std::map<std::string, std::string> env = {},
                      std::chrono::milliseconds timeout = 60s);

// A `troupe serve` node on a data directory, listening on 127.0.0.1 with a port the kernel picks (unless the
// flags give a --listen). start() waits
// for DATA/node.addr (the node writes it once it listens); a node that exits first fails the test with its
// output. The node can be killed, stopped by a signal and started again on the same directory (it then
// listens on a new port: address() follows). The destructor kills it; if the test case failed, it first prints
// the tail of the node's log to stderr.
class node_process {
 public:
  // `data`: the node's --data directory. `flags`: more `troupe serve` flags ("--maxConcurrentJobs", "4").
  // `logs`: a directory for the node's stdout/stderr (node-N.out/.err, one pair per start); "" = `data`/..
  explicit node_process(std::string data, std::vector<std::string> flags = {}, std::string logs = "");
  ~node_process();
  node_process(const node_process&) = delete;
  node_process& operator=(const node_process&) = delete;

  // Starts the node and waits until it listens. REQUIRES: not running.
  void start(std::chrono::milliseconds timeout = 30s);
  // SIGKILL if running, then start() on the same directory.
  void restart(std::chrono::milliseconds timeout = 30s);
  // SIGKILL and reap; nothing if not running.
  void kill();
  // Sends `sig` and waits up to `timeout` for the node to exit; its exit code (the test fails if it does not).
  int stop(int sig, std::chrono::milliseconds timeout);
  bool running();
  pid_t pid() const;
  child_process& process();

  // HOST:PORT of the running node (the last one, once stopped).
  const std::string& address() const { return address_; }
  // HOST:PORT of its HTTP API (DATA/http.addr); empty when started with `--httpListen ""`. Unless the flags say
  // otherwise, nodes serve HTTP on 127.0.0.1 with a port the kernel picks.
  const std::string& http_address() const { return http_address_; }
  const std::string& data() const { return data_; }

  // The token of the node's first admin (DATA/admin.token, written at its first start), "" if none.
  std::string admin_token() const;
  // `troupe <args>` with TROUPE_NODE set to this node's address and TROUPE_TOKEN to admin_token().
  command_result run(const std::vector<std::string>& args, std::chrono::milliseconds timeout = 60s) const;
  // As run(), but started in the background.
  child_process spawn(const std::vector<std::string>& args) const;

  // The current (or last) start's stdout and stderr.
  std::string log() const;

 private:
  std::string data_;
  std::vector<std::string> flags_;
  std::string logs_;
  std::string address_;
  std::string http_address_;
  int starts_ = 0;
  std::unique_ptr<child_process> process_;
};

}  // namespace troupe::test
