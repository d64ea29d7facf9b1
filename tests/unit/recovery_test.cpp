// Recovery at open (storage/recovery.hpp): jobs that were RUNNING when the node stopped go back to
// READY with their attempt counted, at the back of their lane, or end DEAD when that was their last
// attempt; nothing else changes, and a second recovery has nothing to do. The per-user usage counters
// follow the jobs it ends DEAD, and a store without counters has them counted once. On a real RocksDB
// in a temporary directory.

#define BOOST_TEST_MODULE recovery
#include <boost/test/unit_test.hpp>

#include <map>
#include <string>
#include <vector>

#include "storage/recovery.hpp"
#include "storage/store.hpp"
#include "storage/usage.hpp"
#include "storage/write_batch.hpp"
#include "support/jobs.hpp"
#include "support/store_fixture.hpp"

using namespace troupe;
namespace tt = boost::test_tools;
using storage::recovery_report;
using storage::write_batch;
using test::make_job;
using test::queue_entry;
using test::t0;

namespace {

using entries = std::vector<queue_entry>;

// A store as a node leaves it when it stops: two jobs RUNNING with attempts left, one RUNNING on
// its last attempt, one READY and one finished job. The store is then reopened, as at the next
// start.
struct stopped_node : test::store_fixture {
  // Job ids.
  static constexpr uint64_t running = 1;   // NORMAL, attempt 1 of 3
  static constexpr uint64_t last_try = 2;  // HIGH, attempt 3 of 3
  static constexpr uint64_t ready = 3;     // NORMAL, queued behind `running`
  static constexpr uint64_t finished = 4;  // SUCCEEDED
  static constexpr uint64_t critical = 5;  // CRITICAL, attempt 2 of 3
  static constexpr micros now = t0 + 1'000'000;

  stopped_node() {
    write_batch batch;
    batch.insert(
        make_job(running, Job::RUNNING, {.ready_seq = 1, .attempts = 1, .max_attempts = 3}));
    batch.insert(
        make_job(last_try, Job::RUNNING,
                 {.priority = JobSpec::HIGH, .ready_seq = 2, .attempts = 3, .max_attempts = 3}));
    batch.insert(make_job(ready, Job::READY, {.ready_seq = 3}));
    batch.insert(make_job(finished, Job::SUCCEEDED, {.attempts = 1, .finished_at = t0 + 10}));
    batch.insert(make_job(
        critical, Job::RUNNING,
        {.priority = JobSpec::CRITICAL, .ready_seq = 4, .attempts = 2, .max_attempts = 3}));
    batch.set_next_id(6);
    write(batch);
    reopen();
    ready_record = get(ready).SerializeAsString();
    finished_record = get(finished).SerializeAsString();
  }

  recovery_report recover() {
    recovery_report report{99, 99};
    auto s = storage::recover_interrupted(*store, now, &report);
    BOOST_REQUIRE_MESSAGE(s.is_ok(), "recover_interrupted: " << s.message());
    return report;
  }

