// `troupe status`: the node's queue depth, slots and throughput; with metrics on, its health score (and the
// biggest penalties) and active alerts.

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <iostream>

#include "cmd/troupe/cli.hpp"
#include "troupe/json.hpp"

namespace troupe::cli {

namespace {

void print_status(const NodeStatus& s) {
  std::cout << fmt::format("node {} (troupe {}), durability {}, {}\n", s.node(), s.version(), s.durability(),
                           s.accepting() ? "accepting jobs" : "shutting down");
  std::cout << fmt::format("slots: {} busy of {} ({} free)\n", s.slots_busy(), s.slots_total(),
                           s.slots_total() - s.slots_busy());
  if (s.admission().held())
    std::cout << fmt::format("admission HELD (no new job starts): {}\n", s.admission().reason());
  else if (s.admission().running_cap() > 0)
    std::cout << fmt::format("admission: at most {} jobs run at once until memory allows more ({})\n",
                             s.admission().running_cap(), s.admission().reason());
  for (const auto& p : s.pools())
    if (p.limit() < p.slots())
      std::cout << fmt::format("pool {}: {} of its {} slots in use at most ({}; {} busy)\n", p.pool(), p.limit(),
                               p.slots(), p.reason(), p.busy());
  std::vector<std::string> joined;
  size_t gone = 0;
  for (const auto& w : s.workers()) {
    if (w.state() == WorkerInfo::ACTIVE || w.state() == WorkerInfo::DRAINING)
      joined.push_back(fmt::format("{} ({}/{} busy{})", w.name(), w.busy(), w.slots(),
                                   w.state() == WorkerInfo::DRAINING ? ", draining" : ""));
    else
      ++gone;
  }
  if (!s.workers().empty())
    std::cout << fmt::format("workers: {} joined{}{}\n", joined.size(), joined.empty() ? "" : ": ",
                             fmt::join(joined, ", "))
              << (gone > 0 ? fmt::format("         {} lost or left recently (troupe workers)\n", gone) : "");
  if (s.has_scaling() && s.scaling().has_last())
    std::cout << fmt::format("scaling ({}): {} workers wanted, {} active; last decision {}: {}\n",
                             s.scaling().mode(), s.scaling().desired(), s.scaling().workers(),
                             s.scaling().last().action(), s.scaling().last().reason());
  std::cout << fmt::format("{:<10}{:>10}{:>10}{:>10}{:>10}{:>10}\n", "", "CRITICAL", "HIGH", "NORMAL", "LOW", "total");
  for (auto state : {Job::READY, Job::RUNNING}) {
    uint64_t by_priority[4] = {};
    for (const auto& d : s.depth()) {
      if (d.state() != state) continue;
      int col = d.priority() == JobSpec::CRITICAL ? 0 : d.priority() == JobSpec::HIGH ? 1
                : d.priority() == JobSpec::NORMAL ? 2 : 3;
      by_priority[col] += d.count();
    }
    std::cout << fmt::format("{:<10}{:>10}{:>10}{:>10}{:>10}{:>10}\n", Job::State_Name(state), by_priority[0],
                             by_priority[1], by_priority[2], by_priority[3],
                             by_priority[0] + by_priority[1] + by_priority[2] + by_priority[3]);
  }
  std::cout << fmt::format("scheduled (waiting for run_at or a retry's backoff): {}\n", s.scheduled());
  std::cout << fmt::format("blocked (waiting for dependencies or a batch): {}; moved up a priority by aging: {}\n",
                           s.blocked(), s.aged_total());
  std::cout << fmt::format("since start: {} submitted; {} succeeded, {} dead, {} cancelled; {} failed attempts\n",
                           s.submitted_total(), s.succeeded_total(), s.dead_total(), s.cancelled_total(),
                           s.failed_total());
  std::cout << fmt::format("throughput (jobs/s): {:.0f} last second, {:.0f} last 10 s, {:.0f} last minute\n",
                           s.throughput().last_1s(), s.throughput().last_10s(), s.throughput().last_60s());
  std::cout << fmt::format("history: {} finished jobs kept\n", s.finished_in_store());
  if (!s.metrics_enabled()) return;
  print_health(s.health(), 3);
  print_active_alerts(s.alerts());
}

}  // namespace

void add_status_command(CLI::App& app, std::optional<command_fn>& run) {
  struct status_options {
    client_options client;
    bool json = false;
  };
  auto o = std::make_shared<status_options>();
  auto* cmd = app.add_subcommand("status", "Show the node's queue depth by state and priority, slots and throughput.");
  o->client.add_to(*cmd);
  cmd->add_flag("--json", o->json, "Print the status as JSON");
  cmd->callback([&run, o] {
    run = [o] {
      return with_client("status", o->client, [&](const client& c) {
        auto s = c.status();
        if (!s) return fail("status", s.error());
        if (o->json) std::cout << to_json(*s, true) << "\n";
        else print_status(*s);
        return int{exit_ok};
      });
    };
  });
}

}  // namespace troupe::cli
