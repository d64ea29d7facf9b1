// The metrics path: the scheduler's counting (actors/metrics_recorder.hpp), the windows that turn counters into
// rates and percentiles (actors/metrics_windows.hpp), the history in RocksDB (actors/metrics_history.hpp), the
// Prometheus exposition (actors/prometheus.hpp), and the metrics actor on a whole engine under CAF's test
// coordinator.

#define BOOST_TEST_MODULE metrics
#include <boost/test/unit_test.hpp>

#include <cmath>
#include <map>
#include <regex>
#include <set>
#include <sstream>

#include "actors/metrics.hpp"
#include "actors/metrics_history.hpp"
#include "actors/metrics_windows.hpp"
#include "actors/prometheus.hpp"
#include "support/engine_fixture.hpp"
#include "support/store_fixture.hpp"

using namespace troupe;
using namespace troupe::test;

namespace {

constexpr micros second = 1'000'000;
constexpr micros t0 = 497'222LL * 3600 * second;  // on an hour: minutes and hours start on it

double value(const MetricsSample& s, const std::string& name) {
  auto it = s.values().find(name);
  BOOST_REQUIRE_MESSAGE(it != s.values().end(), "no series " + name);
  return it->second;
}

// A scheduler sample at t0 + `at` seconds with one label set's counters.
struct counters_builder {
  SchedulerSample sample;
  LabelCounters* row(const std::string& kind, const std::string& user = "alice",
                     JobSpec::Priority priority = JobSpec::NORMAL) {
    for (auto& r : *sample.mutable_labels())
      if (r.kind() == kind && r.user() == user && r.priority() == priority) return &r;
    auto* r = sample.add_labels();
    r->set_kind(kind);
    r->set_user(user);
    r->set_priority(priority);
    for (auto* h : {r->mutable_pickup(), r->mutable_run(), r->mutable_blocked_wait()})
      for (size_t i = 0; i <= histogram_bounds.size(); ++i) h->add_buckets(0);
    return r;
  }
  SchedulerSample at(double seconds) {
    set_timestamp(sample.mutable_at(), t0 + static_cast<micros>(seconds * 1e6));
    return sample;
  }
};

void observe(Histogram* h, double seconds, int times = 1) {
  histogram local;
  for (int i = 0; i < h->buckets_size(); ++i) local.buckets[static_cast<size_t>(i)] = h->buckets(i);
  local.count = h->count();
  local.sum = h->sum();
  for (int i = 0; i < times; ++i) local.observe(seconds);
  h->Clear();
  local.to_proto(h);
}

}  // namespace

BOOST_AUTO_TEST_SUITE(metrics)

BOOST_AUTO_TEST_CASE(quantiles_interpolate_inside_the_bucket_they_fall_in) {
  histogram h;
  BOOST_TEST(quantile(h, 0.5) == 0.0);
  for (int i = 0; i < 100; ++i) h.observe(0.2);  // bucket (0.1, 0.25]
  auto p50 = quantile(h, 0.5);
  BOOST_TEST(p50 > 0.1);
  BOOST_TEST(p50 <= 0.25);
  for (int i = 0; i < 100; ++i) h.observe(7200);  // beyond the largest bound: +Inf
  BOOST_TEST(quantile(h, 0.99) == histogram_bounds.back());
  BOOST_TEST(quantile(h, 0.25) <= 0.25);
  BOOST_TEST(h.count == 200u);
}

