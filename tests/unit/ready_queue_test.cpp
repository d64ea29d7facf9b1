// The scheduler's in-memory ready queue (actors/ready_queue.hpp): strict priority across lanes and
// FIFO within one, a single FIFO by seq when priority scheduling is off, lazy removal, and the
// record cache's byte budget.

#define BOOST_TEST_MODULE ready_queue
#include <boost/test/unit_test.hpp>

#include <string>
#include <vector>

#include "actors/ready_queue.hpp"

using namespace troupe;
namespace tt = boost::test_tools;

namespace {

struct popped {
  int lane = -1;
  uint64_t seq = 0;
  uint64_t id = 0;
  bool operator==(const popped&) const = default;
};

std::ostream& operator<<(std::ostream& out, const popped& p) {
  return out << "{lane " << p.lane << ", seq " << p.seq << ", id " << p.id << "}";
}

// Pops everything, in order.
std::vector<popped> drain(ready_queue& q) {
  std::vector<popped> out;
  int lane = -1;
  while (auto e = q.pop(&lane)) out.push_back({lane, e->seq, e->id});
  return out;
}

std::vector<uint64_t> ids_of(const std::vector<popped>& entries) {
  std::vector<uint64_t> ids;
  for (const auto& e : entries) ids.push_back(e.id);
  return ids;
}

using ids = std::vector<uint64_t>;
constexpr size_t no_cache = 0;

}  // namespace

BOOST_AUTO_TEST_CASE(lanes_are_served_in_strict_priority_order_and_fifo_within_a_lane) {
  ready_queue q{/*strict_priority=*/true, no_cache};
  q.push(3, 1, 101);  // LOW, queued first
  q.push(2, 2, 201);
  q.push(0, 3, 1);
  q.push(2, 4, 202);
  q.push(1, 5, 11);
  q.push(0, 6, 2);
  q.push(3, 7, 102);
  BOOST_TEST(q.size() == 7u);
  BOOST_TEST(q.size(0) == 2u);
  BOOST_TEST(q.size(3) == 2u);

  auto order = drain(q);
  BOOST_TEST(order == (std::vector<popped>{{0, 3, 1},
                                           {0, 6, 2},
                                           {1, 5, 11},
                                           {2, 2, 201},
                                           {2, 4, 202},
                                           {3, 1, 101},
                                           {3, 7, 102}}),
             tt::per_element());
  BOOST_TEST(q.empty());
  BOOST_TEST(!q.pop().has_value());
}

BOOST_AUTO_TEST_CASE(a_higher_lane_filled_later_is_served_before_the_rest_of_a_lower_one) {
  ready_queue q{true, no_cache};
  q.push(2, 1, 201);
  q.push(2, 2, 202);
  BOOST_TEST(q.pop()->id == 201u);
  q.push(0, 3, 1);
  BOOST_TEST(q.pop()->id == 1u);
  BOOST_TEST(q.pop()->id == 202u);
  BOOST_TEST(!q.pop().has_value());
}

BOOST_AUTO_TEST_CASE(without_strict_priority_jobs_are_served_in_one_fifo_by_seq_across_lanes) {
  ready_queue q{/*strict_priority=*/false, no_cache};
  q.push(3, 1, 101);
  q.push(2, 2, 201);
  q.push(0, 3, 1);
  q.push(2, 4, 202);
  q.push(1, 5, 11);
  q.push(0, 6, 2);
  q.push(3, 7, 102);

  auto order = drain(q);
  BOOST_TEST(order == (std::vector<popped>{{3, 1, 101},
                                           {2, 2, 201},
                                           {0, 3, 1},
                                           {2, 4, 202},
                                           {1, 5, 11},
                                           {0, 6, 2},
                                           {3, 7, 102}}),
             tt::per_element());
  BOOST_TEST(q.empty());
}

BOOST_AUTO_TEST_CASE(a_removed_job_is_skipped_lazily_when_it_reaches_the_head_of_its_lane) {
  ready_queue q{true, no_cache};
  q.push(0, 1, 1);
  q.push(0, 2, 2);
  q.push(0, 3, 3);
  q.push(2, 4, 201);

  q.remove(2, 0);
  q.remove(201, 2);
  BOOST_TEST(q.size() == 2u);  // removed jobs are not counted, though their entries wait to be popped past
  BOOST_TEST(q.size(0) == 2u);
  BOOST_TEST(q.size(2) == 0u);

  BOOST_TEST(q.pop()->id == 1u);
  BOOST_TEST(q.size(0) == 1u);
  int lane = -1;
  auto next = q.pop(&lane);
  BOOST_REQUIRE(next.has_value());
  BOOST_TEST(next->id == 3u);  // 2 was dropped on the way
  BOOST_TEST(lane == 0);
  BOOST_TEST(q.size() == 0u);
  BOOST_TEST(q.empty());             // only the removed 201 is left
  BOOST_TEST(!q.pop().has_value());
  BOOST_TEST(q.empty());

  // A removal is used up by the entry it drops: the job queued again later is served.
  q.push(0, 5, 2);
  BOOST_TEST(q.pop()->id == 2u);
}

BOOST_AUTO_TEST_CASE(
    records_within_the_byte_budget_are_kept_and_those_beyond_are_dropped_with_their_entry_kept) {
  ready_queue q{true, /*cache_bytes=*/100};
  q.push(2, 1, 1, std::string(40, 'a'));
  q.push(2, 2, 2, std::string(40, 'b'));
  BOOST_TEST(q.cached_bytes() == 80u);
  q.push(2, 3, 3, std::string(40, 'c'));  // 120 > 100: dropped
  BOOST_TEST(q.cached_bytes() == 80u);
  q.push(2, 4, 4, std::string(20, 'd'));  // exactly at the budget: kept
  BOOST_TEST(q.cached_bytes() == 100u);
  q.push(2, 5, 5, std::string(1, 'e'));
  BOOST_TEST(q.cached_bytes() == 100u);
  BOOST_TEST(q.size() == 5u);

  auto first = q.pop();
  BOOST_REQUIRE(first.has_value());
  BOOST_TEST(first->record == std::string(40, 'a'));
  BOOST_TEST(q.cached_bytes() == 60u);
  q.push(2, 6, 6, std::string(30, 'f'));  // room again
  BOOST_TEST(q.cached_bytes() == 90u);

  std::vector<std::string> records;
  while (auto e = q.pop()) records.push_back(e->record);
  BOOST_TEST(records == (std::vector<std::string>{std::string(40, 'b'), "", std::string(20, 'd'),
                                                  "", std::string(30, 'f')}),
             tt::per_element());
  BOOST_TEST(q.cached_bytes() == 0u);
}

BOOST_AUTO_TEST_CASE(
    cached_bytes_returns_to_zero_after_everything_is_popped_including_removed_entries) {
  ready_queue q{false, /*cache_bytes=*/1000};
  q.push(0, 1, 1, std::string(100, 'x'));
  q.push(1, 2, 2, std::string(200, 'y'));
  q.push(3, 3, 3, std::string(300, 'z'));
  BOOST_TEST(q.cached_bytes() == 600u);
  q.remove(2, 1);
  BOOST_TEST(q.cached_bytes() == 600u);  // removal is lazy: the record goes when the entry does

  BOOST_TEST(ids_of(drain(q)) == (ids{1, 3}), tt::per_element());
  BOOST_TEST(q.cached_bytes() == 0u);
  BOOST_TEST(q.empty());
}
