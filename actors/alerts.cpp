#include "actors/alerts.hpp"

#include <caf/actor_system.hpp>
#include <caf/send.hpp>
#include <caf/stateful_actor.hpp>
#include <caf/typed_event_based_actor.hpp>
#include <spdlog/spdlog.h>

#include "actors/alert_book.hpp"
#include "actors/health.hpp"
#include "actors/webhook.hpp"
#include "storage/keys.hpp"
#include "troupe/json.hpp"

namespace troupe {

namespace {

constexpr size_t default_list_limit = 100;

struct alert_state {
  static inline const char* name = "troupe.alerts";
  alert_state() = default;
  engine_context_ptr ctx;
  alert_book book{0, 0};
  MetricsSample last;   // the newest sample: the health score of LIST answers
  webhook_actor sender;  // null: no alertWebhookUrl
};

using alert_self = alert_actor::stateful_pointer<alert_state>;

std::string alert_record_key(const std::string& id) {
  return std::string{storage::keys::meta_alert_prefix}.append(id);
}

// The stored alerts; corrupt records are logged and left out.
std::vector<Alert> load_alerts(const storage::job_store& store) {
  std::vector<Alert> out;
  auto s = store.scan_meta(storage::keys::meta_alert_prefix, [&](std::string_view key, std::string_view value) {
    Alert alert;
    if (!alert.ParseFromArray(value.data(), static_cast<int>(value.size())))
      spdlog::error("alerts: the record '{}' is corrupt; ignored", key);
    else
      out.push_back(std::move(alert));
  });
  if (!s) spdlog::error("alerts: reading the stored alerts failed ({}); starting without them", s.message());
  return out;
}

// Writes what changed without fsync: an alert lost in a crash is re-derived from the next samples.
void persist(alert_self self, const std::vector<Alert>& written, const std::vector<std::string>& erased) {
  if (written.empty() && erased.empty()) return;
  storage::write_batch batch;
  for (const auto& a : written) batch.put_meta(alert_record_key(a.id()), a.SerializeAsString());
  for (const auto& id : erased) batch.erase_meta(alert_record_key(id));
  if (auto s = self->state.ctx->store->write(batch, /*sync=*/false); !s)
    spdlog::error("alerts: storing {} alerts failed: {}", written.size() + erased.size(), s.message());
}

// Hands fired and resolved alerts that are not silenced (at `at`) to the webhook sender.
void notify(alert_self self, const alert_changes& changes, micros at) {
  auto send = [&](const char* event, const Alert& alert) {
    if (alert.state() == Alert::ACTIVE)
      spdlog::warn("alert fired: {} {}: {}", Alert::Severity_Name(alert.severity()), alert.id(), alert.message());
    else
      spdlog::info("alert resolved: {}", alert.id());
    if (!self->state.sender || is_silenced(alert, at)) return;
    AlertEvent e;
    e.set_event(event);
    *e.mutable_alert() = alert;
    e.set_node(self->state.ctx->node_name);
    self->send(self->state.sender, deliver_atom::value, to_json(e), uint32_t{0});
  };
  for (const auto& a : changes.fired) send("fired", a);
  for (const auto& a : changes.resolved) send("resolved", a);
}

AlertList list_of(alert_self self, size_t recent, micros now) {
  auto& st = self->state;
  AlertList out;
  auto active = st.book.active();
  *out.mutable_health() = compute_health(st.last, active, st.ctx->options, now);
  for (auto& a : active) *out.add_active() = std::move(a);
  for (auto& a : st.book.recent(recent)) *out.add_recent() = std::move(a);
  return out;
}

alert_actor::behavior_type alerts(alert_self self, engine_context_ptr ctx, bool detached) {
  auto& st = self->state;
  st.ctx = std::move(ctx);
  const auto& o = st.ctx->options;
  st.book = alert_book{static_cast<micros>(o.alertForMs) * 1000, o.alertHistoryKept};
  auto dropped = st.book.restore(load_alerts(*st.ctx->store));
  persist(self, {}, dropped);
  if (!o.alertWebhookUrl.empty()) {
    webhook_config config;
    config.url = o.alertWebhookUrl;
    config.timeout = std::chrono::milliseconds{o.alertWebhookTimeoutMs};
    auto sender = spawn_webhook(self->system(), std::move(config), detached);
    st.sender = sender;
    // The sender lives as long as this actor (a detached one must be gone before the system is).
    self->attach_functor([sender] { caf::anon_send_exit(sender, caf::exit_reason::user_shutdown); });
  }
  return {
      [=](sample_atom, MetricsSample& sample) -> AlertList {
        auto& st = self->state;
        auto at = sample.has_at() ? to_micros(sample.at()) : st.ctx->wall->now();
        auto changes = st.book.evaluate(read_rules(sample, st.ctx->options), at);
        persist(self, changes.written, changes.erased);
        notify(self, changes, at);
        st.last = std::move(sample);
        return list_of(self, 0, at);
      },
      [=](alerts_atom, const AlertControl& control) -> caf::result<AlertList> {
        auto& st = self->state;
        auto now = st.ctx->wall->now();
        auto limit = control.limit() == 0 ? default_list_limit : size_t{control.limit()};
        if (control.action() != AlertControl::LIST) {
          auto changes = st.book.control(control, now);
          if (!changes) return changes.error();
          persist(self, changes->written, changes->erased);
        }
        return list_of(self, limit, now);
      },
  };
}

}  // namespace

alert_actor spawn_alerts(caf::actor_system& sys, engine_context_ptr ctx, bool detached) {
  if (detached) return sys.spawn<caf::detached>(alerts, std::move(ctx), detached);
  return sys.spawn(alerts, std::move(ctx), detached);
}

}  // namespace troupe
