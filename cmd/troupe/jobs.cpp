// `troupe jobs list|show|plan` (cancel, retry, prioritize and run are in controls.cpp).

#include <fmt/format.h>

#include <iostream>

#include "cmd/troupe/cli.hpp"
#include "schemas/time.hpp"
#include "troupe/json.hpp"

namespace troupe::cli {

namespace {

struct list_options {
  client_options client;
  std::string state, kind, user, batch;
  uint32_t limit = 50;
  uint64_t after = 0;
  bool json = false;
};

int list_jobs(const list_options& o, const client& c) {
  JobQuery q;
  if (!o.state.empty()) {
    auto s = parse_state(o.state);
    if (!s) return fail_usage("jobs list", "--state: " + describe(s.error()));
    q.set_has_state(true);
    q.set_state(*s);
  }
  q.set_kind(o.kind);
  q.set_user(o.user);
  q.set_batch(o.batch);
  q.set_limit(o.limit);
  q.set_after_id(o.after);
  auto page = c.list(q);
  if (!page) return fail("jobs list", page.error());
  if (o.json) {
    for (const auto& job : page->jobs()) std::cout << to_json(job) << "\n";
  } else {
    std::cout << fmt::format("{:>10}  {:<9}  {:<12}  {:<8}  {:>8}  {:<19}  {}\n", "ID", "STATE", "KIND", "PRIORITY",
                             "ATTEMPTS", "CREATED (UTC)", "LAST ERROR");
    for (const auto& job : page->jobs())
      std::cout << fmt::format("{:>10}  {:<9}  {:<12}  {:<8}  {:>4}/{:<3}  {:<19}  {}\n", job.id(),
                               Job::State_Name(job.state()), job.spec().kind(),
                               JobSpec::Priority_Name(job.spec().priority()), job.attempts(),
                               job.spec().max_attempts(), format_time(job.created_at()),
                               job.last_error().substr(0, 60));
  }
  if (page->next_after_id() != 0)
    std::cerr << "(more: add --after " << page->next_after_id() << ")\n";
  return exit_ok;
}

int show_plan(const ExecutionPlan& plan, bool json) {
  if (json) {
    std::cout << to_json(plan, /*pretty=*/true) << "\n";
    return exit_ok;
  }
  std::string path;
  for (auto id : plan.critical_path()) path += (path.empty() ? "" : " -> ") + std::to_string(id);
  std::cout << fmt::format("job {}: {} jobs in its plan; critical path {} jobs: {}{}\n", plan.job(), plan.steps_size(),
                           plan.critical_path_length(), path, plan.truncated() ? " (plan truncated)" : "");
  std::cout << fmt::format("{:>5}  {:>10}  {:<16}  {:<12}  {:<9}  {}\n", "LEVEL", "ID", "REF", "KIND", "STATE",
                           "AFTER");
  for (const auto& step : plan.steps()) {
    std::string after;
    for (auto id : step.dependencies()) after += (after.empty() ? "" : ",") + std::to_string(id);
    std::cout << fmt::format("{:>5}  {:>10}{} {:<16}  {:<12}  {:<9}  {}\n", step.level(), step.id(),
                             step.id() == plan.job() ? "*" : " ", step.ref(), step.kind(),
                             step.deleted() ? "deleted" : Job::State_Name(step.state()), after.empty() ? "-" : after);
  }
  return exit_ok;
}

}  // namespace

void add_jobs_command(CLI::App& app, std::optional<command_fn>& run) {
  auto* jobs = app.add_subcommand("jobs", "List, show, plan, cancel, retry, prioritize and run jobs.");
  jobs->require_subcommand(1);

  auto lo = std::make_shared<list_options>();
  auto* list = jobs->add_subcommand("list", "List jobs in id order, filtered.");
  lo->client.add_to(*list);
  list->add_option("--state", lo->state, "Only jobs in this state (READY, RUNNING, DEAD, ...)");
  list->add_option("--kind", lo->kind, "Only jobs of this kind");
  list->add_option("--user", lo->user, "Only jobs of this user");
  list->add_option("--batch", lo->batch, "Only jobs of this batch");
  list->add_option("--limit", lo->limit, "Most jobs to list")->check(CLI::Range(1u, 10000u))->capture_default_str();
  list->add_option("--after", lo->after, "Start after this job id (the cursor printed by the previous page)");
  list->add_flag("--json", lo->json, "One JSON record per line instead of a table");
  list->callback([&run, lo] { run = [lo] { return with_client("jobs list", lo->client, [&](const client& c) { return list_jobs(*lo, c); }); }; });

  auto show_client = std::make_shared<client_options>();
  auto show_id = std::make_shared<uint64_t>(0);
  auto* show = jobs->add_subcommand("show", "Print one job as JSON (its spec, state, attempts, transitions, result).");
  show_client->add_to(*show);
  show->add_option("ID", *show_id, "The job's id")->required();
  show->callback([&run, show_client, show_id] {
    run = [show_client, show_id] {
      return with_client("jobs show", *show_client, [&](const client& c) {
        auto job = c.get(*show_id);
        if (!job) return fail("jobs show", job.error());
        std::cout << to_json(*job, /*pretty=*/true) << "\n";
        return int{exit_ok};
      });
    };
  });

  auto plan_client = std::make_shared<client_options>();
  auto plan_id = std::make_shared<uint64_t>(0);
  auto plan_json = std::make_shared<bool>(false);
  auto* plan = jobs->add_subcommand("plan", "Show a job's execution plan: its ancestors and descendants with their "
                                            "states in a topological order, and the critical path.");
  plan_client->add_to(*plan);
  plan->add_option("ID", *plan_id, "The job's id")->required();
  plan->add_flag("--json", *plan_json, "Print the plan as JSON");
  plan->callback([&run, plan_client, plan_id, plan_json] {
    run = [plan_client, plan_id, plan_json] {
      return with_client("jobs plan", *plan_client, [&](const client& c) {
        auto p = c.plan(*plan_id);
        if (!p) return fail("jobs plan", p.error());
        return show_plan(*p, *plan_json);
      });
    };
  });

  add_job_controls(*jobs, run);
}

}  // namespace troupe::cli
