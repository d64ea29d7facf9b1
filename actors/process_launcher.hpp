#pragma once
// Processes the scaling manager starts on this machine (actors/scaling.cpp): the `troupe worker` processes of
// scalingMode local, and scalingCommand in command mode. Starting does not block; exits are collected by reap(),
// which the scaling manager calls on its ticks (waitpid on the launched pids only, WNOHANG). A launched process
// gets SIGTERM when the thread that launched it ends (PR_SET_PDEATHSIG), so a node that dies does not leave
// workers behind: they drain and exit.

#include <sys/types.h>

#include <cstdint>
#include <string>
#include <vector>

#include <caf/expected.hpp>

namespace troupe {

class process_launcher {
 public:
  struct exit_info {
    pid_t pid = 0;
    std::string name;
    int exit_code = -1;  // -1 if ended by a signal
    int signal = 0;
  };

  process_launcher() = default;
  process_launcher(const process_launcher&) = delete;
  process_launcher& operator=(const process_launcher&) = delete;
  // Sends SIGTERM to every process still running (they drain and exit on their own).
  ~process_launcher();

  // Starts argv[0] (a path) with `argv` and the node's environment plus `env` (NAME=VALUE). `name` names it in
  // exits and logs. Fails with the errno text if it cannot be started.
  caf::expected<pid_t> start(const std::string& name, const std::vector<std::string>& argv,
                             const std::vector<std::string>& env);
  // SIGTERM (a `troupe worker` drains: it finishes its running jobs, hands back what outlives its grace, leaves).
  void terminate(pid_t pid);
  void kill(pid_t pid);
  // The processes that exited since the last call.
  std::vector<exit_info> reap();
  // Running ones, oldest first.
  struct running_process {
    pid_t pid;
    std::string name;
    bool terminating;
  };
  const std::vector<running_process>& running() const { return running_; }

 private:
  std::vector<running_process> running_;
};

// The path of the running executable (/proc/self/exe), or "" if it cannot be read.
std::string own_executable();

}  // namespace troupe