  // Checks the state recovery leaves, whether or not the store was reopened since.
  void check_recovered() {
    auto job = get(running);
    BOOST_TEST(job.state() == Job::READY);
    BOOST_TEST(job.attempts() == 1u);  // the interrupted attempt stays counted
    // The interrupted attempt's lease stays, so that a worker that finished it may still report its result.
    BOOST_TEST(job.lease().attempt() == 1u);
    BOOST_TEST(job.lease().node() == "node-a");
    BOOST_TEST(job.ready_seq() > 4u);  // above every position stored before
    BOOST_REQUIRE(job.transitions_size() == 2);
    const auto& t = job.transitions(1);
    BOOST_TEST(t.state() == Job::READY);
    BOOST_TEST(to_micros(t.at()) == now);
    BOOST_TEST(t.attempt() == 1u);
    BOOST_CHECK_MESSAGE(t.reason().find("attempt 1") != std::string::npos, t.reason());
    BOOST_TEST(!job.has_finished_at());

    auto revived = get(critical);
    BOOST_TEST(revived.state() == Job::READY);
    BOOST_TEST(revived.attempts() == 2u);
    BOOST_TEST(revived.ready_seq() > 4u);
    BOOST_TEST(revived.ready_seq() != job.ready_seq());
    BOOST_TEST(revived.transitions(revived.transitions_size() - 1).reason().find("attempt 2") !=
               std::string::npos);

    auto dead = get(last_try);
    BOOST_TEST(dead.state() == Job::DEAD);
    BOOST_TEST(dead.attempts() == 3u);
    BOOST_TEST(!dead.has_lease());
    BOOST_CHECK_MESSAGE(dead.last_error().find("attempt 3") != std::string::npos,
                        dead.last_error());
    BOOST_TEST(to_micros(dead.finished_at()) == now);
    BOOST_TEST(dead.transitions(dead.transitions_size() - 1).state() == Job::DEAD);
    BOOST_TEST(store->in_history(storage::history_entry{last_try, now}));
    BOOST_TEST(store->history_size() == 2);

    // Each requeued job at the back of its lane, the dead one out of the queue, the READY one where
    // it was.
    BOOST_TEST(queue() == (entries{{0, revived.ready_seq(), critical},
                                   {2, 3, ready},
                                   {2, job.ready_seq(), running}}),
               tt::per_element());

    BOOST_TEST(get(ready).SerializeAsString() == ready_record);
    BOOST_TEST(get(finished).SerializeAsString() == finished_record);
  }

  std::string ready_record;
  std::string finished_record;
};

}  // namespace

BOOST_FIXTURE_TEST_CASE(
    running_jobs_come_back_ready_with_their_attempt_counted_at_the_back_of_their_lane,
    stopped_node) {
  recover();
  auto job = get(running);
  BOOST_TEST(job.state() == Job::READY);
  BOOST_TEST(job.attempts() == 1u);
  BOOST_TEST(job.spec().max_attempts() == 3u);
  BOOST_TEST(job.lease().attempt() == 1u, "the interrupted attempt's lease is kept for a worker's report");
  BOOST_TEST(job.ready_seq() > 4u);
  const auto& t = job.transitions(job.transitions_size() - 1);
  BOOST_TEST(t.state() == Job::READY);
  BOOST_TEST(to_micros(t.at()) == now);
  BOOST_CHECK_MESSAGE(t.reason().find("attempt 1") != std::string::npos, t.reason());
  BOOST_TEST(queue() == (entries{{0, get(critical).ready_seq(), critical},
                                 {2, 3, ready},
                                 {2, job.ready_seq(), running}}),
             tt::per_element());
}

BOOST_FIXTURE_TEST_CASE(a_running_job_on_its_last_attempt_ends_dead_with_its_error_recorded,
                        stopped_node) {
  recover();
  auto dead = get(last_try);
  BOOST_TEST(dead.state() == Job::DEAD);
  BOOST_TEST(dead.attempts() == 3u);
  BOOST_TEST(!dead.last_error().empty());
  BOOST_CHECK_MESSAGE(dead.last_error().find("attempt 3") != std::string::npos, dead.last_error());
  BOOST_TEST(to_micros(dead.finished_at()) == now);
  for (const auto& e : queue()) BOOST_TEST(e.id != last_try);
  BOOST_TEST(store->history_size() == 2);
  BOOST_TEST(store->in_history(storage::history_entry{last_try, now}));
}

BOOST_FIXTURE_TEST_CASE(ready_and_finished_jobs_are_left_untouched, stopped_node) {
  recover();
  BOOST_TEST(get(ready).SerializeAsString() == ready_record);
  BOOST_TEST(get(finished).SerializeAsString() == finished_record);
  BOOST_TEST(store->in_history(storage::history_entry{finished, t0 + 10}));
}

BOOST_FIXTURE_TEST_CASE(the_report_counts_requeued_and_dead_jobs, stopped_node) {
  auto report = recover();
  BOOST_TEST(report.requeued == 2u);
  BOOST_TEST(report.dead == 1u);
  check_recovered();
}

