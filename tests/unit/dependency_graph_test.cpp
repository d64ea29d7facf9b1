// The dependency manager's parts on their own: the in-memory graph (actors/dependency_graph.hpp), the checks of
// a request's relations (actors/workflow.hpp), and the execution plan and batch summary read from a real store
// (storage/graph_queries.hpp). Includes the scale cases: chains and fans of 100,000 jobs go through without
// recursion (a recursive walk would overflow the stack) and in linear time.

#define BOOST_TEST_MODULE dependency_graph
#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <string>
#include <vector>

#include "actors/dependency_graph.hpp"
#include "actors/workflow.hpp"
#include "schemas/lifecycle.hpp"
#include "storage/graph_queries.hpp"
#include "support/jobs.hpp"
#include "support/store_fixture.hpp"
#include "troupe/error.hpp"

using namespace troupe;
using troupe::test::store_fixture;

namespace {

using decisions = std::vector<dependency_decision>;

dependency_graph::blocked_job waiting(uint64_t id, std::vector<uint64_t> parents, bool run_anyway = false) {
  dependency_graph::blocked_job b;
  b.id = id;
  b.pending_parents = std::move(parents);
  b.run_on_parent_failure = run_anyway;
  return b;
}

std::vector<uint64_t> released(const decisions& d) {
  std::vector<uint64_t> out;
  for (const auto& x : d)
    if (x.release) out.push_back(x.id);
  return out;
}

std::vector<uint64_t> cancelled(const decisions& d) {
  std::vector<uint64_t> out;
  for (const auto& x : d)
    if (!x.release) out.push_back(x.id);
  return out;
}

constexpr uint64_t big = 100'000;

}  // namespace

BOOST_AUTO_TEST_CASE(a_join_is_released_once_when_its_last_parent_succeeds) {
  dependency_graph g;
  decisions out;
  g.add(waiting(4, {2, 3}), &out);
  BOOST_TEST(out.empty());
  g.on_terminal(2, Job::SUCCEEDED, "", &out);
  BOOST_TEST(out.empty());
  g.on_terminal(3, Job::SUCCEEDED, "", &out);
  BOOST_TEST(released(out) == std::vector<uint64_t>{4}, boost::test_tools::per_element());
  // A repeated report changes nothing: the job left the graph.
  out.clear();
  g.on_terminal(3, Job::SUCCEEDED, "", &out);
  BOOST_TEST(out.empty());
  BOOST_TEST(g.blocked() == 0u);
}

BOOST_AUTO_TEST_CASE(a_job_whose_parents_had_ended_is_decided_when_it_is_added) {
  dependency_graph g;
  decisions out;
  g.add(waiting(5, {}), &out);
  BOOST_TEST(released(out) == std::vector<uint64_t>{5}, boost::test_tools::per_element());
  auto failed = waiting(6, {});
  failed.failed_parent = 1;
  failed.failed_reason = "ended DEAD";
  out.clear();
  g.add(failed, &out);
  BOOST_REQUIRE_EQUAL(out.size(), 1u);
  BOOST_TEST(!out[0].release);
  BOOST_TEST(out[0].reason == "parent job 1 ended DEAD");
}

