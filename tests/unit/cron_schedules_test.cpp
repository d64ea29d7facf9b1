// Cron schedules on a whole node under CAF's test coordinator with the manual clock
// (tests/support/engine_fixture.hpp): a schedule makes one job per occurrence at its time, in its time zone;
// each occurrence fires exactly once across crashes (before and after its commit) and graceful restarts;
// occurrences missed while the node was down are skipped or run once, as the schedule (or cronMissed) says;
// pause, resume, replace and delete are durable; bad schedules are refused by name and nothing is stored.

#define BOOST_TEST_MODULE cron_schedules
#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <chrono>
#include <map>
#include <string>
#include <vector>

#include "schemas/time.hpp"
#include "storage/keys.hpp"
#include "storage/store.hpp"
#include "support/engine_fixture.hpp"

using namespace std::chrono_literals;
using namespace troupe;
using troupe::test::code_name;
using troupe::test::engine_fixture;
using troupe::test::error_text;
using troupe::test::state_of;

namespace {

constexpr micros minute = 60'000'000;

micros next_minute(micros t) { return (t / minute + 1) * minute; }

CronControl add(const std::string& name, const std::string& cron, CronSchedule::Missed missed = {},
                const std::string& zone = {}) {
  CronControl c;
  c.set_action(CronControl::ADD);
  c.set_by("tester");
  auto* s = c.mutable_schedule();
  s->set_name(name);
  s->set_cron(cron);
  s->set_time_zone(zone);
  s->set_missed(missed);
  *s->mutable_job() = engine_fixture::record_spec();
  return c;
}

CronControl named(CronControl::Action action, const std::string& name) {
  CronControl c;
  c.set_action(action);
  c.set_name(name);
  c.set_by("tester");
  return c;
}

CronSchedule schedule(engine_fixture& f, const std::string& name) {
  auto list = f.try_cron(named(CronControl::LIST, name));
  BOOST_REQUIRE_MESSAGE(list, error_text(list));
  BOOST_REQUIRE_EQUAL(list->schedules_size(), 1);
  return list->schedules(0);
}

CronList must(engine_fixture& f, const CronControl& c) {
  auto list = f.try_cron(c);
  BOOST_REQUIRE_MESSAGE(list, error_text(list));
  return *list;
}

// Every job the schedule made, by occurrence.
std::vector<Job> jobs_of(engine_fixture& f, const std::string& name) {
  std::vector<Job> out;
  JobQuery q;
  q.set_limit(1000);
  for (;;) {
    auto page = f.try_list(q);
    BOOST_REQUIRE_MESSAGE(page, error_text(page));
    for (const auto& job : page->jobs())
      if (job.cron().schedule() == name) out.push_back(job);
    if (page->next_after_id() == 0) break;
    q.set_after_id(page->next_after_id());
  }
  std::sort(out.begin(), out.end(), [](const Job& a, const Job& b) {
    return to_micros(a.cron().occurrence()) < to_micros(b.cron().occurrence());
  });
  return out;
}

std::vector<micros> occurrences(const std::vector<Job>& jobs) {
  std::vector<micros> out;
  for (const auto& job : jobs) out.push_back(to_micros(job.cron().occurrence()));
  return out;
}

std::vector<micros> minutes_from(micros first, int n) {
  std::vector<micros> out;
  for (int i = 0; i < n; ++i) out.push_back(first + i * minute);
  return out;
}

// The schedule as stored (its progress), read from the store directly.
CronSchedule stored(engine_fixture& f, const std::string& name) {
  CronSchedule out;
  auto key = std::string{storage::keys::meta_cron_prefix} + name;
  auto s = f.ctx().store->scan_meta(key, [&](std::string_view k, std::string_view v) {
    if (k == key) out.ParseFromArray(v.data(), static_cast<int>(v.size()));
  });
  BOOST_REQUIRE(s.is_ok());
  return out;
}

// Moves both clocks to `t` without letting any actor run: timers due by then are in mailboxes, not handled.
void move_clocks_to(engine_fixture& f, micros t) {
  f.sched().clock().advance_time(std::chrono::microseconds{t - f.wall().now()});
  f.wall().set(t);
}

}  // namespace

