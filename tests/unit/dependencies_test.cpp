// Dependencies, workflows and batches on a whole node under CAF's test coordinator
// (tests/support/engine_fixture.hpp): the order of a diamond, the cancellation cascade and its opt-out, the
// refusal of cycles and unknown parents with nothing stored, execution plans, batch summaries and callbacks,
// and crashes at every step of a DAG's and a batch's life. Deterministic: time moves only through advance().

#define BOOST_TEST_MODULE dependencies
#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <chrono>
#include <map>
#include <string>
#include <vector>

#include "schemas/lifecycle.hpp"
#include "schemas/time.hpp"
#include "support/engine_fixture.hpp"

using namespace std::chrono_literals;
using namespace troupe;
using troupe::test::code_name;
using troupe::test::engine_fixture;
using troupe::test::error_text;
using troupe::test::state_of;

namespace {

// `spec` named `ref`, waiting for the jobs of the same request named in `after`.
JobSpec node(JobSpec spec, const std::string& ref, const std::vector<std::string>& after = {}) {
  spec.set_ref(ref);
  for (const auto& a : after) spec.add_after(a);
  return spec;
}

JobSpec failing(uint32_t attempts = 1) {
  auto spec = engine_fixture::spec("fail", R"({"times": 100})");
  spec.set_max_attempts(attempts);
  return spec;
}

JobSpec in_batch(JobSpec spec, const std::string& batch) {
  spec.set_batch(batch);
  return spec;
}

std::string last_reason(const Job& job) {
  return job.transitions().empty() ? std::string{} : job.transitions().rbegin()->reason();
}

bool has(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

size_t count_of(const std::vector<job_id>& ids, job_id id) { return std::count(ids.begin(), ids.end(), id); }

// The stored jobs, by id (read straight from the store, also while the engine is down).
std::map<job_id, Job> stored_jobs(engine_fixture& f) {
  std::map<job_id, Job> out;
  JobQuery q;
  q.set_limit(10'000);
  JobPage page;
  auto s = f.ctx().store->list(q, &page);
  BOOST_REQUIRE_MESSAGE(s, "list failed: " << s.message());
  for (const auto& job : page.jobs()) out[job.id()] = job;
  return out;
}

// What must hold of stored jobs at any time: a job that left BLOCKED for READY, RUNNING or SUCCEEDED has only
// SUCCEEDED parents (or it runs on parent failure and every parent is terminal).
void check_never_early(const std::map<job_id, Job>& jobs) {
  for (const auto& [id, job] : jobs) {
    auto s = job.state();
    if (s != Job::READY && s != Job::RUNNING && s != Job::SUCCEEDED) continue;
    for (auto parent : job.spec().dependencies()) {
      auto it = jobs.find(parent);
      BOOST_REQUIRE_MESSAGE(it != jobs.end(), "job " << id << "'s parent " << parent << " is missing");
      bool ok = it->second.state() == Job::SUCCEEDED ||
                (job.spec().on_parent_failure() == JobSpec::RUN && lifecycle::is_terminal(it->second.state()));
      BOOST_CHECK_MESSAGE(ok, "job " << id << " is " << state_of(job) << " while its parent " << parent << " is "
                                     << state_of(it->second));
    }
  }
}

}  // namespace

BOOST_AUTO_TEST_CASE(a_diamond_runs_its_root_then_both_branches_then_the_join) {
  engine_fixture f{engine_fixture::options_with_slots(2)};
  auto ids = f.submit({node(engine_fixture::sleep_spec(100ms), "a"), node(engine_fixture::record_spec(), "b", {"a"}),
                       node(engine_fixture::sleep_spec(200ms), "c", {"a"}),
                       node(engine_fixture::record_spec(), "d", {"b", "c"})});
  BOOST_REQUIRE_EQUAL(ids.size(), 4u);
  auto [a, b, c, d] = std::tuple{ids[0], ids[1], ids[2], ids[3]};
  BOOST_TEST(state_of(f.get(a)) == "RUNNING");
  for (auto id : {b, c, d}) BOOST_TEST(state_of(f.get(id)) == "BLOCKED");
  BOOST_TEST(f.status().blocked() == 3u);
  // The refs became dependencies on ids.
  auto stored_d = f.get(d);
  BOOST_TEST(std::vector<job_id>(stored_d.spec().dependencies().begin(), stored_d.spec().dependencies().end()) ==
                 (std::vector<job_id>{b, c}),
             boost::test_tools::per_element());
  BOOST_TEST(stored_d.spec().after_size() == 0);

  f.advance(100ms);  // a ends: b runs (and ends), c starts; d still waits for c
  BOOST_TEST(state_of(f.get(a)) == "SUCCEEDED");
  BOOST_TEST(state_of(f.get(b)) == "SUCCEEDED");
  BOOST_TEST(state_of(f.get(c)) == "RUNNING");
  BOOST_TEST(state_of(f.get(d)) == "BLOCKED");

  f.advance(200ms);
  BOOST_TEST(state_of(f.get(c)) == "SUCCEEDED");
  BOOST_TEST(state_of(f.get(d)) == "SUCCEEDED");
  BOOST_TEST(f.started() == (std::vector<job_id>{b, d}), boost::test_tools::per_element());
  BOOST_TEST(f.status().blocked() == 0u);
}

BOOST_AUTO_TEST_CASE(a_job_after_a_job_that_already_succeeded_runs_at_once) {
  engine_fixture f{engine_fixture::options_with_slots(1)};
  auto parent = f.submit(engine_fixture::record_spec());
  BOOST_REQUIRE_EQUAL(state_of(f.get(parent)), "SUCCEEDED");
  auto child = engine_fixture::record_spec();
  child.add_dependencies(parent);
  auto id = f.submit(child);
  f.run();
  BOOST_TEST(state_of(f.get(id)) == "SUCCEEDED");
  BOOST_TEST(f.status().running() == 0u);
}

BOOST_AUTO_TEST_CASE(the_execution_plan_lists_ancestors_and_descendants_in_topological_order) {
  engine_fixture f{engine_fixture::options_with_slots(1)};
  auto blocker = f.submit(engine_fixture::sleep_spec(1000ms));
  auto other = f.submit(engine_fixture::record_spec());  // queued, unrelated
  auto ids = f.submit({node(engine_fixture::record_spec(), "a"), node(engine_fixture::record_spec(), "b", {"a"}),
                       node(engine_fixture::record_spec(), "c", {"a"}),
                       node(engine_fixture::record_spec(), "d", {"b", "c"}),
                       node(engine_fixture::record_spec(), "e", {"d"})});
  auto [a, b, c, d, e] = std::tuple{ids[0], ids[1], ids[2], ids[3], ids[4]};
  (void)blocker;
  (void)other;

  auto plan = f.try_plan(b);
  BOOST_REQUIRE_MESSAGE(plan, error_text(plan));
  std::vector<job_id> order;
  std::map<job_id, uint32_t> level;
  for (const auto& s : plan->steps()) {
    order.push_back(s.id());
    level[s.id()] = s.level();
  }
  // b's ancestors (a) and descendants (d, e); c is neither.
  BOOST_TEST(order == (std::vector<job_id>{a, b, d, e}), boost::test_tools::per_element());
  BOOST_TEST(level[a] == 0u);
  BOOST_TEST(level[e] == 3u);
  BOOST_TEST(plan->critical_path_length() == 4u);
  BOOST_TEST(std::vector<job_id>(plan->critical_path().begin(), plan->critical_path().end()) ==
                 (std::vector<job_id>{a, b, d, e}),
             boost::test_tools::per_element());
  BOOST_TEST(plan->steps(0).ref() == "a");
  BOOST_TEST(Job::State_Name(plan->steps(1).state()) == "BLOCKED");

  auto whole = f.try_plan(a);
  BOOST_REQUIRE_MESSAGE(whole, error_text(whole));
  BOOST_TEST(whole->steps_size() == 5);
  BOOST_TEST(whole->steps(0).id() == a);
  BOOST_TEST(whole->steps(4).id() == e);

  auto unknown = f.try_plan(999'999);
  BOOST_TEST(code_name(unknown.error()) == "unknown_job");
}

BOOST_AUTO_TEST_CASE(a_failed_parent_cancels_every_descendant_naming_it_unless_one_runs_anyway) {
  engine_fixture f{engine_fixture::options_with_slots(2)};
  auto anyway = node(engine_fixture::record_spec(), "d", {"a"});
  anyway.set_on_parent_failure(JobSpec::RUN);
  auto after_anyway = node(engine_fixture::record_spec(), "e", {"d"});
  auto ids = f.submit({node(failing(), "a"), node(engine_fixture::record_spec(), "b", {"a"}),
                       node(engine_fixture::record_spec(), "c", {"b"}), anyway, after_anyway});
  auto [a, b, c, d, e] = std::tuple{ids[0], ids[1], ids[2], ids[3], ids[4]};
  auto done = f.await_for(ids, 1min);
  BOOST_TEST(state_of(done[0]) == "DEAD");
  BOOST_TEST(state_of(done[1]) == "CANCELLED");
  BOOST_TEST(state_of(done[2]) == "CANCELLED");
  BOOST_TEST(has(last_reason(done[1]), "parent job " + std::to_string(a) + " ended DEAD"), last_reason(done[1]));
  BOOST_TEST(has(last_reason(done[2]), "ancestor job " + std::to_string(a) + " ended DEAD"), last_reason(done[2]));
  BOOST_TEST(has(last_reason(done[2]), "through job " + std::to_string(b)), last_reason(done[2]));
  BOOST_TEST(has(done[1].last_error(), std::to_string(a)));
  // d runs although a failed; e waits for d, which succeeded.
  BOOST_TEST(state_of(done[3]) == "SUCCEEDED");
  BOOST_TEST(state_of(done[4]) == "SUCCEEDED");
  BOOST_TEST(count_of(f.started(), b) == 0u);
  BOOST_TEST(count_of(f.started(), c) == 0u);
  BOOST_TEST(count_of(f.started(), d) == 1u);
  BOOST_TEST(count_of(f.started(), e) == 1u);
}

BOOST_AUTO_TEST_CASE(cancelling_a_blocked_job_cancels_what_waits_for_it) {
  engine_fixture f{engine_fixture::options_with_slots(1)};
  auto ids = f.submit({node(engine_fixture::sleep_spec(100ms), "a"), node(engine_fixture::record_spec(), "b", {"a"}),
                       node(engine_fixture::record_spec(), "c", {"b"})});
  auto cancelled = f.cancel(ids[1]);
  BOOST_TEST(state_of(cancelled) == "CANCELLED");
  auto done = f.await_for(ids, 1min);
  BOOST_TEST(state_of(done[0]) == "SUCCEEDED");
  BOOST_TEST(state_of(done[2]) == "CANCELLED");
  BOOST_TEST(has(last_reason(done[2]), "parent job " + std::to_string(ids[1]) + " ended CANCELLED"),
             last_reason(done[2]));
  BOOST_TEST(f.started().empty());
}

BOOST_AUTO_TEST_CASE(cycles_unknown_parents_and_bad_refs_are_refused_naming_them_and_nothing_is_stored) {
  auto options = engine_fixture::options_with_slots(1);
  options.maxJobPayloadSizeMB = 1;
  engine_fixture f{options};
  struct bad_request {
    std::string what;
    std::vector<JobSpec> specs;
    std::vector<std::string> named;
  };
  auto unknown_parent = engine_fixture::record_spec();
  unknown_parent.add_dependencies(424242);
  auto orphan_callback = engine_fixture::record_spec();
  orphan_callback.set_batch_callback("nobody");
  auto own_batch = in_batch(engine_fixture::record_spec(), "b1");
  own_batch.set_batch_callback("b1");
  auto big = engine_fixture::record_spec();
  big.mutable_payload()->set_string_value(std::string(1'600'000, 'x'));  // 1.5 MiB, over maxJobPayloadSizeMB
  auto big_callback = big;
  big_callback.set_batch_callback("b2");
  std::vector<bad_request> requests = {
      {"a cycle",
       {node(engine_fixture::record_spec(), "x"), node(engine_fixture::record_spec(), "a", {"c"}),
        node(engine_fixture::record_spec(), "b", {"a"}), node(engine_fixture::record_spec(), "c", {"b"})},
       {"cycle", "'a'", "'b'", "'c'"}},
      {"a job waiting for itself", {node(engine_fixture::record_spec(), "a", {"a"})}, {"own ref", "'a'"}},
      {"an unknown ref", {node(engine_fixture::record_spec(), "a", {"extrct"})}, {"'extrct'", "ref"}},
      {"a ref used twice",
       {node(engine_fixture::record_spec(), "a"), node(engine_fixture::record_spec(), "a")},
       {"'a'", "already used"}},
      {"an unknown parent", {engine_fixture::record_spec(), unknown_parent}, {"424242", "job 2 of 2"}},
      {"a callback of a batch without jobs", {orphan_callback}, {"'nobody'", "no jobs"}},
      {"a callback in its own batch", {own_batch}, {"'b1'"}},
      {"a workflow with one job of an unknown kind",
       {node(engine_fixture::record_spec(), "a"), node(engine_fixture::spec("nope"), "b", {"a"})},
       {"nope"}},
      {"a workflow with one payload over maxJobPayloadSizeMB",
       {node(engine_fixture::record_spec(), "a"), node(big, "b", {"a"})},
       {"maxJobPayloadSizeMB", "job 2 of 2"}},
      {"a batch whose callback's payload is over maxJobPayloadSizeMB",
       {in_batch(engine_fixture::record_spec(), "b2"), big_callback},
       {"maxJobPayloadSizeMB", "job 2 of 2"}},
  };
  for (auto& r : requests) {
    BOOST_TEST_CONTEXT(r.what) {
      auto result = f.try_submit(r.specs);
      BOOST_REQUIRE(!result);
      auto message = describe(result.error());
      BOOST_TEST_MESSAGE(message);
      for (const auto& part : r.named) BOOST_TEST(has(message, part), message << " names " << part);
      BOOST_TEST(stored_jobs(f).empty());
    }
  }
  // The node keeps serving.
  auto ok = f.submit({node(engine_fixture::record_spec(), "a"), node(engine_fixture::record_spec(), "b", {"a"})});
  BOOST_TEST(f.await_for(ok, 1min).size() == 2u);
}

BOOST_AUTO_TEST_CASE(a_batch_shows_its_progress_and_its_callback_runs_once_when_every_job_is_terminal) {
  engine_fixture f{engine_fixture::options_with_slots(1)};
  auto blocker = f.submit(engine_fixture::sleep_spec(100ms));
  auto callback = engine_fixture::record_spec();
  callback.set_batch_callback("nightly");
  auto ids = f.submit({in_batch(engine_fixture::record_spec(), "nightly"), in_batch(failing(), "nightly"),
                       in_batch(engine_fixture::sleep_spec(50ms), "nightly"), callback});
  auto cb = ids[3];
  auto summary = f.try_batch("nightly");
  BOOST_REQUIRE_MESSAGE(summary, error_text(summary));
  BOOST_TEST(summary->total() == 3u);
  BOOST_TEST(summary->pending() == 3u);
  BOOST_TEST(BatchSummary::State_Name(summary->state()) == "ACTIVE");
  BOOST_REQUIRE_EQUAL(summary->callbacks_size(), 1);
  BOOST_TEST(summary->callbacks(0).id() == cb);
  BOOST_TEST(Job::State_Name(summary->callbacks(0).state()) == "BLOCKED");

  f.advance(100ms);  // the blocker ends; the record and the failing job run; the sleep starts
  summary = f.try_batch("nightly");
  BOOST_REQUIRE_MESSAGE(summary, error_text(summary));
  BOOST_TEST(summary->succeeded() == 1u);
  BOOST_TEST(summary->failed() == 1u);
  BOOST_TEST(summary->running() == 1u);
  BOOST_TEST(state_of(f.get(cb)) == "BLOCKED");

  auto done = f.await_for({cb, ids[2], blocker}, 1min);
  BOOST_TEST(state_of(done[0]) == "SUCCEEDED");
  BOOST_TEST(count_of(f.started(), cb) == 1u);
  summary = f.try_batch("nightly");
  BOOST_REQUIRE_MESSAGE(summary, error_text(summary));
  BOOST_TEST(summary->total() == 3u);
  BOOST_TEST(summary->succeeded() == 2u);
  BOOST_TEST(BatchSummary::State_Name(summary->state()) == "COMPLETE");
  BOOST_TEST(Job::State_Name(summary->callbacks(0).state()) == "SUCCEEDED");

  BOOST_TEST(code_name(f.try_batch("unheard-of").error()) == "unknown_job");
}

BOOST_AUTO_TEST_CASE(a_callback_for_a_batch_submitted_earlier_waits_for_the_jobs_still_open) {
  engine_fixture f{engine_fixture::options_with_slots(1)};
  auto blocker = f.submit(engine_fixture::sleep_spec(100ms));
  auto member = f.submit(in_batch(engine_fixture::record_spec(), "late"));
  auto callback = engine_fixture::record_spec();
  callback.set_batch_callback("late");
  auto cb = f.submit(callback);
  auto second = f.submit(in_batch(engine_fixture::record_spec(), "late"));  // joins while the callback waits
  f.run();
  BOOST_TEST(state_of(f.get(cb)) == "BLOCKED");
  f.await_for({blocker, member, second, cb}, 1min);
  // The callback ran after both members.
  const auto& order = f.started();
  auto pos = [&](job_id id) { return std::find(order.begin(), order.end(), id) - order.begin(); };
  BOOST_TEST(pos(cb) > pos(member));
  BOOST_TEST(pos(cb) > pos(second));
  BOOST_TEST(count_of(order, cb) == 1u);
}

// A crash after every single message of a DAG's life: the durable state never shows a job released early, and
// after the restart every job ends as it should, none stuck BLOCKED.
// Jobs still BLOCKED although every parent is terminal: what a restart must resolve.
size_t blocked_but_free(const std::map<job_id, Job>& jobs) {
  size_t n = 0;
  for (const auto& [id, job] : jobs) {
    if (job.state() != Job::BLOCKED || job.spec().dependencies_size() == 0) continue;
    bool free = std::all_of(job.spec().dependencies().begin(), job.spec().dependencies().end(),
                            [&](job_id p) { return lifecycle::is_terminal(jobs.at(p).state()); });
    n += free ? 1 : 0;
  }
  return n;
}

BOOST_AUTO_TEST_CASE(a_crash_at_any_step_of_a_dag_leaves_no_job_stuck_and_none_released_early) {
  size_t crashes = 0, windows = 0;  // crash points, and those that left a job BLOCKED with its parents done
  for (size_t steps = 0;; ++steps) {
    engine_fixture f{engine_fixture::options_with_slots(2)};
    f.send_submit({node(engine_fixture::record_spec(), "a"), node(engine_fixture::record_spec(), "b", {"a"}),
                   node(failing(), "c", {"a"}), node(engine_fixture::record_spec(), "d", {"b", "c"}),
                   node(engine_fixture::record_spec(), "e", {"b"})});
    size_t ran = 0;
    while (ran < steps && f.sched().try_run_once()) ++ran;
    bool finished_before_crash = ran < steps;
    BOOST_TEST_CONTEXT("crash after " << ran << " messages") {
      f.crash();
      f.close();
      f.open();
      auto jobs = stored_jobs(f);
      BOOST_TEST((jobs.empty() || jobs.size() == 5u), "the workflow is stored all or nothing");
      check_never_early(jobs);
      ++crashes;
      windows += blocked_but_free(jobs) > 0 ? 1 : 0;
      f.start();
      if (!jobs.empty()) {
        std::vector<job_id> ids;
        for (const auto& [id, job] : jobs) ids.push_back(id);
        auto done = f.await_for(ids, 1h);
        BOOST_TEST(state_of(done[0]) == "SUCCEEDED");
        BOOST_TEST(state_of(done[1]) == "SUCCEEDED");
        BOOST_TEST(state_of(done[2]) == "DEAD");
        BOOST_TEST(state_of(done[3]) == "CANCELLED");
        BOOST_TEST(state_of(done[4]) == "SUCCEEDED");
        check_never_early(stored_jobs(f));
      }
    }
    if (finished_before_crash) break;
  }
  BOOST_TEST_MESSAGE(crashes << " crash points, " << windows << " with a job BLOCKED whose parents had ended");
  BOOST_TEST(windows > 0u, "some crash fell between a parent's end and its children's release");
}

BOOST_AUTO_TEST_CASE(a_crash_at_any_step_of_a_batch_releases_its_callback_once_and_only_after_every_job) {
  for (size_t steps = 0;; ++steps) {
    engine_fixture f{engine_fixture::options_with_slots(2)};
    auto callback = engine_fixture::record_spec();
    callback.set_batch_callback("b");
    f.send_submit({in_batch(engine_fixture::record_spec(), "b"), in_batch(failing(), "b"),
                   in_batch(engine_fixture::record_spec(), "b"), callback});
    size_t ran = 0;
    while (ran < steps && f.sched().try_run_once()) ++ran;
    bool finished_before_crash = ran < steps;
    BOOST_TEST_CONTEXT("crash after " << ran << " messages") {
      f.crash();
      f.restart();
      auto jobs = stored_jobs(f);
      if (!jobs.empty()) {
        BOOST_REQUIRE_EQUAL(jobs.size(), 4u);
        std::vector<job_id> ids;
        for (const auto& [id, job] : jobs) ids.push_back(id);
        auto done = f.await_for(ids, 1h);
        const auto& cb = done[3];
        BOOST_TEST(state_of(cb) == "SUCCEEDED");
        // Released once, after every job of the batch had ended.
        size_t releases = 0;
        micros released_at = 0;
        for (const auto& t : cb.transitions()) {
          if (t.state() != Job::READY || t.reason() != "dependencies done") continue;
          ++releases;
          released_at = to_micros(t.at());
        }
        BOOST_TEST(releases == 1u);
        for (size_t i = 0; i < 3; ++i) BOOST_TEST(to_micros(done[i].finished_at()) <= released_at);
      }
    }
    if (finished_before_crash) break;
  }
}
