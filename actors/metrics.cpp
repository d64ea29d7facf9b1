#include "actors/metrics.hpp"

#include <deque>
#include <set>

#include <caf/actor_system.hpp>
#include <caf/stateful_actor.hpp>
#include <caf/typed_event_based_actor.hpp>
#include <spdlog/spdlog.h>

#include "actors/metrics_history.hpp"
#include "actors/metrics_windows.hpp"
#include "actors/prometheus.hpp"

namespace troupe {

namespace {

// The series the dashboard charts, kept for its last minutes (Dashboard.recent).
const std::set<std::string>& chart_series() {
  static const std::set<std::string> names = {
      "depth_ready",     "depth_running",         "depth_blocked",         "depth_scheduled",
      "throughput_1s",   "throughput_1m",         "pickup_p50_1m_seconds", "pickup_p95_1m_seconds",
      "pickup_p99_1m_seconds", "slots_total",     "slots_busy",            "utilization_1m",
      "health_score",    "memory_percent",        "cpu_percent",           "error_rate_1m",
      "desired_workers", "workers_active",        "admission_held"};
  return names;
}

constexpr size_t recent_samples = 300;  // the dashboard's charts: 5 minutes of 1 s samples

struct metrics_state {
  static inline const char* name = "troupe.metrics";

  explicit metrics_state(caf::local_actor*) {}

