// The alert actor (actors/alerts.hpp): every rule fires after alertForMs, stays active inside the hysteresis band
// and resolves after alertForMs below it; acknowledge, silence and their errors; the bounded history; a restart
// keeps the active alerts. Under CAF's test coordinator on a real store; time is the samples' `at`.

#define BOOST_TEST_MODULE alerts
#include <boost/test/unit_test.hpp>


#include <cctype>
#include <map>

#include "actors/alert_rules.hpp"
#include "actors/alerts.hpp"
#include "storage/keys.hpp"
#include "support/engine_fixture.hpp"
#include "support/http_listener.hpp"
#include "troupe/json.hpp"

using namespace troupe;
using namespace troupe::test;

namespace {

using values = std::map<std::string, double>;
constexpr micros second = 1'000'000;

node_options alert_options() {
  auto o = engine_fixture::options_with_slots(1);
  o.alertForMs = 10000;
  o.alertHysteresis = 0.1;
  return o;
}

// An engine (for its store and test coordinator) and an alert actor on it.
struct alerts_fixture {
  explicit alerts_fixture(node_options options = alert_options()) : f{std::move(options)} {
    t0 = f.wall().now();
    spawn();
  }
  ~alerts_fixture() { stop(); }

  void spawn() {
    stop();
    alerts = spawn_alerts(f.sys(), f.context_ptr(), /*detached=*/false);
    f.run();
  }

  void stop() {
    if (alerts) f.self()->send_exit(alerts, caf::exit_reason::user_shutdown);
    alerts = nullptr;
    f.run();
  }

  // The node crashes and starts again on the same store; so does the alert actor.
  void restart() {
    stop();
    f.crash();
    f.restart();
    spawn();
  }

  template <class T, class... Ts>
  caf::expected<T> ask(Ts... xs) {
    return f.ask_actor<T>(alerts, "the alert actor", xs...);
  }

  // A sample taken `s` seconds after t0.
  AlertList sample(double s, const values& v) {
    MetricsSample m;
    set_timestamp(m.mutable_at(), t0 + static_cast<micros>(s * second));
    for (const auto& [name, value] : v) (*m.mutable_values())[name] = value;
    auto answer = ask<AlertList>(sample_atom::value, m);
    BOOST_REQUIRE_MESSAGE(answer, error_text(answer));
    return std::move(*answer);
  }

  caf::expected<AlertList> control(AlertControl::Action action, const std::string& alert, uint32_t minutes = 0) {
    AlertControl c;
    c.set_action(action);
    c.set_alert(alert);
    c.set_silence_minutes(minutes);
    c.set_by("root");
    return ask<AlertList>(alerts_atom::value, c);
  }

  AlertList list(uint32_t limit = 0) {
    AlertControl c;
    c.set_limit(limit);
    auto answer = ask<AlertList>(alerts_atom::value, c);
    BOOST_REQUIRE_MESSAGE(answer, error_text(answer));
    return std::move(*answer);
  }

  size_t stored_alerts() {
    size_t n = 0;
    auto s = f.ctx().store->scan_meta(storage::keys::meta_alert_prefix, [&](auto, auto) { ++n; });
    BOOST_REQUIRE(s.ok());
    return n;
  }

