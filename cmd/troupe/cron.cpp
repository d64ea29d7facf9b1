// `troupe cron add|list|pause|resume|delete`: recurring jobs.

#include <fmt/format.h>

#include <iostream>

#include "cmd/troupe/cli.hpp"

namespace troupe::cli {

namespace {

struct cron_options {
  client_options client;
  std::string name;
  std::string by = default_by();
  // add
  std::string cron;
  std::string zone;
  std::string missed;  // "", "skip" or "run-once"
  bool replace = false;
  job_flags job;
};

std::string state_of(const CronSchedule& s) {
  if (s.paused()) return "paused by " + s.paused_by();
  return s.has_next_occurrence() ? "active" : "never fires";
}

void print_schedules(const CronList& list) {
  std::cout << fmt::format("{:<20} {:<16} {:<16} {:<20} {:<20} {:>7} {:>7}  {:<10} {}\n", "NAME", "CRON", "ZONE",
                           "NEXT (UTC)", "LAST (UTC)", "FIRED", "SKIPPED", "KIND", "STATE");
  for (const auto& s : list.schedules()) {
    std::cout << fmt::format("{:<20} {:<16} {:<16} {:<20} {:<20} {:>7} {:>7}  {:<10} {}\n", s.name(), s.cron(),
                             s.time_zone().empty() ? "UTC" : s.time_zone(), format_time(s.next_occurrence()),
                             s.last_job() == 0 ? "-" : format_time(s.last_occurrence()), s.fired(), s.skipped(),
                             s.job().kind(), state_of(s));
    if (!s.last_error().empty()) std::cout << "  last occurrence made no job: " << s.last_error() << "\n";
  }
}

int run_cron(const std::string& command, CronControl::Action action, const cron_options& o) {
  CronControl control;
  control.set_action(action);
  control.set_name(o.name);
  control.set_by(o.by);
  if (action == CronControl::ADD) {
    auto spec = spec_from(o.job);
    if (!spec) return fail_usage(command, describe(spec.error()));
    auto* s = control.mutable_schedule();
    s->set_name(o.name);
    s->set_cron(o.cron);
    s->set_time_zone(o.zone);
    s->set_missed(o.missed == "skip"       ? CronSchedule::SKIP
                  : o.missed == "run-once" ? CronSchedule::RUN_ONCE
                                           : CronSchedule::MISSED_DEFAULT);
    *s->mutable_job() = std::move(*spec);
    control.set_replace(o.replace);
  }
  return with_client(command, o.client, [&](const client& c) {
    auto list = c.cron(control);
    if (!list) return fail(command, list.error());
    if (action == CronControl::LIST && list->schedules_size() == 0) {
      std::cout << "no cron schedules\n";
      return int{exit_ok};
    }
    print_schedules(*list);
    return int{exit_ok};
  });
}

void add_cron_control(CLI::App& parent, std::optional<command_fn>& run, const std::string& name,
                      CronControl::Action action, const std::string& help) {
  auto o = std::make_shared<cron_options>();
  auto* cmd = parent.add_subcommand(name, help);
  o->client.add_to(*cmd);
  auto* schedule = cmd->add_option("NAME", o->name, "The schedule's name");
  if (action != CronControl::LIST) {
    schedule->required();
    cmd->add_option("--by", o->by, "Who is asking (logged and stored)")->capture_default_str();
  }
  if (action == CronControl::ADD) {
    cmd->add_option("--cron", o->cron,
                    "When: five fields (minute hour day-of-month month day-of-week, e.g. '*/15 9-17 * * MON-FRI') "
                    "or @yearly, @monthly, @weekly, @daily, @hourly")
        ->required();
    cmd->add_option("--tz", o->zone, "The time zone the fields are read in (IANA, e.g. Europe/Berlin; default UTC)");
    cmd->add_option("--missed", o->missed,
                    "Occurrences missed while the node was down: run-once (one job at start) or skip (default: "
                    "the node's cronMissed)")
        ->check(CLI::IsMember({"skip", "run-once"}));
    cmd->add_option_function<bool>("--replace", [o](bool) { o->replace = true; },
                                   "Replace the schedule of that name, keeping its progress")
        ->expected(0);
    add_job_flags(*cmd, o->job, /*one_off=*/false)->required();
  }
  auto command = "cron " + name;
  cmd->callback([&run, o, action, command] { run = [o, action, command] { return run_cron(command, action, *o); }; });
}

}  // namespace

void add_cron_command(CLI::App& app, std::optional<command_fn>& run) {
  auto* cron = app.add_subcommand("cron", "Recurring jobs: named schedules that make a job at each occurrence.");
  cron->require_subcommand(1);
  add_cron_control(*cron, run, "add", CronControl::ADD,
                   "Add a schedule: at each occurrence of --cron (in --tz) it makes the job the job flags describe.");
  add_cron_control(*cron, run, "list", CronControl::LIST,
                   "Every schedule (or the one named) with its next occurrence.");
  add_cron_control(*cron, run, "pause", CronControl::PAUSE, "Pause a schedule: no occurrence fires until resumed.");
  add_cron_control(*cron, run, "resume", CronControl::RESUME,
                   "Resume a schedule with its first occurrence after now (none is caught up).");
  add_cron_control(*cron, run, "delete", CronControl::DELETE, "Delete a schedule; the jobs it made stay.");
}

}  // namespace troupe::cli