BOOST_AUTO_TEST_CASE(a_schedule_makes_one_job_per_occurrence_at_its_time) {
  engine_fixture f{engine_fixture::options_with_slots(1)};
  auto t0 = f.wall().now();
  auto first = next_minute(t0);
  auto added = must(f, add("every-minute", "* * * * *"));
  BOOST_REQUIRE_EQUAL(added.schedules_size(), 1);
  BOOST_TEST(to_micros(added.schedules(0).next_occurrence()) == first);
  BOOST_TEST(added.schedules(0).created_by() == "tester");
  f.advance(std::chrono::microseconds{first - t0 - 1});
  BOOST_TEST(f.started().empty(), "nothing before the first occurrence");
  f.advance(1us);
  BOOST_REQUIRE_EQUAL(f.started().size(), 1u);
  f.advance(3min);
  auto jobs = jobs_of(f, "every-minute");
  BOOST_TEST(occurrences(jobs) == minutes_from(first, 4), boost::test_tools::per_element());
  for (const auto& job : jobs) {
    BOOST_TEST(state_of(job) == "SUCCEEDED");
    BOOST_TEST(to_micros(job.created_at()) == to_micros(job.cron().occurrence()), "made at its occurrence");
    BOOST_TEST(!job.cron().caught_up());
  }
  auto s = schedule(f, "every-minute");
  BOOST_TEST(s.fired() == 4u);
  BOOST_TEST(s.skipped() == 0u);
  BOOST_TEST(s.last_job() == jobs.back().id());
  BOOST_TEST(to_micros(s.next_occurrence()) == first + 4 * minute);
}

