#include "actors/kinds/process_runner.hpp"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <string_view>
#include <system_error>
#include <thread>
#include <unordered_map>
#include <utility>

#include "troupe/error.hpp"

extern char** environ;

namespace troupe {
namespace {

// epoll tags: 0 is the wake eventfd; process N has its pidfd at 2N and its output pipe at 2N + 1.
constexpr uint64_t wake_tag = 0;
constexpr uint64_t pidfd_tag(uint64_t id) { return id << 1; }
constexpr uint64_t pipe_tag(uint64_t id) { return id << 1 | 1; }

// Most output read from one pipe per wakeup, so a chatty process cannot starve the others.
constexpr size_t read_per_event = size_t{64} * 1024;

std::string errno_text(int err) { return std::generic_category().message(err); }

caf::error invalid(const process_spec& spec, std::string message) {
  return make_error(ec::invalid_argument, spec.label + ": " + std::move(message));
}

// `err` defaults to errno, read before anything can change it.
caf::error sys_error(const char* call, int err = errno) {
  return make_error(ec::internal, std::string{"exec: "} + call + ": " + errno_text(err));
}

caf::error shutting_down() {
  return make_error(ec::shutting_down, "exec: the process runner is shutting down");
}

// For calls that fail only if troupe has a bug (a closed fd, a bad argument): report and abort,
// like an assert.
void check(bool ok, const char* call) {
  if (ok) return;
  std::fprintf(stderr, "troupe: process_runner: %s: %s\n", call, errno_text(errno).c_str());
  std::abort();
}

// Owns a file descriptor. close() is not checked: on Linux it always releases the fd, and for the
// pipes, pidfds, eventfd and epoll fd here it can fail only with EBADF, which `fd_ >= 0` rules out.
class unique_fd {
 public:
  explicit unique_fd(int fd = -1) : fd_(fd) {}
  unique_fd(unique_fd&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
  unique_fd& operator=(unique_fd&& other) noexcept {
    reset(std::exchange(other.fd_, -1));
    return *this;
  }
  ~unique_fd() { reset(); }
  int get() const { return fd_; }
  explicit operator bool() const { return fd_ >= 0; }
  void reset(int fd = -1) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = fd;
  }

