#pragma once
// The process runner behind the `exec` job kind and command kinds: starts external processes and
// reports how each one ended, without holding a thread per process.

#include <sys/types.h>

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <caf/error.hpp>
#include <caf/expected.hpp>

namespace troupe {

// What to run. Plain data; process_runner::start validates it.
struct process_spec {
  // The program and its arguments. An argv[0] without '/' is looked up in the node's PATH
  // (posix_spawnp searches the node's PATH, not a PATH set in `env`). REQUIRES: not empty, argv[0]
  // not empty, no NUL bytes.
  std::vector<std::string> argv;
  // Variables added to, or overriding, the node's environment (or the whole environment, without
  // inherit_environment). REQUIRES: names not empty, without '='; no NUL.
  std::map<std::string, std::string> env;
  // False: the process sees `env` alone, nothing of the node's environment.
  bool inherit_environment = true;
  // Working directory of the process. Empty: the node's working directory.
  std::string cwd;
  // How much output to keep: the last N bytes of stdout and stderr, merged in the order they were
  // written.
  size_t output_tail_bytes = 4096;
  // What start()'s error messages call the process: "exec: cannot run 'x': ..." (a command kind's name).
  std::string label = "exec";
};

// How a process ended. Exactly one of exit_code (signal == 0) and signal describes the end, unless
// `error` is set.
struct process_result {
  // For logs only: the process is reaped, so the pid may already name another process.
  pid_t pid = 0;
  int exit_code = -1;       // the exit status, when signal == 0
  int signal = 0;           // the signal that ended the process, 0 if it exited
  bool killed = false;      // ended by the SIGKILL of kill() or ~process_runner, not on its own
  std::string output_tail;  // the last output_tail_bytes of merged stdout and stderr
  // Peak resident set size (wait4's rusage; includes reaped descendants). Never below the node's
  // own peak RSS: the child runs on the node's memory until it execs (vfork), and the kernel
  // charges that to the child.
  int64_t max_rss_kb = 0;
  int64_t cpu_ms = 0;  // user + system CPU time (wait4's rusage; includes reaped descendants)
  // Set (ec::internal) when kill() could not signal the group, or when the runner could not reap
  // the process because something else in the node did (exit_code and signal are then unknown).
  caf::error error;
};

// Runs child processes with one reaper thread for all of them: the thread waits with epoll on each
// child's pidfd and output pipe, plus an eventfd that wakes it for shutdown.
//
// Each process runs in a process group of its own (pgid = pid), with stdin from /dev/null, stdout
// and stderr in one pipe, and no other fd (not even the node's fds that lack O_CLOEXEC). A process
// is complete as soon as it exits: output still in the pipe is read without blocking, and
// descendants that outlive it (and may hold the pipe open) are neither waited for nor killed.
// kill() kills the whole group. Every fd the runner opens is O_CLOEXEC, so a concurrent spawn
// elsewhere in the node does not inherit a child's pipe either.
//
// Thread safety: start, kill and running may be called from any thread concurrently, and from
// completions. Completions run on the reaper thread, one at a time, without the runner's lock held;
// a slow completion delays every other one, and a completion must not throw.
//
// REQUIRES: nothing else in the process reaps children it did not start (wait(-1), SIGCHLD set to
// SIG_IGN); if something does, the affected results carry an error. Nothing calls setenv() while
// processes start.
class process_runner {
 public:
  // Identifies a started process; never reused by a runner.
  using process_id = uint64_t;
  // Called exactly once for every process start() accepted, on the reaper thread.
  using completion = std::function<void(process_result)>;

  // Starts the reaper thread. If that fails, every start() returns the reason.
  process_runner();
  // Kills every process group still running (SIGKILL), runs their completions (killed = true) on
  // the reaper thread, and joins it. Returns once every child is reaped. REQUIRES: not called from
  // a completion.
  ~process_runner();

  process_runner(const process_runner&) = delete;
  process_runner& operator=(const process_runner&) = delete;

  // Spawns spec.argv in a new process group; `done` runs when it ends. Errors name the problem:
  // ec::invalid_argument for a bad spec or a program that cannot be run ("exec: cannot run 'x': No
  // such file or directory", "exec: cwd '/nope': No such file or directory"), ec::shutting_down
  // once the destructor has begun, ec::internal when the node is out of resources (fds, memory). On
  // error `done` never runs. REQUIRES: `done` is not empty.
  caf::expected<process_id> start(process_spec spec, completion done);

  // Sends SIGKILL to the process group of `id`: the process and everything in its group. Its
  // completion still runs, with killed = true. Idempotent; ids that are unknown or already complete
  // are ignored.
  void kill(process_id id);

  // Processes started and not yet complete (a process leaves the count just before its completion
  // runs).
  size_t running() const;

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

}  // namespace troupe
