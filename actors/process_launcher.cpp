#include "actors/process_launcher.hpp"

#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstring>
#include <filesystem>

#include "troupe/error.hpp"

extern char** environ;

namespace troupe {

process_launcher::~process_launcher() {
  for (const auto& p : running_)
    if (!p.terminating) ::kill(p.pid, SIGTERM);
}

caf::expected<pid_t> process_launcher::start(const std::string& name, const std::vector<std::string>& argv,
                                             const std::vector<std::string>& env) {
  if (argv.empty()) return make_error(ec::invalid_argument, "nothing to start for " + name);
  // Everything the child needs is built before fork: after it, only async-signal-safe calls.
  std::vector<std::string> env_text;
  for (char** e = environ; *e != nullptr; ++e) env_text.emplace_back(*e);
  for (const auto& e : env) env_text.push_back(e);
  std::vector<char*> args, envp;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  for (auto& e : env_text) envp.push_back(e.data());
  envp.push_back(nullptr);
  pid_t parent = ::getpid();
  pid_t pid = ::fork();
  if (pid < 0) return make_error(ec::internal, "cannot start " + name + ": fork: " + std::strerror(errno));
  if (pid == 0) {
    ::prctl(PR_SET_PDEATHSIG, SIGTERM);
    if (::getppid() != parent) ::_exit(127);  // the node died before prctl took effect
    ::setpgid(0, 0);  // its own group: a terminal's Ctrl-C reaches the node, which drains its workers itself
    ::execve(args[0], args.data(), envp.data());
    ::_exit(127);
  }
  running_.push_back({pid, name, false});
  return pid;
}

void process_launcher::terminate(pid_t pid) {
  for (auto& p : running_)
    if (p.pid == pid && !p.terminating) {
      p.terminating = true;
      ::kill(pid, SIGTERM);
    }
}

void process_launcher::kill(pid_t pid) {
  for (auto& p : running_)
    if (p.pid == pid) ::kill(pid, SIGKILL);
}

std::vector<process_launcher::exit_info> process_launcher::reap() {
  std::vector<exit_info> out;
  for (auto it = running_.begin(); it != running_.end();) {
    int status = 0;
    pid_t r = ::waitpid(it->pid, &status, WNOHANG);
    if (r == 0 || (r < 0 && errno == EINTR)) {
      ++it;
      continue;
    }
    exit_info e{it->pid, it->name, -1, 0};
    if (r > 0 && WIFEXITED(status)) e.exit_code = WEXITSTATUS(status);
    if (r > 0 && WIFSIGNALED(status)) e.signal = WTERMSIG(status);
    out.push_back(std::move(e));
    it = running_.erase(it);
  }
  return out;
}

std::string own_executable() {
  std::error_code ec;
  auto path = std::filesystem::read_symlink("/proc/self/exe", ec);
  return ec ? std::string{} : path.string();
}

}  // namespace troupe