 private:
  int fd_;
};

template <class F>
struct on_scope_exit {
  F f;
  ~on_scope_exit() { f(); }
};
template <class F>
on_scope_exit(F) -> on_scope_exit<F>;

bool has_nul(std::string_view s) { return s.find('\0') != std::string_view::npos; }

// 0 if `dir` can be a process's working directory, else the errno value that says why not.
int unusable_dir(const std::string& dir) {
  struct stat st;
  if (::stat(dir.c_str(), &st) != 0) return errno;
  if (!S_ISDIR(st.st_mode)) return ENOTDIR;
  return ::access(dir.c_str(), X_OK) == 0 ? 0 : errno;
}

// Checks what posix_spawnp would report vaguely or not at all: a chdir failure looks like a missing
// program.
caf::error validate(const process_spec& spec) {
  if (spec.argv.empty() || spec.argv[0].empty()) return invalid(spec, "empty command");
  for (const auto& arg : spec.argv)
    if (has_nul(arg)) return invalid(spec, "argument of '" + spec.argv[0] + "' contains a NUL byte");
  for (const auto& [name, value] : spec.env)
    if (name.empty() || name.find('=') != std::string::npos || has_nul(name) || has_nul(value))
      return invalid(spec, "invalid environment variable '" + name + "'");
  if (spec.cwd.empty()) return {};
  if (has_nul(spec.cwd)) return invalid(spec, "cwd contains a NUL byte");
  if (int err = unusable_dir(spec.cwd))
    return invalid(spec, "cwd '" + spec.cwd + "': " + errno_text(err));
  return {};
}

// The node's environment (if `inherit`) with `overrides` applied, as NAME=VALUE strings.
std::vector<std::string> environment(const std::map<std::string, std::string>& overrides, bool inherit) {
  std::vector<std::string> result;
  for (char** entry = environ; inherit && *entry; ++entry) {
    std::string_view var{*entry};
    if (!overrides.contains(std::string{var.substr(0, var.find('='))})) result.emplace_back(var);
  }
  for (const auto& [name, value] : overrides) {
    auto& var = result.emplace_back(name);
    var += '=';
    var += value;
  }
  return result;
}

std::vector<char*> c_strings(std::vector<std::string>& strings) {
  std::vector<char*> result;
  result.reserve(strings.size() + 1);
  for (auto& s : strings) result.push_back(s.data());
  result.push_back(nullptr);
  return result;
}

// Spawns spec.argv with stdout and stderr on `sink`, stdin from /dev/null and no other fd, in its
// own process group, with an empty signal mask and default signal dispositions (ignored signals
// would survive exec).
caf::expected<pid_t> spawn(process_spec& spec, int sink) {
  posix_spawn_file_actions_t actions;
  if (int err = posix_spawn_file_actions_init(&actions))
    return sys_error("posix_spawn_file_actions_init", err);
  on_scope_exit destroy_actions{[&] { posix_spawn_file_actions_destroy(&actions); }};
  posix_spawnattr_t attr;
  if (int err = posix_spawnattr_init(&attr)) return sys_error("posix_spawnattr_init", err);
  on_scope_exit destroy_attr{[&] { posix_spawnattr_destroy(&attr); }};
  sigset_t no_signals, all_signals;
  sigemptyset(&no_signals);
  sigfillset(&all_signals);
  // /dev/null goes on 0 after the dup2s, in case `sink` is 0 itself.
  int err = posix_spawn_file_actions_adddup2(&actions, sink, STDOUT_FILENO);
  if (!err) err = posix_spawn_file_actions_adddup2(&actions, sink, STDERR_FILENO);
  if (!err)
    err = posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  // Fds the node opened without O_CLOEXEC (its own, a library's, ones it inherited) stay out of the
  // job.
  if (!err) err = posix_spawn_file_actions_addclosefrom_np(&actions, STDERR_FILENO + 1);
  if (!err && !spec.cwd.empty())
    err = posix_spawn_file_actions_addchdir_np(&actions, spec.cwd.c_str());
  if (!err)
    err = posix_spawnattr_setflags(
        &attr, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
  if (!err) err = posix_spawnattr_setpgroup(&attr, 0);
  if (!err) err = posix_spawnattr_setsigmask(&attr, &no_signals);
  if (!err) err = posix_spawnattr_setsigdefault(&attr, &all_signals);
  if (err) return sys_error("posix_spawn attributes", err);

  auto env = environment(spec.env, spec.inherit_environment);
  auto argv_ptrs = c_strings(spec.argv);
  auto env_ptrs = c_strings(env);
  pid_t pid = 0;
  err = posix_spawnp(&pid, argv_ptrs[0], &actions, &attr, argv_ptrs.data(), env_ptrs.data());
  if (err == 0) return pid;
  std::string where = spec.cwd.empty() ? "" : " in cwd '" + spec.cwd + "'";
  return invalid(spec, "cannot run '" + spec.argv[0] + "'" + where + ": " + errno_text(err));
}

// Kills and reaps a child whose start failed after the spawn. Best effort: the start reports its
// own error.
void discard(pid_t pid) {
  ::kill(-pid, SIGKILL);
  while (::waitpid(pid, nullptr, 0) < 0 && errno == EINTR) {
  }
}

}  // namespace

// The runner's state, shared by the callers of the public functions and the reaper thread.
// Invariant: a child is in `children_` from its start until it is reaped, so while `mtx_` is held
// the pid of every entry names a live or zombie process that is still ours, and `kill(-pid)` can
// only hit its group.
struct process_runner::impl {
  // One started process.
  struct child {
    pid_t pid = 0;
    unique_fd pidfd;
    unique_fd out;  // read end of the output pipe; closed at EOF
    size_t tail_bytes = 0;
    // The last output; at most tail_bytes + max(tail_bytes, read_per_event) bytes.
    std::string tail{};
    bool kill_sent = false;
    caf::error error{};  // a kill that failed, for the result
    completion done;
  };

  caf::error init_error_;  // why the runner cannot start processes, if it cannot
  unique_fd epoll_;
  unique_fd wake_;  // eventfd, written by the destructor
  std::thread reaper_;
  std::array<char, read_per_event> buf_;  // the reaper's read buffer

  mutable std::mutex mtx_;
  std::unordered_map<process_id, child> children_;  // guarded by mtx_
  process_id next_id_ = 1;                          // guarded by mtx_
  bool stopping_ = false;                           // guarded by mtx_