  engine_context_ptr ctx;
  gateway_internal_actor gateway;
  alert_actor alerts;
  scaling_actor scaling;
  std::optional<ScalingStatus> scaling_status;  // the newest answer of the scaling manager
  std::unique_ptr<metrics_windows> windows;
  std::unique_ptr<metrics_history> history;
  SchedulerSample counters;  // the newest, cumulative
  MetricsSample latest;
  AlertList last_alerts;
  std::optional<process_usage> process;
  std::deque<MetricsSample> recent;  // chart series only
  bool sampling = false;             // a sample is being taken (the next tick waits for it)
  bool history_failed = false;       // logged once
};

using metrics_self = metrics_actor::stateful_pointer<metrics_state>;

void record(metrics_self self, MetricsSample sample) {
  auto& st = self->state;
  if (auto s = st.history->add(sample); !s && !st.history_failed) {
    st.history_failed = true;
    spdlog::error("metrics: cannot write the history: {}", s.message());
  }
  MetricsSample chart;
  *chart.mutable_at() = sample.at();
  for (const auto& [name, value] : sample.values())
    if (chart_series().count(name) > 0) (*chart.mutable_values())[name] = value;
  st.recent.push_back(std::move(chart));
  while (st.recent.size() > recent_samples) st.recent.pop_front();
  st.latest = std::move(sample);
  st.sampling = false;
}

void take_sample(metrics_self self) {
  auto& st = self->state;
  st.sampling = true;
  auto interval = std::chrono::milliseconds{st.ctx->options.metricsIntervalMs};
  self->request(st.gateway, interval * 5, metrics_atom::value)
      .then(
          [=](SchedulerSample& counters) {
            auto& st = self->state;
            st.process = st.ctx->usage();
            auto sample = st.windows->add(counters, st.process);
            if (st.scaling_status) {
              (*sample.mutable_values())["desired_workers"] = st.scaling_status->desired();
              (*sample.mutable_values())["workers_active"] = st.scaling_status->workers();
            }
            st.counters = std::move(counters);
            if (!st.alerts) return record(self, std::move(sample));
            self->request(st.alerts, interval * 5, sample_atom::value, sample)
                .then(
                    [=](AlertList& alerts) mutable {
                      auto& values = *sample.mutable_values();
                      values["health_score"] = alerts.health().score();
                      values["alerts_active"] = alerts.active_size();
                      self->state.last_alerts = std::move(alerts);
                      record(self, std::move(sample));
                    },
                    [=](caf::error& err) mutable {
                      spdlog::debug("metrics: the alert actor did not answer: {}", describe(err));
                      record(self, std::move(sample));
                    });
          },
          [=](caf::error& err) {
            // The engine restarts, or the scheduler is busy: this interval has no sample.
            spdlog::debug("metrics: no counters from the scheduler: {}", describe(err));
            self->state.sampling = false;
          });
}

// The dashboard's charts: the recent samples as columnar series, and the newest sample.
Dashboard dashboard_of(const metrics_state& st) {
  Dashboard out;
  auto* recent = out.mutable_recent();
  std::map<std::string, Series*> series;
  for (const auto& name : chart_series()) {
    auto* s = recent->add_series();
    s->set_name(name);
    series[name] = s;
  }
  for (const auto& sample : st.recent) {
    double t = static_cast<double>(to_micros(sample.at())) / 1e6;
    for (const auto& [name, value] : sample.values()) {
      auto* s = series[name];
      s->add_t(t);
      s->add_v(value);
    }
  }
  if (!st.recent.empty()) {
    *recent->mutable_from() = st.recent.front().at();
    *recent->mutable_to() = st.recent.back().at();
  }
  out.set_allocated_latest(new MetricsSample(st.latest));
  return out;
}

metrics_actor::behavior_type metrics(metrics_self self, engine_context_ptr ctx, gateway_internal_actor gateway,
                                     alert_actor alerts, scaling_actor scaling) {
  auto& st = self->state;
  st.ctx = std::move(ctx);
  st.gateway = std::move(gateway);
  st.alerts = std::move(alerts);
  st.scaling = std::move(scaling);
  const auto& o = st.ctx->options;
  st.windows = std::make_unique<metrics_windows>(metrics_windows::config{uint64_t{o.maxMemoryMB} << 20, 20});
  constexpr micros minute = 60'000'000;
  st.history = std::make_unique<metrics_history>(
      *st.ctx->store, history_retention{o.metricsFineRetentionMinutes * minute,
                                        micros{o.metricsMinuteRetentionHours} * 60 * minute,
                                        micros{o.maxJobHistoryDays} * 24 * 60 * minute});
  self->send(self, tick_atom::value);
  return {
      [=](tick_atom) {
        auto& st = self->state;
        auto interval = std::chrono::milliseconds{st.ctx->options.metricsIntervalMs};
        self->delayed_send(self, interval, tick_atom::value);
        if (st.scaling)
          self->request(st.scaling, interval * 5, status_atom::value)
              .then([=](ScalingStatus& s) { self->state.scaling_status = std::move(s); },
                    [](caf::error&) {});  // no figures this time: the sample keeps the previous ones
        if (!st.sampling) take_sample(self);
      },
      [=](metrics_atom, const MetricsQuery& query) -> caf::result<SeriesSet> {
        auto& st = self->state;
        SeriesSet out;
        if (auto s = st.history->query(query, st.ctx->wall->now(), &out); !s)
          return make_error(ec::storage_failure, "metrics history: " + s.message());
        return out;
      },
      [=](prometheus_atom) -> std::string {
        auto& st = self->state;
        prometheus_input in;
        in.counters = &st.counters;
        in.latest = &st.latest;
        in.alerts = st.alerts ? &st.last_alerts : nullptr;
        in.process = st.process;
        in.scaling = st.scaling_status ? &*st.scaling_status : nullptr;
        in.node = st.ctx->node_name;
        in.version = TROUPE_VERSION;
        return render_prometheus(in);
      },
      [=](dashboard_atom) { return dashboard_of(self->state); },
  };
}

}  // namespace

metrics_actor spawn_metrics(caf::actor_system& sys, engine_context_ptr ctx, gateway_internal_actor gateway,
                            alert_actor alerts, scaling_actor scaling, bool detached) {
  if (detached)
    return sys.spawn<caf::detached>(metrics, std::move(ctx), std::move(gateway), std::move(alerts), std::move(scaling));
  return sys.spawn(metrics, std::move(ctx), std::move(gateway), std::move(alerts), std::move(scaling));
}

}  // namespace troupe
