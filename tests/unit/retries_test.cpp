// Retries with backoff: the schedule itself (schemas/backoff.hpp), and on a whole node under CAF's test
// coordinator with the manual clock (tests/support/engine_fixture.hpp): a failed attempt waits SCHEDULED for its
// backoff, the waits grow and are capped, per-job and per-kind policies win over the node's, each attempt's error
// is kept, and the job is DEAD after its last attempt.

#define BOOST_TEST_MODULE retries
#include <boost/test/unit_test.hpp>

#include <chrono>
#include <string>
#include <vector>

#include "schemas/backoff.hpp"
#include "schemas/time.hpp"
#include "support/engine_fixture.hpp"

using namespace std::chrono_literals;
using namespace troupe;
using troupe::test::engine_fixture;
using troupe::test::state_of;

namespace {

constexpr micros ms = 1000;

// When each attempt of `job` started (RUNNING transitions), relative to the first.
std::vector<micros> attempt_starts(const Job& job) {
  std::vector<micros> out;
  for (const auto& t : job.transitions())
    if (t.state() == Job::RUNNING) out.push_back(to_micros(t.at()));
  for (size_t i = out.size(); i-- > 0;) out[i] -= out[0];
  return out;
}

node_options backoff_options(uint64_t base_ms, double factor, uint64_t cap_ms, double jitter) {
  auto o = engine_fixture::options_with_slots(2);
  o.retryBaseMs = base_ms;
  o.retryFactor = factor;
  o.retryMaxDelayMs = cap_ms;
  o.retryJitter = jitter;
  return o;
}

JobSpec failing(uint32_t failures, uint32_t attempts) {
  auto spec = engine_fixture::spec("fail", R"({"times": )" + std::to_string(failures) + "}");
  spec.set_max_attempts(attempts);
  return spec;
}

}  // namespace

