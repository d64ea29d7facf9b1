#define BOOST_TEST_MODULE process_runner
#include <boost/test/unit_test.hpp>

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <future>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "actors/kinds/process_runner.hpp"
#include "troupe/error.hpp"

// These tests run real processes (sh, sleep, seq, ls, perl). They wait for conditions with a
// deadline, never for a fixed time: a process's exit through its pidfd (exits_within_deadline).

using namespace troupe;
using namespace std::chrono_literals;

namespace {

constexpr auto deadline = 10s;

process_spec command(std::vector<std::string> argv) {
  process_spec spec;
  spec.argv = std::move(argv);
  return spec;
}

process_spec sh(std::string script) { return command({"sh", "-c", std::move(script)}); }

// Starts `spec` and returns a future of its result.
std::future<process_result> start(process_runner& runner, process_spec spec,
                                  process_runner::process_id* id = nullptr) {
  auto promise = std::make_shared<std::promise<process_result>>();
  auto future = promise->get_future();
  auto started = runner.start(std::move(spec),
                              [promise](process_result r) { promise->set_value(std::move(r)); });
  if (!started) BOOST_FAIL("start failed: " << describe(started.error()));
  if (id) *id = *started;
  return future;
}

process_result wait(std::future<process_result>& future) {
  BOOST_REQUIRE_MESSAGE(future.wait_for(deadline) == std::future_status::ready,
                        "no completion within the deadline");
  return future.get();
}

process_result run(process_runner& runner, process_spec spec) {
  auto future = start(runner, std::move(spec));
  return wait(future);
}

// The state letter of `pid` in /proc (R, S, Z...), or 0 if there is no such process.
char state_of(pid_t pid) {
  std::ifstream stat{"/proc/" + std::to_string(pid) + "/stat"};
  std::string line;
  if (!std::getline(stat, line)) return 0;
  auto name_end = line.rfind(')');
  return name_end != std::string::npos && name_end + 2 < line.size() ? line[name_end + 2] : '\0';
}

// True while `pid` has not exited. A zombie has exited (it only waits for its parent to reap it; if
// that is a PID 1 that never reaps, it stays a zombie forever).
bool alive(pid_t pid) {
  char state = state_of(pid);
  return state != 0 && state != 'Z';
}

// Whether `pid` (any process, not only a child) exits within the deadline. Blocks on a pidfd, which
// becomes readable when the process exits (it may stay a zombie); a process already gone counts as
// exited.
bool exits_within_deadline(pid_t pid) {
  int fd = static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
  if (fd < 0) return errno == ESRCH;
  auto end = std::chrono::steady_clock::now() + deadline;
  int ready = 0;
  for (;;) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(end - std::chrono::steady_clock::now());
    pollfd p{fd, POLLIN, 0};
    ready = ::poll(&p, 1, static_cast<int>(std::max<int64_t>(0, left.count())));
    if (ready >= 0 || errno != EINTR) break;
  }
  ::close(fd);
  return ready == 1;
}

// Whether `pid` has been reaped: it is no longer our child, not even a zombie.
bool reaped(pid_t pid) { return ::waitpid(pid, nullptr, WNOHANG) < 0 && errno == ECHILD; }

// The open fds of this process (but the one that lists them).
std::set<int> open_fds() {
  std::set<int> fds;
  for (auto& entry : std::filesystem::directory_iterator{"/proc/self/fd"})
    fds.insert(std::stoi(entry.path().filename().string()));
  std::set<int> listed;
  for (int fd : fds)
    if (::fcntl(fd, F_GETFD) >= 0) listed.insert(fd);  // the directory's own fd is closed by now
  return listed;
}

// Runs `f` on another thread; false if it does not return within the deadline (the thread is left
// behind).
template <class F>
bool returns_within_deadline(F f) {
  auto done = std::make_shared<std::promise<void>>();
  auto future = done->get_future();
  std::thread{[f = std::move(f), done]() mutable {
    f();
    done->set_value();
  }}.detach();
  return future.wait_for(deadline) == std::future_status::ready;
}