BOOST_FIXTURE_TEST_CASE(a_second_recovery_finds_nothing_to_do, stopped_node) {
  recover();
  auto queued = queue();
  auto record = get(running).SerializeAsString();

  auto report = recover();
  BOOST_TEST(report.requeued == 0u);
  BOOST_TEST(report.dead == 0u);
  BOOST_TEST(queue() == queued, tt::per_element());
  BOOST_TEST(get(running).SerializeAsString() == record);
  check_recovered();
}

BOOST_FIXTURE_TEST_CASE(recovery_is_durable_across_a_close_and_reopen, stopped_node) {
  recover();
  auto queued = queue();
  close();
  reopen();

  check_recovered();
  BOOST_TEST(queue() == queued, tt::per_element());
  auto report = recover();
  BOOST_TEST(report.requeued == 0u);
  BOOST_TEST(report.dead == 0u);
  check_recovered();
  // Positions taken after this open are above the requeued ones.
  BOOST_TEST(store->take_ready_seq() > get(running).ready_seq());
  BOOST_TEST(store->take_ready_seq() > get(critical).ready_seq());
}

BOOST_FIXTURE_TEST_CASE(a_store_without_running_jobs_needs_no_recovery, test::store_fixture) {
  write_batch batch;
  batch.insert(make_job(1, Job::READY, {.ready_seq = 1}));
  batch.insert(make_job(2, Job::CANCELLED, {.finished_at = t0 + 5}));
  write(batch);
  recovery_report report{7, 7};
  auto s = storage::recover_interrupted(*store, t0 + 100, &report);  // counts the usage: the store has none yet
  BOOST_REQUIRE_MESSAGE(s.is_ok(), s.message());
  BOOST_TEST(report.usage_rebuilt);
  auto writes = store->stats().writes;

  s = storage::recover_interrupted(*store, t0 + 100, &report);
  BOOST_REQUIRE_MESSAGE(s.is_ok(), s.message());
  BOOST_TEST(report.requeued == 0u);
  BOOST_TEST(report.dead == 0u);
  BOOST_TEST(!report.usage_rebuilt);
  BOOST_TEST(store->stats().writes == writes);  // nothing to write
  BOOST_TEST(queue() == (entries{{2, 1, 1}}), tt::per_element());
  BOOST_TEST(get(1).state() == Job::READY);
}

namespace {

std::string usage_text(const storage::usage_map& usage) {
  std::map<std::string, usage_counter> sorted(usage.begin(), usage.end());
  std::string out;
  for (const auto& [user, c] : sorted)
    if (!c.empty()) out += user + ": " + std::to_string(c.jobs) + " jobs, " + std::to_string(c.payload_bytes) + " B; ";
  return out;
}

}  // namespace

BOOST_FIXTURE_TEST_CASE(a_job_ended_dead_stops_counting_in_the_same_write, stopped_node) {
  size_t users = 0;
  BOOST_REQUIRE(storage::rebuild_usage(*store, &users).is_ok());  // a store that keeps counters
  storage::usage_map usage;
  BOOST_REQUIRE(storage::load_usage(*store, &usage).is_ok());
  BOOST_TEST(usage_text(usage) == "alice: 4 jobs, 0 B; ");
  auto writes = store->stats().writes;
  auto report = recover();
  BOOST_TEST(!report.usage_rebuilt);
  BOOST_TEST(store->stats().writes == writes + 1, "the jobs and the counters in one write");
  BOOST_REQUIRE(storage::load_usage(*store, &usage).is_ok());
  BOOST_TEST(usage_text(usage) == "alice: 3 jobs, 0 B; ");
  storage::usage_map counted;
  BOOST_REQUIRE(storage::count_usage(*store, &counted).is_ok());
  BOOST_TEST(usage_text(counted) == usage_text(usage));
}

BOOST_FIXTURE_TEST_CASE(a_store_without_counters_has_them_counted_once_after_recovery, stopped_node) {
  auto report = recover();
  BOOST_TEST(report.usage_rebuilt);
  BOOST_TEST(report.usage_users == 1u);
  storage::usage_map usage;
  BOOST_REQUIRE(storage::load_usage(*store, &usage).is_ok());
  BOOST_TEST(usage_text(usage) == "alice: 3 jobs, 0 B; ", "the job ended DEAD is not counted");
  BOOST_TEST(!recover().usage_rebuilt);
}
