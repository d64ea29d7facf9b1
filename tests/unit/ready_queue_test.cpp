// The scheduler's in-memory ready queue (actors/ready_queue.hpp): strict priority across lanes, weighted fair
// share across users and across a user's kinds, FIFO within a flow, one level when priority scheduling is off,
// aging, limits on running jobs per user and per kind, lazy removal, and the record cache's byte budget.

#define BOOST_TEST_MODULE ready_queue
#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <array>
#include <map>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "actors/ready_queue.hpp"

using namespace troupe;
namespace tt = boost::test_tools;
using flow_key = ready_queue::flow_key;

namespace {

struct served {
  int lane = -1;
  uint64_t seq = 0;
  uint64_t id = 0;
  bool operator==(const served&) const = default;
};

std::ostream& operator<<(std::ostream& out, const served& s) {
  return out << "{lane " << s.lane << ", seq " << s.seq << ", id " << s.id << "}";
}

fair_share_config config(bool strict_priority = true, size_t cache_bytes = 0) {
  fair_share_config c;
  c.strict_priority = strict_priority;
  c.cache_bytes = cache_bytes;
  return c;
}

// Pops everything, in order.
std::vector<served> drain(ready_queue& q, micros now = 0) {
  std::vector<served> out;
  while (auto p = q.pop(now)) out.push_back({p->lane, p->job.seq, p->job.id});
  return out;
}

std::vector<uint64_t> ids_of(const std::vector<served>& entries) {
  std::vector<uint64_t> ids;
  for (const auto& e : entries) ids.push_back(e.id);
  return ids;
}

// The users of the next `n` pops, as their names' first letters ("abab").
std::string users_of_pops(ready_queue& q, size_t n, const std::vector<flow_key>& keys, const std::string& names) {
  std::string out;
  for (size_t i = 0; i < n; ++i) {
    auto p = q.pop(0);
    if (!p) break;
    auto it = std::find(keys.begin(), keys.end(), p->key);
    out += it == keys.end() ? '?' : names[it - keys.begin()];
  }
  return out;
}

using ids = std::vector<uint64_t>;
constexpr size_t no_cache = 0;

}  // namespace

// --- priority, FIFO, one level without priority ----------------------------------------------------------------

BOOST_AUTO_TEST_CASE(lanes_are_served_in_strict_priority_order_and_fifo_within_a_lane) {
  ready_queue q{config()};
  auto k = q.key_of("alice", "noop");
  q.push(3, 1, 101, k, 0);  // LOW, queued first
  q.push(2, 2, 201, k, 0);
  q.push(0, 3, 1, k, 0);
  q.push(2, 4, 202, k, 0);
  q.push(1, 5, 11, k, 0);
  q.push(0, 6, 2, k, 0);
  q.push(3, 7, 102, k, 0);
  BOOST_TEST(q.size() == 7u);
  BOOST_TEST(q.size(0) == 2u);
  BOOST_TEST(q.size(3) == 2u);

  auto order = drain(q);
  BOOST_TEST(order == (std::vector<served>{{0, 3, 1},
                                           {0, 6, 2},
                                           {1, 5, 11},
                                           {2, 2, 201},
                                           {2, 4, 202},
                                           {3, 1, 101},
                                           {3, 7, 102}}),
             tt::per_element());
  BOOST_TEST(q.empty());
  BOOST_TEST(!q.pop(0).has_value());
}

BOOST_AUTO_TEST_CASE(a_higher_lane_filled_later_is_served_before_the_rest_of_a_lower_one) {
  ready_queue q{config()};
  auto alice = q.key_of("alice", "noop");
  auto bob = q.key_of("bob", "noop");
  q.push(2, 1, 201, alice, 0);
  q.push(2, 2, 202, alice, 0);
  BOOST_TEST(q.pop(0)->job.id == 201u);
  q.push(0, 3, 1, bob, 0);
  auto next = q.pop(0);
  BOOST_TEST(next->job.id == 1u);
  BOOST_TEST(next->lane == 0);
  BOOST_TEST(q.pop(0)->job.id == 202u);
  BOOST_TEST(!q.pop(0).has_value());
}

