#pragma once
// What the simulated workers saw, for the harness's time series and invariants: attempts started and finished
// in the current sample interval (with pickup latencies, overall and by user), and over the whole run the facts
// the end-of-run checks need: the newest lease token issued per job, the jobs whose success a worker delivered,
// dependency order violations, results kept across a lost connection. Single-threaded: the test coordinator
// runs every actor on the harness's thread.

#include <cstdint>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "schemas/time.hpp"
#include "troupe/protocol.hpp"

namespace troupe::sim {

struct interval_stats {
  uint64_t started = 0;
  uint64_t succeeded = 0;  // attempts whose success a worker delivered (or kept for a report)
  uint64_t failed = 0;
  std::vector<double> pickup_ms;                                   // READY -> start in a slot
  std::unordered_map<std::string, std::vector<double>> pickup_by_user;
};

class sim_ledger {
 public:
  // `track_jobs`: keep per-job facts (tokens, successes) for the end-of-run checks; `track_dependencies`: check
  // that no job starts before each of its dependencies succeeded.
  sim_ledger(bool track_jobs, bool track_dependencies)
      : track_jobs_(track_jobs), track_dependencies_(track_dependencies) {}

  // A slot starts an attempt of `job` at wall time `now`.
  void on_start(const Job& job, micros now);
  // A slot's attempt ended; `success` per its outcome.
  void on_finish(const Job& job, bool success);
  // A result kept across a lost connection (reported after the next join); how many the node applied.
  void on_kept() { ++kept_; }
  void on_reported(uint64_t sent, uint64_t applied) {
    reported_ += sent;
    applied_reports_ += applied;
  }

  // The current interval's figures; take_interval() returns them and starts the next interval.
  interval_stats take_interval();

  uint64_t executions() const { return executions_; }
  uint64_t kept() const { return kept_; }
  uint64_t reported() const { return reported_; }
  uint64_t applied_reports() const { return applied_reports_; }
  const std::vector<std::string>& violations() const { return violations_; }
  uint64_t violation_count() const { return violation_count_; }
  // The newest lease token a slot was given for `id` (0: never ran on a simulated worker).
  uint64_t latest_token(job_id id) const;
  bool delivered_success(job_id id) const { return succeeded_.count(id) > 0; }
  void violation(std::string text);

 private:
  bool track_jobs_;
  bool track_dependencies_;
  interval_stats current_;
  uint64_t executions_ = 0;
  uint64_t kept_ = 0, reported_ = 0, applied_reports_ = 0;
  std::unordered_map<job_id, uint64_t> latest_token_;
  std::unordered_set<job_id> succeeded_;
  std::vector<std::string> violations_;  // the first few, for the report
  uint64_t violation_count_ = 0;
};

}  // namespace troupe::sim