  engine_fixture f;
  alert_actor alerts;
  micros t0 = 0;
};

const Alert* find_active(const AlertList& list, const std::string& rule, const std::string& subject = "") {
  for (const auto& a : list.active())
    if (a.rule() == rule && a.subject() == subject) return &a;
  return nullptr;
}

// One rule's life with alertForMs = 10 s and one sample a second: `high` for 10 s fires it (not at 9 s), `band`
// (if any: inside the hysteresis band) keeps it active, `low` for 10 s resolves it (not at 9 s).
void check_rule_life(const std::string& rule, Alert::Severity severity, const values& high, const values& band,
                     const values& low, const std::string& subject = "") {
  BOOST_TEST_CONTEXT("rule " << rule << " subject '" << subject << "'") {
    alerts_fixture a;
    for (int s = 0; s <= 9; ++s) BOOST_TEST(!find_active(a.sample(s, high), rule, subject));
    auto fired = a.sample(10, high);
    const auto* alert = find_active(fired, rule, subject);
    BOOST_REQUIRE(alert);
    auto id = alert->id();
    BOOST_TEST(id == alert_key(rule, subject) + "-" + std::to_string(a.t0 + 10 * second));
    BOOST_TEST(alert->severity() == severity);
    BOOST_TEST(alert->state() == Alert::ACTIVE);
    BOOST_TEST(!alert->message().empty());
    BOOST_TEST(to_micros(alert->fired_at()) == a.t0 + 10 * second);
    double t = 11;
    if (!band.empty()) {
      for (; t <= 30; ++t) BOOST_TEST(find_active(a.sample(t, band), rule, subject));
    }
    auto low_since = t;
    for (; t < low_since + 10; ++t) BOOST_TEST(find_active(a.sample(t, low), rule, subject));
    BOOST_TEST(!find_active(a.sample(t, low), rule, subject));
    auto listed = a.list();
    BOOST_REQUIRE(listed.recent_size() == 1);
    const auto& resolved = listed.recent(0);
    BOOST_TEST(resolved.id() == id);
    BOOST_TEST(resolved.state() == Alert::RESOLVED);
    BOOST_TEST(to_micros(resolved.resolved_at()) == a.t0 + static_cast<micros>(t * second));
    BOOST_TEST(a.stored_alerts() == 1u);
  }
}

const values memory_high{{"memory_percent", 90}};

node_options webhook_options(const std::string& url) {
  auto o = alert_options();
  o.alertForMs = 0;
  o.alertWebhookUrl = url;
  return o;
}

AlertEvent event_of(const http_listener::request& r) {
  AlertEvent e;
  auto err = from_json(r.body, &e);
  BOOST_TEST(!err, "the webhook body is not an AlertEvent: " << r.body);
  return e;
}

}  // namespace

BOOST_AUTO_TEST_CASE(memory_pressure_fires_after_alert_for_ms_holds_in_the_band_and_resolves) {
  check_rule_life("memory_pressure", Alert::CRITICAL, memory_high, {{"memory_percent", 75}},
                  {{"memory_percent", 50}});
}

BOOST_AUTO_TEST_CASE(high_error_rate_fires_with_enough_attempts) {
  check_rule_life("high_error_rate", Alert::CRITICAL, {{"error_rate_1m", 40}, {"attempts_ended_1m", 25}},
                  {{"error_rate_1m", 14}, {"attempts_ended_1m", 25}},
                  {{"error_rate_1m", 5}, {"attempts_ended_1m", 25}});
}

BOOST_AUTO_TEST_CASE(high_error_rate_per_kind_names_the_kind) {
  check_rule_life("high_error_rate", Alert::CRITICAL,
                  {{"kind:email:error_rate_1m", 50}, {"kind:email:attempts_ended_1m", 20}},
                  {{"kind:email:error_rate_1m", 14}, {"kind:email:attempts_ended_1m", 20}},
                  {{"kind:email:error_rate_1m", 0}, {"kind:email:attempts_ended_1m", 20}}, "email");
}

BOOST_AUTO_TEST_CASE(pickup_latency_fires_above_the_target) {
  check_rule_life("pickup_latency", Alert::HIGH, {{"pickup_p95_1m_seconds", 2}}, {{"pickup_p95_1m_seconds", 0.95}},
                  {{"pickup_p95_1m_seconds", 0.1}});
}

BOOST_AUTO_TEST_CASE(blocked_jobs_fires_above_blocked_alert_jobs) {
  check_rule_life("blocked_jobs", Alert::HIGH, {{"depth_blocked", 1500}}, {{"depth_blocked", 950}},
                  {{"depth_blocked", 10}});
}

BOOST_AUTO_TEST_CASE(dead_jobs_fires_on_a_dead_job) {
  check_rule_life("dead_jobs", Alert::HIGH, {{"dead_10m", 3}}, {}, {{"dead_10m", 0}});
}

BOOST_AUTO_TEST_CASE(lost_workers_fires_on_a_lost_slot) {
  check_rule_life("lost_workers", Alert::HIGH, {{"slots_lost_10m", 1}}, {}, {{"slots_lost_10m", 0}});
}

BOOST_AUTO_TEST_CASE(growing_backlog_fires_on_a_big_growing_backlog) {
  check_rule_life("growing_backlog", Alert::MODERATE,
                  {{"backlog", 2000}, {"backlog_growth_per_s", 5}, {"drain_eta_seconds", -1}},
                  {{"backlog", 950}, {"backlog_growth_per_s", 0}, {"drain_eta_seconds", 300}},
                  {{"backlog", 100}, {"backlog_growth_per_s", -3}, {"drain_eta_seconds", 30}});
}

