// Unique jobs (idempotency keys) on a whole node under CAF's test coordinator (tests/support/engine_fixture.hpp):
// a submit with the key of a job that has not ended, or ended within idempotencyWindowMs, gets that job's id;
// concurrent submits with one key make one job; keys are per user, durable, and go with their job at retention.

#define BOOST_TEST_MODULE unique
#include <boost/test/unit_test.hpp>

#include <chrono>
#include <string>
#include <vector>

#include "support/engine_fixture.hpp"

using namespace std::chrono_literals;
using namespace troupe;
using troupe::test::engine_fixture;
using troupe::test::error_text;
using troupe::test::state_of;

namespace {

JobSpec keyed(JobSpec spec, const std::string& key, const std::string& user = "alice") {
  spec.set_idempotency_key(key);
  spec.set_user(user);
  return spec;
}

size_t stored_jobs(engine_fixture& f) {
  JobQuery q;
  q.set_limit(10'000);
  auto page = f.try_list(q);
  BOOST_REQUIRE_MESSAGE(page, error_text(page));
  return page->jobs_size();
}

node_options window_options(uint64_t window_ms) {
  auto o = engine_fixture::options_with_slots(1);
  o.idempotencyWindowMs = window_ms;
  return o;
}

}  // namespace

BOOST_AUTO_TEST_CASE(concurrent_submits_with_one_key_make_one_job) {
  engine_fixture f{window_options(60'000)};
  auto blocker = f.submit(engine_fixture::sleep_spec(100ms));
  // Three requests in the mailbox at once, and a request that names the key twice.
  for (int i = 0; i < 3; ++i) f.send_submit({keyed(engine_fixture::record_spec(), "order-7")});
  f.run();
  std::vector<job_id> ids;
  for (int i = 0; i < 3; ++i) {
    auto answer = f.submit_answer();
    BOOST_REQUIRE(answer);
    BOOST_REQUIRE_MESSAGE(*answer, error_text(*answer));
    ids.push_back((*answer)->at(0));
  }
  BOOST_TEST(ids[0] == ids[1]);
  BOOST_TEST(ids[0] == ids[2]);
  auto both =
      f.submit({keyed(engine_fixture::record_spec(), "order-8"), keyed(engine_fixture::record_spec(), "order-8")});
  BOOST_TEST(both[0] == both[1]);
  BOOST_TEST(stored_jobs(f) == 3u);  // the blocker, order-7 and order-8
  f.await_for({blocker, ids[0], both[0]}, 1min);
  BOOST_TEST(f.started().size() == 2u);
}

BOOST_AUTO_TEST_CASE(a_key_is_kept_while_its_job_runs_and_for_the_window_after_it_ended) {
  engine_fixture f{window_options(60'000)};
  auto first = f.submit(keyed(engine_fixture::sleep_spec(1000ms), "k"));
  BOOST_TEST(f.submit(keyed(engine_fixture::sleep_spec(1000ms), "k")) == first, "while it runs");
  f.advance(1s);
  BOOST_REQUIRE_EQUAL(state_of(f.get(first)), "SUCCEEDED");
  f.advance(59s);
  BOOST_TEST(f.submit(keyed(engine_fixture::sleep_spec(1000ms), "k")) == first, "within the window");
  f.advance(1s);
  auto second = f.submit(keyed(engine_fixture::sleep_spec(1000ms), "k"));
  BOOST_TEST(second != first, "after the window: a new job");
  BOOST_TEST(f.submit(keyed(engine_fixture::sleep_spec(1000ms), "k")) == second);
}

BOOST_AUTO_TEST_CASE(keys_are_per_user_and_survive_a_crash) {
  engine_fixture f{window_options(60'000)};
  auto blocker = f.submit(engine_fixture::sleep_spec(10s));
  auto alice = f.submit(keyed(engine_fixture::record_spec(), "k", "alice"));
  auto bob = f.submit(keyed(engine_fixture::record_spec(), "k", "bob"));
  BOOST_TEST(alice != bob);
  f.crash();
  f.restart();
  BOOST_TEST(f.submit(keyed(engine_fixture::record_spec(), "k", "alice")) == alice);
  BOOST_TEST(f.submit(keyed(engine_fixture::record_spec(), "k", "bob")) == bob);
  (void)blocker;
}

BOOST_AUTO_TEST_CASE(a_key_goes_with_its_job_when_retention_deletes_it) {
  auto o = window_options(3'600'000);
  o.maxCompletedJobsToKeep = 0;
  o.retentionIntervalMs = 1000;
  engine_fixture f{o};
  auto first = f.submit(keyed(engine_fixture::record_spec(), "k"));
  f.run();
  BOOST_REQUIRE_EQUAL(state_of(f.get(first)), "SUCCEEDED");
  f.advance(2s);  // retention deletes it (and its key), although the window has not passed
  BOOST_TEST(!f.try_get(first));
  BOOST_TEST(f.submit(keyed(engine_fixture::record_spec(), "k")) != first);
}