BOOST_AUTO_TEST_CASE(a_cron_schedule_fires_each_occurrence_exactly_once_across_a_restart) {
  engine_fixture f{engine_fixture::options_with_slots(1)};
  auto first = next_minute(f.wall().now());
  must(f, add("tick", "* * * * *", CronSchedule::RUN_ONCE));
  f.advance(std::chrono::microseconds{first + minute - f.wall().now()});  // occurrences 1 and 2
  BOOST_REQUIRE_EQUAL(jobs_of(f, "tick").size(), 2u);

  // Occurrence 3 comes due and the node dies before its job is durable: the timer's message is handled, its job
  // and progress go into the scheduler's batch, and the kill comes before the commit reaches the journal.
  move_clocks_to(f, first + 2 * minute);
  f.crash();
  f.close();
  BOOST_TEST(f.running_actors() == 0u);
  f.open();
  BOOST_TEST(stored(f, "tick").fired() == 2u, "occurrence 3 left nothing in the store");
  f.start();  // occurrence 3 was missed while the node was down: run once, now
  f.run();
  auto jobs = jobs_of(f, "tick");
  BOOST_REQUIRE_EQUAL(jobs.size(), 3u);
  BOOST_TEST(jobs[2].cron().caught_up());

  // Occurrence 4 comes due and the node dies right after its commit, before the scheduler hears of it.
  move_clocks_to(f, first + 3 * minute);
  for (int steps = 0; stored(f, "tick").fired() < 4; ++steps) {
    BOOST_REQUIRE_MESSAGE(steps < 10'000, "occurrence 4 never became durable");
    BOOST_REQUIRE(f.sched().try_run_once());
  }
  f.crash();
  f.restart();
  f.run();
  BOOST_TEST(jobs_of(f, "tick").size() == 4u, "occurrence 4 was durable: not again");

  // A graceful restart between occurrences 5 and 6.
  f.advance(std::chrono::microseconds{first + 4 * minute - f.wall().now()});
  BOOST_TEST(!f.shutdown(0ms));
  f.close();
  f.open();
  f.start();
  f.advance(std::chrono::microseconds{first + 5 * minute - f.wall().now()});

  jobs = jobs_of(f, "tick");
  BOOST_TEST(occurrences(jobs) == minutes_from(first, 6), boost::test_tools::per_element());
  for (size_t i = 0; i < jobs.size(); ++i) BOOST_TEST(jobs[i].cron().caught_up() == (i == 2), "job " << i);
  auto s = schedule(f, "tick");
  BOOST_TEST(s.fired() == 6u);
  BOOST_TEST(s.skipped() == 0u);
  BOOST_TEST(f.started().size() == 6u, "each job ran once");
}

BOOST_AUTO_TEST_CASE(occurrences_missed_while_the_node_was_down_are_skipped_or_run_once) {
  auto options = engine_fixture::options_with_slots(1);
  options.cronMissed = "skip";  // for the schedule that does not say
  engine_fixture f{options};
  auto first = next_minute(f.wall().now());
  must(f, add("skips", "* * * * *", CronSchedule::SKIP));
  must(f, add("runs-once", "* * * * *", CronSchedule::RUN_ONCE));
  must(f, add("node-default", "* * * * *"));
  f.advance(std::chrono::microseconds{first - f.wall().now()});  // one occurrence each
  BOOST_TEST(f.started().size() == 3u);
  BOOST_TEST(!f.shutdown(0ms));
  f.close();
  f.wall().advance(10 * minute + 30'000'000);  // down for occurrences first+1min .. first+10min
  f.open();
  f.start();
  f.run();
  auto latest_missed = first + 10 * minute;
  BOOST_TEST(jobs_of(f, "skips").size() == 1u);
  BOOST_TEST(schedule(f, "skips").skipped() == 10u);
  BOOST_TEST(jobs_of(f, "node-default").size() == 1u);
  BOOST_TEST(schedule(f, "node-default").skipped() == 10u);
  auto caught_up = jobs_of(f, "runs-once");
  BOOST_REQUIRE_EQUAL(caught_up.size(), 2u);
  BOOST_TEST(caught_up[1].cron().caught_up());
  BOOST_TEST(to_micros(caught_up[1].cron().occurrence()) == latest_missed);
  BOOST_TEST(schedule(f, "runs-once").skipped() == 9u);
  for (const auto* name : {"skips", "runs-once", "node-default"})
    BOOST_TEST(to_micros(schedule(f, name).next_occurrence()) == latest_missed + minute, name);
  f.advance(30s);  // every schedule goes on with its next occurrence
  BOOST_TEST(jobs_of(f, "skips").size() == 2u);
  BOOST_TEST(jobs_of(f, "runs-once").size() == 3u);
  BOOST_TEST(jobs_of(f, "node-default").size() == 2u);
}

BOOST_AUTO_TEST_CASE(pause_resume_replace_and_delete_are_durable) {
  engine_fixture f{engine_fixture::options_with_slots(1)};
  auto first = next_minute(f.wall().now());
  must(f, add("s", "* * * * *", CronSchedule::RUN_ONCE));
  f.advance(std::chrono::microseconds{first - f.wall().now()});
  BOOST_REQUIRE_EQUAL(jobs_of(f, "s").size(), 1u);

  auto paused = must(f, named(CronControl::PAUSE, "s")).schedules(0);
  BOOST_TEST(paused.paused());
  BOOST_TEST(paused.paused_by() == "tester");
  BOOST_TEST(!paused.has_next_occurrence());
  f.crash();
  f.wall().advance(5 * minute);  // down and paused: nothing is missed
  f.restart();
  f.advance(3min);
  BOOST_TEST(jobs_of(f, "s").size() == 1u, "a paused schedule fires nothing, across a restart");
  BOOST_TEST(schedule(f, "s").paused());

  auto now = f.wall().now();
  auto resumed = must(f, named(CronControl::RESUME, "s")).schedules(0);
  BOOST_TEST(!resumed.paused());
  BOOST_TEST(to_micros(resumed.next_occurrence()) == next_minute(now), "goes on after now, catching nothing up");
  f.advance(std::chrono::microseconds{next_minute(now) - now});
  BOOST_TEST(jobs_of(f, "s").size() == 2u);

  // Replace: a new expression, the progress kept.
  auto replace = add("s", "0 * * * *", CronSchedule::SKIP);
  auto refused = f.try_cron(replace);
  BOOST_TEST(code_name(refused.error()) == "conflict");
  replace.set_replace(true);
  auto replaced = must(f, replace).schedules(0);
  BOOST_TEST(replaced.cron() == "0 * * * *");
  BOOST_TEST(replaced.fired() == 2u);
  BOOST_TEST(to_micros(replaced.next_occurrence()) % (60 * minute) == 0);
  f.crash();
  f.restart();
  BOOST_TEST(schedule(f, "s").cron() == "0 * * * *");

  auto made = jobs_of(f, "s");
  auto deleted = must(f, named(CronControl::DELETE, "s"));
  BOOST_TEST(deleted.schedules(0).name() == "s");
  f.crash();
  f.restart();
  BOOST_TEST(code_name(f.try_cron(named(CronControl::LIST, "s")).error()) == "unknown_schedule");
  BOOST_TEST(must(f, named(CronControl::LIST, "")).schedules_size() == 0);
  f.advance(2h);
  BOOST_TEST(jobs_of(f, "s").size() == made.size(), "the jobs it made stay; no new ones");
}

BOOST_AUTO_TEST_CASE(occurrences_are_wall_clock_times_of_the_schedules_zone) {
  engine_fixture f{engine_fixture::options_with_slots(1)};
  // The manual clock starts at 2023-11-14T22:13:20Z; 09:00 in New York (EST, UTC-5) is 14:00Z the next day.
  constexpr micros nine_new_york = 1'700'056'800'000'000;  // 2023-11-15T14:00:00Z
  auto s = must(f, add("morning", "0 9 * * *", {}, "America/New_York")).schedules(0);
  BOOST_TEST(to_micros(s.next_occurrence()) == nine_new_york);
  auto utc = must(f, add("utc", "0 9 * * *")).schedules(0);
  BOOST_TEST(to_micros(utc.next_occurrence()) == nine_new_york - 5 * 60 * minute, "UTC by default");
  f.advance(std::chrono::microseconds{nine_new_york - f.wall().now()});
  auto jobs = jobs_of(f, "morning");
  BOOST_REQUIRE_EQUAL(jobs.size(), 1u);
  BOOST_TEST(to_micros(jobs[0].cron().occurrence()) == nine_new_york);
  BOOST_TEST(jobs_of(f, "utc").size() == 1u);
}

BOOST_AUTO_TEST_CASE(bad_schedules_are_refused_naming_the_problem_and_nothing_is_stored) {
  engine_fixture f{engine_fixture::options_with_slots(1)};
  struct bad_case {
    CronControl control;
    std::string code;
    std::string says;
  };
  std::vector<bad_case> cases;
  cases.push_back({add("m", "61 * * * *"), "invalid_argument", "minute: 61 is out of range 0-59"});
  cases.push_back({add("f", "* * * *"), "invalid_argument", "expected 5 fields"});
  cases.push_back({add("z", "* * * * *", {}, "Mars/Olympus"), "invalid_argument", "Mars/Olympus"});
  cases.push_back({add("never", "0 0 30 2 *"), "invalid_argument", "0 0 30 2 *"});
  cases.push_back({add("", "* * * * *"), "invalid_argument", "needs a name"});
  cases.push_back({add("a b", "* * * * *"), "invalid_argument", "may hold only"});
  auto unknown_kind = add("k", "* * * * *");
  unknown_kind.mutable_schedule()->mutable_job()->set_kind("nope");
  cases.push_back({unknown_kind, "unknown_kind", "unknown kind 'nope'"});
  auto with_key = add("key", "* * * * *");
  with_key.mutable_schedule()->mutable_job()->set_idempotency_key("k");
  cases.push_back({with_key, "invalid_argument", "cannot have an idempotency key"});
  auto with_after = add("after", "* * * * *");
  with_after.mutable_schedule()->mutable_job()->add_dependencies(1);
  cases.push_back({with_after, "invalid_argument", "cannot have dependencies"});
  cases.push_back({named(CronControl::PAUSE, "missing"), "unknown_schedule", "no cron schedule named 'missing'"});
  cases.push_back({named(CronControl::DELETE, ""), "invalid_argument", "name the cron schedule"});
  for (const auto& c : cases) {
    auto answer = f.try_cron(c.control);
    BOOST_REQUIRE_MESSAGE(!answer, "accepted: " << c.control.ShortDebugString());
    BOOST_TEST(code_name(answer.error()) == c.code, c.says);
    BOOST_TEST(describe(answer.error()).find(c.says) != std::string::npos, describe(answer.error()));
  }
  BOOST_TEST(must(f, named(CronControl::LIST, "")).schedules_size() == 0);
  f.crash();
  f.restart();
  BOOST_TEST(must(f, named(CronControl::LIST, "")).schedules_size() == 0, "nothing was stored");
  BOOST_TEST(must(f, add("ok", "@hourly")).schedules_size() == 1, "the node goes on serving");
}

// A template whose payload is `bytes` long (a string of that many x's, plus a few bytes of framing).
CronControl with_payload(CronControl c, size_t bytes) {
  c.mutable_schedule()->mutable_job()->mutable_payload()->set_string_value(std::string(bytes, 'x'));
  return c;
}

BOOST_AUTO_TEST_CASE(a_template_over_maxJobPayloadSizeMB_is_refused_on_add_and_on_replace_and_at_its_occurrence) {
  auto options = engine_fixture::options_with_slots(1);
  options.maxJobPayloadSizeMB = 1;
  engine_fixture f{options};
  constexpr size_t over = 1'600'000;  // 1.5 MiB
  auto refused = f.try_cron(with_payload(add("big", "* * * * *"), over));
  BOOST_REQUIRE(!refused);
  BOOST_TEST(code_name(refused.error()) == "payload_too_large");
  BOOST_TEST(describe(refused.error()).find("maxJobPayloadSizeMB") != std::string::npos, describe(refused.error()));
  BOOST_TEST(describe(refused.error()).find("cron schedule 'big'") != std::string::npos, describe(refused.error()));
  BOOST_TEST(must(f, named(CronControl::LIST, "")).schedules_size() == 0, "nothing was stored");

  // Replacing a stored schedule's template with one over the limit keeps the stored one.
  must(f, with_payload(add("s", "* * * * *"), 1000));
  auto replace = with_payload(add("s", "0 * * * *"), over);
  replace.set_replace(true);
  auto replaced = f.try_cron(replace);
  BOOST_REQUIRE(!replaced);
  BOOST_TEST(code_name(replaced.error()) == "payload_too_large");
  BOOST_TEST(stored(f, "s").cron() == "* * * * *");
  BOOST_TEST(stored(f, "s").job().payload().string_value().size() == 1000u);

  // A template stored under a larger limit makes no job once the node runs with a smaller one, and says why.
  must(f, named(CronControl::DELETE, "s"));
  f.crash();
  options.maxJobPayloadSizeMB = 2;
  f.set_options(options);
  f.restart();
  must(f, with_payload(add("grown", "* * * * *"), over));
  f.crash();
  options.maxJobPayloadSizeMB = 1;
  f.set_options(options);
  f.restart();
  auto first = next_minute(f.wall().now());
  f.advance(std::chrono::microseconds{first - f.wall().now()});
  auto s = schedule(f, "grown");
  BOOST_TEST(s.fired() == 0u);
  BOOST_TEST(s.last_error().find("maxJobPayloadSizeMB") != std::string::npos, s.last_error());
  BOOST_TEST(jobs_of(f, "grown").empty());
}

BOOST_AUTO_TEST_CASE(an_occurrence_whose_job_this_node_no_longer_accepts_makes_none_and_says_why) {
  auto options = engine_fixture::options_with_slots(1);
  options.execEnabled = true;
  engine_fixture f{options};
  auto add_exec = add("backup", "* * * * *");
  auto* job = add_exec.mutable_schedule()->mutable_job();
  job->set_kind("exec");
  job->mutable_payload()->mutable_struct_value();
  (*job->mutable_payload()->mutable_struct_value()->mutable_fields())["argv"].mutable_list_value()->add_values()
      ->set_string_value("true");
  must(f, add_exec);
  f.crash();
  options.execEnabled = false;  // the node comes back without exec
  f.set_options(options);
  f.restart();
  auto first = next_minute(f.wall().now());
  f.advance(std::chrono::microseconds{first - f.wall().now()});
  auto s = schedule(f, "backup");
  BOOST_TEST(s.fired() == 0u);
  BOOST_TEST(s.last_error().find("exec kind is disabled") != std::string::npos, s.last_error());
  BOOST_TEST(to_micros(s.last_occurrence()) == first);
  BOOST_TEST(jobs_of(f, "backup").empty());
  auto kept = stored(f, "backup");  // the progress is committed without another write to carry it
  BOOST_TEST(to_micros(kept.last_occurrence()) == first);
  BOOST_TEST(!kept.last_error().empty());
  f.advance(1min);
  BOOST_TEST(to_micros(schedule(f, "backup").last_occurrence()) == first + minute, "it goes on");
}
