// The job state machine (schemas/lifecycle.hpp): every transition with explicit times, what each
// records (attempts, lease, result, last error, queue position, finish time, the transition log),
// its bound, and the helpers is_terminal and lane_of.

#define BOOST_TEST_MODULE lifecycle
#include <boost/test/unit_test.hpp>

#include <string>

#include "schemas/lifecycle.hpp"
#include "support/jobs.hpp"
#include "troupe/outcome.hpp"

using namespace troupe;
using test::t0;

namespace {

// A job as the gateway hands it to accept(): a resolved spec, no id, PENDING.
Job submitted(uint32_t max_attempts = 3) {
  Job job;
  job.mutable_spec()->set_kind("sleep");
  job.mutable_spec()->set_max_attempts(max_attempts);
  return job;
}

// A job accepted at t0 (position 1) and started at t0 + 10 on node-a, slot 4.
Job running(uint32_t max_attempts = 3) {
  auto job = submitted(max_attempts);
  lifecycle::accept(job, 42, t0, 1);
  Lease lease;
  lease.set_node("node-a");
  lease.set_slot(4);
  lifecycle::start_attempt(job, lease, t0 + 10);
  return job;
}

const Transition& last_transition(const Job& job) {
  return job.transitions(job.transitions_size() - 1);
}

outcome timed_out() {
  outcome o;
  o.code = outcome::status::timed_out;
  o.exit_code = -1;
  o.signal = 9;
  o.output = "partial";
  o.error = "timed out after 5s";
  return o;
}

}  // namespace

BOOST_AUTO_TEST_CASE(accept_gives_a_job_its_id_creation_time_and_queue_position) {
  auto job = submitted();
  lifecycle::accept(job, 42, t0, 7);
  BOOST_TEST(job.id() == 42u);
  BOOST_TEST(job.state() == Job::READY);
  BOOST_TEST(to_micros(job.created_at()) == t0);
  BOOST_TEST(job.ready_seq() == 7u);
  BOOST_TEST(job.attempts() == 0u);
  BOOST_TEST(!job.has_lease());
  BOOST_TEST(!job.has_finished_at());
  BOOST_REQUIRE(job.transitions_size() == 1);
  BOOST_TEST(job.transitions(0).state() == Job::READY);
  BOOST_TEST(to_micros(job.transitions(0).at()) == t0);
  BOOST_TEST(job.transitions(0).attempt() == 0u);
}

BOOST_AUTO_TEST_CASE(start_attempt_counts_the_attempt_and_sets_the_lease_for_it) {
  auto job = submitted();
  lifecycle::accept(job, 42, t0, 1);
  Lease lease;
  lease.set_node("node-a");
  lease.set_slot(4);
  lease.set_attempt(99);  // the attempt is the job's, whatever the caller put there
  lifecycle::start_attempt(job, lease, t0 + 10);

  BOOST_TEST(job.state() == Job::RUNNING);
  BOOST_TEST(job.attempts() == 1u);
  BOOST_TEST(job.lease().node() == "node-a");
  BOOST_TEST(job.lease().slot() == 4u);
  BOOST_TEST(job.lease().attempt() == 1u);
  BOOST_TEST(job.ready_seq() ==
             1u);  // keeps its queue position (storage keeps the entry while RUNNING)
  BOOST_REQUIRE(job.transitions_size() == 2);
  BOOST_TEST(last_transition(job).state() == Job::RUNNING);
  BOOST_TEST(to_micros(last_transition(job).at()) == t0 + 10);
  BOOST_TEST(last_transition(job).attempt() == 1u);
}