BOOST_AUTO_TEST_CASE(saturated_slots_fires_when_busy_slots_leave_jobs_waiting) {
  check_rule_life("saturated_slots", Alert::LOW, {{"utilization_1m", 99}, {"depth_ready", 5}},
                  {{"utilization_1m", 90}, {"depth_ready", 5}}, {{"utilization_1m", 50}, {"depth_ready", 5}});
}

BOOST_AUTO_TEST_CASE(runner_stopped_is_information) {
  check_rule_life("runner_stopped", Alert::INFO, {{"runner_stopped", 1}}, {}, {{"runner_stopped", 0}});
}

BOOST_AUTO_TEST_CASE(held_admission_is_critical) {
  check_rule_life("admission_held", Alert::CRITICAL, {{"admission_held", 1}}, {}, {{"admission_held", 0}});
}

BOOST_AUTO_TEST_CASE(messages_name_the_figures) {
  alerts_fixture a;
  a.sample(0, {{"error_rate_1m", 40}, {"attempts_ended_1m", 25}, {"backlog", 2000}, {"backlog_growth_per_s", 5},
               {"drain_eta_seconds", -1}});
  auto list = a.sample(10, {{"error_rate_1m", 40}, {"attempts_ended_1m", 25}, {"backlog", 2000},
                            {"backlog_growth_per_s", 5}, {"drain_eta_seconds", -1}});
  const auto* errors = find_active(list, "high_error_rate");
  BOOST_REQUIRE(errors);
  BOOST_TEST(errors->message() == "error rate 40.0% of 25 attempts over the last minute (threshold 15%)");
  BOOST_TEST(errors->value() == 40.0);
  BOOST_TEST(errors->threshold() == 15.0);
  const auto* backlog = find_active(list, "growing_backlog");
  BOOST_REQUIRE(backlog);
  BOOST_TEST(backlog->message().find("not draining") != std::string::npos);
  // Most severe first.
  BOOST_TEST(list.active(0).rule() == "high_error_rate");
}

BOOST_AUTO_TEST_CASE(a_high_error_rate_of_few_attempts_does_not_fire) {
  alerts_fixture a;
  for (int s = 0; s <= 20; ++s)
    BOOST_TEST(a.sample(s, {{"error_rate_1m", 100}, {"attempts_ended_1m", 3}}).active_size() == 0);
}

BOOST_AUTO_TEST_CASE(a_condition_that_breaks_off_starts_counting_again) {
  alerts_fixture a;
  for (int s = 0; s <= 8; ++s) a.sample(s, memory_high);
  a.sample(9, {{"memory_percent", 79}});  // below the threshold, inside the band: not firing
  for (int s = 10; s <= 18; ++s) BOOST_TEST(a.sample(s, memory_high).active_size() == 0);
  BOOST_TEST(a.sample(20, memory_high).active_size() == 1);
}

BOOST_AUTO_TEST_CASE(a_sample_without_the_rules_series_changes_nothing) {
  alerts_fixture a;
  for (int s = 0; s <= 5; ++s) a.sample(s, memory_high);
  a.sample(7, {});                                        // unknown: the count goes on
  BOOST_TEST(a.sample(10, memory_high).active_size() == 1);
  for (int s = 11; s <= 15; ++s) a.sample(s, {{"memory_percent", 10}});
  BOOST_TEST(a.sample(40, {{"cpu_percent", 5}}).active_size() == 1);  // still active: no memory figure
  BOOST_TEST(a.sample(41, {{"memory_percent", 10}}).active_size() == 0);  // clear since 11 s
}

BOOST_AUTO_TEST_CASE(alert_for_ms_zero_fires_and_resolves_at_once) {
  auto o = alert_options();
  o.alertForMs = 0;
  alerts_fixture a{o};
  BOOST_TEST(a.sample(0, memory_high).active_size() == 1);
  BOOST_TEST(a.sample(1, {{"memory_percent", 10}}).active_size() == 0);
}

BOOST_AUTO_TEST_CASE(dead_alert_jobs_zero_turns_the_rule_off) {
  auto o = alert_options();
  o.alertForMs = 0;
  o.deadAlertJobs = 0;
  alerts_fixture a{o};
  BOOST_TEST(a.sample(0, {{"dead_10m", 50}}).active_size() == 0);
}