BOOST_AUTO_TEST_CASE(a_cascade_cancels_descendants_and_lets_run_anyway_jobs_through) {
  dependency_graph g;
  decisions out;
  g.add(waiting(2, {1}), &out);
  g.add(waiting(3, {2}), &out);
  g.add(waiting(4, {1}, /*run_anyway=*/true), &out);
  g.add(waiting(5, {3, 4}, /*run_anyway=*/true), &out);
  g.on_terminal(1, Job::CANCELLED, "", &out);
  // 2 and 3 are cancelled; 4 runs; 5 runs on parent failure but still waits for 4.
  BOOST_TEST(cancelled(out) == (std::vector<uint64_t>{2, 3}), boost::test_tools::per_element());
  BOOST_TEST(released(out) == std::vector<uint64_t>{4}, boost::test_tools::per_element());
  auto three = std::find_if(out.begin(), out.end(), [](const dependency_decision& d) { return d.id == 3; });
  BOOST_REQUIRE(three != out.end());
  BOOST_TEST(three->reason == "ancestor job 1 ended CANCELLED (through job 2)");
  out.clear();
  g.on_terminal(4, Job::SUCCEEDED, "", &out);
  BOOST_TEST(released(out) == std::vector<uint64_t>{5}, boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(a_callback_waits_for_every_open_member_including_ones_added_later) {
  dependency_graph g;
  decisions out;
  auto cb = waiting(10, {});
  cb.callback_of = "b";
  cb.open_members = {1, 2};
  g.add(cb, &out);
  BOOST_TEST(out.empty());
  g.on_member_added("b", 3);
  g.on_terminal(1, Job::SUCCEEDED, "b", &out);
  g.on_terminal(2, Job::DEAD, "b", &out);
  BOOST_TEST(out.empty());
  g.on_terminal(3, Job::SUCCEEDED, "b", &out);
  BOOST_TEST(released(out) == std::vector<uint64_t>{10}, boost::test_tools::per_element());
  BOOST_TEST(g.watched_batches() == 0u);
}

BOOST_AUTO_TEST_CASE(compact_forgets_stale_edges_once_nothing_is_blocked) {
  dependency_graph g;
  decisions out;
  g.add(waiting(2, {1}), &out);
  g.on_terminal(2, Job::CANCELLED, "", &out);  // cancelled by a client while blocked
  BOOST_TEST(g.blocked() == 0u);
  g.compact();
  out.clear();
  g.add(waiting(3, {1}), &out);
  g.on_terminal(1, Job::SUCCEEDED, "", &out);
  BOOST_TEST(released(out) == std::vector<uint64_t>{3}, boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(a_chain_of_100000_is_released_link_by_link_and_cancelled_in_one_cascade) {
  dependency_graph g;
  decisions out;
  for (uint64_t id = 2; id <= big; ++id) g.add(waiting(id, {id - 1}), &out);
  BOOST_TEST(out.empty());
  for (uint64_t id = 1; id < big / 2; ++id) {
    g.on_terminal(id, Job::SUCCEEDED, "", &out);
    BOOST_REQUIRE_EQUAL(out.size(), 1u);
    BOOST_REQUIRE_EQUAL(out[0].id, id + 1);
    out.clear();
  }
  g.on_terminal(big / 2, Job::DEAD, "", &out);
  BOOST_TEST(out.size() == big - big / 2);
  BOOST_TEST(cancelled(out).back() == big);
  BOOST_TEST(g.blocked() == 0u);
}

BOOST_AUTO_TEST_CASE(a_fan_of_100000_children_and_a_join_of_100000_parents) {
  dependency_graph g;
  decisions out;
  for (uint64_t id = 2; id <= big; ++id) g.add(waiting(id, {1}), &out);
  std::vector<uint64_t> parents;
  for (uint64_t id = 2; id <= big; ++id) parents.push_back(id);
  g.add(waiting(big + 1, parents), &out);
  g.on_terminal(1, Job::SUCCEEDED, "", &out);
  BOOST_TEST(out.size() == big - 1);
  out.clear();
  for (uint64_t id = 2; id <= big; ++id) g.on_terminal(id, Job::SUCCEEDED, "", &out);
  BOOST_TEST(released(out) == std::vector<uint64_t>{big + 1}, boost::test_tools::per_element());
}

BOOST_FIXTURE_TEST_CASE(a_workflow_chain_of_100000_refs_is_checked_and_resolved, store_fixture) {
  std::vector<JobSpec> specs(big);
  for (uint64_t i = 0; i < big; ++i) {
    specs[i].set_kind("noop");
    specs[i].set_ref("s" + std::to_string(i));
    if (i > 0) specs[i].add_after("s" + std::to_string(i - 1));
  }
  BOOST_TEST(!validate_relations(specs, *store));
  std::vector<uint64_t> ids(big);
  for (uint64_t i = 0; i < big; ++i) ids[i] = 1000 + i;
  resolve_refs(specs, ids);
  BOOST_TEST(specs[1].dependencies(0) == 1000u);
  BOOST_TEST(specs[big - 1].dependencies(0) == 1000u + big - 2);
  BOOST_TEST(specs[big - 1].after_size() == 0);
  // Closing the chain into a ring is a cycle, named from where the search finds it.
  specs.assign(3, JobSpec{});
  for (int i = 0; i < 3; ++i) {
    specs[i].set_kind("noop");
    specs[i].set_ref(std::string(1, static_cast<char>('a' + i)));
    specs[i].add_after(std::string(1, static_cast<char>('a' + (i + 2) % 3)));
  }
  auto err = validate_relations(specs, *store);
  BOOST_TEST(describe(err).find("dependency cycle: 'a' -> 'c' -> 'b' -> 'a'") != std::string::npos, describe(err));
}

BOOST_FIXTURE_TEST_CASE(the_plan_of_a_chain_of_100000_stored_jobs_is_found_without_recursion, store_fixture) {
  storage::write_batch batch;
  for (uint64_t id = 1; id <= big; ++id) {
    Job job;
    job.set_id(id);
    job.mutable_spec()->set_kind("noop");
    job.mutable_spec()->set_batch("chain");
    if (id > 1) job.mutable_spec()->add_dependencies(id - 1);
    lifecycle::enter(job, id == 1 ? Job::SUCCEEDED : Job::BLOCKED, troupe::test::t0);
    batch.insert(job);
  }
  write(batch);
  ExecutionPlan plan;
  auto s = storage::execution_plan(*store, big / 2, big + 1, &plan);
  BOOST_REQUIRE_MESSAGE(s, s.message());
  BOOST_TEST(plan.steps_size() == static_cast<int>(big));
  BOOST_TEST(plan.critical_path_length() == big);
  BOOST_TEST(plan.steps(0).id() == 1u);
  BOOST_TEST(plan.steps(big - 1).level() == big - 1);
  BOOST_TEST(!plan.truncated());
  // A limit cuts the plan and says so.
  s = storage::execution_plan(*store, big / 2, 100, &plan);
  BOOST_REQUIRE_MESSAGE(s, s.message());
  BOOST_TEST(plan.steps_size() == 100);
  BOOST_TEST(plan.truncated());

  BatchSummary summary;
  s = storage::batch_summary(*store, "chain", &summary);
  BOOST_REQUIRE_MESSAGE(s, s.message());
  BOOST_TEST(summary.total() == big);
  BOOST_TEST(summary.succeeded() == 1u);
  BOOST_TEST(summary.pending() == big - 1);
  BOOST_TEST(BatchSummary::State_Name(summary.state()) == "ACTIVE");
}