BOOST_AUTO_TEST_CASE(windows_give_rates_error_rates_percentiles_and_the_backlog_trend) {
  metrics_windows w{{512u << 20, 100}};
  counters_builder b;
  auto* email = b.row("email");
  email->set_ready(100);
  b.sample.set_slots_total(4);
  b.sample.set_slots_busy(2);
  auto first = w.add(b.at(0), process_usage{256u << 20, 1.0, 0});
  BOOST_TEST(value(first, "depth_ready") == 100.0);
  BOOST_TEST(value(first, "kind:email:depth_ready") == 100.0);
  BOOST_TEST(value(first, "user:alice:depth_ready") == 100.0);
  BOOST_TEST(value(first, "priority:NORMAL:depth_ready") == 100.0);
  BOOST_TEST(value(first, "throughput_1m") == 0.0);
  BOOST_TEST(value(first, "memory_percent") == 50.0);
  BOOST_TEST(value(first, "utilization") == 50.0);

  // Over 60 s: 60 jobs succeed, 20 attempts fail (10 retried), the backlog shrinks by 80 jobs.
  email = b.row("email");
  email->set_succeeded(60);
  email->set_failed_attempts(20);
  email->set_retried(10);
  email->set_dead(10);
  email->set_ready(20);
  email->set_started(80);
  observe(email->mutable_pickup(), 0.03, 95);
  observe(email->mutable_pickup(), 3.0, 5);
  b.sample.set_slots_busy(4);
  auto later = w.add(b.at(60), process_usage{256u << 20, 31.0, 0});
  BOOST_TEST(value(later, "throughput_1m") == 70.0 / 60, boost::test_tools::tolerance(1e-9));
  BOOST_TEST(value(later, "throughput_1s") == 70.0 / 60, boost::test_tools::tolerance(1e-9));
  BOOST_TEST(value(later, "attempts_ended_1m") == 80.0);
  BOOST_TEST(value(later, "error_rate_1m") == 25.0);
  BOOST_TEST(value(later, "kind:email:error_rate_1m") == 25.0);
  BOOST_TEST(value(later, "user:alice:throughput_1h") == 70.0 / 60, boost::test_tools::tolerance(1e-9));
  BOOST_TEST(value(later, "priority:NORMAL:pickup_p99_1m_seconds") > 2.5);
  BOOST_TEST(value(later, "kind:email:dead_1m") == 10.0);
  BOOST_TEST(value(later, "kind:email:succeeded_1m") == 60.0);
  BOOST_TEST(value(later, "failed_attempts_1m") == 20.0);
  BOOST_TEST(value(later, "retried_1m") == 10.0);
  BOOST_TEST(value(later, "dead_10m") == 10.0);
  BOOST_TEST(value(later, "pickup_p50_1m_seconds") <= 0.05);
  BOOST_TEST(value(later, "pickup_p99_1m_seconds") > 2.5);
  BOOST_TEST(value(later, "backlog_growth_per_s") == -80.0 / 60, boost::test_tools::tolerance(1e-9));
  BOOST_TEST(value(later, "drain_eta_seconds") == 20.0 / (80.0 / 60), boost::test_tools::tolerance(1e-9));
  BOOST_TEST(value(later, "cpu_percent") == 50.0, boost::test_tools::tolerance(1e-9));
  BOOST_TEST(value(later, "utilization_1m") == 75.0);

  // A growing backlog does not drain; an empty one is drained.
  b.row("email")->set_ready(500);
  auto growing = w.add(b.at(120), std::nullopt);
  BOOST_TEST(value(growing, "backlog_growth_per_s") > 0.0);
  BOOST_TEST(value(growing, "drain_eta_seconds") == -1.0);
  // Counters that went down were reset (the scheduler restarted): their increase is what they hold now.
  counters_builder restarted;
  restarted.row("email")->set_succeeded(6);
  auto after_restart = w.add(restarted.at(121), std::nullopt);
  BOOST_TEST(value(after_restart, "throughput_1s") == 6.0, boost::test_tools::tolerance(1e-9));
  BOOST_TEST(value(after_restart, "drain_eta_seconds") == 0.0);
}