BOOST_AUTO_TEST_CASE(acknowledge_keeps_the_alert_active_and_says_who) {
  auto o = alert_options();
  o.alertForMs = 0;
  alerts_fixture a{o};
  a.sample(0, memory_high);
  auto acked = a.control(AlertControl::ACKNOWLEDGE, "memory_pressure");
  BOOST_REQUIRE_MESSAGE(acked, error_text(acked));
  BOOST_REQUIRE(acked->active_size() == 1);
  BOOST_TEST(acked->active(0).acknowledged_by() == "root");
  BOOST_TEST(acked->active(0).state() == Alert::ACTIVE);
  // By id too.
  auto by_id = a.control(AlertControl::ACKNOWLEDGE, acked->active(0).id());
  BOOST_TEST(static_cast<bool>(by_id));
}

BOOST_AUTO_TEST_CASE(silence_removes_the_health_penalty_until_unsilenced) {
  auto o = alert_options();
  o.alertForMs = 0;
  alerts_fixture a{o};
  auto fired = a.sample(0, {{"slots_lost_10m", 1}});
  BOOST_TEST(fired.health().score() == 92u);
  auto silenced = a.control(AlertControl::SILENCE, "lost_workers", 30);
  BOOST_REQUIRE_MESSAGE(silenced, error_text(silenced));
  BOOST_REQUIRE(silenced->active_size() == 1);
  BOOST_TEST(to_micros(silenced->active(0).silenced_until()) == a.f.wall().now() + 30 * 60 * second);
  BOOST_TEST(silenced->health().score() == 100u);
  auto unsilenced = a.control(AlertControl::UNSILENCE, silenced->active(0).id());
  BOOST_REQUIRE_MESSAGE(unsilenced, error_text(unsilenced));
  BOOST_TEST(!unsilenced->active(0).has_silenced_until());
  BOOST_TEST(unsilenced->health().score() == 92u);
}

BOOST_AUTO_TEST_CASE(controls_of_unknown_or_resolved_alerts_and_bad_minutes_are_invalid) {
  auto o = alert_options();
  o.alertForMs = 0;
  alerts_fixture a{o};
  auto unknown = a.control(AlertControl::ACKNOWLEDGE, "no_such_alert");
  BOOST_REQUIRE(!unknown);
  BOOST_TEST(code_name(unknown.error()) == "invalid_argument");
  BOOST_TEST(describe(unknown.error()).find("no_such_alert") != std::string::npos);
  auto fired = a.sample(0, memory_high);
  auto id = fired.active(0).id();
  for (uint32_t minutes : {0u, 10081u}) {
    auto bad = a.control(AlertControl::SILENCE, id, minutes);
    BOOST_REQUIRE(!bad);
    BOOST_TEST(code_name(bad.error()) == "invalid_argument");
  }
  BOOST_TEST(static_cast<bool>(a.control(AlertControl::SILENCE, id, 10080)));
  a.sample(1, {{"memory_percent", 1}});
  auto resolved = a.control(AlertControl::UNSILENCE, id);
  BOOST_REQUIRE(!resolved);
  BOOST_TEST(describe(resolved.error()).find(id) != std::string::npos);
}

BOOST_AUTO_TEST_CASE(the_history_keeps_alert_history_kept_resolved_alerts) {
  auto o = alert_options();
  o.alertForMs = 0;
  o.alertHistoryKept = 3;
  alerts_fixture a{o};
  for (int i = 0; i < 5; ++i) {
    a.sample(2 * i, memory_high);
    a.sample(2 * i + 1, {{"memory_percent", 1}});
  }
  a.sample(20, memory_high);  // one active on top
  auto listed = a.list();
  BOOST_TEST(listed.recent_size() == 4);
  BOOST_TEST(listed.active_size() == 1);
  // Newest first: the active one, then the resolved ones of 8 s, 6 s, 4 s.
  BOOST_TEST(to_micros(listed.recent(0).fired_at()) == a.t0 + 20 * second);
  BOOST_TEST(to_micros(listed.recent(3).fired_at()) == a.t0 + 4 * second);
  BOOST_TEST(a.list(2).recent_size() == 2);
  BOOST_TEST(a.stored_alerts() == 4u);
}