BOOST_AUTO_TEST_CASE(without_strict_priority_lanes_share_one_level_and_sizes_stay_per_lane) {
  ready_queue q{config(/*strict_priority=*/false)};
  auto k = q.key_of("alice", "noop");
  q.push(3, 1, 101, k, 0);
  q.push(2, 2, 201, k, 0);
  q.push(0, 3, 1, k, 0);
  q.push(2, 4, 202, k, 0);
  q.push(1, 5, 11, k, 0);
  q.push(0, 6, 2, k, 0);
  q.push(3, 7, 102, k, 0);
  BOOST_TEST(q.size(0) == 2u);
  BOOST_TEST(q.size(2) == 2u);
  BOOST_TEST(q.size(3) == 2u);

  // One flow: push order, each reported with the lane it was pushed with.
  auto order = drain(q);
  BOOST_TEST(order == (std::vector<served>{{3, 1, 101},
                                           {2, 2, 201},
                                           {0, 3, 1},
                                           {2, 4, 202},
                                           {1, 5, 11},
                                           {0, 6, 2},
                                           {3, 7, 102}}),
             tt::per_element());
  BOOST_TEST(q.empty());

  // Two users: they alternate whatever their jobs' priorities.
  auto alice = q.key_of("alice", "noop");
  auto bob = q.key_of("bob", "noop");
  for (uint64_t i = 0; i < 4; ++i) q.push(3, 10 + i, 100 + i, alice, 0);
  for (uint64_t i = 0; i < 4; ++i) q.push(0, 20 + i, 200 + i, bob, 0);
  BOOST_TEST(users_of_pops(q, 8, {alice, bob}, "ab") == "abababab");
}

// --- fair share ------------------------------------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(two_users_of_equal_weight_alternate_and_each_flow_stays_fifo) {
  ready_queue q{config()};
  auto alice = q.key_of("alice", "noop");
  auto bob = q.key_of("bob", "noop");
  for (uint64_t i = 0; i < 5; ++i) q.push(2, i, 100 + i, alice, 0);
  for (uint64_t i = 0; i < 3; ++i) q.push(2, 10 + i, 200 + i, bob, 0);
  BOOST_TEST(ids_of(drain(q)) == (ids{100, 200, 101, 201, 102, 202, 103, 104}), tt::per_element());
}

BOOST_AUTO_TEST_CASE(weights_three_to_one_give_three_to_one_service) {
  auto c = config();
  c.user_weights = {{"alice", 3}};
  ready_queue q{c};
  auto alice = q.key_of("alice", "noop");
  auto bob = q.key_of("bob", "noop");
  for (uint64_t i = 0; i < 1000; ++i) {
    q.push(2, 2 * i, 2 * i, alice, 0);
    q.push(2, 2 * i + 1, 2 * i + 1, bob, 0);
  }
  auto pops = users_of_pops(q, 400, {alice, bob}, "ab");
  BOOST_TEST(pops.substr(0, 12) == "aaabaaabaaab");
  auto a = std::count(pops.begin(), pops.end(), 'a');
  auto b = std::count(pops.begin(), pops.end(), 'b');
  BOOST_TEST_MESSAGE("of 400 pops: alice " << a << ", bob " << b);
  BOOST_TEST(a == 300);
  BOOST_TEST(b == 100);
}

