// Rate limits (kindRateLimits, userRateLimits) on a whole node under CAF's test coordinator with the manual clock
// (tests/support/engine_fixture.hpp): the number of jobs started in any window never exceeds the bucket (burst
// plus what refills), and other kinds and users are not held back.

#define BOOST_TEST_MODULE rate_limits
#include <boost/test/unit_test.hpp>

#include <chrono>
#include <string>
#include <vector>

#include "schemas/time.hpp"
#include "support/engine_fixture.hpp"

using namespace std::chrono_literals;
using namespace troupe;
using troupe::test::engine_fixture;
using troupe::test::state_of;

namespace {

// When each job started (its RUNNING transition), in microseconds.
std::vector<micros> start_times(engine_fixture& f, const std::vector<job_id>& ids) {
  std::vector<micros> out;
  for (auto id : ids) {
    auto job = f.get(id);
    for (const auto& t : job.transitions())
      if (t.state() == Job::RUNNING) out.push_back(to_micros(t.at()));
  }
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace

BOOST_AUTO_TEST_CASE(a_kind_limit_holds_over_every_window_and_other_kinds_go_on) {
  auto options = engine_fixture::options_with_slots(8);
  options.kindRateLimits = "record=5/1000:5";  // 5 a second, at most 5 at once
  engine_fixture f{options};
  auto limited = f.submit(std::vector<JobSpec>(20, engine_fixture::record_spec()));
  auto other = f.submit(std::vector<JobSpec>(20, engine_fixture::spec("noop")));
  f.run();
  BOOST_TEST(f.started().size() == 5u, "the burst");
  for (auto id : other) BOOST_TEST(state_of(f.get(id)) == "SUCCEEDED", "another kind is not held back");
  f.advance(1s);
  BOOST_TEST(f.started().size() == 10u);
  f.advance(2s);
  BOOST_TEST(f.started().size() == 20u);
  // In any one-second window at most burst + rate = 10 started; and over the whole run no more than the rate allows.
  auto times = start_times(f, limited);
  BOOST_REQUIRE_EQUAL(times.size(), 20u);
  for (size_t i = 0; i < times.size(); ++i) {
    size_t in_window = 0;
    for (size_t j = i; j < times.size() && times[j] < times[i] + 1'000'000; ++j) ++in_window;
    BOOST_TEST(in_window <= 10u);
  }
  BOOST_TEST(times.back() - times.front() >= 2'800'000, "15 jobs beyond the burst take 3 s at 5 a second");
}

BOOST_AUTO_TEST_CASE(a_user_limit_throttles_that_user_only) {
  auto options = engine_fixture::options_with_slots(4);
  options.userRateLimits = "chatty=2/1000";
  engine_fixture f{options};
  auto chatty = engine_fixture::record_spec();
  chatty.set_user("chatty");
  auto quiet = engine_fixture::record_spec();
  quiet.set_user("quiet");
  auto c = f.submit(std::vector<JobSpec>(6, chatty));
  auto q = f.submit(std::vector<JobSpec>(6, quiet));
  f.run();
  size_t chatty_done = 0, quiet_done = 0;
  for (auto id : c) chatty_done += state_of(f.get(id)) == "SUCCEEDED" ? 1 : 0;
  for (auto id : q) quiet_done += state_of(f.get(id)) == "SUCCEEDED" ? 1 : 0;
  BOOST_TEST(chatty_done == 2u);
  BOOST_TEST(quiet_done == 6u);
  auto done = f.await_for(c, 1min);
  for (const auto& job : done) BOOST_TEST(state_of(job) == "SUCCEEDED");
  auto times = start_times(f, c);
  BOOST_TEST(times.back() - times.front() >= 1'900'000, "4 jobs beyond the burst take 2 s at 2 a second");
}
