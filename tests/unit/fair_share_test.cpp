// Fair share on a whole node under CAF's test coordinator (tests/support/engine_fixture.hpp): a light user's
// job is not stuck behind a heavy user's flood, weights and kinds are honoured, aging lifts LOW work past a
// stream of HIGH work, and per-user and per-kind limits on running jobs are never exceeded. Deterministic: time
// moves only through advance(); the randomized run prints its seed.

#define BOOST_TEST_MODULE fair_share
#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "schemas/time.hpp"
#include "support/engine_fixture.hpp"

using namespace std::chrono_literals;
using namespace troupe;
using troupe::test::engine_fixture;
using troupe::test::state_of;

namespace {

JobSpec as_user(JobSpec spec, const std::string& user) {
  spec.set_user(user);
  return spec;
}

std::vector<JobSpec> many(size_t n, const JobSpec& spec) { return std::vector<JobSpec>(n, spec); }

// Where `id` is in `order` (order.size() if absent).
size_t position(const std::vector<job_id>& order, job_id id) {
  return std::find(order.begin(), order.end(), id) - order.begin();
}

// Kinds "tick" and "tock" record the job id at start, like "record", into a list the test holds.
struct ticking {
  std::shared_ptr<std::vector<job_id>> started = std::make_shared<std::vector<job_id>>();
  engine_fixture::kind_setup setup() const {
    auto list = started;
    return [list](kind_registry& kinds) {
      for (const char* name : {"tick", "tock"})
        BOOST_REQUIRE(!kinds.add_function(
            name,
            [list](const attempt& run) {
              list->push_back(run.job().id());
              return outcome::success();
            },
            kind_registry::execution::inline_call));
    };
  }
};

}  // namespace

BOOST_AUTO_TEST_CASE(a_light_users_new_job_starts_within_two_dispatches_of_a_heavy_users_flood) {
  engine_fixture f{engine_fixture::options_with_slots(1)};
  auto blocker = f.submit(as_user(engine_fixture::sleep_spec(100ms), "someone"));
  auto heavy = f.submit(many(5000, as_user(engine_fixture::record_spec(), "heavy")));
  auto light = f.submit(as_user(engine_fixture::record_spec(), "light"));
  f.await_for({blocker, light}, 1min);
  auto at = position(f.started(), light);
  BOOST_TEST_MESSAGE("the light user's job started as number " << at + 1 << " after the flood of " << heavy.size());
  BOOST_TEST(at < 2u);
}

BOOST_AUTO_TEST_CASE(user_weights_share_dispatches_in_proportion) {
  auto options = engine_fixture::options_with_slots(1);
  options.userWeights = "big=3";
  engine_fixture f{options};
  auto blocker = f.submit(engine_fixture::sleep_spec(100ms));
  auto big = f.submit(many(300, as_user(engine_fixture::record_spec(), "big")));
  auto small = f.submit(many(300, as_user(engine_fixture::record_spec(), "small")));
  f.await_for({blocker}, 1min);
  // In the first 200 starts (both users still have work) big gets 3 for every 1 of small.
  std::vector<job_id> first(f.started().begin(), f.started().begin() + 200);
  auto of_big =
      std::count_if(first.begin(), first.end(), [&](job_id id) { return id >= big.front() && id <= big.back(); });
  BOOST_TEST(of_big == 150);
  (void)small;
}

BOOST_AUTO_TEST_CASE(inside_a_users_share_kinds_take_turns) {
  ticking t;
  engine_fixture f{engine_fixture::options_with_slots(1), t.setup()};
  auto blocker = f.submit(engine_fixture::sleep_spec(100ms));
  f.submit(many(1000, as_user(engine_fixture::spec("tick"), "u")));
  auto tock = f.submit(as_user(engine_fixture::spec("tock"), "u"));
  f.await_for({blocker, tock}, 1min);
  BOOST_TEST(position(*t.started, tock) < 2u);
}

BOOST_AUTO_TEST_CASE(aging_lifts_a_low_job_past_a_steady_stream_of_high_jobs) {
  auto options = engine_fixture::options_with_slots(1);
  options.priorityAgingMs = 1000;
  engine_fixture f{options};
  auto blocker = f.submit(engine_fixture::sleep_spec(100ms, JobSpec::HIGH));
  auto low = f.submit(engine_fixture::record_spec(JobSpec::LOW));
  // HIGH work that alone would keep the slot busy for 10 s.
  auto high = f.submit(many(100, engine_fixture::sleep_spec(100ms, JobSpec::HIGH)));
  f.await_for({low}, 1h);
  size_t high_done = 0;
  for (auto id : high) high_done += state_of(f.get(id)) == "SUCCEEDED" ? 1 : 0;
  auto job = f.get(low);
  BOOST_TEST_MESSAGE("the LOW job ran after " << high_done << " of 100 HIGH jobs, "
                                             << (to_micros(job.finished_at()) - to_micros(job.created_at())) / 1000
                                             << " ms after it was submitted");
  // Every waiting job ages, the HIGH ones too (to CRITICAL after 1 s): the LOW job climbs one lane per second
  // and runs once it reaches the oldest HIGH work, after about 36 of the 100 ms HIGH jobs, not after all 100.
  BOOST_TEST(high_done < 40u);
  BOOST_TEST(f.status().aged_total() > 0u);
  BOOST_TEST(high_done >= 15u);
  (void)blocker;
}