BOOST_FIXTURE_TEST_CASE(the_history_keeps_tiers_downsamples_and_drops_what_aged_out, store_fixture) {
  history_retention keep{10 * 60 * second, 2 * 3600 * second, 30LL * 24 * 3600 * second};
  {
    metrics_history h{*store, keep};
    // Three hours of one sample per 10 s: value = minute number.
    for (micros t = 0; t < 3 * 3600 * second; t += 10 * second) {
      MetricsSample s;
      set_timestamp(s.mutable_at(), t0 + t);
      (*s.mutable_values())["depth_ready"] = static_cast<double>(t / (60 * second));
      (*s.mutable_values())["kind:email:depth_ready"] = 1;
      BOOST_REQUIRE(h.add(s));
    }
  }
  reopen();  // the history is on disk
  metrics_history h{*store, keep};
  auto now = t0 + 3 * 3600 * second;
  auto ask = [&](micros from, micros to, uint32_t step, std::vector<std::string> names = {"depth_ready"}) {
    MetricsQuery q;
    for (auto& n : names) q.add_series(n);
    set_timestamp(q.mutable_from(), from);
    set_timestamp(q.mutable_to(), to);
    q.set_step_seconds(step);
    SeriesSet out;
    BOOST_REQUIRE(h.query(q, now, &out));
    return out;
  };
  // The last 5 minutes from the finest tier: every sample.
  auto fine = ask(now - 300 * second, now, 0);
  BOOST_TEST(fine.series(0).t_size() == 30);
  BOOST_TEST(fine.series(0).v(0) == 175.0);
  // Older than the fine retention (10 min): only minute averages remain.
  auto old_fine = ask(now - 3600 * second, now - 3000 * second, 0);
  BOOST_TEST(old_fine.step_seconds() == 60u);
  BOOST_TEST(old_fine.series(0).t_size() == 11);
  BOOST_TEST(old_fine.series(0).v(0) == 120.0);  // minute 120's average
  // Beyond the minute retention (2 h): hours. The first hour's average of minute numbers 0..59 is 29.5.
  auto hours = ask(t0, now, 3600);
  BOOST_TEST(hours.step_seconds() == 3600u);
  BOOST_TEST(hours.series(0).t_size() == 2);  // the third hour is still open
  BOOST_TEST(hours.series(0).v(0) == 29.5);
  BOOST_TEST(hours.series(0).t(0) == static_cast<double>(t0 / second) - static_cast<double>(t0 / second % 3600));
  // A step is averaged from the tier below it: 5-minute points over the last hour.
  auto five = ask(now - 3600 * second, now, 300);
  BOOST_TEST(five.step_seconds() == 300u);
  BOOST_TEST(five.series(0).t_size() == 12);
  // Unknown names come back empty, with the names the history knows.
  auto unknown = ask(now - 60 * second, now, 0, {"depth_redy"});
  BOOST_TEST(unknown.series(0).t_size() == 0);
  std::set<std::string> known{unknown.known().begin(), unknown.known().end()};
  BOOST_TEST(known.count("depth_ready") == 1u);
  BOOST_TEST(known.count("kind:email:depth_ready") == 1u);
  // No names: every node-wide series (no per-kind ones).
  MetricsQuery all;
  set_timestamp(all.mutable_from(), now - 60 * second);
  SeriesSet everything;
  BOOST_REQUIRE(h.query(all, now, &everything));
  BOOST_TEST(everything.series_size() == 1);
  BOOST_TEST(everything.series(0).name() == "depth_ready");
}

