#include "actors/metrics_recorder.hpp"

#include <algorithm>

#include "schemas/lifecycle.hpp"

namespace troupe {

void histogram::observe(double seconds) {
  seconds = std::max(0.0, seconds);
  auto at = std::lower_bound(histogram_bounds.begin(), histogram_bounds.end(), seconds) - histogram_bounds.begin();
  ++buckets[static_cast<size_t>(at)];
  ++count;
  sum += seconds;
}

void histogram::to_proto(Histogram* out) const {
  out->mutable_buckets()->Reserve(static_cast<int>(buckets.size()));
  for (auto b : buckets) out->add_buckets(b);
  out->set_count(count);
  out->set_sum(sum);
}

namespace {

constexpr JobSpec::Priority lane_priority[] = {JobSpec::CRITICAL, JobSpec::HIGH, JobSpec::NORMAL, JobSpec::LOW};

bool attempt_failed(const Job& job) {
  if (job.errors().empty() || job.transitions().empty()) return false;
  const auto& last = job.errors(job.errors_size() - 1);
  return last.attempt() == job.attempts() && to_micros(last.at()) == to_micros(job.transitions().rbegin()->at());
}

}  // namespace

metrics_recorder::counts& metrics_recorder::at(const label& l, const Job& job) {
  auto it = labels_.find(l);
  if (it != labels_.end()) return it->second;
  auto& c = labels_[l];
  c.user = job.spec().user();
  c.kind = job.spec().kind();
  return c;
}

void metrics_recorder::on_write(const Job& job, uint32_t user, uint32_t kind, Job::State from, int from_lane) {
  auto to = job.state();
  label after{user, kind, lifecycle::lane_of(job.spec().priority())};
  auto& c = at(after, job);
  if (from == Job::PENDING) ++c.submitted;
  // Depth moves with the state, and with the lane when a reprioritization changed it.
  if (from == Job::READY || from == Job::RUNNING) {
    auto& before = from_lane == after.lane ? c : at(label{user, kind, from_lane}, job);
    (from == Job::READY ? before.ready : before.running) -= 1;
  }
  if (to == Job::READY) ++c.ready;
  if (to == Job::RUNNING) ++c.running;
  // A job that can start at once is written RUNNING in its first write (from PENDING).
  if (to == Job::RUNNING && (from == Job::READY || from == Job::PENDING)) {
    ++c.started;
    if (auto wait = lifecycle::wait_in(job, Job::READY); wait >= 0) c.pickup.observe(wait);
  }
  if (from == Job::BLOCKED && to != Job::BLOCKED)
    if (auto wait = lifecycle::wait_in(job, Job::BLOCKED); wait >= 0) c.blocked_wait.observe(wait);
  if (from == Job::RUNNING && to != Job::RUNNING) {
    if (job.result().has_duration())
      c.run.observe(static_cast<double>(to_micros(job.result().duration())) / 1e6);
    if (to != Job::SUCCEEDED && to != Job::CANCELLED && attempt_failed(job)) {
      ++c.failed_attempts;
      if (to == Job::READY || to == Job::SCHEDULED) ++c.retried;
    }
  }
  if (from != to) {
    switch (to) {
      case Job::SUCCEEDED: ++c.succeeded; break;
      case Job::FAILED: ++c.failed; break;
      case Job::DEAD: ++c.dead; break;
      case Job::CANCELLED: ++c.cancelled; break;
      default: break;
    }
  }
}

void metrics_recorder::add_ready(const label& l, std::string_view user, std::string_view kind, int64_t n) {
  auto it = labels_.find(l);
  if (it == labels_.end()) {
    it = labels_.emplace(l, counts{}).first;
    it->second.user = std::string{user};
    it->second.kind = std::string{kind};
  }
  it->second.ready += n;
}

void metrics_recorder::fill(SchedulerSample* out) const {
  out->mutable_labels()->Reserve(static_cast<int>(labels_.size()));
  for (const auto& [l, c] : labels_) {
    auto* row = out->add_labels();
    row->set_kind(c.kind);
    row->set_user(c.user);
    row->set_priority(lane_priority[l.lane]);
    row->set_submitted(c.submitted);
    row->set_started(c.started);
    row->set_succeeded(c.succeeded);
    row->set_failed(c.failed);
    row->set_dead(c.dead);
    row->set_cancelled(c.cancelled);
    row->set_failed_attempts(c.failed_attempts);
    row->set_retried(c.retried);
    row->set_ready(c.ready);
    row->set_running(c.running);
    // An empty histogram stays unset (most label sets have no blocked wait, say): less to build each interval.
    if (c.pickup.count > 0) c.pickup.to_proto(row->mutable_pickup());
    if (c.run.count > 0) c.run.to_proto(row->mutable_run());
    if (c.blocked_wait.count > 0) c.blocked_wait.to_proto(row->mutable_blocked_wait());
  }
}

}  // namespace troupe