// A fresh directory (its real path) holding a named pipe, both removed on destruction.
class temp_dir {
 public:
  temp_dir() {
    std::string pattern =
        (std::filesystem::temp_directory_path() / "process_runner_test.XXXXXX").string();
    BOOST_REQUIRE(::mkdtemp(pattern.data()) != nullptr);
    path_ = std::filesystem::canonical(pattern).string();
    BOOST_REQUIRE(::mkfifo(fifo().c_str(), 0600) == 0);
  }
  ~temp_dir() { std::filesystem::remove_all(path_); }
  const std::string& path() const { return path_; }
  std::string fifo() const { return path_ + "/fifo"; }

  // The first line a process writes into the fifo ("" if none arrives within the deadline). Lets a
  // test learn what a running process knows (its descendants' pids) without waiting a fixed time.
  std::string read_fifo_line() {
    int fd = ::open(fifo().c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    BOOST_REQUIRE(fd >= 0);
    std::string line;
    auto end = std::chrono::steady_clock::now() + deadline;
    while (line.find('\n') == std::string::npos) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          end - std::chrono::steady_clock::now());
      pollfd p{fd, POLLIN, 0};
      if (left.count() <= 0 || ::poll(&p, 1, static_cast<int>(left.count())) <= 0) break;
      char buf[64];
      ssize_t n = ::read(fd, buf, sizeof buf);
      if (n > 0) line.append(buf, static_cast<size_t>(n));
      if (n == 0) break;
    }
    ::close(fd);
    return line.substr(0, line.find('\n'));
  }

 private:
  std::string path_;
};

pid_t parse_pid(const std::string& text) {
  pid_t pid = static_cast<pid_t>(std::atoi(text.c_str()));
  BOOST_REQUIRE_MESSAGE(pid > 0, "no pid in '" << text << "'");
  return pid;
}

}  // namespace

BOOST_AUTO_TEST_CASE(a_process_that_exits_reports_its_exit_code) {
  process_runner runner;
  auto ok = run(runner, command({"true"}));
  BOOST_TEST(ok.exit_code == 0);
  BOOST_TEST(ok.signal == 0);
  BOOST_TEST(!ok.killed);
  BOOST_TEST(describe(ok.error) == "no error");
  BOOST_TEST(ok.pid > 0);
  auto failed = run(runner, sh("exit 3"));
  BOOST_TEST(failed.exit_code == 3);
  BOOST_TEST(failed.signal == 0);
  BOOST_TEST(!failed.killed);
  BOOST_TEST(runner.running() == 0u);
}

BOOST_AUTO_TEST_CASE(a_process_ended_by_a_signal_reports_the_signal) {
  process_runner runner;
  auto r = run(runner, sh("kill -TERM $$"));
  BOOST_TEST(r.signal == SIGTERM);
  BOOST_TEST(!r.killed);
}

BOOST_AUTO_TEST_CASE(the_output_tail_keeps_the_last_bytes_of_stdout_and_stderr_in_order) {
  process_runner runner;
  // Far more output than a pipe holds, so it is read while the process runs.
  std::string expected;
  for (int i = 1; i <= 50000; ++i) expected += std::to_string(i) + "\n";
  expected += "the end\n";
  auto spec = sh("seq 1 50000; echo 'the end' >&2");
  spec.output_tail_bytes = 1000;
  auto r = run(runner, spec);
  BOOST_TEST(r.exit_code == 0);
  BOOST_TEST(r.output_tail == expected.substr(expected.size() - 1000));

  BOOST_TEST(run(runner, sh("echo out1; echo err1 >&2; echo out2")).output_tail ==
             "out1\nerr1\nout2\n");
  auto none = sh("echo discarded");
  none.output_tail_bytes = 0;
  BOOST_TEST(run(runner, none).output_tail == "");
}

