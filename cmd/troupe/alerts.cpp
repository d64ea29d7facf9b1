// `troupe alerts [list]|ack|silence|unsilence`: the node's active and recent alerts with its health score, and the
// operator's answers to them (admins): acknowledge (it stays active), silence for some minutes (no webhook, no
// health penalty), unsilence.

#include <fmt/format.h>

#include <algorithm>
#include <iostream>

#include "cmd/troupe/cli.hpp"
#include "troupe/json.hpp"

namespace troupe::cli {

namespace {

struct alerts_options {
  client_options client;
  std::string alert;          // an id or a rule
  uint32_t minutes = 60;      // silence
  uint32_t limit = 20;        // list
  bool json = false;
};

std::string severity_name(Alert::Severity s) { return Alert::Severity_Name(s); }

void print_recent(const AlertList& list) {
  if (list.recent().empty()) return;
  std::cout << "\nrecent (newest first):\n";
  std::cout << fmt::format("{:<9} {:<9} {:<20} {:<20} {}\n", "SEVERITY", "STATE", "FIRED (UTC)", "RESOLVED (UTC)",
                           "ID");
  for (const auto& a : list.recent())
    std::cout << fmt::format("{:<9} {:<9} {:<20} {:<20} {}\n", severity_name(a.severity()),
                             Alert::State_Name(a.state()), format_time(a.fired_at()), format_time(a.resolved_at()),
                             a.id());
}

int run_alerts(const std::string& command, AlertControl::Action action, const alerts_options& o) {
  AlertControl control;
  control.set_action(action);
  control.set_alert(o.alert);
  control.set_silence_minutes(o.minutes);
  control.set_limit(o.limit);
  control.set_by(default_by());
  return with_client(command, o.client, [&](const client& c) {
    auto list = c.alerts(control);
    if (!list) return fail(command, list.error());
    if (o.json) {
      std::cout << to_json(*list, true) << "\n";
      return int{exit_ok};
    }
    switch (action) {
      case AlertControl::ACKNOWLEDGE:
        std::cout << "acknowledged " << o.alert << "\n";
        break;
      case AlertControl::SILENCE:
        std::cout << fmt::format("silenced {} for {} minutes (no webhook, no health penalty)\n", o.alert, o.minutes);
        break;
      case AlertControl::UNSILENCE:
        std::cout << "unsilenced " << o.alert << "\n";
        break;
      default:
        print_health(list->health(), 3);
        print_active_alerts(list->active());
        print_recent(*list);
    }
    return int{exit_ok};
  });
}

void add_alert_action(CLI::App& parent, std::optional<command_fn>& run, const std::string& name,
                      AlertControl::Action action, const std::string& help) {
  auto o = std::make_shared<alerts_options>();
  auto* cmd = parent.add_subcommand(name, help);
  o->client.add_to(*cmd);
  cmd->add_option("ID_OR_RULE", o->alert, "An alert's id, or a rule (every active alert of it)")->required();
  if (action == AlertControl::SILENCE)
    cmd->add_option("--minutes", o->minutes, "How long: 1 to 10080 (a week)")
        ->capture_default_str()
        ->check(CLI::Range(1, 10080));
  auto command = "alerts " + name;
  cmd->callback([&run, o, action, command] { run = [o, action, command] { return run_alerts(command, action, *o); }; });
}

}  // namespace

void print_health(const HealthReport& health, size_t top) {
  std::vector<const HealthInput*> inputs;
  for (const auto& in : health.inputs())
    if (in.penalty() > 0) inputs.push_back(&in);
  std::sort(inputs.begin(), inputs.end(), [](auto* a, auto* b) { return a->penalty() > b->penalty(); });
  if (inputs.size() > top) inputs.resize(top);
  std::string penalties;
  for (const auto* in : inputs)
    penalties += fmt::format("{}{} -{:.1f} ({})", penalties.empty() ? "" : "; ", in->name(), in->penalty(),
                             in->note());
  std::cout << fmt::format("health: {}/100{}{}\n", health.score(), penalties.empty() ? "" : ": ", penalties);
}

void print_active_alerts(const google::protobuf::RepeatedPtrField<Alert>& active) {
  if (active.empty()) {
    std::cout << "no active alerts\n";
    return;
  }
  std::cout << fmt::format("{:<9} {:<24} {:<20} {}\n", "SEVERITY", "RULE", "SINCE (UTC)", "MESSAGE");
  for (const auto& a : active) {
    auto rule = a.subject().empty() ? a.rule() : a.rule() + ":" + a.subject();
    std::string notes;
    if (!a.acknowledged_by().empty()) notes += " [acknowledged by " + a.acknowledged_by() + "]";
    if (a.has_silenced_until()) notes += " [silenced until " + format_time(a.silenced_until()) + "]";
    std::cout << fmt::format("{:<9} {:<24} {:<20} {}{}\n", severity_name(a.severity()), rule,
                             format_time(a.fired_at()), a.message(), notes);
  }
}

void add_alerts_command(CLI::App& app, std::optional<command_fn>& run) {
  auto o = std::make_shared<alerts_options>();
  auto* alerts = app.add_subcommand("alerts", "The node's health score and alerts; acknowledge or silence them.");
  alerts->require_subcommand(0, 1);
  o->client.add_to(*alerts);
  alerts->add_option("--limit", o->limit, "Recent alerts to show, newest first")->capture_default_str();
  alerts->add_flag("--json", o->json, "Print the list as JSON");
  auto* list = alerts->add_subcommand("list", "Health, active alerts and the most recent ones (the default).");
  o->client.add_to(*list);
  list->add_option("--limit", o->limit, "Recent alerts to show, newest first")->capture_default_str();
  list->add_flag("--json", o->json, "Print the list as JSON");
  list->callback([&run, o] { run = [o] { return run_alerts("alerts list", AlertControl::LIST, *o); }; });
  alerts->callback([&run, o, alerts] {
    if (alerts->get_subcommands().empty())
      run = [o] { return run_alerts("alerts", AlertControl::LIST, *o); };
  });
  add_alert_action(*alerts, run, "ack", AlertControl::ACKNOWLEDGE, "Acknowledge an active alert (admins).");
  add_alert_action(*alerts, run, "silence", AlertControl::SILENCE,
                   "Silence an active alert for --minutes: no webhook, no health penalty (admins).");
  add_alert_action(*alerts, run, "unsilence", AlertControl::UNSILENCE, "End an alert's silence (admins).");
}

}  // namespace troupe::cli