  bool watch(int fd, uint64_t tag) {
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.u64 = tag;
    return ::epoll_ctl(epoll_.get(), EPOLL_CTL_ADD, fd, &ev) == 0;
  }

  // Unregisters explicitly before a close: a concurrent posix_spawn may hold a copy of the fd until
  // its exec, and epoll forgets an fd only once every copy is closed.
  void unwatch(const unique_fd& fd) {
    if (fd)
      check(::epoll_ctl(epoll_.get(), EPOLL_CTL_DEL, fd.get(), nullptr) == 0, "epoll_ctl(DEL)");
  }

  // REQUIRES: mtx_ held.
  void kill_group(child& c) {
    if (c.kill_sent) return;
    c.kill_sent = true;
    // ESRCH: the group is gone already (only a zombie leader was left).
    if (::kill(-c.pid, SIGKILL) == 0 || errno == ESRCH) return;
    int err = errno;
    if (!c.error)
      c.error = make_error(ec::internal, "exec: kill process group " + std::to_string(c.pid) +
                                             ": " + errno_text(err));
  }

  // Reads up to `limit` bytes of c's output without blocking, keeping the tail. Closes the pipe at
  // EOF. REQUIRES: mtx_ held.
  void read_output(child& c, size_t limit) {
    while (c.out && limit > 0) {
      ssize_t n = ::read(c.out.get(), buf_.data(), std::min(buf_.size(), limit));
      if (n < 0 && errno == EINTR) continue;
      if (n < 0 && errno == EAGAIN) return;
      check(n >= 0, "read(output pipe)");
      if (n == 0) {  // every writer has closed the pipe
        unwatch(c.out);
        c.out.reset();
        return;
      }
      limit -= static_cast<size_t>(n);
      c.tail.append(buf_.data(), static_cast<size_t>(n));
      // Trims only once the excess is large, so each byte is copied O(1) times on average.
      size_t excess = c.tail.size() - std::min(c.tail.size(), c.tail_bytes);
      if (excess >= std::max(c.tail_bytes, read_per_event)) c.tail.erase(0, excess);
    }
  }