// Checks the exposition against the text format's rules: HELP and TYPE once per family before its samples,
// sample names of their family, histogram buckets cumulative up to +Inf == _count, escaped label values.
std::map<std::string, std::string> check_exposition(const std::string& text) {
  std::map<std::string, std::string> types;
  std::string current;
  std::istringstream in{text};
  static const std::regex sample_line{R"(^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{([a-zA-Z_][a-zA-Z0-9_]*="([^"\\]|\\.)*",?)*\})? (\S+)$)"};
  std::map<std::string, double> last_bucket;
  std::map<std::string, double> count_of;
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("# HELP ", 0) == 0) continue;
    if (line.rfind("# TYPE ", 0) == 0) {
      std::istringstream t{line.substr(7)};
      std::string name, type;
      t >> name >> type;
      BOOST_TEST(types.count(name) == 0u, "family " << name << " declared twice");
      BOOST_TEST((type == "counter" || type == "gauge" || type == "histogram"));
      types[name] = type;
      current = name;
      continue;
    }
    std::smatch m;
    BOOST_REQUIRE_MESSAGE(std::regex_match(line, m, sample_line), "not a sample line: " << line);
    std::string name = m[1];
    bool ours = name == current || (types[current] == "histogram" &&
                                    (name == current + "_bucket" || name == current + "_sum" ||
                                     name == current + "_count"));
    BOOST_TEST(ours, "sample " << name << " outside its family " << current);
    if (types[current] == "counter") BOOST_TEST(current.size() > 6u);
    if (types[current] == "counter") BOOST_TEST(current.substr(current.size() - 6) == "_total");
    double v = std::stod(m[m.size() - 1].str() == "+Inf" ? "inf" : m[m.size() - 1].str());
    auto labels = line.substr(name.size(), line.rfind(' ') - name.size());
    auto series = labels;
    if (name == current + "_bucket") {
      auto le = labels.find(",le=");
      if (le == std::string::npos) le = labels.find("{le=");
      series = labels.substr(0, le);
      BOOST_TEST(v >= last_bucket[series], "buckets not cumulative in " << line);
      last_bucket[series] = v;
      if (labels.find("le=\"+Inf\"") != std::string::npos) count_of[series] = v;
    }
    if (name == current + "_count") {
      auto open = labels.empty() ? std::string{} : labels.substr(0, labels.size() - 1);
      BOOST_TEST(count_of[open] == v, "+Inf bucket differs from _count in " << line);
      last_bucket.erase(open);
    }
  }
  return types;
}