BOOST_AUTO_TEST_CASE(a_restart_restores_active_and_resolved_alerts_without_firing_them_again) {
  auto o = alert_options();
  o.alertForMs = 0;  // a forgotten alert would fire again at the first sample
  alerts_fixture a{o};
  a.sample(0, {{"runner_stopped", 1}});
  auto before = a.sample(1, {{"memory_percent", 90}, {"runner_stopped", 0}});
  BOOST_REQUIRE(before.active_size() == 1);
  auto id = before.active(0).id();
  a.restart();
  auto after = a.list();
  BOOST_REQUIRE(after.active_size() == 1);
  BOOST_TEST(after.active(0).id() == id);
  BOOST_REQUIRE(after.recent_size() == 2);
  BOOST_TEST(after.recent(1).rule() == "runner_stopped");
  BOOST_TEST(after.recent(1).state() == Alert::RESOLVED);
  auto again = a.sample(2, memory_high);
  BOOST_REQUIRE(again.active_size() == 1);
  BOOST_TEST(again.active(0).id() == id);
  BOOST_TEST(a.list().recent_size() == 2);
  // And it still resolves.
  BOOST_TEST(a.sample(3, {{"memory_percent", 1}}).active_size() == 0);
}

BOOST_AUTO_TEST_CASE(the_webhook_receives_the_fired_and_the_resolved_alert_as_json) {
  http_listener listener;
  alerts_fixture a{webhook_options(listener.url())};
  auto fired = a.sample(0, memory_high);
  auto got = listener.wait_for(1);
  BOOST_REQUIRE(got.size() == 1);
  BOOST_TEST(got[0].head.rfind("POST /hook ", 0) == 0);
  BOOST_TEST(got[0].head.find("Content-Type: application/json") != std::string::npos);
  auto e = event_of(got[0]);
  BOOST_TEST(e.event() == "fired");
  BOOST_TEST(e.node() == "test-node");
  BOOST_TEST(e.alert().id() == fired.active(0).id());
  BOOST_TEST(e.alert().rule() == "memory_pressure");
  BOOST_TEST(e.alert().state() == Alert::ACTIVE);
  BOOST_TEST(got[0].body.find("\"severity\":\"CRITICAL\"") != std::string::npos);
  a.sample(1, {{"memory_percent", 10}});
  got = listener.wait_for(2);
  BOOST_REQUIRE(got.size() == 2);
  auto r = event_of(got[1]);
  BOOST_TEST(r.event() == "resolved");
  BOOST_TEST(r.alert().id() == fired.active(0).id());
  BOOST_TEST(r.alert().state() == Alert::RESOLVED);
  BOOST_TEST(to_micros(r.alert().resolved_at()) == a.t0 + second);
}

BOOST_AUTO_TEST_CASE(a_silenced_alert_sends_no_webhook) {
  http_listener listener;
  alerts_fixture a{webhook_options(listener.url())};
  a.sample(0, memory_high);
  BOOST_REQUIRE(listener.wait_for(1).size() == 1);
  BOOST_REQUIRE(a.control(AlertControl::SILENCE, "memory_pressure", 60));
  a.sample(1, {{"memory_percent", 10}});
  // Under the test coordinator the sender posts inside run(): whatever it sent has arrived by now.
  BOOST_TEST(listener.count() == 1u);
}

BOOST_AUTO_TEST_CASE(a_failed_delivery_is_retried_after_a_backoff) {
  http_listener listener{{500}};
  alerts_fixture a{webhook_options(listener.url())};
  a.sample(0, memory_high);
  BOOST_REQUIRE(listener.wait_for(1).size() == 1);
  BOOST_TEST(listener.count() == 1u);  // the retry waits for its timer
  a.f.advance(std::chrono::seconds{1});
  auto got = listener.wait_for(2);
  BOOST_REQUIRE(got.size() == 2);
  BOOST_TEST(got[1].body == got[0].body);
}

BOOST_AUTO_TEST_CASE(a_webhook_nobody_listens_to_blocks_nothing) {
  std::string url;
  {
    http_listener gone;  // a port that was free a moment ago, closed again
    url = gone.url();
  }
  alerts_fixture a{webhook_options(url)};
  BOOST_TEST(a.sample(0, memory_high).active_size() == 1);
  a.f.advance(std::chrono::seconds{30});  // every retry fails, and is given up after the third
  BOOST_TEST(a.sample(31, {{"memory_percent", 10}}).active_size() == 0);
  BOOST_TEST(a.list().recent_size() == 1);
}
