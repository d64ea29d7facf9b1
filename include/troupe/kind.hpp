#pragma once
// The API for job kinds: how a node runs the jobs of one kind. The built-in kinds (noop, sleep, cpu, fail, exec)
// are written against this API exactly as a user's kinds are.
//
//   troupe::kind_registry kinds;
//   kinds.add_function("resize", [](const troupe::attempt& a) {
//     auto path = a.payload().struct_value().fields().at("path").string_value();
//     return resize(path) ? troupe::outcome::success() : troupe::outcome::failure("resize failed");
//   });                                                   // runs on the node's worker pool
//
// A kind never blocks the thread that calls start(): blocking work goes to run_blocking(), waiting goes to
// finish_after() or to the kind's own asynchronous machinery (exec watches processes from one reaper thread).

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <caf/error.hpp>

#include "schemas/troupe.pb.h"
#include "troupe/error.hpp"  // kinds report problems with make_error(ec::..., message)
#include "troupe/outcome.hpp"

namespace troupe {

// One running attempt of a job, as its kind sees it. Shared between the engine and the kind; every member is
// safe to call from any thread.
class attempt {
 public:
  virtual ~attempt() = default;

  // The job, in its RUNNING state (attempts counts this attempt).
  virtual const Job& job() const = 0;
  const google::protobuf::Value& payload() const { return job().spec().payload(); }
  uint32_t number() const { return job().attempts(); }

  // Ends the attempt with `result`. The first call wins; later calls, and calls after the engine stopped the
  // attempt (timeout, cancel), are ignored.
  virtual void finish(outcome result) = 0;
  // Ends the attempt with `result` after `delay`, holding no thread while it waits.
  virtual void finish_after(std::chrono::microseconds delay, outcome result) = 0;
  // Runs `work` on the node's worker pool (workerPoolSize threads) and finishes with what it returns. An
  // exception thrown by `work` fails the attempt with the exception's message.
  virtual void run_blocking(std::function<outcome(const attempt&)> work) = 0;
  // True once the engine stopped the attempt; long-running blocking work should poll it and return early.
  virtual bool stopped() const = 0;
};

// How a node runs the jobs of one kind. One instance serves every slot: implementations are thread-safe and keep
// per-attempt state in the attempt (or keyed by it).
class job_kind {
 public:
  virtual ~job_kind() = default;
  // Checks a spec at submit time (its payload above all). Returns none when it can run, otherwise the error that
  // rejects the submit, usually make_error(ec::invalid_argument, "<message naming the field>").
  virtual caf::error check(const JobSpec& spec) const { return caf::none; }
  // The longest an attempt of this kind may run, which is also the timeout of its jobs that set none. Zero: no
  // limit of the kind's own (such jobs get the node's jobTimeoutMs). A submit asking for more is refused, and a
  // stored job's longer timeout (from before the limit) is cut to it when an attempt starts.
  virtual std::chrono::microseconds max_timeout() const { return std::chrono::microseconds{0}; }
  // Starts an attempt. Must return without blocking; finishes later through the attempt.
  virtual void start(const std::shared_ptr<attempt>& run) = 0;
  // Stops a started attempt (timeout, cancel, shutdown): release what it holds, kill what it started. The engine
  // reports the outcome itself; a finish() after this is ignored.
  virtual void stop(attempt& run) {}
};

// The kinds a node can run. Filled before the node starts and read-only afterwards.
class kind_registry {
 public:
  // Where a function kind runs.
  enum class execution {
    worker_pool,  // on the worker pool: for anything that blocks or computes for long
    inline_call,  // on the slot's actor thread: only for work of a few microseconds that never blocks
  };
  using function = std::function<outcome(const attempt&)>;
  using checker = std::function<caf::error(const JobSpec&)>;

  // Adds a kind. Fails if `name` is empty, too long (64 bytes), or taken.
  caf::error add(std::string name, std::shared_ptr<job_kind> kind);
  // Adds a kind that runs `fn` for each attempt; exceptions it throws fail the attempt.
  caf::error add_function(std::string name, function fn, execution where = execution::worker_pool,
                          checker check = {});

  // The kind named `name`, or nullptr. Kinds are thread-safe objects, so a const registry hands out usable ones.
  job_kind* find(std::string_view name) const;
  std::vector<std::string> names() const;

 private:
  std::map<std::string, std::shared_ptr<job_kind>, std::less<>> kinds_;
};

// Helpers for kinds reading JSON payloads. Each returns "" on success, otherwise a message that names the field.
std::string read_number(const google::protobuf::Value& payload, std::string_view field, double* out,
                        bool required = true);
std::string read_string(const google::protobuf::Value& payload, std::string_view field, std::string* out,
                        bool required = true);

}  // namespace troupe