BOOST_AUTO_TEST_CASE(a_light_users_job_is_served_within_two_pops_of_a_flood_of_100000) {
  ready_queue q{config()};
  auto alice = q.key_of("alice", "noop");
  auto bob = q.key_of("bob", "noop");
  uint64_t seq = 0;
  for (uint64_t i = 0; i < 100'000; ++i, ++seq) q.push(2, seq, i, alice, 0);
  // Bob pushes one job at several points of alice's backlog, right after a pop or before any.
  uint64_t popped_alice = 0;
  for (uint64_t before : {0, 1, 2, 3, 1000, 54'321}) {
    for (; popped_alice < before; ++popped_alice) BOOST_REQUIRE(q.pop(0)->key == alice);
    uint64_t bobs = 1'000'000 + before;
    q.push(2, seq++, bobs, bob, 0);
    int pops = 0;
    for (;;) {
      auto p = q.pop(0);
      BOOST_REQUIRE(p.has_value());
      ++pops;
      if (p->job.id == bobs) break;
      ++popped_alice;
    }
    BOOST_TEST_MESSAGE("bob's job after " << before << " of alice's: served at pop " << pops);
    BOOST_TEST(pops <= 2, "bob's job pushed after " << before << " pops came out at pop " << pops);
  }
  BOOST_TEST(q.size() == 100'000u - popped_alice);
}

BOOST_AUTO_TEST_CASE(kinds_take_turns_inside_a_users_turn_by_kind_weight) {
  auto c = config();
  c.kind_weights = {{"y", 2}};
  ready_queue q{c};
  auto ax = q.key_of("alice", "x");
  auto ay = q.key_of("alice", "y");
  auto bx = q.key_of("bob", "x");
  uint64_t id = 0;
  for (auto [key, n] : {std::pair{ax, 6}, {ay, 6}, {bx, 9}}) {
    for (int i = 0; i < n; ++i, ++id) q.push(2, id, id, key, 0);
  }
  // Users alternate; alice's turns go x, y, y, x, y, y, ...
  auto pops = users_of_pops(q, 18, {ax, ay, bx}, "xyb");
  BOOST_TEST(pops == "xbybybxbybybxbybyb");
}

// --- aging -----------------------------------------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(aging_moves_a_low_job_up_one_lane_per_threshold_until_it_is_served_under_a_flood) {
  constexpr micros threshold = 1000;
  constexpr micros step = 100;  // time between pops
  constexpr uint64_t low = 999'999;
  auto c = config();
  c.aging_threshold = threshold;
  // A flood in HIGH, then one in CRITICAL: the LOW job climbs to the flood's lane and is served there. Each flood
  // job waits a few pops only, less than the threshold, so the flood itself never ages.
  for (int flood_lane : {1, 0}) {
    BOOST_TEST_CONTEXT("flood in lane " << flood_lane) {
      ready_queue q{c};
      auto flood = q.key_of("flood", "noop");
      auto batch = q.key_of("batch", "noop");
      uint64_t seq = 0;
      for (; seq < 5; ++seq) q.push(flood_lane, seq, seq, flood, 0);
      q.push(3, seq++, low, batch, 0);

      std::vector<micros> moved_at;  // when aged() went up
      std::optional<ready_queue::popped> low_job;
      micros now = 0;
      for (; now < 10 * threshold && !low_job; now += step) {
        q.push(flood_lane, seq, seq, flood, now);  // a flood job for every pop
        ++seq;
        auto before = q.aged();
        auto p = q.pop(now);
        BOOST_REQUIRE(p.has_value());
        if (q.aged() != before) moved_at.push_back(now);
        if (p->job.id == low) {
          low_job = p;
          break;
        }
        BOOST_TEST(p->lane == flood_lane);
        BOOST_TEST(q.size(3) == 1u);  // counted in its original lane wherever it is
      }
      std::ostringstream moves;
      for (micros at : moved_at) moves << at << " ";
      BOOST_TEST_MESSAGE("flood in lane " << flood_lane << ": moved up at " << moves.str() << "; served at "
                                          << now);
      BOOST_REQUIRE(low_job.has_value());
      BOOST_TEST(low_job->lane == flood_lane);
      BOOST_TEST(low_job->original_lane == 3);
      BOOST_TEST(q.aged() == uint64_t(3 - flood_lane));
      BOOST_REQUIRE(moved_at.size() == size_t(3 - flood_lane));
      // Each move comes more than a threshold after the last (or the push), and at most a check period and a
      // pop interval later.
      micros last = 0;
      for (micros at : moved_at) {
        BOOST_TEST(at - last > threshold);
        BOOST_TEST(at - last <= threshold + threshold / 8 + step);
        last = at;
      }
      BOOST_TEST(now - moved_at.back() <= step);  // within two pops of reaching the flood's lane
      BOOST_TEST(q.size(3) == 0u);
    }
  }
}

// Found by the noisy-tenant simulation (simulations/scenarios/noisy_tenant.toml): a user that floods a lane which
// is being served must not, once its jobs are older than the threshold, move them up past other users' newer
// jobs of that lane. Their wait is the lane's own queue, which fair share orders.
BOOST_AUTO_TEST_CASE(a_flood_in_a_lane_that_is_served_does_not_age_past_other_users_newer_jobs) {
  constexpr micros threshold = 1000;
  constexpr micros step = 10;  // time between pops: the flood takes 100 thresholds to drain
  auto c = config();
  c.aging_threshold = threshold;
  ready_queue q{c};
  auto noisy = q.key_of("noisy", "noop");
  auto light = q.key_of("light", "noop");
  uint64_t seq = 0;
  for (; seq < 10'000; ++seq) q.push(2, seq, seq, noisy, 0);
  micros now = 0;
  uint64_t light_served = 0, light_waits_over_two_pops = 0;
  for (int i = 0; i < 8000; ++i, now += step) {
    if (i % 100 == 0) q.push(2, seq, 1'000'000 + seq, light, now), ++seq;  // a light job now and then
    auto p = q.pop(now);
    BOOST_REQUIRE(p.has_value());
    if (p->key == light) {
      ++light_served;
      continue;
    }
    // A light job pushed this round must be next or after next (users take turns), not behind the flood.
    if (i % 100 == 2 && light_served < static_cast<uint64_t>(i / 100 + 1)) ++light_waits_over_two_pops;
  }
  BOOST_TEST(q.aged() == 0u);
  BOOST_TEST(light_served == 80u);
  BOOST_TEST(light_waits_over_two_pops == 0u);
}

BOOST_AUTO_TEST_CASE(a_starved_lane_ages_once_it_has_not_been_served_for_the_threshold) {
  constexpr micros threshold = 1000;
  auto c = config();
  c.aging_threshold = threshold;
  ready_queue q{c};
  auto low = q.key_of("low", "noop");
  auto high = q.key_of("high", "noop");
  q.push(3, 0, 30, low, 0);
  q.push(3, 1, 31, low, 0);
  BOOST_TEST(q.pop(0)->job.id == 30u);  // lane 3 served at 0
  for (uint64_t i = 0; i < 100; ++i) q.push(1, 2 + i, 100 + i, high, 0);
  // 31 has waited over the threshold at 1001, but its lane was served at 0: it moves once the lane has been
  // starved for the threshold too (the next check after 1000).
  BOOST_TEST(q.pop(threshold - 1)->job.id == 100u);
  BOOST_TEST(q.aged() == 0u);
  BOOST_TEST(q.pop(threshold + threshold / 8 + 1)->job.id == 101u);
  BOOST_TEST(q.aged() == 1u);
}

BOOST_AUTO_TEST_CASE(without_aging_a_low_job_waits_behind_any_flood) {
  ready_queue q{config()};
  auto k = q.key_of("flood", "noop");
  q.push(3, 0, 999, k, 0);
  for (uint64_t i = 1; i <= 10'000; ++i) {
    q.push(1, i, i, k, micros(i) * 1'000'000);
    BOOST_REQUIRE(q.pop(micros(i) * 1'000'000)->job.id == i);
  }
  BOOST_TEST(q.aged() == 0u);
  BOOST_TEST(q.pop(0)->job.id == 999u);
}

BOOST_AUTO_TEST_CASE(a_removed_job_is_dropped_whether_or_not_it_has_aged_and_sizes_stay_by_original_lane) {
  constexpr micros threshold = 1000;
  auto c = config();
  c.aging_threshold = threshold;
  ready_queue q{c};
  auto low = q.key_of("low", "noop");
  auto normal = q.key_of("normal", "noop");
  auto high = q.key_of("high", "noop");
  q.push(3, 1, 31, low, 0);
  q.push(3, 2, 32, low, 0);
  q.push(3, 3, 33, low, 0);
  q.push(2, 4, 21, normal, 0);
  for (uint64_t i = 0; i < 10; ++i) q.push(1, 10 + i, 100 + i, high, threshold);  // too young to move

  q.remove(33, 3, 3, low);  // removed before it ages: dropped by the aging check, not moved
  BOOST_TEST(q.pop(threshold + 1)->job.id == 100u);
  BOOST_TEST(q.aged() == 3u);  // 31, 32 (LOW) and 21 (NORMAL) moved up one lane
  BOOST_TEST(q.size(3) == 2u);
  BOOST_TEST(q.size(2) == 1u);
  BOOST_TEST(q.size(1) == 9u);

  q.remove(31, 3, 1, low);  // aged into lane 2: removed by its original lane
  BOOST_TEST(q.size(3) == 1u);
  BOOST_TEST(q.size(2) == 1u);
  BOOST_TEST(q.size() == 11u);

  // 21 is in lane 1 now, 32 in lane 2: both served, with their original lanes; 31 and 33 never are.
  std::vector<std::pair<uint64_t, int>> rest;
  while (auto p = q.pop(threshold + 2)) rest.push_back({p->job.id, p->original_lane});
  BOOST_TEST(rest.size() == 11u);
  BOOST_TEST((std::find(rest.begin(), rest.end(), std::pair<uint64_t, int>{32, 3}) != rest.end()));
  BOOST_TEST((std::find(rest.begin(), rest.end(), std::pair<uint64_t, int>{21, 2}) != rest.end()));
  BOOST_TEST(q.empty());
  for (int lane = 0; lane < 4; ++lane) BOOST_TEST(q.size(lane) == 0u);
  q.push(3, 50, 31, low, 0);  // the removal was used up by the entry it dropped
  BOOST_TEST(q.pop(threshold + 3)->job.id == 31u);
}

// --- limits ----------------------------------------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(a_user_at_its_limit_is_parked_without_blocking_others_and_resumes_when_one_finishes) {
  auto c = config();
  c.user_limits = {{"alice", 1}};
  ready_queue q{c};
  auto alice = q.key_of("alice", "noop");
  auto bob = q.key_of("bob", "noop");
  for (uint64_t i = 0; i < 3; ++i) q.push(0, i, 100 + i, alice, 0);  // CRITICAL
  for (uint64_t i = 0; i < 3; ++i) q.push(2, 10 + i, 200 + i, bob, 0);

  BOOST_TEST(q.pop(0)->job.id == 100u);
  BOOST_TEST(!q.may_start(alice));
  BOOST_TEST(q.may_start(bob));
  BOOST_TEST(ids_of(drain(q)) == (ids{200, 201, 202}), tt::per_element());  // alice's lane 0 does not block
  BOOST_TEST(q.size() == 2u);  // alice's, waiting for her running job
  BOOST_TEST(!q.pop(0).has_value());

  q.finished(alice);
  BOOST_TEST(q.pop(0)->job.id == 101u);
  BOOST_TEST(!q.pop(0).has_value());
  q.finished(alice);
  q.push(2, 20, 203, bob, 0);
  BOOST_TEST(q.pop(0)->job.id == 102u);  // lane 0 first again
  BOOST_TEST(q.pop(0)->job.id == 203u);
  BOOST_TEST(q.empty());
}

BOOST_AUTO_TEST_CASE(a_kind_at_its_limit_is_parked_without_blocking_other_kinds_of_the_same_user) {
  auto c = config();
  c.kind_limits = {{"x", 1}};
  ready_queue q{c};
  auto ax = q.key_of("alice", "x");
  auto ay = q.key_of("alice", "y");
  auto bx = q.key_of("bob", "x");
  q.push(2, 1, 1, ax, 0);
  q.push(2, 2, 2, ax, 0);
  q.push(2, 3, 3, bx, 0);
  q.push(2, 4, 4, ay, 0);
  q.push(2, 5, 5, ay, 0);

  auto first = q.pop(0);
  BOOST_TEST(first->job.id == 1u);  // x now at its limit
  BOOST_TEST(!q.may_start(bx));
  BOOST_TEST(ids_of(drain(q)) == (ids{4, 5}), tt::per_element());
  BOOST_TEST(q.size() == 2u);

  q.finished(first->key);  // the place goes to the x flow parked first: bob's
  auto next = q.pop(0);
  BOOST_TEST(next->job.id == 3u);
  BOOST_TEST(!q.pop(0).has_value());
  q.finished(next->key);
  BOOST_TEST(q.pop(0)->job.id == 2u);
  BOOST_TEST(q.empty());
}

BOOST_AUTO_TEST_CASE(jobs_started_without_the_queue_count_and_pop_finds_nothing_when_all_are_over_a_limit) {
  auto c = config();
  c.default_user_limit = 2;
  c.kind_limits = {{"x", 1}};
  ready_queue q{c};
  auto ax = q.key_of("alice", "x");
  auto by = q.key_of("bob", "y");
  q.started(ax);
  q.started(by);
  q.started(by);
  BOOST_TEST(!q.may_start(ax));  // x at 1 of 1
  BOOST_TEST(!q.may_start(by));  // bob at 2 of 2
  BOOST_TEST(q.may_start(q.key_of("carol", "y")));
  q.push(1, 1, 1, ax, 0);
  q.push(1, 2, 2, by, 0);
  BOOST_TEST(!q.pop(0).has_value());
  BOOST_TEST(q.size() == 2u);
  q.finished(by);
  BOOST_TEST(q.pop(0)->job.id == 2u);
  BOOST_TEST(!q.pop(0).has_value());
  q.finished(ax);
  BOOST_TEST(q.pop(0)->job.id == 1u);
}

BOOST_AUTO_TEST_CASE(a_freed_kind_place_reaches_the_next_parked_flow_when_the_first_ones_user_is_at_its_limit) {
  auto c = config();
  c.kind_limits = {{"x", 1}};
  c.user_limits = {{"alice", 1}};
  ready_queue q{c};
  auto ax = q.key_of("alice", "x");
  auto ay = q.key_of("alice", "y");
  auto bx = q.key_of("bob", "x");
  auto cx = q.key_of("carol", "x");
  q.started(cx);  // x at its limit: the x flows park as they arrive
  q.push(0, 1, 1, ax, 0);
  q.push(0, 2, 2, bx, 0);
  q.push(0, 3, 3, ay, 0);
  q.finished(cx);  // x's place goes to alice's flow...
  q.started(ay);   // ...but alice reaches her limit before it is served
  auto p = q.pop(0);
  BOOST_REQUIRE(p.has_value());
  BOOST_TEST(p->job.id == 2u);
  BOOST_TEST(!q.pop(0).has_value());
}

// Random pushes, pops, removals, finishes and jobs started without the queue, against a model: no limit is ever
// exceeded, pop returns a job exactly when an eligible one waits, from the highest lane holding one (without
// aging), and sizes stay exact.
void run_randomized_limits(uint64_t seed, bool strict_priority, micros aging_threshold) {
  BOOST_TEST_MESSAGE("seed " << seed << ", strict_priority " << strict_priority << ", aging "
                             << aging_threshold);
  BOOST_TEST_CONTEXT("seed " << seed << ", strict_priority " << strict_priority << ", aging "
                             << aging_threshold) {
    std::mt19937_64 rng{seed};
    constexpr int users = 6, kinds = 3, lanes = 4;
    auto c = config(strict_priority);
    c.aging_threshold = aging_threshold;
    c.default_user_limit = 2;
    c.user_limits = {{"u0", 1}, {"u1", 0}, {"u2", 4}};
    c.kind_limits = {{"k0", 1}, {"k1", 3}};
    c.user_weights = {{"u3", 2}};
    c.kind_weights = {{"k2", 3}};
    const std::array<uint32_t, users> user_limit{1, 0, 4, 2, 2, 2};
    const std::array<uint32_t, kinds> kind_limit{1, 3, 0};
    ready_queue q{c};
    std::array<std::array<flow_key, kinds>, users> keys;
    for (int u = 0; u < users; ++u) {
      for (int k = 0; k < kinds; ++k) {
        keys[u][k] = q.key_of("u" + std::to_string(u), "k" + std::to_string(k));
      }
    }

    struct job {
      int user, kind, lane;
    };
    std::map<uint64_t, job> queued;
    std::vector<job> running;
    std::array<uint32_t, users> user_running{};
    std::array<uint32_t, kinds> kind_running{};
    auto under = [](uint32_t running, uint32_t limit) { return limit == 0 || running < limit; };
    uint64_t next_id = 0;
    micros now = 0;
    size_t pops = 0, empty_pops = 0;

    for (int step = 0; step < 20'000; ++step) {
      now += static_cast<micros>(rng() % 10);
      int op = static_cast<int>(rng() % 20);
      if (op < 8) {
        job j{int(rng() % users), int(rng() % kinds), int(rng() % lanes)};
        q.push(j.lane, next_id, next_id, keys[j.user][j.kind], now);
        queued[next_id++] = j;
      } else if (op < 14) {
        int best_lane = lanes;  // the highest lane holding an eligible job
        for (auto& [id, j] : queued) {
          if (under(user_running[j.user], user_limit[j.user]) &&
              under(kind_running[j.kind], kind_limit[j.kind])) {
            best_lane = std::min(best_lane, j.lane);
          }
        }
        auto p = q.pop(now);
        ++pops;
        BOOST_TEST(p.has_value() == (best_lane < lanes), "step " << step);
        if (!p) {
          ++empty_pops;
          continue;
        }
        auto it = queued.find(p->job.id);
        BOOST_REQUIRE(it != queued.end());
        job j = it->second;
        queued.erase(it);
        BOOST_TEST((p->key == keys[j.user][j.kind]));
        BOOST_TEST(p->original_lane == j.lane);
        if (aging_threshold == 0) {
          BOOST_TEST(p->lane == j.lane);
          if (strict_priority) BOOST_TEST(p->lane == best_lane, "step " << step);
        } else {
          BOOST_TEST(p->lane <= j.lane);
        }
        ++user_running[j.user];
        ++kind_running[j.kind];
        BOOST_TEST((user_limit[j.user] == 0 || user_running[j.user] <= user_limit[j.user]), "step " << step);
        BOOST_TEST((kind_limit[j.kind] == 0 || kind_running[j.kind] <= kind_limit[j.kind]), "step " << step);
        running.push_back(j);
      } else if (op < 18) {
        if (running.empty()) continue;
        size_t i = rng() % running.size();
        job j = running[i];
        running[i] = running.back();
        running.pop_back();
        --user_running[j.user];
        --kind_running[j.kind];
        q.finished(keys[j.user][j.kind]);
      } else if (op < 19) {  // a job dispatched without the queue, where the limits allow
        job j{int(rng() % users), int(rng() % kinds), 0};
        bool may = under(user_running[j.user], user_limit[j.user]) &&
                   under(kind_running[j.kind], kind_limit[j.kind]);
        BOOST_TEST(q.may_start(keys[j.user][j.kind]) == may, "step " << step);
        if (!may) continue;
        q.started(keys[j.user][j.kind]);
        ++user_running[j.user];
        ++kind_running[j.kind];
        running.push_back(j);
      } else {
        if (queued.empty()) continue;
        auto it = queued.lower_bound(rng() % next_id);
        if (it == queued.end()) it = queued.begin();
        q.remove(it->first, it->second.lane, it->first, keys[it->second.user][it->second.kind]);
        queued.erase(it);
      }
      std::array<size_t, lanes> in_lane{};
      for (auto& [id, j] : queued) ++in_lane[j.lane];
      for (int lane = 0; lane < lanes; ++lane) BOOST_REQUIRE(q.size(lane) == in_lane[lane]);
    }
    BOOST_TEST_MESSAGE("pops " << pops << " (" << empty_pops << " found nothing eligible), aged " << q.aged()
                               << ", left queued " << queued.size());
    BOOST_TEST(empty_pops > 0u);  // the limits did bind

    // Everything left comes out once the running jobs finish.
    for (auto& j : running) q.finished(keys[j.user][j.kind]);
    while (auto p = q.pop(now)) {
      BOOST_REQUIRE(queued.erase(p->job.id) == 1u);
      q.finished(p->key);
    }
    BOOST_TEST(queued.empty());
    BOOST_TEST(q.empty());
  }
}

BOOST_AUTO_TEST_CASE(randomized_limits_are_never_exceeded_and_pop_finds_every_eligible_job) {
  for (uint64_t seed : {1, 2, 3, 20240601}) run_randomized_limits(seed, /*strict_priority=*/true, 0);
  for (uint64_t seed : {4, 5}) run_randomized_limits(seed, /*strict_priority=*/false, 0);
  for (uint64_t seed : {6, 7}) run_randomized_limits(seed, /*strict_priority=*/true, /*aging=*/200);
}

BOOST_AUTO_TEST_CASE(interning_gives_the_same_key_for_the_same_names) {
  ready_queue q{config()};
  auto a = q.key_of("alice", "x");
  BOOST_TEST((q.key_of(std::string("alice"), "x") == a));
  BOOST_TEST((q.key_of("alice", "y").user == a.user));
  BOOST_TEST((q.key_of("bob", "x").kind == a.kind));
  BOOST_TEST((q.key_of("bob", "x") != a));
}

// --- lazy removal and the record cache ---------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(a_removed_job_is_skipped_lazily_when_it_reaches_the_head_of_its_flow) {
  ready_queue q{config()};
  auto k = q.key_of("alice", "noop");
  q.push(0, 1, 1, k, 0);
  q.push(0, 2, 2, k, 0);
  q.push(0, 3, 3, k, 0);
  q.push(2, 4, 201, k, 0);

  q.remove(2, 0, 2, k);
  q.remove(201, 2, 4, k);
  BOOST_TEST(q.size() == 2u);  // removed jobs are not counted, though their entries wait to be popped past
  BOOST_TEST(q.size(0) == 2u);
  BOOST_TEST(q.size(2) == 0u);

  BOOST_TEST(q.pop(0)->job.id == 1u);
  BOOST_TEST(q.size(0) == 1u);
  auto next = q.pop(0);
  BOOST_REQUIRE(next.has_value());
  BOOST_TEST(next->job.id == 3u);  // 2 was dropped on the way
  BOOST_TEST(next->lane == 0);
  BOOST_TEST(q.size() == 0u);
  BOOST_TEST(q.empty());  // only the removed 201 is left
  BOOST_TEST(!q.pop(0).has_value());
  BOOST_TEST(q.empty());

  // A removal is used up by the entry it drops: the job queued again later is served.
  q.push(0, 5, 2, k, 0);
  BOOST_TEST(q.pop(0)->job.id == 2u);
}

BOOST_AUTO_TEST_CASE(
    records_within_the_byte_budget_are_kept_and_those_beyond_are_dropped_with_their_entry_kept) {
  ready_queue q{config(true, /*cache_bytes=*/100)};
  auto k = q.key_of("alice", "noop");
  q.push(2, 1, 1, k, 0, std::string(40, 'a'));
  q.push(2, 2, 2, k, 0, std::string(40, 'b'));
  BOOST_TEST(q.cached_bytes() == 80u);
  q.push(2, 3, 3, k, 0, std::string(40, 'c'));  // 120 > 100: dropped
  BOOST_TEST(q.cached_bytes() == 80u);
  q.push(2, 4, 4, k, 0, std::string(20, 'd'));  // exactly at the budget: kept
  BOOST_TEST(q.cached_bytes() == 100u);
  q.push(2, 5, 5, k, 0, std::string(1, 'e'));
  BOOST_TEST(q.cached_bytes() == 100u);
  BOOST_TEST(q.size() == 5u);

  auto first = q.pop(0);
  BOOST_REQUIRE(first.has_value());
  BOOST_TEST(first->job.record == std::string(40, 'a'));
  BOOST_TEST(q.cached_bytes() == 60u);
  q.push(2, 6, 6, k, 0, std::string(30, 'f'));  // room again
  BOOST_TEST(q.cached_bytes() == 90u);

  std::vector<std::string> records;
  while (auto p = q.pop(0)) records.push_back(p->job.record);
  BOOST_TEST(records == (std::vector<std::string>{std::string(40, 'b'), "", std::string(20, 'd'), "",
                                                  std::string(30, 'f')}),
             tt::per_element());
  BOOST_TEST(q.cached_bytes() == 0u);
}

BOOST_AUTO_TEST_CASE(
    cached_bytes_return_to_zero_after_everything_is_popped_including_removed_entries) {
  ready_queue q{config(false, /*cache_bytes=*/1000)};
  auto k = q.key_of("alice", "noop");
  q.push(0, 1, 1, k, 0, std::string(100, 'x'));
  q.push(1, 2, 2, k, 0, std::string(200, 'y'));
  q.push(3, 3, 3, k, 0, std::string(300, 'z'));
  BOOST_TEST(q.cached_bytes() == 600u);
  q.remove(2, 1, 2, k);
  BOOST_TEST(q.cached_bytes() == 600u);  // removal is lazy: the record goes when the entry does

  BOOST_TEST(ids_of(drain(q)) == (ids{1, 3}), tt::per_element());
  BOOST_TEST(q.cached_bytes() == 0u);
  BOOST_TEST(q.empty());
}

BOOST_AUTO_TEST_CASE(an_aged_entry_keeps_its_record_and_an_aging_check_drops_removed_ones) {
  auto c = config(true, /*cache_bytes=*/1000);
  c.aging_threshold = 10;
  ready_queue q{c};
  auto alice = q.key_of("alice", "noop");
  auto bob = q.key_of("bob", "noop");
  q.push(0, 1, 1, alice, 0, std::string(100, 'x'));
  q.push(1, 2, 2, bob, 0, std::string(200, 'y'));
  q.push(3, 3, 3, alice, 0, std::string(300, 'z'));
  q.remove(2, 1, 2, bob);

  auto first = q.pop(11);  // the check moves 3 up a lane and drops 2
  BOOST_TEST(first->job.id == 1u);
  BOOST_TEST(q.aged() == 1u);
  BOOST_TEST(q.cached_bytes() == 300u);
  auto second = q.pop(11);
  BOOST_TEST(second->job.id == 3u);
  BOOST_TEST(second->lane == 2);
  BOOST_TEST(second->job.record == std::string(300, 'z'));
  BOOST_TEST(q.cached_bytes() == 0u);
  BOOST_TEST(q.empty());
}

BOOST_AUTO_TEST_CASE(a_job_queued_again_after_its_removal_is_served_once_with_its_new_entry) {
  auto c = config();
  c.cache_bytes = 1000;
  ready_queue q{c};
  auto k = q.key_of("alice", "noop");
  q.push(2, 1, 7, k, 0, "old record");
  q.push(2, 2, 8, k, 0);
  q.remove(7, 2, 1, k);      // cancelled while queued: its entry stays until it reaches the head
  q.push(1, 3, 7, k, 0, "new record");  // retried: queued again with a new seq, in another lane
  BOOST_TEST(q.size() == 2u);
  auto first = q.pop(0);
  BOOST_REQUIRE(first);
  BOOST_TEST(first->job.id == 7u);
  BOOST_TEST(first->job.seq == 3u);
  BOOST_TEST(first->job.record == "new record");
  BOOST_TEST(q.pop(0)->job.id == 8u);
  BOOST_TEST(!q.pop(0), "the old entry is dropped, not served");
}

BOOST_AUTO_TEST_CASE(a_paused_kind_is_not_served_and_resuming_it_brings_its_jobs_back) {
  ready_queue q{config()};
  auto a = q.key_of("alice", "report");
  auto b = q.key_of("alice", "email");
  q.push(2, 1, 1, a, 0);
  q.push(2, 2, 2, a, 0);
  q.push(2, 3, 3, b, 0);
  q.set_kind_paused("report", true);
  BOOST_TEST(q.kind_paused("report"));
  BOOST_TEST(!q.may_start(a));
  BOOST_TEST(q.queued_of_kind("report") == 2u);
  auto p = q.pop(0);
  BOOST_REQUIRE(p);
  BOOST_TEST(p->job.id == 3u);
  BOOST_TEST(!q.pop(0), "only paused work is left");
  q.set_kind_paused("report", false);
  BOOST_TEST(q.pop(0)->job.id == 1u);
  BOOST_TEST(q.pop(0)->job.id == 2u);
  BOOST_TEST(q.queued_of_kind("report") == 0u);
  BOOST_TEST(q.running_of_kind("report") == 2u);
  BOOST_TEST(q.kinds() == (std::vector<std::string>{"email", "report"}), tt::per_element());
}