BOOST_AUTO_TEST_CASE(output_still_in_the_pipe_when_the_process_exits_is_kept) {
  // A completion holds the reaper while the process fills a 1 MiB pipe and exits, so the exit is
  // seen with far more output pending than one read takes.
  process_runner runner;
  temp_dir dir;
  std::promise<void> entered;
  // Destroyed before the runner, so a failed check cannot leave the reaper held.
  std::promise<void> release;
  auto released = release.get_future();
  auto holder = runner.start(command({"true"}), [&](const process_result&) {
    entered.set_value();
    released.wait();
  });
  BOOST_REQUIRE(holder);
  BOOST_REQUIRE(entered.get_future().wait_for(deadline) == std::future_status::ready);
  auto spec =
      command({"perl", "-e",
               "fcntl(STDOUT, 1031, 1 << 20) or die; print 'x' x 1000000, qq(end\\n); close STDOUT;"
               "open(F, '>', $ARGV[0]) or die; print F qq($$\\n); close F;",
               dir.fifo()});  // 1031: F_SETPIPE_SZ
  spec.output_tail_bytes = 2 << 20;
  auto future = start(runner, spec);
  pid_t pid = parse_pid(dir.read_fifo_line());
  BOOST_REQUIRE(exits_within_deadline(pid));
  BOOST_REQUIRE(state_of(pid) == 'Z');  // exited, not reaped: the reaper is held
  release.set_value();
  auto r = wait(future);
  BOOST_TEST(r.exit_code == 0);
  BOOST_TEST(r.output_tail.size() == 1000004u);
  BOOST_TEST(r.output_tail.ends_with("xend\n"));
}

BOOST_AUTO_TEST_CASE(env_overrides_and_cwd_are_applied) {
  process_runner runner;
  temp_dir dir;
  auto spec = sh("echo \"$TROUPE_TEST_VAR|$HOME|$PATH|$(pwd -P)\"");
  spec.env = {{"TROUPE_TEST_VAR", "hello world"}, {"HOME", "/overridden"}};
  spec.cwd = dir.path();
  const char* path = std::getenv("PATH");
  BOOST_REQUIRE(path);
  auto r = run(runner, spec);
  BOOST_TEST(r.exit_code == 0);
  // PATH is not in spec.env: it comes from the node's environment.
  BOOST_TEST(r.output_tail ==
             "hello world|/overridden|" + std::string{path} + "|" + dir.path() + "\n");
}

BOOST_AUTO_TEST_CASE(a_process_that_does_not_inherit_the_environment_sees_only_its_env) {
  process_runner runner;
  auto spec = command({"env"});
  spec.env = {{"PATH", "/usr/bin:/bin"}, {"TROUPE_TEST_VAR", "only this"}};
  spec.inherit_environment = false;
  auto r = run(runner, spec);
  BOOST_TEST(r.exit_code == 0);
  BOOST_TEST(r.output_tail == "PATH=/usr/bin:/bin\nTROUPE_TEST_VAR=only this\n");
}

BOOST_AUTO_TEST_CASE(errors_name_the_process_by_its_label) {
  process_runner runner;
  auto spec = command({"troupe-no-such-binary"});
  spec.label = "thumbnail";
  auto r = runner.start(spec, [](const process_result&) {});
  BOOST_REQUIRE(!r);
  BOOST_TEST(describe(r.error()) == "thumbnail: cannot run 'troupe-no-such-binary': No such file or directory");
}

BOOST_AUTO_TEST_CASE(a_program_or_cwd_that_cannot_be_used_is_a_clear_error) {
  process_runner runner;
  bool called = false;
  auto done = [&called](const process_result&) { called = true; };
  auto missing = runner.start(command({"troupe-no-such-binary", "x"}), done);
  BOOST_REQUIRE(!missing);
  BOOST_TEST(to_string(code_of(missing.error())) == std::string{"invalid_argument"});
  BOOST_TEST(describe(missing.error()) ==
             "exec: cannot run 'troupe-no-such-binary': No such file or directory");

  auto bad_cwd = command({"true"});
  bad_cwd.cwd = "/nonexistent/dir";
  auto r = runner.start(bad_cwd, done);
  BOOST_REQUIRE(!r);
  BOOST_TEST(to_string(code_of(r.error())) == std::string{"invalid_argument"});
  BOOST_TEST(describe(r.error()) == "exec: cwd '/nonexistent/dir': No such file or directory");

  bad_cwd.cwd = "/etc/passwd";
  r = runner.start(bad_cwd, done);
  BOOST_REQUIRE(!r);
  BOOST_TEST(describe(r.error()) == "exec: cwd '/etc/passwd': Not a directory");

  r = runner.start({}, done);
  BOOST_REQUIRE(!r);
  BOOST_TEST(describe(r.error()) == "exec: empty command");

  auto bad_env = command({"true"});
  bad_env.env = {{"A=B", "c"}};
  r = runner.start(bad_env, done);
  BOOST_REQUIRE(!r);
  BOOST_TEST(describe(r.error()) == "exec: invalid environment variable 'A=B'");

  BOOST_TEST(runner.running() == 0u);
  BOOST_TEST(!called);
}