BOOST_AUTO_TEST_CASE(a_successful_attempt_ends_succeeded_with_its_result_recorded) {
  auto job = running();
  lifecycle::finish_attempt(job, outcome::success("all good"), 2'500'000, t0 + 20, 50);

  BOOST_TEST(job.state() == Job::SUCCEEDED);
  BOOST_TEST(job.attempts() == 1u);
  BOOST_TEST(job.result().exit_code() == 0);
  BOOST_TEST(job.result().output() == "all good");
  BOOST_TEST(!job.result().timed_out());
  BOOST_TEST(to_micros(job.result().duration()) == 2'500'000);
  BOOST_TEST(to_micros(job.finished_at()) == t0 + 20);
  BOOST_TEST(!job.has_lease());
  BOOST_TEST(job.ready_seq() == 1u);  // not requeued: the position passed in is unused
  BOOST_TEST(last_transition(job).state() == Job::SUCCEEDED);
  BOOST_TEST(to_micros(last_transition(job).at()) == t0 + 20);
  BOOST_TEST(last_transition(job).attempt() == 1u);
}

BOOST_AUTO_TEST_CASE(a_process_attempts_peak_rss_and_cpu_time_are_recorded_in_the_result) {
  auto job = running();
  auto o = outcome::success("done");
  o.max_rss_kb = 204'800;
  o.cpu_ms = 1'250;
  lifecycle::finish_attempt(job, o, 2'000'000, t0 + 20, 50);
  BOOST_TEST(job.result().max_rss_kb() == 204'800);
  BOOST_TEST(job.result().cpu_ms() == 1'250);
}

BOOST_AUTO_TEST_CASE(
    a_failure_with_attempts_left_goes_back_to_ready_at_a_new_position_with_its_result) {
  auto job = running(3);
  lifecycle::finish_attempt(job, outcome::failure("exit 1"), 1'000, t0 + 20, 50);

  BOOST_TEST(job.state() == Job::READY);
  BOOST_TEST(job.attempts() == 1u);
  BOOST_TEST(job.ready_seq() == 50u);
  BOOST_TEST(!job.has_lease());
  BOOST_TEST(!job.has_finished_at());
  BOOST_TEST(job.result().exit_code() == 1);
  BOOST_TEST(to_micros(job.result().duration()) == 1'000);
  BOOST_TEST(job.last_error() == "exit 1");
  BOOST_TEST(last_transition(job).state() == Job::READY);
  BOOST_TEST(to_micros(last_transition(job).at()) == t0 + 20);
  BOOST_TEST(last_transition(job).attempt() == 1u);
  BOOST_TEST(last_transition(job).reason() == "retry");
}

BOOST_AUTO_TEST_CASE(a_failure_on_the_last_attempt_ends_dead) {
  auto job = running(2);
  lifecycle::finish_attempt(job, outcome::failure("first"), 1'000, t0 + 20, 50);
  BOOST_REQUIRE(job.state() == Job::READY);
  lifecycle::start_attempt(job, Lease{}, t0 + 30);
  BOOST_REQUIRE(job.attempts() == 2u);
  lifecycle::finish_attempt(job, outcome::failure("second"), 1'000, t0 + 40, 60);

  BOOST_TEST(job.state() == Job::DEAD);
  BOOST_TEST(job.attempts() == 2u);
  BOOST_TEST(job.ready_seq() == 50u);  // not requeued
  BOOST_TEST(job.last_error() == "second");
  BOOST_TEST(to_micros(job.finished_at()) == t0 + 40);
  BOOST_TEST(!job.has_lease());
  BOOST_TEST(last_transition(job).state() == Job::DEAD);
  BOOST_TEST(last_transition(job).attempt() == 2u);
}

BOOST_AUTO_TEST_CASE(a_permanent_failure_ends_failed_even_with_attempts_left) {
  auto job = running(5);
  lifecycle::finish_attempt(job, outcome::failure("bad payload", /*permanent=*/true), 1'000,
                            t0 + 20, 50);

  BOOST_TEST(job.state() == Job::FAILED);
  BOOST_TEST(job.attempts() == 1u);
  BOOST_TEST(job.last_error() == "bad payload");
  BOOST_TEST(job.result().exit_code() == 1);
  BOOST_TEST(to_micros(job.finished_at()) == t0 + 20);
  BOOST_TEST(!job.has_lease());
  BOOST_TEST(job.ready_seq() == 1u);
}

BOOST_AUTO_TEST_CASE(a_timed_out_attempt_is_recorded_as_timed_out_and_retried_like_a_failure) {
  auto job = running(2);
  lifecycle::finish_attempt(job, timed_out(), 5'000'000, t0 + 20, 50);
  BOOST_TEST(job.state() == Job::READY);
  BOOST_TEST(job.ready_seq() == 50u);
  BOOST_TEST(job.result().timed_out());
  BOOST_TEST(job.result().exit_code() == -1);
  BOOST_TEST(job.result().signal() == 9);
  BOOST_TEST(job.result().output() == "partial");
  BOOST_TEST(to_micros(job.result().duration()) == 5'000'000);
  BOOST_TEST(job.last_error() == "timed out after 5s");

  lifecycle::start_attempt(job, Lease{}, t0 + 30);
  lifecycle::finish_attempt(job, timed_out(), 5'000'000, t0 + 40, 60);
  BOOST_TEST(job.state() == Job::DEAD);
  BOOST_TEST(job.result().timed_out());

  // A later attempt that does not time out clears the flag.
  auto again = running(3);
  lifecycle::finish_attempt(again, timed_out(), 1, t0 + 20, 50);
  lifecycle::start_attempt(again, Lease{}, t0 + 30);
  lifecycle::finish_attempt(again, outcome::success(), 1, t0 + 40, 60);
  BOOST_TEST(again.state() == Job::SUCCEEDED);
  BOOST_TEST(!again.result().timed_out());
}

BOOST_AUTO_TEST_CASE(a_cancelled_attempt_ends_cancelled) {
  auto job = running(3);
  outcome o;
  o.code = outcome::status::cancelled;
  o.error = "cancelled by a client";
  lifecycle::finish_attempt(job, o, 1'000, t0 + 20, 50);

  BOOST_TEST(job.state() == Job::CANCELLED);
  BOOST_TEST(job.attempts() == 1u);
  BOOST_TEST(to_micros(job.finished_at()) == t0 + 20);
  BOOST_TEST(!job.has_lease());
  BOOST_TEST(!job.result().timed_out());
  BOOST_TEST(last_transition(job).state() == Job::CANCELLED);
  BOOST_TEST(last_transition(job).reason() == "cancelled by a client");
}

BOOST_AUTO_TEST_CASE(handing_a_job_back_refunds_its_attempt) {
  auto job = running(3);
  lifecycle::hand_back(job, t0 + 20, 50, "shutdown grace expired");

  BOOST_TEST(job.state() == Job::READY);
  BOOST_TEST(job.attempts() == 0u);
  BOOST_TEST(job.ready_seq() == 50u);
  BOOST_TEST(!job.has_lease());
  BOOST_TEST(!job.has_finished_at());
  BOOST_TEST(last_transition(job).state() == Job::READY);
  BOOST_TEST(to_micros(last_transition(job).at()) == t0 + 20);
  BOOST_TEST(last_transition(job).attempt() == 0u);
  BOOST_TEST(last_transition(job).reason() == "shutdown grace expired");

  // The refunded attempt is available again: a job on its only attempt is not DEAD after a
  // hand-back.
  auto single = running(1);
  lifecycle::hand_back(single, t0 + 20, 50, "shutdown");
  lifecycle::start_attempt(single, Lease{}, t0 + 30);
  BOOST_TEST(single.attempts() == 1u);
  BOOST_TEST(single.lease().attempt() == 1u);
}

BOOST_AUTO_TEST_CASE(a_ready_job_can_be_cancelled) {
  auto job = submitted();
  lifecycle::accept(job, 42, t0, 1);
  lifecycle::cancel(job, t0 + 5, "by operator");
  BOOST_TEST(job.state() == Job::CANCELLED);
  BOOST_TEST(job.attempts() == 0u);
  BOOST_TEST(to_micros(job.finished_at()) == t0 + 5);
  BOOST_TEST(last_transition(job).state() == Job::CANCELLED);
  BOOST_TEST(last_transition(job).reason() == "by operator");

  auto unexplained = submitted();
  lifecycle::accept(unexplained, 43, t0, 2);
  lifecycle::cancel(unexplained, t0 + 5, {});
  BOOST_TEST(last_transition(unexplained).reason() == "cancelled");
}

BOOST_AUTO_TEST_CASE(transitions_stay_bounded_at_max_transitions_keeping_the_first) {
  auto job = submitted();
  lifecycle::accept(job, 42, t0, 1);
  // Each round adds two transitions (RUNNING, READY): 1 + 2 * 40 = 81 in all.
  constexpr int rounds = 40;
  for (int i = 1; i <= rounds; ++i) {
    lifecycle::start_attempt(job, Lease{}, t0 + 2 * i - 1);
    lifecycle::hand_back(job, t0 + 2 * i, static_cast<uint64_t>(i + 1), "handed back");
  }
  BOOST_REQUIRE(job.transitions_size() == lifecycle::max_transitions);
  BOOST_TEST(job.transitions(0).state() == Job::READY);  // creation
  BOOST_TEST(to_micros(job.transitions(0).at()) == t0);
  BOOST_TEST(last_transition(job).state() == Job::READY);
  BOOST_TEST(to_micros(last_transition(job).at()) == t0 + 2 * rounds);
  // The others are the most recent ones, in order: times t0+50 .. t0+80.
  for (int i = 1; i < lifecycle::max_transitions; ++i)
    BOOST_TEST(to_micros(job.transitions(i).at()) ==
               t0 + 2 * rounds - (lifecycle::max_transitions - 1) + i);

  // One more keeps the bound.
  lifecycle::cancel(job, t0 + 1000, {});
  BOOST_TEST(job.transitions_size() == lifecycle::max_transitions);
  BOOST_TEST(to_micros(job.transitions(0).at()) == t0);
  BOOST_TEST(last_transition(job).state() == Job::CANCELLED);
}

BOOST_AUTO_TEST_CASE(is_terminal_holds_for_succeeded_failed_dead_and_cancelled_only) {
  BOOST_TEST(lifecycle::is_terminal(Job::SUCCEEDED));
  BOOST_TEST(lifecycle::is_terminal(Job::FAILED));
  BOOST_TEST(lifecycle::is_terminal(Job::DEAD));
  BOOST_TEST(lifecycle::is_terminal(Job::CANCELLED));
  BOOST_TEST(!lifecycle::is_terminal(Job::PENDING));
  BOOST_TEST(!lifecycle::is_terminal(Job::BLOCKED));
  BOOST_TEST(!lifecycle::is_terminal(Job::SCHEDULED));
  BOOST_TEST(!lifecycle::is_terminal(Job::READY));
  BOOST_TEST(!lifecycle::is_terminal(Job::RUNNING));
}

BOOST_AUTO_TEST_CASE(lane_of_serves_critical_then_high_then_normal_then_low) {
  BOOST_TEST(lifecycle::lane_of(JobSpec::CRITICAL) == 0);
  BOOST_TEST(lifecycle::lane_of(JobSpec::HIGH) == 1);
  BOOST_TEST(lifecycle::lane_of(JobSpec::NORMAL) == 2);
  BOOST_TEST(lifecycle::lane_of(JobSpec::LOW) == 3);
  BOOST_TEST(lifecycle::lane_count == 4);
  BOOST_TEST(std::string{lifecycle::state_name(Job::READY)} == "READY");
  BOOST_TEST(std::string{lifecycle::state_name(Job::DEAD)} == "DEAD");
}
