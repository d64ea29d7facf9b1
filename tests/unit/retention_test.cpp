#define BOOST_TEST_MODULE retention
#include <boost/test/unit_test.hpp>

// Retention through the real actors (retention actor, journal, store) under CAF's test coordinator: finished jobs
// beyond maxCompletedJobsToKeep or older than maxJobHistoryDays are deleted, every retentionIntervalMs, oldest
// first; jobs that are not finished are never touched.

#include <vector>

#include "support/engine_fixture.hpp"

using namespace troupe;
using namespace troupe::test;
using namespace std::chrono_literals;

namespace {

node_options retention_options(uint64_t keep, uint32_t days, uint32_t interval_ms) {
  auto opts = engine_fixture::options_with_slots(4);
  opts.maxCompletedJobsToKeep = keep;
  opts.maxJobHistoryDays = days;
  opts.retentionIntervalMs = interval_ms;
  return opts;
}

std::vector<job_id> submit_noops(engine_fixture& f, size_t n) {
  return f.submit(std::vector<JobSpec>(n, engine_fixture::spec("noop")));
}

bool exists(engine_fixture& f, job_id id) {
  auto job = f.try_get(id);
  if (job) return true;
  BOOST_TEST(code_name(job.error()) == "unknown_job");
  return false;
}

}  // namespace

BOOST_AUTO_TEST_CASE(the_newest_finished_jobs_up_to_maxCompletedJobsToKeep_are_kept) {
  engine_fixture f{retention_options(5, 30, 1000)};
  auto ids = submit_noops(f, 20);
  f.await(ids);
  BOOST_TEST(f.status().finished_in_store() == 20u);

  f.advance(1s);  // one retention pass

  BOOST_TEST(f.status().finished_in_store() == 5u);
  for (size_t i = 0; i < ids.size(); ++i) {
    BOOST_TEST_CONTEXT("job " << ids[i]) { BOOST_TEST(exists(f, ids[i]) == (i >= 15)); }
  }
}

BOOST_AUTO_TEST_CASE(finished_jobs_older_than_maxJobHistoryDays_are_deleted) {
  engine_fixture f{retention_options(1000, 1, 3'600'000)};
  auto old_ids = submit_noops(f, 3);
  f.await(old_ids);
  f.advance(23h);
  auto new_ids = submit_noops(f, 2);
  f.await(new_ids);
  BOOST_TEST(f.status().finished_in_store() == 5u, "nothing is a day old yet");

  f.advance(2h);  // the first three are now 25 hours old, the others 2

  BOOST_TEST(f.status().finished_in_store() == 2u);
  for (auto id : old_ids) BOOST_TEST(!exists(f, id));
  for (auto id : new_ids) BOOST_TEST(exists(f, id));
}

BOOST_AUTO_TEST_CASE(jobs_that_are_not_finished_are_never_deleted) {
  engine_fixture f{retention_options(0, 30, 1000)};
  auto running = f.submit(engine_fixture::sleep_spec(10s));
  auto finished = submit_noops(f, 3);
  f.await(finished);

  f.advance(2s);

  BOOST_TEST(state_of(f.get(running)) == "RUNNING");
  for (auto id : finished) BOOST_TEST(!exists(f, id));

  f.advance(9s);  // the sleep ends; the next pass deletes it too

  BOOST_TEST(!exists(f, running));
  BOOST_TEST(f.status().finished_in_store() == 0u);
}

BOOST_AUTO_TEST_CASE(a_large_backlog_of_finished_jobs_is_deleted_in_chunks_in_one_pass) {
  engine_fixture f{retention_options(100, 30, 60'000)};
  auto ids = submit_noops(f, 2'600);
  f.await(ids);
  BOOST_TEST(f.status().finished_in_store() == 2'600u);

  f.advance(60s);  // one pass: 1,000 + 1,000 + 500, each chunk requested once the previous one is durable

  BOOST_TEST(f.status().finished_in_store() == 100u);
  BOOST_TEST(!exists(f, ids.front()));
  BOOST_TEST(!exists(f, ids[2'499]));
  BOOST_TEST(exists(f, ids[2'500]));
  // The node went on serving meanwhile.
  auto next = submit_noops(f, 1);
  BOOST_TEST(state_of(f.await(next).at(0)) == "SUCCEEDED");
}

BOOST_AUTO_TEST_CASE(a_finished_parent_is_kept_while_a_job_waits_for_it_and_deleted_with_its_relations_after) {
  engine_fixture f{retention_options(0, 30, 1000)};
  auto done = engine_fixture::spec("noop");
  done.set_ref("done");
  done.set_batch("b");
  auto slow = engine_fixture::sleep_spec(10s);
  slow.set_ref("slow");
  auto child = engine_fixture::spec("noop");
  child.set_ref("child");
  child.add_after("done");
  child.add_after("slow");
  auto ids = f.submit({done, slow, child});
  f.run();
  BOOST_TEST(state_of(f.get(ids[0])) == "SUCCEEDED");

  f.advance(2s);  // retention passes while the child waits for `slow`: `done` stays

  BOOST_TEST(exists(f, ids[0]));
  BOOST_TEST(state_of(f.get(ids[2])) == "BLOCKED");
  // After a restart the child still finds how `done` ended.
  f.crash();
  f.restart();
  BOOST_TEST(state_of(f.await_for({ids[2]}, 1min).at(0)) == "SUCCEEDED");

  f.advance(2s);  // now nothing waits: all three go, with their edges and batch membership
  for (auto id : ids) BOOST_TEST(!exists(f, id));
  BOOST_TEST(f.status().finished_in_store() == 0u);
  bool any_edge = false;
  BOOST_REQUIRE(f.ctx().store->children(ids[0], [&](uint64_t) { return !(any_edge = true); }).is_ok());
  BOOST_TEST(!any_edge);
  BOOST_TEST(code_name(f.try_batch("b").error()) == "unknown_job");
}