BOOST_AUTO_TEST_CASE(kill_ends_the_whole_process_group) {
  process_runner runner;
  temp_dir dir;
  process_runner::process_id id = 0;
  auto future = start(runner, sh("sleep 1000 & echo $! > " + dir.fifo() + "; sleep 1000"), &id);
  pid_t grandchild = parse_pid(dir.read_fifo_line());
  BOOST_TEST(alive(grandchild));
  BOOST_TEST(runner.running() == 1u);
  runner.kill(id);
  auto r = wait(future);
  BOOST_TEST(r.killed);
  BOOST_TEST(r.signal == SIGKILL);
  BOOST_TEST(describe(r.error) == "no error");
  BOOST_TEST(exits_within_deadline(grandchild));
  BOOST_TEST(reaped(r.pid));
}

BOOST_AUTO_TEST_CASE(a_descendant_holding_the_pipe_does_not_delay_completion) {
  process_runner runner;
  auto r = run(runner, sh("sleep 1000 & echo $!"));
  BOOST_TEST(r.exit_code == 0);
  BOOST_TEST(!r.killed);
  pid_t grandchild = parse_pid(r.output_tail);
  // The descendant still runs with the pipe open: completion did not wait for it, nor kill it.
  BOOST_TEST(alive(grandchild));
  ::kill(grandchild, SIGKILL);
  BOOST_TEST(exits_within_deadline(grandchild));
}

BOOST_AUTO_TEST_CASE(kill_is_idempotent_and_ignores_unknown_and_finished_ids) {
  process_runner runner;
  process_runner::process_id id = 0;
  auto future = start(runner, command({"sleep", "1000"}), &id);
  runner.kill(id);
  runner.kill(id);
  runner.kill(id + 1000);
  auto r = wait(future);
  BOOST_TEST(r.killed);
  runner.kill(id);
  BOOST_TEST(run(runner, command({"true"})).exit_code == 0);
}

BOOST_AUTO_TEST_CASE(completions_may_start_and_kill_processes) {
  process_runner runner;
  std::promise<process_result> second;
  // Boost.Test checks belong on the test's thread, not in completions on the reaper thread.
  size_t running_in_completion = 0;
  auto started = runner.start(command({"true"}), [&](const process_result&) {
    auto id = runner.start(command({"sleep", "1000"}),
                           [&](process_result r) { second.set_value(std::move(r)); });
    running_in_completion = runner.running();
    if (id)
      runner.kill(*id);
    else
      second.set_value({});
  });
  BOOST_REQUIRE(started);
  auto future = second.get_future();
  auto r = wait(future);
  BOOST_TEST(r.killed);
  BOOST_TEST(running_in_completion == 1u);
  BOOST_TEST(runner.running() == 0u);
}

BOOST_AUTO_TEST_CASE(two_hundred_concurrent_processes_started_from_several_threads_all_complete) {
  process_runner runner;
  std::mutex mtx;
  std::condition_variable cv;
  int completed = 0;
  int succeeded = 0;
  std::atomic<int> start_failures = 0;
  std::vector<std::thread> starters;
  starters.reserve(4);
  for (int t = 0; t < 4; ++t)
    starters.emplace_back([&] {
      for (int i = 0; i < 50; ++i) {
        auto id = runner.start(command({"true"}), [&](const process_result& r) {
          std::lock_guard lock{mtx};
          ++completed;
          if (r.exit_code == 0 && !r.error) ++succeeded;
          cv.notify_all();
        });
        if (!id) ++start_failures;
      }
    });
  for (auto& t : starters) t.join();
  BOOST_REQUIRE(start_failures == 0);
  std::unique_lock lock{mtx};
  BOOST_TEST(cv.wait_for(lock, deadline, [&] { return completed == 200; }));
  BOOST_TEST(succeeded == 200);
  BOOST_TEST(runner.running() == 0u);
}

