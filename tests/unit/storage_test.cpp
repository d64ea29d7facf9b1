// The job store (storage/store.hpp, storage/write_batch.hpp) on a real RocksDB in a temporary
// directory: atomic batches, the index entries that follow a job's state, same-key order within a
// batch, id and queue position allocation across restarts, listing, multi_get, open failures, and
// the retention listing.

#define BOOST_TEST_MODULE storage
#include <boost/test/unit_test.hpp>

#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "schemas/lifecycle.hpp"
#include "storage/graph_queries.hpp"
#include "storage/keys.hpp"
#include "storage/store.hpp"
#include "storage/write_batch.hpp"
#include "support/jobs.hpp"
#include "support/store_fixture.hpp"
#include "support/temp_dir.hpp"

using namespace troupe;
namespace tt = boost::test_tools;
using storage::history_entry;
using storage::job_position;
using storage::write_batch;
using test::job_fields;
using test::make_job;
using test::queue_entry;
using test::store_fixture;
using test::t0;

namespace {

// The ids of a listing, in its order.
std::vector<uint64_t> ids_of(const std::vector<history_entry>& entries) {
  std::vector<uint64_t> ids;
  for (const auto& e : entries) ids.push_back(e.id);
  return ids;
}

std::vector<uint64_t> ids_of(const JobPage& page) {
  std::vector<uint64_t> ids;
  for (const auto& job : page.jobs()) ids.push_back(job.id());
  return ids;
}

// The retention listing of `store`, which must succeed.
std::vector<history_entry> expired(const storage::job_store& store, uint64_t keep, micros cutoff,
                                   size_t limit, uint64_t* generation = nullptr) {
  std::vector<history_entry> out;
  uint64_t ignored = 0;
  auto s = store.expired(keep, cutoff, limit, &out, generation != nullptr ? generation : &ignored);
  BOOST_REQUIRE_MESSAGE(s.is_ok(), "expired: " << s.message());
  return out;
}

JobPage list(const storage::job_store& store, const JobQuery& query) {
  JobPage page;
  auto s = store.list(query, &page);
  BOOST_REQUIRE_MESSAGE(s.is_ok(), "list: " << s.message());
  return page;
}

using ids = std::vector<uint64_t>;
using entries = std::vector<queue_entry>;

}  // namespace

// --- atomic batches ------------------------------------------------------------------------------

BOOST_FIXTURE_TEST_CASE(a_written_batch_is_all_there_after_the_store_is_reopened, store_fixture) {
  write_batch batch;
  batch.insert(make_job(1, Job::READY, {.priority = JobSpec::HIGH, .ready_seq = 1}));
  batch.insert(make_job(2, Job::RUNNING, {.ready_seq = 2, .attempts = 1}));
  batch.insert(make_job(3, Job::SUCCEEDED, {.attempts = 1, .finished_at = t0 + 5}));
  batch.set_next_id(4);
  BOOST_TEST(batch.size() == 7u);  // three records, three index entries, the counter
  write(batch);
  BOOST_TEST(batch.empty());  // write() clears the batch

  reopen();
  BOOST_TEST(get(1).state() == Job::READY);
  BOOST_TEST(get(1).spec().priority() == JobSpec::HIGH);
  BOOST_TEST(get(2).state() == Job::RUNNING);
  BOOST_TEST(get(2).lease().node() == "node-a");
  BOOST_TEST(get(3).state() == Job::SUCCEEDED);
  BOOST_TEST(queue() == (entries{{1, 1, 1}, {2, 2, 2}}), tt::per_element());
  BOOST_TEST(store->history_size() == 1);
  BOOST_TEST(store->take_ids(1) == 4u);
}

BOOST_FIXTURE_TEST_CASE(a_batch_that_is_never_written_leaves_nothing, store_fixture) {
  {
    write_batch batch;
    batch.insert(make_job(1, Job::READY, {.ready_seq = 1}));
    batch.insert(make_job(2, Job::SUCCEEDED));
    batch.set_next_id(3);
  }
  reopen();
  BOOST_TEST(!exists(1));
  BOOST_TEST(!exists(2));
  BOOST_TEST(queue().empty());
  BOOST_TEST(store->history_size() == 0);
  BOOST_TEST(store->take_ids(1) == 1u);
  BOOST_TEST(store->take_ready_seq() == 1u);
}

// --- index entries follow the state --------------------------------------------------------------

BOOST_FIXTURE_TEST_CASE(inserting_a_ready_job_creates_its_queue_entry, store_fixture) {
  write_batch batch;
  batch.insert(make_job(7, Job::READY, {.priority = JobSpec::LOW, .ready_seq = 12}));
  write(batch);
  BOOST_TEST(queue() == (entries{{3, 12, 7}}), tt::per_element());
  BOOST_TEST(store->history_size() == 0);
}