BOOST_AUTO_TEST_CASE(the_backoff_doubles_up_to_its_cap_and_jitter_stays_in_bounds_deterministically) {
  backoff_policy p{1000 * ms, 2, 10'000 * ms, 0};
  std::vector<micros> waits;
  for (uint32_t attempt = 1; attempt <= 6; ++attempt) waits.push_back(backoff_delay(p, attempt, 7));
  BOOST_TEST(waits == (std::vector<micros>{1000 * ms, 2000 * ms, 4000 * ms, 8000 * ms, 10'000 * ms, 10'000 * ms}),
             boost::test_tools::per_element());

  p.jitter = 0.2;
  bool differs = false;
  for (uint64_t id = 1; id <= 1000; ++id) {
    auto w = backoff_delay(p, 3, id);
    BOOST_TEST(w >= 3200 * ms);
    BOOST_TEST(w <= 4800 * ms);
    BOOST_TEST(w == backoff_delay(p, 3, id), "the same job and attempt wait the same");
    differs = differs || w != backoff_delay(p, 3, 1);
  }
  BOOST_TEST(differs, "jobs that failed together spread out");
  BOOST_TEST(backoff_delay(backoff_policy{0, 2, 0, 0}, 5, 1) == 0);

  RetryPolicy spec;
  spec.mutable_base()->set_seconds(5);
  spec.set_jitter(0);
  auto merged = apply(spec, backoff_policy{1000 * ms, 3, 60'000 * ms, 0.5});
  BOOST_TEST(merged.base == 5000 * ms);
  BOOST_TEST(merged.factor == 3);
  BOOST_TEST(merged.jitter == 0);
  spec.set_factor(0.5);
  BOOST_TEST(std::string{check_retry_policy(spec)} == "retry.factor must be in [1, 100]");
}

BOOST_AUTO_TEST_CASE(a_failed_attempt_waits_scheduled_for_its_backoff_then_runs_again) {
  engine_fixture f{backoff_options(1000, 2, 3'600'000, 0)};
  auto id = f.submit(failing(2, 5));
  f.run();
  auto job = f.get(id);
  BOOST_TEST(state_of(job) == "SCHEDULED");
  BOOST_TEST(job.attempts() == 1u);
  BOOST_TEST(f.status().scheduled() == 1u);
  f.advance(999ms);
  BOOST_TEST(state_of(f.get(id)) == "SCHEDULED", "not before its time");
  f.advance(1ms);  // attempt 2 runs and fails: 2 s more
  BOOST_TEST(state_of(f.get(id)) == "SCHEDULED");
  BOOST_TEST(f.get(id).attempts() == 2u);
  f.advance(1999ms);
  BOOST_TEST(f.get(id).attempts() == 2u);
  f.advance(1ms);
  job = f.get(id);
  BOOST_TEST(state_of(job) == "SUCCEEDED");
  BOOST_TEST(attempt_starts(job) == (std::vector<micros>{0, 1000 * ms, 3000 * ms}), boost::test_tools::per_element());
  BOOST_TEST(f.status().scheduled() == 0u);
}

BOOST_AUTO_TEST_CASE(after_its_last_attempt_a_job_is_dead_with_every_attempts_error) {
  engine_fixture f{backoff_options(100, 2, 250, 0)};
  auto done = f.await_for({f.submit(failing(100, 4))}, 1min);
  const auto& job = done.at(0);
  BOOST_TEST(state_of(job) == "DEAD");
  BOOST_TEST(job.attempts() == 4u);
  // Waits 100, 200, then capped at 250 ms.
  BOOST_TEST(attempt_starts(job) == (std::vector<micros>{0, 100 * ms, 300 * ms, 550 * ms}),
             boost::test_tools::per_element());
  BOOST_REQUIRE_EQUAL(job.errors_size(), 4);
  for (uint32_t i = 0; i < 4; ++i) {
    BOOST_TEST(job.errors(i).attempt() == i + 1);
    BOOST_TEST(job.errors(i).error() == "fail: attempt " + std::to_string(i + 1) + " of the first 100 fails by design");
  }
}

BOOST_AUTO_TEST_CASE(a_jobs_own_policy_and_its_kinds_win_over_the_nodes) {
  auto options = backoff_options(1000, 2, 3'600'000, 0);
  options.kindRetry = "fail=50:1:50:0";
  engine_fixture f{options};
  auto by_kind = f.submit(failing(1, 3));
  auto own = failing(1, 3);
  own.mutable_retry()->mutable_base()->set_nanos(20'000'000);  // 20 ms
  auto by_job = f.submit(own);
  auto done = f.await_for({by_kind, by_job}, 1min);
  BOOST_TEST(attempt_starts(done[0]).at(1) == 50 * ms);
  BOOST_TEST(attempt_starts(done[1]).at(1) == 20 * ms);
}

BOOST_AUTO_TEST_CASE(a_permanent_failure_is_not_retried) {
  engine_fixture f{backoff_options(1000, 2, 3'600'000, 0)};
  auto id = f.submit(engine_fixture::spec("fail", R"({"times": 1, "permanent": true})"));
  f.run();
  auto job = f.get(id);
  BOOST_TEST(state_of(job) == "FAILED");
  BOOST_TEST(job.attempts() == 1u);
}

BOOST_AUTO_TEST_CASE(a_job_waiting_for_its_retry_can_be_cancelled_and_does_not_run_again) {
  engine_fixture f{backoff_options(1000, 2, 3'600'000, 0)};
  auto id = f.submit(failing(1, 3));
  f.run();
  BOOST_TEST(state_of(f.get(id)) == "SCHEDULED");
  BOOST_TEST(state_of(f.cancel(id)) == "CANCELLED");
  f.advance(5s);
  auto job = f.get(id);
  BOOST_TEST(state_of(job) == "CANCELLED");
  BOOST_TEST(job.attempts() == 1u);
  BOOST_TEST(f.status().scheduled() == 0u);
}

BOOST_AUTO_TEST_CASE(an_invalid_retry_policy_is_refused_naming_the_field) {
  engine_fixture f{backoff_options(1000, 2, 3'600'000, 0)};
  auto spec = engine_fixture::record_spec();
  spec.mutable_retry()->set_jitter(1.5);
  auto r = f.try_submit({spec});
  BOOST_REQUIRE(!r);
  BOOST_TEST(describe(r.error()).find("retry.jitter") != std::string::npos, describe(r.error()));
}
