#include "simulations/sim_ledger.hpp"

#include "schemas/time.hpp"

namespace troupe::sim {

void sim_ledger::on_start(const Job& job, micros now) {
  ++current_.started;
  ++executions_;
  // Pickup latency: from the job's newest READY transition to now.
  const auto& t = job.transitions();
  for (auto it = t.rbegin(); it != t.rend(); ++it) {
    if (it->state() != Job::READY) continue;
    double ms = static_cast<double>(now - to_micros(it->at())) / 1000.0;
    current_.pickup_ms.push_back(ms);
    current_.pickup_by_user[job.spec().user()].push_back(ms);
    break;
  }
  if (track_jobs_) latest_token_[job.id()] = job.lease().token();
  if (track_dependencies_) {
    for (auto dep : job.spec().dependencies()) {
      if (succeeded_.count(dep) == 0)
        violation("job " + std::to_string(job.id()) + " started before its dependency " + std::to_string(dep) +
                  " succeeded");
    }
  }
}

void sim_ledger::on_finish(const Job& job, bool success) {
  if (success) {
    ++current_.succeeded;
    if (track_jobs_ || track_dependencies_) succeeded_.insert(job.id());
  } else {
    ++current_.failed;
  }
}

interval_stats sim_ledger::take_interval() {
  auto out = std::move(current_);
  current_ = {};
  return out;
}

uint64_t sim_ledger::latest_token(job_id id) const {
  auto it = latest_token_.find(id);
  return it == latest_token_.end() ? 0 : it->second;
}

void sim_ledger::violation(std::string text) {
  if (violations_.size() < 20) violations_.push_back(std::move(text));
  ++violation_count_;
}

}  // namespace troupe::sim