  // Reaps the exited child `it`, removes it, and returns its result.
  // REQUIRES: mtx_ held; c's pidfd is readable, so the child has exited and wait4 does not block.
  process_result reap(std::unordered_map<process_id, child>::iterator it) {
    child& c = it->second;
    process_result r;
    r.pid = c.pid;
    int status = 0;
    rusage usage{};
    pid_t waited;
    do waited = ::wait4(c.pid, &status, 0, &usage);
    while (waited < 0 && errno == EINTR);
    if (waited < 0) {
      int err = errno;
      r.error = make_error(ec::internal,
                           "exec: wait4 pid " + std::to_string(c.pid) + ": " + errno_text(err));
    } else if (WIFSIGNALED(status)) {
      r.signal = WTERMSIG(status);
    } else {
      r.exit_code = WEXITSTATUS(status);
    }
    if (c.error && !r.error) r.error = std::move(c.error);
    r.killed = c.kill_sent && r.signal == SIGKILL;
    r.max_rss_kb = usage.ru_maxrss;
    r.cpu_ms = (usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) * 1000 +
               (usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1000;
    // What the child wrote before exiting is in the pipe, and a pipe holds at most its capacity:
    // reading that much gets all of it even while a descendant keeps writing.
    if (c.out) {
      int capacity = ::fcntl(c.out.get(), F_GETPIPE_SZ);
      check(capacity > 0, "fcntl(F_GETPIPE_SZ)");
      read_output(c, static_cast<size_t>(capacity));
    }
    if (c.tail.size() > c.tail_bytes) c.tail.erase(0, c.tail.size() - c.tail_bytes);
    r.output_tail = std::move(c.tail);
    unwatch(c.pidfd);
    unwatch(c.out);
    children_.erase(it);
    return r;
  }

  // Handles one epoll event. Runs a completion, if any, after releasing the lock.
  void handle(uint64_t tag) {
    if (tag == wake_tag) {
      uint64_t count;
      check(::read(wake_.get(), &count, sizeof count) == sizeof count || errno == EAGAIN,
            "read(eventfd)");
      return;
    }
    std::unique_lock lock{mtx_};
    auto it = children_.find(tag >> 1);
    if (it == children_.end()) return;  // completed earlier in the same batch of events
    if (tag == pipe_tag(it->first)) {
      read_output(it->second, read_per_event);
      return;
    }
    completion done = std::move(it->second.done);
    process_result result = reap(it);
    lock.unlock();
    done(std::move(result));
  }

  // The reaper thread. Returns once the destructor has begun and every child is reaped.
  void run() {
    std::array<epoll_event, 64> events;
    for (;;) {
      int n = ::epoll_wait(epoll_.get(), events.data(), static_cast<int>(events.size()), -1);
      if (n < 0 && errno == EINTR) continue;
      check(n >= 0, "epoll_wait");
      for (int i = 0; i < n; ++i) handle(events[i].data.u64);
      std::lock_guard lock{mtx_};
      if (stopping_ && children_.empty()) return;
    }
  }
};

process_runner::process_runner() : impl_(std::make_unique<impl>()) {
  auto& s = *impl_;
  s.epoll_.reset(::epoll_create1(EPOLL_CLOEXEC));
  if (!s.epoll_) {
    s.init_error_ = sys_error("epoll_create1");
    return;
  }
  s.wake_.reset(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
  if (!s.wake_) {
    s.init_error_ = sys_error("eventfd");
    return;
  }
  if (!s.watch(s.wake_.get(), wake_tag)) {
    s.init_error_ = sys_error("epoll_ctl");
    return;
  }
  try {
    s.reaper_ = std::thread{[&s] { s.run(); }};
  } catch (const std::system_error& e) {
    s.init_error_ =
        make_error(ec::internal, std::string{"exec: cannot start the reaper thread: "} + e.what());
  }
}

process_runner::~process_runner() {
  auto& s = *impl_;
  if (!s.reaper_.joinable()) return;
  {
    std::lock_guard lock{s.mtx_};
    s.stopping_ = true;
    for (auto& [id, c] : s.children_) s.kill_group(c);
  }
  uint64_t one = 1;
  check(::write(s.wake_.get(), &one, sizeof one) == sizeof one, "write(eventfd)");
  s.reaper_.join();
}

caf::expected<process_runner::process_id> process_runner::start(process_spec spec,
                                                                completion done) {
  auto& s = *impl_;
  if (s.init_error_) return s.init_error_;
  if (!done) return make_error(ec::internal, "exec: start without a completion");
  if (auto err = validate(spec)) return err;
  {
    std::lock_guard lock{s.mtx_};
    // Checked again below: the destructor may begin meanwhile.
    if (s.stopping_) return shutting_down();
  }
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) return sys_error("pipe2");
  unique_fd out{fds[0]};
  unique_fd sink{fds[1]};  // stays blocking: the child writes to it
  if (::fcntl(out.get(), F_SETFL, O_NONBLOCK) != 0) return sys_error("fcntl(O_NONBLOCK)");
  auto pid = spawn(spec, sink.get());
  if (!pid) return std::move(pid.error());
  sink.reset();
  // The child is not reaped yet, so its pid cannot have been reused.
  unique_fd pidfd{static_cast<int>(::syscall(SYS_pidfd_open, *pid, 0))};
  caf::error err;
  if (!pidfd) {
    err = sys_error("pidfd_open");
  } else {
    std::lock_guard lock{s.mtx_};
    process_id id = s.next_id_;
    if (s.stopping_) {
      err = shutting_down();
    } else if (!s.watch(pidfd.get(), pidfd_tag(id))) {
      err = sys_error("epoll_ctl");
    } else if (!s.watch(out.get(), pipe_tag(id))) {
      err = sys_error("epoll_ctl");
      s.unwatch(pidfd);
    } else {
      ++s.next_id_;
      s.children_.emplace(id, impl::child{.pid = *pid,
                                          .pidfd = std::move(pidfd),
                                          .out = std::move(out),
                                          .tail_bytes = spec.output_tail_bytes,
                                          .done = std::move(done)});
      return id;
    }
  }
  discard(*pid);
  return err;
}

void process_runner::kill(process_id id) {
  auto& s = *impl_;
  std::lock_guard lock{s.mtx_};
  auto it = s.children_.find(id);
  if (it != s.children_.end()) s.kill_group(it->second);
}

size_t process_runner::running() const {
  std::lock_guard lock{impl_->mtx_};
  return impl_->children_.size();
}

}  // namespace troupe