BOOST_FIXTURE_TEST_CASE(
    a_ready_job_that_starts_running_keeps_its_queue_entry_and_rewrites_only_its_record,
    store_fixture) {
  write_batch batch;
  auto job = make_job(7, Job::READY, {.priority = JobSpec::CRITICAL, .ready_seq = 12});
  batch.insert(job);
  write(batch);

  auto before = job_position::of(job);
  Lease lease;
  lease.set_node("node-b");
  lifecycle::start_attempt(job, lease, t0 + 10);
  batch.update(job, before);
  BOOST_TEST(batch.size() == 1u);  // the record only: the queue entry stays where it is
  write(batch);

  BOOST_TEST(queue() == (entries{{0, 12, 7}}), tt::per_element());
  auto stored = get(7);
  BOOST_TEST(stored.state() == Job::RUNNING);
  BOOST_TEST(stored.attempts() == 1u);
  BOOST_TEST(stored.lease().node() == "node-b");
}

BOOST_FIXTURE_TEST_CASE(a_job_that_succeeds_leaves_the_queue_for_the_history, store_fixture) {
  write_batch batch;
  auto job = make_job(7, Job::RUNNING, {.ready_seq = 12, .attempts = 1});
  batch.insert(make_job(8, Job::READY, {.ready_seq = 13}));
  batch.insert(job);
  write(batch);
  BOOST_TEST(store->history_size() == 0);

  auto before = job_position::of(job);
  lifecycle::finish_attempt(job, outcome::success("done"), 1'000, t0 + 50, /*ready_seq=*/0);
  batch.update(job, before);
  write(batch);

  BOOST_TEST(queue() == (entries{{2, 13, 8}}), tt::per_element());
  BOOST_TEST(store->history_size() == 1);
  BOOST_TEST(store->in_history(history_entry{7, t0 + 50}));
  BOOST_TEST(get(7).state() == Job::SUCCEEDED);
  BOOST_TEST(ids_of(expired(*store, 0, 0, 10)) == (ids{7}), tt::per_element());
}

BOOST_FIXTURE_TEST_CASE(a_running_job_back_to_ready_with_a_new_seq_moves_its_queue_entry,
                        store_fixture) {
  write_batch batch;
  auto job = make_job(7, Job::RUNNING, {.priority = JobSpec::HIGH, .ready_seq = 12, .attempts = 1});
  batch.insert(make_job(8, Job::READY, {.priority = JobSpec::HIGH, .ready_seq = 20}));
  batch.insert(job);
  write(batch);

  auto before = job_position::of(job);
  lifecycle::finish_attempt(job, outcome::failure("boom"), 1'000, t0 + 50, /*ready_seq=*/21);
  BOOST_REQUIRE(job.state() == Job::READY);
  batch.update(job, before);
  write(batch);

  BOOST_TEST(queue() == (entries{{1, 20, 8}, {1, 21, 7}}), tt::per_element());
  BOOST_TEST(get(7).ready_seq() == 21u);
  BOOST_TEST(store->history_size() == 0);
}

BOOST_FIXTURE_TEST_CASE(erasing_a_finished_job_deletes_its_record_and_its_history_entry,
                        store_fixture) {
  write_batch batch;
  batch.insert(make_job(7, Job::DEAD, {.finished_at = t0 + 5}));
  batch.insert(make_job(8, Job::FAILED, {.finished_at = t0 + 6}));
  write(batch);
  BOOST_TEST(store->history_size() == 2);

  batch.erase_finished(history_entry{7, t0 + 5});
  write(batch);

  BOOST_TEST(!exists(7));
  BOOST_TEST(exists(8));
  BOOST_TEST(!store->in_history(history_entry{7, t0 + 5}));
  BOOST_TEST(store->in_history(history_entry{8, t0 + 6}));
  BOOST_TEST(store->history_size() == 1);
  reopen();
  BOOST_TEST(!exists(7));
  BOOST_TEST(store->history_size() == 1);
}

// --- relations: blocked jobs, dependency edges, batch members -------------------------------------------------

namespace {

ids blocked_ids(const storage::job_store& store) {
  ids out;
  BOOST_REQUIRE(store.scan_blocked([&](uint64_t id) { out.push_back(id); }).is_ok());
  return out;
}

ids children_of(const storage::job_store& store, uint64_t parent) {
  ids out;
  BOOST_REQUIRE(store.children(parent, [&](uint64_t id) {
                       out.push_back(id);
                       return true;
                     }).is_ok());
  return out;
}

ids members_of(const storage::job_store& store, const std::string& batch) {
  ids out;
  BOOST_REQUIRE(store.batch_members(batch, [&](uint64_t id) {
                       out.push_back(id);
                       return true;
                     }).is_ok());
  return out;
}

ids callbacks_of(const storage::job_store& store, const std::string& batch) {
  ids out;
  BOOST_REQUIRE(store.batch_callbacks(batch, [&](uint64_t id) { out.push_back(id); }).is_ok());
  return out;
}

Job waiting_job(uint64_t id, ids parents, const std::string& batch = {}) {
  auto job = make_job(id, Job::BLOCKED, {.batch = batch});
  for (auto p : parents) job.mutable_spec()->add_dependencies(p);
  return job;
}

}  // namespace

BOOST_FIXTURE_TEST_CASE(a_blocked_job_is_indexed_with_its_edges_and_batch_until_it_is_deleted, store_fixture) {
  write_batch batch;
  batch.insert(make_job(1, Job::READY, {.ready_seq = 1, .batch = "b"}));
  batch.insert(make_job(2, Job::READY, {.ready_seq = 2}));
  batch.insert(waiting_job(3, {1, 2}, "b"));
  batch.insert(waiting_job(4, {1}));
  auto callback = waiting_job(5, {});
  callback.mutable_spec()->set_batch_callback("b");
  batch.insert(callback);
  // A batch whose name starts like "b" is another batch.
  batch.insert(make_job(6, Job::READY, {.ready_seq = 3, .batch = "bb"}));
  write(batch);
  reopen();
  BOOST_TEST(blocked_ids(*store) == (ids{3, 4, 5}), tt::per_element());
  BOOST_TEST(children_of(*store, 1) == (ids{3, 4}), tt::per_element());
  BOOST_TEST(children_of(*store, 2) == (ids{3}), tt::per_element());
  BOOST_TEST(children_of(*store, 3).empty());
  BOOST_TEST(members_of(*store, "b") == (ids{1, 3}), tt::per_element());
  BOOST_TEST(callbacks_of(*store, "b") == (ids{5}), tt::per_element());
  BOOST_TEST(members_of(*store, "bb") == (ids{6}), tt::per_element());

  // Released: out of the blocked index, into the queue; edges stay (the plan shows them).
  auto job = get(3);
  auto before = job_position::of(job);
  lifecycle::release(job, t0 + 1, 9, "dependencies done");
  batch.update(job, before);
  write(batch);
  BOOST_TEST(blocked_ids(*store) == (ids{4, 5}), tt::per_element());
  BOOST_TEST(children_of(*store, 1) == (ids{3, 4}), tt::per_element());

  // Finished and deleted by retention: the edges to its parents and its membership go with it.
  before = job_position::of(job);
  lifecycle::cancel(job, t0 + 2, "test");
  batch.update(job, before);
  write(batch);
  std::vector<history_entry> expiring{history_entry{3, t0 + 2, /*has_relations=*/true}};
  BOOST_REQUIRE(storage::prepare_expiry(*store, &expiring).is_ok());
  BOOST_REQUIRE_EQUAL(expiring.size(), 1u);
  BOOST_TEST(expiring[0].parents == (ids{1, 2}), tt::per_element());
  BOOST_TEST(expiring[0].batch == "b");
  batch.erase_finished(expiring[0]);
  write(batch);
  BOOST_TEST(!exists(3));
  BOOST_TEST(children_of(*store, 1) == (ids{4}), tt::per_element());
  BOOST_TEST(children_of(*store, 2).empty());
  BOOST_TEST(members_of(*store, "b") == (ids{1}), tt::per_element());
  auto cb = get(5);
  before = job_position::of(cb);
  lifecycle::cancel(cb, t0 + 3, "test");
  batch.update(cb, before);
  write(batch);
  expiring = {history_entry{5, t0 + 3, /*has_relations=*/true}};
  BOOST_REQUIRE(storage::prepare_expiry(*store, &expiring).is_ok());
  batch.erase_finished(expiring.at(0));
  write(batch);
  BOOST_TEST(callbacks_of(*store, "b").empty());
}

BOOST_FIXTURE_TEST_CASE(queue_entries_carry_user_and_kind_and_an_old_entry_without_them_still_reads,
                        store_fixture) {
  write_batch batch;
  batch.insert(make_job(1, Job::READY, {.ready_seq = 1, .kind = "exec", .user = "bob"}));
  write(batch);
  std::vector<std::pair<std::string, std::string>> seen;
  BOOST_REQUIRE(store->scan_queue([&](const storage::job_store::queued_entry& e) {
                       seen.emplace_back(std::string{e.user}, std::string{e.kind});
                     }).is_ok());
  BOOST_REQUIRE_EQUAL(seen.size(), 1u);
  BOOST_TEST(seen[0].first == "bob");
  BOOST_TEST(seen[0].second == "exec");
  storage::keys::queue_entry_value v;
  std::string legacy;
  storage::keys::put_u64(legacy, 42);
  BOOST_TEST(storage::keys::parse_queue_value(legacy, &v));
  BOOST_TEST(v.id == 42u);
  BOOST_TEST(v.user.empty());
  BOOST_TEST(!storage::keys::parse_queue_value("short", &v));
}

// --- same-key order within a batch ---------------------------------------------------------------

BOOST_FIXTURE_TEST_CASE(an_insert_then_updates_of_one_job_in_one_batch_end_with_the_last_update,
                        store_fixture) {
  // write() sorts operations by key; the queue keys here sort against the order of the operations
  // (seq 5 is put, then deleted after seq 2 is put), and the record is written three times under
  // one key.
  write_batch batch;
  auto job = make_job(7, Job::READY, {.ready_seq = 5});
  batch.insert(job);
  auto before = job_position::of(job);
  lifecycle::start_attempt(job, Lease{}, t0 + 1);
  batch.update(job, before);
  before = job_position::of(job);
  lifecycle::finish_attempt(job, outcome::failure("boom"), 10, t0 + 2, /*ready_seq=*/2);
  batch.update(job, before);
  write(batch);

  auto check = [&] {
    auto stored = get(7);
    BOOST_TEST(stored.state() == Job::READY);
    BOOST_TEST(stored.attempts() == 1u);
    BOOST_TEST(stored.ready_seq() == 2u);
    BOOST_TEST(stored.last_error() == "boom");
    BOOST_TEST(queue() == (entries{{2, 2, 7}}), tt::per_element());
  };
  check();
  reopen();
  check();
}

BOOST_FIXTURE_TEST_CASE(a_job_inserted_and_finished_in_one_batch_is_only_in_the_history,
                        store_fixture) {
  write_batch batch;
  auto job = make_job(7, Job::READY, {.ready_seq = 5});
  batch.insert(job);
  auto before = job_position::of(job);
  lifecycle::cancel(job, t0 + 3, "by test");
  batch.update(job, before);  // the queue entry is put, then deleted, under the same key
  write(batch);

  BOOST_TEST(get(7).state() == Job::CANCELLED);
  BOOST_TEST(queue().empty());
  BOOST_TEST(store->history_size() == 1);
  BOOST_TEST(store->in_history(history_entry{7, t0 + 3}));
}

// --- ids and queue positions are never reused ----------------------------------------------------

BOOST_FIXTURE_TEST_CASE(take_ids_after_a_reopen_continues_above_the_persisted_counter,
                        store_fixture) {
  auto first = store->take_ids(3);
  BOOST_TEST(first == 1u);
  write_batch batch;
  for (uint64_t id = first; id < first + 3; ++id)
    batch.insert(make_job(id, Job::READY, {.ready_seq = id}));
  batch.set_next_id(10);  // ids up to 9 were handed out too (their jobs are not stored)
  write(batch);

  reopen();
  BOOST_TEST(store->take_ids(5) == 10u);
  BOOST_TEST(store->take_ids(1) == 15u);
}

BOOST_FIXTURE_TEST_CASE(
    take_ids_after_a_reopen_continues_above_the_highest_job_even_if_the_counter_is_behind,
    store_fixture) {
  write_batch batch;
  batch.insert(make_job(1, Job::READY, {.ready_seq = 1}));
  batch.insert(make_job(50, Job::SUCCEEDED));
  batch.set_next_id(4);
  write(batch);

  reopen();
  BOOST_TEST(store->take_ids(2) == 51u);
  BOOST_TEST(store->take_ids(1) == 53u);
}

BOOST_FIXTURE_TEST_CASE(take_ready_seq_after_a_reopen_is_above_every_queued_entry, store_fixture) {
  write_batch batch;
  batch.insert(make_job(1, Job::READY, {.priority = JobSpec::CRITICAL, .ready_seq = 7}));
  batch.insert(
      make_job(2, Job::RUNNING, {.priority = JobSpec::NORMAL, .ready_seq = 30, .attempts = 1}));
  batch.insert(make_job(3, Job::READY, {.priority = JobSpec::NORMAL, .ready_seq = 4}));
  batch.insert(make_job(4, Job::READY, {.priority = JobSpec::LOW, .ready_seq = 12}));
  batch.set_next_id(5);
  write(batch);

  reopen();
  BOOST_TEST(queue() == (entries{{0, 7, 1}, {2, 4, 3}, {2, 30, 2}, {3, 12, 4}}), tt::per_element());
  BOOST_TEST(store->take_ready_seq() == 31u);
  BOOST_TEST(store->take_ready_seq() == 32u);
}

// --- reads ---------------------------------------------------------------------------------------

namespace {

// Six jobs of various states, kinds, users and batches.
struct listed_jobs : store_fixture {
  listed_jobs() {
    write_batch batch;
    batch.insert(
        make_job(1, Job::READY, {.ready_seq = 1, .kind = "sleep", .user = "alice", .batch = "b1"}));
    batch.insert(make_job(2, Job::SUCCEEDED, {.kind = "exec", .user = "bob", .batch = "b1"}));
    batch.insert(
        make_job(3, Job::READY, {.ready_seq = 3, .kind = "exec", .user = "alice", .batch = "b2"}));
    batch.insert(make_job(4, Job::FAILED, {.kind = "sleep", .user = "bob"}));
    batch.insert(
        make_job(5, Job::READY, {.ready_seq = 5, .kind = "sleep", .user = "bob", .batch = "b1"}));
    batch.insert(
        make_job(6, Job::RUNNING,
                 {.ready_seq = 6, .attempts = 1, .kind = "exec", .user = "alice", .batch = "b1"}));
    batch.set_next_id(7);
    write(batch);
  }

  JobQuery query() const { return {}; }
};

}  // namespace

BOOST_FIXTURE_TEST_CASE(list_filters_by_state_kind_user_and_batch, listed_jobs) {
  auto q = query();
  BOOST_TEST(ids_of(list(*store, q)) == (ids{1, 2, 3, 4, 5, 6}), tt::per_element());

  q = query();
  q.set_has_state(true);
  q.set_state(Job::READY);
  BOOST_TEST(ids_of(list(*store, q)) == (ids{1, 3, 5}), tt::per_element());

  q = query();
  q.set_has_state(true);
  q.set_state(Job::PENDING);  // has_state tells PENDING from "no filter"
  BOOST_TEST(ids_of(list(*store, q)).empty());

  q = query();
  q.set_kind("exec");
  BOOST_TEST(ids_of(list(*store, q)) == (ids{2, 3, 6}), tt::per_element());

  q = query();
  q.set_user("bob");
  BOOST_TEST(ids_of(list(*store, q)) == (ids{2, 4, 5}), tt::per_element());

  q = query();
  q.set_batch("b1");
  BOOST_TEST(ids_of(list(*store, q)) == (ids{1, 2, 5, 6}), tt::per_element());

  q = query();
  q.set_has_state(true);
  q.set_state(Job::READY);
  q.set_user("alice");
  BOOST_TEST(ids_of(list(*store, q)) == (ids{1, 3}), tt::per_element());

  q = query();
  q.set_kind("exec");
  q.set_batch("b1");
  BOOST_TEST(ids_of(list(*store, q)) == (ids{2, 6}), tt::per_element());

  q = query();
  q.set_kind("nope");
  auto page = list(*store, q);
  BOOST_TEST(page.jobs_size() == 0);
  BOOST_TEST(page.next_after_id() == 0u);
}

BOOST_FIXTURE_TEST_CASE(list_pages_with_limit_and_after_id_until_next_after_id_is_zero,
                        listed_jobs) {
  auto q = query();
  q.set_limit(2);
  auto page = list(*store, q);
  BOOST_TEST(ids_of(page) == (ids{1, 2}), tt::per_element());
  BOOST_TEST(page.next_after_id() == 2u);

  q.set_after_id(page.next_after_id());
  page = list(*store, q);
  BOOST_TEST(ids_of(page) == (ids{3, 4}), tt::per_element());
  BOOST_TEST(page.next_after_id() == 4u);

  q.set_after_id(page.next_after_id());
  page = list(*store, q);
  BOOST_TEST(ids_of(page) == (ids{5, 6}), tt::per_element());  // a full last page: nothing follows
  BOOST_TEST(page.next_after_id() == 0u);

  // With a filter, the cursor is the last matching job's id.
  q = query();
  q.set_user("alice");
  q.set_limit(1);
  page = list(*store, q);
  BOOST_TEST(ids_of(page) == (ids{1}), tt::per_element());
  BOOST_TEST(page.next_after_id() == 1u);
  q.set_after_id(1);
  page = list(*store, q);
  BOOST_TEST(ids_of(page) == (ids{3}), tt::per_element());
  BOOST_TEST(page.next_after_id() == 3u);
  q.set_after_id(3);
  page = list(*store, q);
  BOOST_TEST(ids_of(page) == (ids{6}), tt::per_element());
  BOOST_TEST(page.next_after_id() == 0u);
}

BOOST_FIXTURE_TEST_CASE(list_without_a_limit_returns_at_most_100_jobs, store_fixture) {
  write_batch batch;
  for (uint64_t id = 1; id <= 150; ++id) batch.insert(make_job(id, Job::SUCCEEDED));
  write(batch);
  auto page = list(*store, JobQuery{});
  BOOST_TEST(page.jobs_size() == 100);
  BOOST_TEST(page.jobs(99).id() == 100u);
  BOOST_TEST(page.next_after_id() == 100u);
}

BOOST_FIXTURE_TEST_CASE(multi_get_reports_missing_ids_as_not_found, store_fixture) {
  write_batch batch;
  batch.insert(make_job(1, Job::READY, {.ready_seq = 1, .user = "one"}));
  batch.insert(make_job(2, Job::SUCCEEDED, {.user = "two"}));
  write(batch);

  std::vector<Job> jobs;
  std::vector<bool> found;
  auto s = store->multi_get({2, 99, 1, 3}, &jobs, &found);
  BOOST_REQUIRE_MESSAGE(s.is_ok(), s.message());
  BOOST_TEST(found == (std::vector<bool>{true, false, true, false}), tt::per_element());
  BOOST_REQUIRE(jobs.size() == 4u);
  BOOST_TEST(jobs[0].id() == 2u);
  BOOST_TEST(jobs[0].spec().user() == "two");
  BOOST_TEST(jobs[2].id() == 1u);
  BOOST_TEST(jobs[2].spec().user() == "one");

  Job job;
  s = store->get(99, &job);
  BOOST_TEST(s.is_not_found());
}

// --- open ----------------------------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(open_on_a_path_that_cannot_be_created_fails_naming_the_path) {
  test::temp_dir dir;
  std::ofstream{dir.sub("file")} << "not a directory\n";
  storage::store_options options;
  options.path =
      dir.sub("file") + "/sub";  // below a regular file: no one can create it, root included

  std::unique_ptr<storage::job_store> store;
  auto s = storage::job_store::open(options, &store);
  BOOST_TEST(!s.is_ok());
  BOOST_TEST(!s.is_not_found());
  BOOST_CHECK_MESSAGE(s.message().find(options.path) != std::string::npos,
                      "message: " << s.message());
  BOOST_TEST(store == nullptr);
}

// --- compression and blob files ------------------------------------------------------------------

namespace {

// A job whose payload is `bytes` of text that compresses somewhat (words in a seeded order), like a document.
Job job_with_payload(uint64_t id, Job::State state, size_t bytes) {
  static const char* const words[] = {"order", "shipped", "customer", "invoice", "parcel", "berlin", "42", "sku-"};
  auto job = make_job(id, state, {.ready_seq = id, .attempts = state == Job::READY ? 0u : 1u});
  std::string text;
  for (uint64_t x = id * 2654435761u; text.size() < bytes; x = x * 6364136223846793005u + 1442695040888963407u)
    text += std::string{words[(x >> 33) % 8]} + " ";
  text.resize(bytes);
  job.mutable_spec()->mutable_payload()->set_string_value(text);
  return job;
}

storage::job_store::family_size jobs_size(const storage::job_store& store) {
  storage::job_store::family_size size;
  auto s = store.jobs_size(&size);
  BOOST_REQUIRE_MESSAGE(s.is_ok(), "jobs_size: " << s.message());
  return size;
}

}  // namespace

BOOST_AUTO_TEST_CASE(compression_names_parse_and_none_is_always_supported) {
  storage::record_compression c{};
  for (auto name : {"none", "lz4", "zstd"}) {
    BOOST_TEST_REQUIRE(storage::parse_record_compression(name, &c), name);
    BOOST_TEST(std::string{storage::to_string(c)} == name);
  }
  BOOST_TEST(!storage::parse_record_compression("gzip", &c));
  BOOST_TEST(!storage::parse_record_compression("", &c));
  BOOST_TEST(storage::compression_supported(storage::record_compression::none));
}

BOOST_AUTO_TEST_CASE(a_store_reopened_under_other_compression_and_blob_settings_reads_every_job_back) {
  test::temp_dir dir;
  struct setting {
    storage::record_compression compression;
    uint32_t blob_threshold_kb;
  };
  using rc = storage::record_compression;
  const setting settings[] = {{rc::zstd, 4}, {rc::none, 0}, {rc::lz4, 1}, {rc::zstd, 0}, {rc::none, 4}, {rc::lz4, 0}};
  std::map<uint64_t, std::string> expected;  // every job written so far, serialized as written last
  uint64_t next = 1;
  for (const auto& s : settings) {
    if (!storage::compression_supported(s.compression)) continue;  // open() refuses it (tested below)
    BOOST_TEST_CONTEXT("payloadCompression " << storage::to_string(s.compression) << ", blobThresholdKB "
                                             << s.blob_threshold_kb) {
      storage::store_options options;
      options.path = dir.sub("store");
      options.block_cache_mb = 8;
      options.compression = s.compression;
      options.blob_threshold_kb = s.blob_threshold_kb;
      std::unique_ptr<storage::job_store> store;
      auto st = storage::job_store::open(options, &store);
      BOOST_REQUIRE_MESSAGE(st.is_ok(), "open: " << st.message());
      // What earlier settings wrote reads back, by get and by list.
      for (const auto& [id, bytes] : expected) {
        Job job;
        BOOST_REQUIRE_MESSAGE(store->get(id, &job).is_ok(), "job " << id);
        BOOST_TEST(job.SerializeAsString() == bytes, "job " << id);
      }
      JobQuery all;
      all.set_limit(1000);
      BOOST_TEST(list(*store, all).jobs_size() == static_cast<int>(expected.size()));
      // New jobs, small and large (over every threshold), and every earlier job rewritten to its next state, as
      // a state change does: the superseded versions (and their blobs) become garbage.
      write_batch batch;
      for (int i = 0; i < 10; ++i, ++next) {
        auto job = job_with_payload(next, Job::READY, i % 2 == 0 ? 200 : 20'000);
        expected[next] = batch.insert(job);
      }
      for (auto& [id, bytes] : expected) {
        Job job;
        BOOST_REQUIRE(job.ParseFromString(bytes));
        if (job.state() != Job::READY) continue;
        auto before = job_position::of(job);
        job.set_state(Job::RUNNING);
        job.set_attempts(1);
        bytes = batch.update(job, before);
      }
      batch.set_next_id(next);
      BOOST_REQUIRE(store->write(batch, /*sync=*/true).is_ok());
      // Into SST and blob files of this setting (not only the WAL), old versions compacted away.
      st = store->compact_jobs();
      BOOST_REQUIRE_MESSAGE(st.is_ok(), "compact: " << st.message());
      auto size = jobs_size(*store);
      BOOST_TEST(size.sst_bytes > 0u);
      if (s.blob_threshold_kb > 0) BOOST_TEST(size.blob_bytes > 0u, "the 20 KB records are in blob files");
    }
  }
  // Whatever wrote each file, the default settings read them all.
  storage::store_options options;
  options.path = dir.sub("store");
  std::unique_ptr<storage::job_store> store;
  BOOST_REQUIRE(storage::job_store::open(options, &store).is_ok());
  BOOST_TEST(expected.size() >= 10u);
  for (const auto& [id, bytes] : expected) {
    Job job;
    BOOST_REQUIRE_MESSAGE(store->get(id, &job).is_ok(), "job " << id);
    BOOST_TEST(job.SerializeAsString() == bytes, "job " << id);
  }
}

BOOST_AUTO_TEST_CASE(large_records_go_to_blob_files_and_superseded_ones_are_collected) {
  test::temp_dir dir;
  storage::store_options options;
  options.path = dir.sub("store");
  options.blob_threshold_kb = 4;
  std::unique_ptr<storage::job_store> store;
  BOOST_REQUIRE(storage::job_store::open(options, &store).is_ok());
  write_batch batch;
  std::vector<Job> jobs;
  for (uint64_t id = 1; id <= 20; ++id) jobs.push_back(job_with_payload(id, Job::READY, 50'000));
  for (const auto& job : jobs) batch.insert(job);
  batch.set_next_id(21);
  BOOST_REQUIRE(store->write(batch, true).is_ok());
  BOOST_REQUIRE(store->compact_jobs().is_ok());
  auto first = jobs_size(*store);
  BOOST_TEST(first.blob_bytes > 0u);
  BOOST_TEST(first.sst_bytes < first.blob_bytes, "the SSTs hold references, the blobs the records");
  // Each job rewritten three times (a state change each): after a compaction only the latest blobs remain.
  for (int round = 0; round < 3; ++round) {
    for (auto& job : jobs) {
      auto before = job_position::of(job);
      job.set_ready_seq(job.ready_seq() + 100);
      batch.update(job, before);
    }
    BOOST_REQUIRE(store->write(batch, true).is_ok());
    BOOST_REQUIRE(store->compact_jobs().is_ok());  // each version in a blob file of its own, then collected
  }
  auto last = jobs_size(*store);
  BOOST_TEST(last.blob_bytes < first.blob_bytes * 3 / 2,
             "garbage collected: " << last.blob_bytes << " bytes of blob files, first " << first.blob_bytes);
  for (const auto& job : jobs) {
    Job stored;
    BOOST_REQUIRE(store->get(job.id(), &stored).is_ok());
    BOOST_TEST(stored.SerializeAsString() == job.SerializeAsString());
  }
}

// --- retention listing ---------------------------------------------------------------------------

namespace {

// Six finished jobs whose ids are not in finish order, and a READY job outside the history.
//   oldest first: 2 (t0+1000), 4 (+2000), 1 (+3000), 6 (+4000), 5 (+5000), 3 (+6000)
struct finished_jobs : store_fixture {
  finished_jobs() {
    write_batch batch;
    const micros finished[] = {3000, 1000, 6000, 2000, 5000, 4000};
    for (uint64_t id = 1; id <= 6; ++id)
      batch.insert(
          make_job(id, Job::SUCCEEDED, {.attempts = 1, .finished_at = t0 + finished[id - 1]}));
    batch.insert(make_job(7, Job::READY, {.ready_seq = 1}));
    batch.set_next_id(8);
    write(batch);
  }
};

}  // namespace

BOOST_FIXTURE_TEST_CASE(
    expired_lists_the_oldest_beyond_keep_and_those_finished_before_the_cutoff_oldest_first,
    finished_jobs) {
  BOOST_TEST(store->history_size() == 6);

  auto beyond_keep = expired(*store, /*keep=*/4, /*cutoff=*/0, /*limit=*/10);
  BOOST_TEST(ids_of(beyond_keep) == (ids{2, 4}), tt::per_element());
  BOOST_REQUIRE(beyond_keep.size() == 2u);
  BOOST_TEST(beyond_keep[0].finished_at == t0 + 1000);
  BOOST_TEST(beyond_keep[1].finished_at == t0 + 2000);

  BOOST_TEST(ids_of(expired(*store, 4, t0 + 3500, 10)) == (ids{2, 4, 1}),
             tt::per_element());  // and those before the cutoff
  BOOST_TEST(ids_of(expired(*store, 4, t0 + 3500, 2)) == (ids{2, 4}),
             tt::per_element());  // at most `limit`
  BOOST_TEST(ids_of(expired(*store, 100, t0 + 2000, 10)) == (ids{2}),
             tt::per_element());  // strictly before the cutoff
  BOOST_TEST(ids_of(expired(*store, 0, 0, 10)) == (ids{2, 4, 1, 6, 5, 3}),
             tt::per_element());  // keep nothing
  BOOST_TEST(expired(*store, 6, 0, 10).empty());
  BOOST_TEST(expired(*store, 100, t0, 10).empty());
}

BOOST_FIXTURE_TEST_CASE(
    erasing_the_listed_entries_shrinks_the_history_and_the_next_listing_starts_after_them,
    finished_jobs) {
  auto listed = expired(*store, 4, t0 + 3500, 10);
  BOOST_REQUIRE((ids_of(listed) == ids{2, 4, 1}));
  write_batch batch;
  for (const auto& e : listed) batch.erase_finished(e);
  write(batch);

  BOOST_TEST(store->history_size() == 3);
  for (const auto& e : listed) {
    BOOST_TEST(!exists(e.id));
    BOOST_TEST(!store->in_history(e));
  }
  BOOST_TEST(exists(7));
  BOOST_TEST(ids_of(expired(*store, 1, 0, 10)) == (ids{6, 5}), tt::per_element());
  BOOST_TEST(ids_of(expired(*store, 0, t0 + 4500, 10)) == (ids{6, 5, 3}), tt::per_element());

  reopen();  // the count and the order come back from disk
  BOOST_TEST(store->history_size() == 3);
  BOOST_TEST(ids_of(expired(*store, 1, 0, 10)) == (ids{6, 5}), tt::per_element());
}

BOOST_FIXTURE_TEST_CASE(the_history_changes_when_a_finished_job_goes_back_to_ready_and_only_then,
                        finished_jobs) {
  uint64_t generation = 0;
  auto listed = expired(*store, 0, 0, 10, &generation);
  BOOST_REQUIRE(listed.size() == 6u);
  BOOST_TEST(!store->history_changed_since(generation));

  // A job entering the history, a job leaving it by deletion, a queued job changing: the listing
  // still holds.
  write_batch batch;
  batch.insert(make_job(8, Job::DEAD, {.finished_at = t0 + 7000}));
  batch.erase_finished(history_entry{2, t0 + 1000});
  auto ready = get(7);
  auto before = job_position::of(ready);
  lifecycle::start_attempt(ready, Lease{}, t0 + 7000);
  batch.update(ready, before);
  write(batch);
  BOOST_TEST(!store->history_changed_since(generation));
  BOOST_TEST(store->history_size() == 6);

  // Job 3 is retried: SUCCEEDED -> READY takes it out of the history.
  auto retried = get(3);
  before = job_position::of(retried);
  retried.set_ready_seq(100);
  lifecycle::enter(retried, Job::READY, t0 + 8000, "retried by operator");
  batch.update(retried, before);
  write(batch);

  BOOST_TEST(store->history_changed_since(generation));
  BOOST_TEST(store->history_size() == 5);
  BOOST_TEST(!store->in_history(history_entry{3, t0 + 6000}));
  BOOST_TEST(store->in_history(history_entry{5, t0 + 5000}));
  BOOST_TEST(!store->in_history(history_entry{5, t0 + 5001}));  // the entry is (finished_at, id)
  BOOST_TEST(exists(3));
  BOOST_TEST(ids_of(expired(*store, 0, 0, 10)) == (ids{4, 1, 6, 5, 8}), tt::per_element());

  uint64_t next_generation = 0;
  expired(*store, 0, 0, 10, &next_generation);
  BOOST_TEST(!store->history_changed_since(next_generation));
}
