#include "actors/alert_book.hpp"

#include <algorithm>

#include "troupe/error.hpp"

namespace troupe {

namespace {

constexpr uint32_t max_silence_minutes = 10080;  // a week
constexpr micros us_per_minute = 60'000'000;

std::string key_of(const Alert& a) { return alert_key(a.rule(), a.subject()); }

bool newer(const Alert& a, const Alert& b) {
  auto ta = to_micros(a.fired_at()), tb = to_micros(b.fired_at());
  return ta != tb ? ta > tb : a.id() > b.id();
}

}  // namespace

bool is_silenced(const Alert& alert, micros now) {
  return alert.has_silenced_until() && now < to_micros(alert.silenced_until());
}

alert_book::alert_book(micros for_us, uint32_t history_kept) : for_us_(for_us), history_kept_(history_kept) {}

std::vector<std::string> alert_book::restore(std::vector<Alert> stored) {
  alert_changes out;
  std::sort(stored.begin(), stored.end(), newer);
  for (auto& a : stored) {
    if (a.state() == Alert::ACTIVE) {
      auto& t = trackers_[key_of(a)];
      if (!t.active_id.empty()) {  // an older duplicate of the key's active alert: cannot happen, unless corrupt
        out.erased.push_back(a.id());
        continue;
      }
      t.active_id = a.id();
    }
    auto id = a.id();
    alerts_.emplace(std::move(id), std::move(a));
  }
  trim_history(out);
  return out.erased;
}

void alert_book::fire(tracker& t, const rule_reading& r, micros at, alert_changes& out) {
  Alert a;
  a.set_id(alert_key(r.rule, r.subject) + "-" + std::to_string(at));
  a.set_rule(r.rule);
  a.set_subject(r.subject);
  a.set_severity(r.severity);
  a.set_state(Alert::ACTIVE);
  a.set_message(r.message);
  a.set_value(r.value);
  a.set_threshold(r.threshold);
  set_timestamp(a.mutable_fired_at(), at);
  set_timestamp(a.mutable_last_seen(), at);
  t.active_id = a.id();
  t.firing_since = -1;
  t.clear_since = -1;
  out.fired.push_back(a);
  out.written.push_back(a);
  alerts_.emplace(a.id(), std::move(a));
}

void alert_book::resolve(tracker& t, micros at, alert_changes& out) {
  auto& a = alerts_.at(t.active_id);
  a.set_state(Alert::RESOLVED);
  set_timestamp(a.mutable_resolved_at(), at);
  out.resolved.push_back(a);
  out.written.push_back(a);
  t.active_id.clear();
  t.firing_since = -1;
  t.clear_since = -1;
}

alert_changes alert_book::evaluate(const std::vector<rule_reading>& readings, micros at) {
  alert_changes out;
  for (const auto& r : readings) {
    auto& t = trackers_[alert_key(r.rule, r.subject)];
    if (t.active_id.empty()) {
      if (!r.firing) {
        t.firing_since = -1;
        continue;
      }
      if (t.firing_since < 0) t.firing_since = at;
      if (at - t.firing_since >= for_us_) fire(t, r, at, out);
      continue;
    }
    auto& a = alerts_.at(t.active_id);
    a.set_value(r.value);
    if (!r.clear) {
      t.clear_since = -1;
      set_timestamp(a.mutable_last_seen(), at);
      if (r.firing) a.set_message(r.message);
      continue;
    }
    if (t.clear_since < 0) t.clear_since = at;
    if (at - t.clear_since >= for_us_) resolve(t, at, out);
  }
  trim_history(out);
  return out;
}

void alert_book::trim_history(alert_changes& out) {
  std::vector<const Alert*> resolved;
  for (const auto& [id, a] : alerts_)
    if (a.state() != Alert::ACTIVE) resolved.push_back(&a);
  if (resolved.size() <= history_kept_) return;
  auto by_resolution = [](const Alert* a, const Alert* b) {
    auto ta = to_micros(a->resolved_at()), tb = to_micros(b->resolved_at());
    return ta != tb ? ta < tb : a->id() < b->id();
  };
  std::sort(resolved.begin(), resolved.end(), by_resolution);
  std::vector<std::string> doomed;
  for (size_t i = 0; i < resolved.size() - history_kept_; ++i) doomed.push_back(resolved[i]->id());
  for (auto& id : doomed) {
    alerts_.erase(id);
    // An alert resolved and dropped in the same call is written and erased: drop the write.
    out.written.erase(std::remove_if(out.written.begin(), out.written.end(),
                                     [&](const Alert& a) { return a.id() == id; }),
                      out.written.end());
    out.erased.push_back(std::move(id));
  }
}

caf::expected<alert_changes> alert_book::control(const AlertControl& control, micros now) {
  if (control.action() == AlertControl::SILENCE &&
      (control.silence_minutes() < 1 || control.silence_minutes() > max_silence_minutes))
    return make_error(ec::invalid_argument, "silence_minutes " + std::to_string(control.silence_minutes()) +
                                                " is not within 1..10080 (a week)");
  if (control.alert().empty()) return make_error(ec::invalid_argument, "which alert? give its id or rule");
  alert_changes out;
  bool resolved_match = false;
  for (auto& [id, a] : alerts_) {
    bool named = id == control.alert() || a.rule() == control.alert() || key_of(a) == control.alert();
    if (!named) continue;
    if (a.state() != Alert::ACTIVE) {
      resolved_match = true;
      continue;
    }
    switch (control.action()) {
      case AlertControl::ACKNOWLEDGE:
        a.set_acknowledged_by(control.by().empty() ? "unknown" : control.by());
        break;
      case AlertControl::SILENCE:
        set_timestamp(a.mutable_silenced_until(), now + control.silence_minutes() * us_per_minute);
        break;
      case AlertControl::UNSILENCE:
        a.clear_silenced_until();
        break;
      default:
        return make_error(ec::invalid_argument, "unknown alert action " + std::to_string(control.action()));
    }
    out.written.push_back(a);
  }
  if (out.written.empty())
    return make_error(ec::invalid_argument, "no active alert '" + control.alert() + "'" +
                                                (resolved_match ? " (it has resolved)" : ""));
  return out;
}

std::vector<Alert> alert_book::active() const {
  std::vector<Alert> out;
  for (const auto& [key, t] : trackers_)
    if (!t.active_id.empty()) out.push_back(alerts_.at(t.active_id));
  std::sort(out.begin(), out.end(), [](const Alert& a, const Alert& b) {
    if (a.severity() != b.severity()) return a.severity() < b.severity();  // CRITICAL = 1 first
    return newer(b, a);  // oldest first
  });
  return out;
}

std::vector<Alert> alert_book::recent(size_t limit) const {
  std::vector<Alert> out;
  out.reserve(alerts_.size());
  for (const auto& [id, a] : alerts_) out.push_back(a);
  std::sort(out.begin(), out.end(), newer);
  if (out.size() > limit) out.resize(limit);
  return out;
}

}  // namespace troupe
