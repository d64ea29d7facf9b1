#include "schemas/lifecycle.hpp"

#include <cassert>
#include <string>

namespace troupe::lifecycle {

bool is_terminal(Job::State state) {
  return state == Job::SUCCEEDED || state == Job::FAILED || state == Job::DEAD || state == Job::CANCELLED;
}

int lane_of(JobSpec::Priority priority) {
  switch (priority) {
    case JobSpec::CRITICAL: return 0;
    case JobSpec::HIGH: return 1;
    case JobSpec::LOW: return 3;
    default: return 2;
  }
}

const char* state_name(Job::State state) {
  return Job::State_Name(state).c_str();
}

void enter(Job& job, Job::State state, micros now, std::string_view reason) {
  job.set_state(state);
  auto* log = job.mutable_transitions();
  if (log->size() >= max_transitions)  // keep the first (creation), drop the oldest after it
    log->DeleteSubrange(1, log->size() - max_transitions + 1);
  auto* t = log->Add();
  t->set_state(state);
  set_timestamp(t->mutable_at(), now);
  t->set_attempt(job.attempts());
  if (!reason.empty()) t->set_reason(std::string{reason});
  if (is_terminal(state)) {
    set_timestamp(job.mutable_finished_at(), now);
    job.clear_lease();
  } else {
    job.clear_finished_at();  // a job that leaves a terminal state (a retry) is not finished any more
  }
}

namespace {

void enter_ready(Job& job, micros now, uint64_t ready_seq, std::string_view reason) {
  job.set_ready_seq(ready_seq);
  job.clear_lease();
  job.clear_scheduled_for();
  enter(job, Job::READY, now, reason);
}

// READY at `ready_seq`, or SCHEDULED until `at` when that is ahead of `now`.
void enter_ready_or_scheduled(Job& job, micros now, uint64_t ready_seq, micros at, std::string_view reason) {
  if (at <= now) return enter_ready(job, now, ready_seq, reason);
  job.clear_lease();
  set_timestamp(job.mutable_scheduled_for(), at);
  enter(job, Job::SCHEDULED, now, reason);
}

micros run_at_of(const Job& job) { return job.spec().has_run_at() ? to_micros(job.spec().run_at()) : 0; }

void record_error(Job& job, const std::string& error, micros now) {
  auto* errors = job.mutable_errors();
  if (errors->size() >= max_attempt_errors) errors->DeleteSubrange(0, errors->size() - max_attempt_errors + 1);
  auto* e = errors->Add();
  e->set_attempt(job.attempts());
  set_timestamp(e->mutable_at(), now);
  e->set_error(error);
}

void record_result(Job& job, const outcome& result, micros duration) {
  auto* r = job.mutable_result();
  r->set_exit_code(result.exit_code);
  r->set_signal(result.signal);
  r->set_output(result.output);
  r->set_timed_out(result.code == outcome::status::timed_out);
  r->set_max_rss_kb(result.max_rss_kb);
  r->set_cpu_ms(result.cpu_ms);
  set_duration(r->mutable_duration(), duration);
  if (!result.error.empty()) job.set_last_error(result.error);
}

}  // namespace

void accept(Job& job, uint64_t id, micros now, uint64_t ready_seq) {
  job.set_id(id);
  set_timestamp(job.mutable_created_at(), now);
  enter_ready_or_scheduled(job, now, ready_seq, run_at_of(job), {});
}

void accept_blocked(Job& job, uint64_t id, micros now) {
  job.set_id(id);
  set_timestamp(job.mutable_created_at(), now);
  enter(job, Job::BLOCKED, now);
}

void release(Job& job, micros now, uint64_t ready_seq, std::string_view reason) {
  assert(job.state() == Job::BLOCKED);
  enter_ready_or_scheduled(job, now, ready_seq, run_at_of(job), reason);
}

void make_due(Job& job, micros now, uint64_t ready_seq, std::string_view reason) {
  assert(job.state() == Job::SCHEDULED);
  enter_ready(job, now, ready_seq, reason);
}

void start_attempt(Job& job, const Lease& lease, micros now, std::string_view reason) {
  assert(job.state() == Job::READY);
  job.set_attempts(job.attempts() + 1);
  *job.mutable_lease() = lease;
  job.mutable_lease()->set_attempt(job.attempts());
  enter(job, Job::RUNNING, now, reason);
}

void finish_attempt(Job& job, const outcome& result, micros duration, micros now, uint64_t ready_seq,
                    micros retry_at) {
  assert(job.state() == Job::RUNNING);
  record_result(job, result, duration);
  switch (result.code) {
    case outcome::status::succeeded:
      enter(job, Job::SUCCEEDED, now);
      return;
    case outcome::status::cancelled:
      enter(job, Job::CANCELLED, now, result.error);
      return;
    case outcome::status::failed:
    case outcome::status::timed_out:
      break;
  }
  record_error(job, job.last_error(), now);
  if (result.permanent)
    enter(job, Job::FAILED, now, "permanent failure");
  else if (job.attempts() >= job.spec().max_attempts())
    enter(job, Job::DEAD, now, "no attempts left");
  else
    enter_ready_or_scheduled(job, now, ready_seq, retry_at, "retry");
}

void requeue_interrupted(Job& job, micros now, uint64_t ready_seq, std::string_view reason, bool keep_lease) {
  assert(job.state() == Job::RUNNING);
  job.set_last_error(std::string{reason});
  record_error(job, job.last_error(), now);
  if (job.attempts() >= job.spec().max_attempts()) {
    enter(job, Job::DEAD, now, reason);
    return;
  }
  auto lease = job.lease();
  enter_ready(job, now, ready_seq, reason);
  if (keep_lease) *job.mutable_lease() = std::move(lease);
}

void resume_reported(Job& job, micros now, std::string_view reason) {
  assert(job.state() == Job::READY && job.has_lease());
  enter(job, Job::RUNNING, now, reason);
}

void hand_back(Job& job, micros now, uint64_t ready_seq, std::string_view reason) {
  assert(job.state() == Job::RUNNING);
  if (job.attempts() > 0) job.set_attempts(job.attempts() - 1);
  enter_ready(job, now, ready_seq, reason);
}

void retry(Job& job, micros now, uint64_t ready_seq, std::string_view reason) {
  assert(job.state() == Job::DEAD || job.state() == Job::FAILED || job.state() == Job::CANCELLED);
  job.set_attempts(0);
  enter_ready(job, now, ready_seq, reason);
}

void reprioritize(Job& job, JobSpec::Priority priority, micros now, uint64_t ready_seq, std::string_view reason) {
  assert(job.state() == Job::READY || job.state() == Job::SCHEDULED || job.state() == Job::BLOCKED);
  job.mutable_spec()->set_priority(priority);
  if (job.state() == Job::READY) job.set_ready_seq(ready_seq);
  enter(job, job.state(), now, reason);
}

void cancel(Job& job, micros now, std::string_view reason) {
  assert(!is_terminal(job.state()));
  enter(job, Job::CANCELLED, now, reason.empty() ? std::string_view{"cancelled"} : reason);
}

double wait_in(const Job& job, Job::State state) {
  const auto& t = job.transitions();
  int last = t.size() - 1;
  int i = last - 1;
  if (i < 0 || t[i].state() != state) return -1;
  while (i > 0 && t[i - 1].state() == state) --i;
  return static_cast<double>(to_micros(t[last].at()) - to_micros(t[i].at())) / 1e6;
}

}  // namespace troupe::lifecycle