BOOST_AUTO_TEST_CASE(destroying_the_runner_kills_its_processes_and_returns) {
  temp_dir dir;
  auto runner = std::make_unique<process_runner>();
  std::vector<std::future<process_result>> futures;
  futures.reserve(4);
  for (int i = 0; i < 3; ++i) futures.push_back(start(*runner, command({"sleep", "1000"})));
  futures.push_back(start(*runner, sh("sleep 1000 & echo $! > " + dir.fifo() + "; wait")));
  pid_t grandchild = parse_pid(dir.read_fifo_line());
  BOOST_REQUIRE(
      returns_within_deadline([runner = std::move(runner)]() mutable { runner.reset(); }));
  for (auto& future : futures) {
    // The destructor returned, so every completion has run.
    BOOST_REQUIRE(future.wait_for(0s) == std::future_status::ready);
    auto r = future.get();
    BOOST_TEST(r.killed);
    BOOST_TEST(reaped(r.pid));
  }
  BOOST_TEST(exits_within_deadline(grandchild));
}

BOOST_AUTO_TEST_CASE(a_finished_process_reports_its_resource_usage) {
  process_runner runner;
  BOOST_TEST(run(runner, command({"true"})).max_rss_kb > 0);
  auto hungry = run(runner, command({"perl", "-e", "my $x = 'a' x 100_000_000; exit 0"}));
  BOOST_TEST(hungry.max_rss_kb > 100'000);
  auto busy = run(runner, sh("i=0; while [ $i -lt 300000 ]; do i=$((i+1)); done"));
  BOOST_TEST(busy.exit_code == 0);
  BOOST_TEST(busy.max_rss_kb > 0);
  BOOST_TEST(busy.cpu_ms > 0);
}

BOOST_AUTO_TEST_CASE(children_get_only_stdio_and_every_runner_fd_is_cloexec) {
  auto fds_before = open_fds();
  process_runner runner;
  process_runner::process_id id = 0;
  // Its pipe and pidfd are open while the next process starts.
  auto sleeper = start(runner, command({"sleep", "1000"}), &id);
  auto r = run(runner, sh("ls /proc/$$/fd; readlink /proc/$$/fd/0"));
  BOOST_TEST(r.output_tail == "0\n1\n2\n/dev/null\n");
  // A process spawned by other means (no closefrom) must not inherit the runner's fds either.
  for (int fd : open_fds())
    if (!fds_before.contains(fd)) BOOST_TEST((::fcntl(fd, F_GETFD) & FD_CLOEXEC), "fd " << fd);
  runner.kill(id);
  BOOST_TEST(wait(sleeper).killed);
}

BOOST_AUTO_TEST_CASE(no_fds_or_zombies_are_left_behind) {
  auto fds_before = open_fds();
  std::vector<pid_t> pids;
  pid_t grandchild = 0;
  {
    process_runner runner;
    pids.push_back(run(runner, command({"true"})).pid);
    pids.push_back(run(runner, sh("exit 1")).pid);
    auto r = run(runner, sh("sleep 1000 & echo $!"));
    pids.push_back(r.pid);
    grandchild = parse_pid(r.output_tail);
    process_runner::process_id id = 0;
    auto killed = start(runner, command({"sleep", "1000"}), &id);
    runner.kill(id);
    pids.push_back(wait(killed).pid);
    BOOST_TEST(!runner.start(command({"troupe-no-such-binary"}), [](const process_result&) {}));
  }
  BOOST_TEST(open_fds() == fds_before);
  for (pid_t pid : pids) BOOST_TEST(reaped(pid));
  // Not even the child of the failed start is left: this process has no children at all.
  siginfo_t info{};
  int rc = ::waitid(P_ALL, 0, &info, WEXITED | WNOHANG | WNOWAIT);
  int err = errno;
  BOOST_TEST(rc == -1);
  BOOST_TEST(err == ECHILD);
  ::kill(grandchild, SIGKILL);
  BOOST_TEST(exits_within_deadline(grandchild));
}
