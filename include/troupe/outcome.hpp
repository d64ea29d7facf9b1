#pragma once
// What one attempt of a job produced, as a kind reports it. Plain data; no CAF, no Protobuf.

#include <cstdint>
#include <string>

namespace troupe {

struct outcome {
  enum class status : uint8_t {
    succeeded = 0,
    failed = 1,     // retried while attempts remain, unless `permanent`
    timed_out = 2,  // stopped by the engine at the job's timeout; retried like a failure
    cancelled = 3,  // stopped because an operator or client cancelled the job
  };

  status code = status::succeeded;
  bool permanent = false;  // a failure that must not be retried (the job ends FAILED)
  int32_t exit_code = 0;   // exec: the process's exit code
  int32_t signal = 0;      // exec: the signal that ended the process
  int64_t max_rss_kb = 0;  // exec and command kinds: the process's peak resident set in KiB (0: not measured)
  int64_t cpu_ms = 0;      // exec and command kinds: the process's user + system CPU time in ms
  std::string output;      // the tail of the output, or a short message from the kind
  std::string error;       // why the attempt failed; empty on success

  static outcome success(std::string output = {}) {
    outcome o;
    o.output = std::move(output);
    return o;
  }
  static outcome failure(std::string error, bool permanent = false) {
    outcome o;
    o.code = status::failed;
    o.exit_code = 1;
    o.permanent = permanent;
    o.error = std::move(error);
    return o;
  }
  bool ok() const { return code == status::succeeded; }
};

}  // namespace troupe