BOOST_AUTO_TEST_CASE(the_prometheus_exposition_follows_the_text_format) {
  counters_builder b;
  auto* r = b.row("email", "ali\"ce\\n");
  r->set_submitted(5);
  r->set_succeeded(4);
  r->set_ready(1);
  observe(r->mutable_pickup(), 0.02, 3);
  observe(r->mutable_run(), 12, 2);
  b.row("report", "bob", JobSpec::HIGH)->set_dead(1);
  b.sample.set_slots_total(8);
  b.sample.set_slots_busy(3);
  b.sample.set_admission_held(true);
  b.sample.set_admission_holds(2);
  auto* pool = b.sample.add_pools();
  pool->set_pool("n1/local");
  pool->set_slots(8);
  pool->set_limit(4);
  pool->set_changes_total(3);
  auto counters = b.at(0);
  metrics_windows w{{512u << 20, 100}};
  auto latest = w.add(counters, process_usage{1000, 2.5, 1'790'000'000});
  AlertList alerts;
  alerts.mutable_health()->set_score(93);
  alerts.add_active()->set_severity(Alert::HIGH);
  prometheus_input in;
  in.counters = &counters;
  in.latest = &latest;
  in.alerts = &alerts;
  in.process = process_usage{1000, 2.5, 1'790'000'000};
  in.node = "n1";
  in.version = "0.6.0";
  ScalingStatus scaling;
  scaling.set_mode("off");
  scaling.set_desired(3);
  scaling.set_workers(1);
  scaling.set_ups_total(4);
  scaling.set_downs_total(1);
  in.scaling = &scaling;
  auto text = render_prometheus(in);
  auto types = check_exposition(text);
  BOOST_TEST(types["troupe_jobs_total"] == "counter");
  BOOST_TEST(types["troupe_pickup_latency_seconds"] == "histogram");
  BOOST_TEST(types["troupe_queue_depth"] == "gauge");
  BOOST_TEST(types["process_cpu_seconds_total"] == "counter");
  auto has = [&](const std::string& line) {
    BOOST_TEST(text.find(line + "\n") != std::string::npos, "missing: " << line);
  };
  has(R"(troupe_jobs_total{kind="email",user="ali\"ce\\n",priority="NORMAL",state="succeeded"} 4)");
  has(R"(troupe_jobs_total{kind="report",user="bob",priority="HIGH",state="dead"} 1)");
  has(R"(troupe_pickup_latency_seconds_bucket{kind="email",user="ali\"ce\\n",priority="NORMAL",le="0.025"} 3)");
  has(R"(troupe_pickup_latency_seconds_count{kind="email",user="ali\"ce\\n",priority="NORMAL"} 3)");
  has(R"(troupe_run_seconds_bucket{kind="email",user="ali\"ce\\n",priority="NORMAL",le="10"} 0)");
  has(R"(troupe_run_seconds_bucket{kind="email",user="ali\"ce\\n",priority="NORMAL",le="30"} 2)");
  has(R"(troupe_queue_depth{priority="NORMAL",state="ready"} 1)");
  has(R"(troupe_slots{state="free"} 5)");
  has(R"(troupe_health_score 93)");
  has(R"(troupe_alerts_active{severity="HIGH"} 1)");
  has(R"(process_resident_memory_bytes 1000)");
  has(R"(troupe_kind_error_rate_ratio{kind="report"} 0)");
  BOOST_TEST(types["troupe_kind_drain_eta_seconds"] == "gauge");
  // The resource and scaling managers' figures.
  has(R"(troupe_admission_held 1)");
  has(R"(troupe_admission_holds_total 2)");
  has(R"(troupe_pool_concurrency_limit{pool="n1/local"} 4)");
  has(R"(troupe_pool_slots{pool="n1/local"} 8)");
  has(R"(troupe_pool_concurrency_changes_total{pool="n1/local"} 3)");
  has(R"(troupe_desired_workers{mode="off"} 3)");
  has(R"(troupe_workers_active 1)");
  has(R"(troupe_scaling_decisions_total{action="up"} 4)");
  BOOST_TEST(types["troupe_desired_workers"] == "gauge");
  BOOST_TEST(latest.values().at("admission_held") == 1);
  BOOST_TEST(latest.values().at("pool:n1/local:limit") == 4);
}

// --- the metrics actor on a whole engine -------------------------------------------------------------------------

struct metrics_fixture {
  engine_fixture f{engine_fixture::options_with_slots(2)};
  metrics_actor metrics;

  metrics_fixture() {
    metrics = spawn_metrics(f.sys(), f.context_ptr(), f.gateway(), alert_actor{}, scaling_actor{}, /*detached=*/false);
    f.run();
  }
  ~metrics_fixture() {
    f.self()->send_exit(metrics, caf::exit_reason::user_shutdown);
    f.run();
  }

  template <class T, class... Ts>
  T ask(Ts... xs) {
    auto answer = f.ask_actor<T>(metrics, "the metrics actor", xs...);
    BOOST_REQUIRE_MESSAGE(answer, "metrics actor: " << error_text(answer));
    return std::move(*answer);
  }
  MetricsSample latest() { return ask<Dashboard>(dashboard_atom::value).latest(); }
};