BOOST_AUTO_TEST_CASE(without_aging_a_low_job_waits_for_all_high_work) {
  auto options = engine_fixture::options_with_slots(1);
  options.priorityAgingMs = 0;
  engine_fixture f{options};
  f.submit(engine_fixture::sleep_spec(100ms, JobSpec::HIGH));
  auto low = f.submit(engine_fixture::record_spec(JobSpec::LOW));
  auto high = f.submit(many(30, engine_fixture::sleep_spec(100ms, JobSpec::HIGH)));
  f.await_for({low}, 1h);
  for (auto id : high) BOOST_TEST(state_of(f.get(id)) == "SUCCEEDED");
}

BOOST_AUTO_TEST_CASE(per_user_and_per_kind_running_limits_are_never_exceeded) {
  auto options = engine_fixture::options_with_slots(10);
  options.maxRunningPerUser = 3;
  options.userRunningLimits = "vip=5";
  options.kindRunningLimits = "sleep=8";
  engine_fixture f{options};
  // TROUPE_TEST_SEED=N repeats a run.
  const char* fixed = std::getenv("TROUPE_TEST_SEED");
  uint64_t seed = fixed != nullptr ? std::stoull(fixed) : std::random_device{}();
  BOOST_TEST_MESSAGE("seed " << seed << " (TROUPE_TEST_SEED=" << seed << " repeats this run)");
  std::mt19937_64 rng{seed};
  const std::vector<std::string> users = {"a", "b", "vip"};
  std::map<std::string, uint32_t> limit = {{"a", 3}, {"b", 3}, {"vip", 5}};
  auto running_of = [&](const std::vector<job_id>& ids) {
    std::map<std::string, uint32_t> out;
    for (auto id : ids)
      if (auto job = f.stored(id); job.state() == Job::RUNNING) ++out[job.spec().user()];
    return out;
  };
  // First each user's own limit, with room under the kind limit: vip runs 5, then a and b fill the kind's 8.
  std::vector<job_id> all = f.submit(many(10, as_user(engine_fixture::sleep_spec(100ms), "vip")));
  f.run();
  BOOST_TEST(running_of(all)["vip"] == 5u);
  for (const auto* user : {"a", "b"}) {
    auto more = f.submit(many(10, as_user(engine_fixture::sleep_spec(100ms), user)));
    all.insert(all.end(), more.begin(), more.end());
  }
  f.run();
  auto first = running_of(all);
  BOOST_TEST(first["vip"] == 5u);
  BOOST_TEST(first["a"] + first["b"] == 3u, "the kind's limit of 8 leaves 3 places");
  // Then a random mix over time.
  bool kind_at_limit = false;
  for (int round = 0; round < 40; ++round) {
    // Submit a few jobs of random users and kinds, then let time pass a little.
    for (int i = 0; i < 6; ++i) {
      auto user = users[rng() % users.size()];
      auto spec = engine_fixture::sleep_spec(std::chrono::milliseconds{50 + rng() % 100});
      all.push_back(f.submit(as_user(spec, user)));
    }
    f.advance(std::chrono::milliseconds{rng() % 20});
    uint32_t running = 0;
    for (const auto& [user, n] : running_of(all)) {
      BOOST_TEST(n <= limit[user], user << " runs " << n);
      running += n;
    }
    BOOST_TEST(running <= 8u, "sleep jobs running: " << running);
    kind_at_limit = kind_at_limit || running == 8;
  }
  auto done = f.await_for(all, 1h);
  for (const auto& job : done) BOOST_TEST(state_of(job) == "SUCCEEDED");
  // The mix is heavy enough that the kind's limit was reached, not merely never approached.
  BOOST_TEST(kind_at_limit);
}

BOOST_AUTO_TEST_CASE(a_kind_at_its_limit_does_not_hold_back_other_kinds) {
  ticking t;
  auto options = engine_fixture::options_with_slots(4);
  options.kindRunningLimits = "sleep=2";
  engine_fixture f{options, t.setup()};
  auto sleeps = f.submit(many(10, engine_fixture::sleep_spec(100ms)));
  auto ticks = f.submit(many(5, engine_fixture::spec("tick")));
  f.run();
  size_t running = 0;
  for (auto id : sleeps) running += state_of(f.get(id)) == "RUNNING" ? 1 : 0;
  BOOST_TEST(running == 2u);
  for (auto id : ticks) BOOST_TEST(state_of(f.get(id)) == "SUCCEEDED");
  auto done = f.await_for(sleeps, 1h);
  for (const auto& job : done) BOOST_TEST(state_of(job) == "SUCCEEDED");
}
