// Operator controls: `troupe jobs retry|prioritize|run|cancel`, `troupe queues list|pause|resume`,
// `troupe runner status|start|stop`.

#include <unistd.h>

#include <fmt/format.h>

#include <cstdlib>
#include <iostream>

#include "cmd/troupe/cli.hpp"
#include "schemas/time.hpp"

namespace troupe::cli {

namespace {

struct job_control_options {
  client_options client;
  std::vector<uint64_t> ids;
  std::string state, kind, user, batch;  // bulk: the jobs matching these filters
  std::string priority;
  std::string by = default_by();
};

caf::expected<JobSpec::Priority> parse_priority(std::string text) {
  for (auto& c : text) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  JobSpec::Priority p;
  if (!JobSpec::Priority_Parse(text, &p))
    return make_error(ec::invalid_argument, "--priority: '" + text + "' is not one of CRITICAL, HIGH, NORMAL, LOW");
  return p;
}

// The ids to act on: those given, or every job matching the filters (listed page by page).
caf::expected<std::vector<uint64_t>> target_ids(const job_control_options& o, const client& c) {
  if (!o.ids.empty()) return o.ids;
  JobQuery q;
  if (!o.state.empty()) {
    auto s = parse_state(o.state);
    if (!s) return make_error(ec::invalid_argument, "--state: " + describe(s.error()));
    q.set_has_state(true);
    q.set_state(*s);
  }
  q.set_kind(o.kind);
  q.set_user(o.user);
  q.set_batch(o.batch);
  q.set_limit(10'000);
  std::vector<uint64_t> ids;
  for (;;) {
    auto page = c.list(q);
    if (!page) return page.error();
    for (const auto& job : page->jobs()) ids.push_back(job.id());
    if (page->next_after_id() == 0) return ids;
    q.set_after_id(page->next_after_id());
  }
}

int run_job_control(const std::string& command, JobControl::Action action, const job_control_options& o,
                    const client& c) {
  bool filtered = !o.state.empty() || !o.kind.empty() || !o.user.empty() || !o.batch.empty();
  if (o.ids.empty() == !filtered)
    return fail_usage(command, "give job ids, or filters (--state, --kind, --user, --batch) for many jobs");
  JobControl control;
  control.set_action(action);
  control.set_by(o.by);
  if (action == JobControl::PRIORITIZE) {
    auto p = parse_priority(o.priority);
    if (!p) return fail_usage(command, describe(p.error()));
    control.set_priority(*p);
  }
  auto ids = target_ids(o, c);
  if (!ids) return fail(command, ids.error());
  bool progress = filtered && isatty(STDERR_FILENO) != 0;
  size_t done = 0, refused = 0;
  int code = exit_ok;
  for (auto id : *ids) {
    control.set_job(id);
    auto job = c.control(control);
    ++done;
    if (job) {
      std::cout << fmt::format("job {} {}\n", id, Job::State_Name(job->state()));
      // A job that ended otherwise before its cancel took effect: the answer is no.
      if (action == JobControl::CANCEL && job->state() != Job::CANCELLED && code == exit_ok) code = exit_negative;
    } else {
      ++refused;
      code = fail(command, job.error());
      if (code_of(job.error()) == ec::unavailable) return code;
    }
    if (progress) std::cerr << fmt::format("\r{}/{} jobs ({} refused)", done, ids->size(), refused) << std::flush;
  }
  if (progress) std::cerr << "\n";
  if (filtered) std::cerr << fmt::format("{} of {} jobs done\n", done - refused, ids->size());
  return code;
}

void add_job_control(CLI::App& jobs, std::optional<command_fn>& run, const std::string& name,
                     JobControl::Action action, const std::string& help) {
  auto o = std::make_shared<job_control_options>();
  auto* cmd = jobs.add_subcommand(name, help);
  o->client.add_to(*cmd);
  cmd->add_option("ID", o->ids, "Job ids");
  cmd->add_option("--state", o->state, "Every job in this state (instead of ids)");
  cmd->add_option("--kind", o->kind, "Every job of this kind (instead of ids)");
  cmd->add_option("--user", o->user, "Every job of this user (instead of ids)");
  cmd->add_option("--batch", o->batch, "Every job of this batch (instead of ids)");
  if (action == JobControl::PRIORITIZE)
    cmd->add_option("--priority", o->priority, "CRITICAL, HIGH, NORMAL or LOW")->required();
  cmd->add_option("--by", o->by, "Who is asking, recorded in the job's history")->capture_default_str();
  auto command = "jobs " + name;
  cmd->callback([&run, o, action, command] {
    run = [o, action, command] {
      return with_client(command, o->client,
                         [&](const client& c) { return run_job_control(command, action, *o, c); });
    };
  });
}

void print_queues(const QueueList& list) {
  std::cout << fmt::format("runner: {}\n", list.runner_stopped() ? "STOPPED (nothing new starts)" : "running");
  std::cout << fmt::format("{:<24}{:>10}{:>10}  {}\n", "QUEUE (KIND)", "READY", "RUNNING", "STATE");
  for (const auto& q : list.queues())
    std::cout << fmt::format("{:<24}{:>10}{:>10}  {}\n", q.kind(), q.queued(), q.running(),
                             q.paused() ? "paused" : "active");
  std::cout << fmt::format("{:<24}{:>10}{:>10}\n", "total", list.queued(), list.running());
}

void add_queue_control(CLI::App& parent, std::optional<command_fn>& run, const std::string& name,
                       QueueControl::Action action, const std::string& help, bool takes_kind) {
  auto o = std::make_shared<client_options>();
  auto kind = std::make_shared<std::string>();
  auto by = std::make_shared<std::string>(default_by());
  auto* cmd = parent.add_subcommand(name, help);
  o->add_to(*cmd);
  if (takes_kind) cmd->add_option("KIND", *kind, "The queue: a job kind")->required();
  if (action != QueueControl::LIST)
    cmd->add_option("--by", *by, "Who is asking (logged and stored)")->capture_default_str();
  auto command = parent.get_name() + " " + name;
  cmd->callback([&run, o, kind, by, action, command] {
    run = [o, kind, by, action, command] {
      return with_client(command, *o, [&](const client& c) {
        QueueControl control;
        control.set_action(action);
        control.set_kind(*kind);
        control.set_by(*by);
        auto list = c.queues(control);
        if (!list) return fail(command, list.error());
        print_queues(*list);
        return int{exit_ok};
      });
    };
  });
}

// `troupe queues drain KIND`: cancels every job of the kind that has not started (READY, SCHEDULED, BLOCKED).
int drain_queue(const std::string& kind, const std::string& by, const client& c) {
  JobControl cancel;
  cancel.set_action(JobControl::CANCEL);
  cancel.set_by(by);
  size_t cancelled = 0, refused = 0;
  bool progress = isatty(STDERR_FILENO) != 0;
  for (auto state : {Job::READY, Job::SCHEDULED, Job::BLOCKED}) {
    JobQuery q;
    q.set_has_state(true);
    q.set_state(state);
    q.set_kind(kind);
    q.set_limit(10'000);
    for (;;) {
      auto page = c.list(q);
      if (!page) return fail("queues drain", page.error());
      for (const auto& job : page->jobs()) {
        cancel.set_job(job.id());
        auto r = c.control(cancel);
        if (r && r->state() == Job::CANCELLED) ++cancelled;
        else ++refused;  // it started or ended meanwhile
        if (progress) std::cerr << fmt::format("\r{} cancelled, {} had started", cancelled, refused) << std::flush;
      }
      if (page->next_after_id() == 0) break;
      q.set_after_id(page->next_after_id());
    }
  }
  if (progress) std::cerr << "\n";
  std::cout << fmt::format("queue {}: {} waiting jobs cancelled ({} had started or ended meanwhile)\n", kind,
                           cancelled, refused);
  return exit_ok;
}

}  // namespace

void add_job_controls(CLI::App& jobs, std::optional<command_fn>& run) {
  add_job_control(jobs, run, "retry", JobControl::RETRY,
                  "Retry DEAD, FAILED or CANCELLED jobs: back to READY with their attempts reset.");
  add_job_control(jobs, run, "prioritize", JobControl::PRIORITIZE,
                  "Give jobs that have not started another priority (--priority).");
  add_job_control(jobs, run, "run", JobControl::RUN_NOW, "Run SCHEDULED jobs now instead of at their time.");
  add_job_control(jobs, run, "cancel", JobControl::CANCEL,
                  "Cancel jobs: a queued one at once, a running one after it is stopped (an exec job's processes are "
                  "killed). Prints each job's final state; exit 1 if one ended otherwise first.");
}

void add_queue_commands(CLI::App& app, std::optional<command_fn>& run) {
  auto* queues = app.add_subcommand("queues", "List, pause and resume queues (a queue is a job kind).");
  queues->require_subcommand(1);
  add_queue_control(*queues, run, "list", QueueControl::LIST, "Every queue with its ready and running jobs.", false);
  add_queue_control(*queues, run, "pause", QueueControl::PAUSE,
                    "Pause a queue: running jobs finish, none of its jobs starts until it is resumed.", true);
  add_queue_control(*queues, run, "resume", QueueControl::RESUME, "Resume a paused queue.", true);
  struct cleanup_options {
    client_options client;
    std::string kind, state, older_than = "0s";
    std::string by = default_by();
  };
  auto co = std::make_shared<cleanup_options>();
  auto* cleanup = queues->add_subcommand("cleanup", "Delete finished jobs (of a kind, in a state) that ended at least "
                                                    "--older-than ago. Jobs that unfinished jobs depend on stay.");
  co->client.add_to(*cleanup);
  cleanup->add_option("KIND", co->kind, "Only jobs of this kind (default: every kind)");
  cleanup->add_option("--state", co->state, "Only jobs in this state: SUCCEEDED, FAILED, DEAD or CANCELLED");
  cleanup->add_option("--older-than", co->older_than, "Only jobs that ended at least this long ago (e.g. 7d, 12h)")
      ->capture_default_str();
  cleanup->add_option("--by", co->by, "Who is asking (logged)")->capture_default_str();
  cleanup->callback([&run, co] {
    run = [co] {
      QueueControl control;
      control.set_action(QueueControl::CLEANUP);
      control.set_kind(co->kind);
      control.set_by(co->by);
      if (!co->state.empty()) {
        auto s = parse_state(co->state);
        if (!s) return fail_usage("queues cleanup", "--state: " + describe(s.error()));
        control.set_has_state(true);
        control.set_state(*s);
      }
      auto age = parse_duration(co->older_than);
      if (!age) return fail_usage("queues cleanup", "--older-than: " + describe(age.error()));
      set_duration(control.mutable_older_than(), static_cast<micros>(age->count()) * 1000);
      return with_client("queues cleanup", co->client, [&](const client& connected) {
        auto c = connected;  // a cleanup of many jobs may take longer than a request's default timeout
        c.set_request_timeout(std::chrono::minutes{10});
        auto list = c.queues(control);
        if (!list) return fail("queues cleanup", list.error());
        std::cout << fmt::format("{} finished jobs deleted\n", list->deleted());
        return int{exit_ok};
      });
    };
  });

  auto history_client = std::make_shared<client_options>();
  auto history_limit = std::make_shared<uint32_t>(50);
  auto* history = queues->add_subcommand("history", "Who paused, resumed, stopped, started, cleaned up or changed a "
                                                    "cron schedule, and when (the latest 1,000 are kept).");
  history_client->add_to(*history);
  history->add_option("--limit", *history_limit, "How many, newest first")
      ->check(CLI::Range(1u, 1000u))
      ->capture_default_str();
  history->callback([&run, history_client, history_limit] {
    run = [history_client, history_limit] {
      return with_client("queues history", *history_client, [&](const client& c) {
        QueueControl control;
        control.set_action(QueueControl::HISTORY);
        control.set_limit(*history_limit);
        auto list = c.queues(control);
        if (!list) return fail("queues history", list.error());
        std::cout << fmt::format("{:<20}  {:<16}  {}\n", "AT (UTC)", "BY", "WHAT");
        for (const auto& e : list->events())
          std::cout << fmt::format("{:<20}  {:<16}  {}\n", format_time(e.at()), e.by(), e.what());
        return int{exit_ok};
      });
    };
  });

  auto drain_client = std::make_shared<client_options>();
  auto drain_kind = std::make_shared<std::string>();
  auto drain_by = std::make_shared<std::string>(default_by());
  auto* drain = queues->add_subcommand("drain", "Cancel every job of a queue that has not started (READY, "
                                                "SCHEDULED, BLOCKED); running jobs finish.");
  drain_client->add_to(*drain);
  drain->add_option("KIND", *drain_kind, "The queue: a job kind")->required();
  drain->add_option("--by", *drain_by, "Who is asking, recorded in each cancelled job's history")
      ->capture_default_str();
  drain->callback([&run, drain_client, drain_kind, drain_by] {
    run = [drain_client, drain_kind, drain_by] {
      return with_client("queues drain", *drain_client,
                         [&](const client& c) { return drain_queue(*drain_kind, *drain_by, c); });
    };
  });

  auto* runner = app.add_subcommand("runner", "Stop and start dispatching on the whole node, without stopping it.");
  runner->require_subcommand(1);
  add_queue_control(*runner, run, "status", QueueControl::LIST, "Whether the runner runs, and the queues.", false);
  add_queue_control(*runner, run, "stop", QueueControl::STOP_RUNNER,
                    "Stop dispatching: running jobs finish, nothing new starts (survives a restart).", false);
  add_queue_control(*runner, run, "start", QueueControl::START_RUNNER, "Start dispatching again.", false);
}

}  // namespace troupe::cli