BOOST_FIXTURE_TEST_CASE(the_actor_samples_the_engine_every_interval, metrics_fixture) {
  std::vector<job_id> ids;
  for (int i = 0; i < 4; ++i) ids.push_back(f.submit(engine_fixture::sleep_spec(std::chrono::milliseconds{1500})));
  auto flaky = f.submit(engine_fixture::spec("fail", R"({"times": 1})", JobSpec::HIGH));
  f.run();
  f.advance(std::chrono::seconds{1});
  auto busy = latest();
  BOOST_TEST(value(busy, "slots_total") == 2.0);
  BOOST_TEST(value(busy, "slots_busy") == 2.0);
  BOOST_TEST(value(busy, "depth_running") == 2.0);
  BOOST_TEST(value(busy, "depth_ready") == 3.0);
  BOOST_TEST(value(busy, "kind:sleep:depth_ready") + value(busy, "kind:fail:depth_ready") == 3.0);
  f.await_for(ids, std::chrono::seconds{30});
  f.await_for({flaky}, std::chrono::seconds{30});
  f.advance(std::chrono::seconds{2});
  auto done = latest();
  BOOST_TEST(value(done, "depth_ready") == 0.0);
  BOOST_TEST(value(done, "depth_running") == 0.0);
  BOOST_TEST(value(done, "kind:fail:attempts_ended_1m") == 2.0);  // one failure, then a success
  BOOST_TEST(value(done, "kind:fail:error_rate_1m") == 50.0);
  BOOST_TEST(value(done, "retried_1m") == 1.0);
  BOOST_TEST(value(done, "throughput_1m") > 0.0);
  // The sleep jobs waited for a slot: two of them for 1.5 s of the manual clock.
  BOOST_TEST(value(done, "pickup_p99_1m_seconds") >= 1.0);
  BOOST_TEST(value(done, "run_p50_1m_seconds") >= 1.0);
  BOOST_TEST(value(done, "kind:sleep:run_p95_1m_seconds") <= 2.5);

  auto text = ask<std::string>(prometheus_atom::value);
  check_exposition(text);
  BOOST_TEST(text.find(R"(troupe_jobs_total{kind="sleep",user="",priority="NORMAL",state="succeeded"} 4)") !=
             std::string::npos);
  BOOST_TEST(text.find(R"(troupe_attempts_retried_total{kind="fail",user="",priority="HIGH"} 1)") !=
             std::string::npos);
  BOOST_TEST(text.find(R"(troupe_pickup_latency_seconds_count{kind="sleep",user="",priority="NORMAL"} 4)") !=
             std::string::npos, text);

  // The history answers for the seconds that passed; the dashboard has the charts' recent points.
  MetricsQuery q;
  q.add_series("depth_running");
  set_timestamp(q.mutable_from(), f.wall().now() - 60 * second);
  auto history = ask<SeriesSet>(metrics_atom::value, q);
  BOOST_TEST(history.series(0).t_size() >= 5);
  auto board = ask<Dashboard>(dashboard_atom::value);
  bool charted = false;
  for (const auto& s : board.recent().series())
    if (s.name() == "depth_running") charted = s.t_size() >= 5;
  BOOST_TEST(charted);
}

BOOST_AUTO_TEST_CASE(the_scheduler_counts_depth_moves_when_a_job_is_reprioritized) {
  engine_fixture f{engine_fixture::options_with_slots(0)};
  auto id = f.submit(engine_fixture::spec("noop"));
  JobControl c;
  c.set_action(JobControl::PRIORITIZE);
  c.set_job(id);
  c.set_priority(JobSpec::CRITICAL);
  BOOST_REQUIRE(f.try_control(c));
  auto cancelled = f.cancel(id);
  BOOST_TEST(state_of(cancelled) == "CANCELLED");
  auto sample = f.ask_actor<SchedulerSample>(f.gateway(), "the gateway", metrics_atom::value);
  BOOST_REQUIRE_MESSAGE(sample, error_text(sample));
  std::map<JobSpec::Priority, LabelCounters> rows;
  for (const auto& r : sample->labels()) rows[r.priority()] = r;
  BOOST_TEST(rows[JobSpec::NORMAL].submitted() == 1u);
  BOOST_TEST(rows[JobSpec::NORMAL].ready() == 0);
  BOOST_TEST(rows[JobSpec::CRITICAL].ready() == 0);
  BOOST_TEST(rows[JobSpec::CRITICAL].cancelled() == 1u);
}

BOOST_AUTO_TEST_SUITE_END()
