// `troupe worker --join HOST:PORT`: a worker node that runs a scheduling node's jobs (troupe/worker.hpp,
// docs/cluster.md); `troupe workers`: the workers a node has.

#include <pthread.h>
#include <signal.h>

#include <iostream>

#include <caf/actor_system_config.hpp>
#include <fmt/format.h>
#include <fmt/ranges.h>
#include <spdlog/spdlog.h>

#include "cmd/troupe/cli.hpp"
#include "troupe/json.hpp"
#include "troupe/worker.hpp"

namespace troupe::cli {

namespace {

struct worker_flags {
  worker_options opts;
  std::string kinds;  // comma-separated
  std::string log_level = "info";
};

int run_worker(const worker_flags& f) {
  spdlog::set_level(spdlog::level::from_str(f.log_level));
  spdlog::set_pattern("%Y-%m-%dT%H:%M:%S.%e %^%l%$ %v");
  auto opts = f.opts;
  std::string rest = f.kinds;
  while (!rest.empty()) {
    auto comma = rest.find(',');
    auto kind = rest.substr(0, comma);
    if (!kind.empty()) opts.kinds.push_back(kind);
    rest = comma == std::string::npos ? "" : rest.substr(comma + 1);
  }
  // Only this thread takes SIGINT/SIGTERM (every thread started later inherits the mask).
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);

  caf::actor_system_config cfg;
  worker::prepare(cfg, opts);
  caf::actor_system sys{cfg};
  auto w = worker::start(sys, opts, kind_registry{});
  if (!w) return fail_usage("worker", describe(w.error()));
  spdlog::info("troupe worker '{}': joining {} with {} slots", (*w)->name(), opts.join, opts.slots);
  bool draining = false;
  while (true) {
    timespec poll{0, 0};
    siginfo_t info;
    int sig = sigtimedwait(&set, &info, &poll);
    if (sig > 0 && !draining) {
      spdlog::info("received {}; draining (grace {} ms)", strsignal(sig), opts.shutdown_grace_ms);
      draining = true;
      (*w)->drain();
    } else if (sig > 0) {
      spdlog::warn("received {} again; stopping now", strsignal(sig));
      return exit_failure;
    }
    auto err = (*w)->wait_for(std::chrono::milliseconds{200});
    if (code_of(err) == ec::timeout) continue;
    if (err) return fail("worker", err);
    spdlog::info("worker '{}' left", (*w)->name());
    return exit_ok;
  }
}

std::string state_name(WorkerInfo::State s) { return WorkerInfo::State_Name(s); }

int run_workers(const client_options& client, bool json) {
  return with_client("workers", client, [&](const troupe::client& c) {
    auto list = c.workers();
    if (!list) return fail("workers", list.error());
    if (json) {
      std::cout << to_json(*list, true) << "\n";
      return int{exit_ok};
    }
    if (list->has_scaling() && list->scaling().has_last()) {
      const auto& s = list->scaling();
      std::cout << fmt::format("scaling ({}): {} workers wanted; last decision {}: {}\n", s.mode(), s.desired(),
                               s.last().action(), s.last().reason());
      if (!s.managed().empty()) std::cout << fmt::format("  processes it runs: {}\n", fmt::join(s.managed(), ", "));
      if (!s.action_result().empty()) std::cout << fmt::format("  last action: {}\n", s.action_result());
    }
    if (list->workers().empty()) {
      std::cout << "no worker has joined this node\n";
      return int{exit_ok};
    }
    std::cout << fmt::format("{:<20} {:<9} {:>5} {:>7} {:<20} {:<20} {}\n", "NAME", "STATE", "SLOTS", "RUNNING",
                             "LAST HEARTBEAT (UTC)", "LEFT (UTC)", "KINDS");
    for (const auto& w : list->workers()) {
      std::cout << fmt::format("{:<20} {:<9} {:>5} {:>7} {:<20} {:<20} {}\n", w.name(), state_name(w.state()),
                               w.slots(), w.busy(), format_time(w.last_heartbeat()), format_time(w.left_at()),
                               fmt::join(w.kinds(), ","));
      if (w.state() == WorkerInfo::LOST)
        std::cout << fmt::format("  lost: {}; {} running jobs went back to READY\n", w.reason(), w.requeued());
    }
    return int{exit_ok};
  });
}

}  // namespace

void add_worker_commands(CLI::App& app, std::optional<command_fn>& run) {
  auto f = std::make_shared<worker_flags>();
  auto* cmd = app.add_subcommand(
      "worker", "Run a worker node: join the scheduling node at --join and run its jobs in --slots slots. "
                "SIGTERM/SIGINT drain it (running jobs finish, then it leaves and exits 0).");
  auto& o = f->opts;
  cmd->add_option("--join", o.join, "The scheduling node's listen address, HOST:PORT")->required();
  cmd->add_option("--slots", o.slots, "Jobs it runs at once")->capture_default_str()->check(CLI::Range(1, 100000));
  cmd->add_option("--kinds", f->kinds, "The kinds it offers, comma-separated (default: all it has)");
  cmd->add_option("--name", o.name, "Its name, unique in the cluster (default: HOSTNAME-PID)");
  cmd->add_option("--clusterSecret", o.secret, "The cluster secret (env TROUPE_CLUSTER_SECRET)")
      ->envname("TROUPE_CLUSTER_SECRET");
  cmd->add_option("--heartbeatIntervalMs", o.heartbeat_interval_ms, "ms between heartbeats to the node")
      ->capture_default_str()
      ->check(CLI::Range(10, 60000));
  cmd->add_option("--peerTimeoutMs", o.peer_timeout_ms, "The node is lost after this many ms of silence (0: never)")
      ->capture_default_str();
  cmd->add_option("--reconnectMinMs", o.reconnect_min_ms, "First wait before reconnecting, doubled each time")
      ->capture_default_str();
  cmd->add_option("--reconnectMaxMs", o.reconnect_max_ms, "Longest wait between reconnection attempts")
      ->capture_default_str();
  cmd->add_option("--shutdownGraceMs", o.shutdown_grace_ms,
                  "After SIGTERM, ms running jobs may take before they are handed back")
      ->capture_default_str();
  cmd->add_option("--holdOfferMs", o.hold_offer_ms,
                  "After a reconnect, ms free slots wait while attempts from before it still run")
      ->capture_default_str();
  cmd->add_option("--tlsEnabled", o.tls, "Connect over TLS (the node has tlsEnabled)")->capture_default_str();
  cmd->add_option("--tlsCertificate", o.tls_certificate, "PEM certificate (TLS)");
  cmd->add_option("--tlsKey", o.tls_key, "PEM private key (TLS)");
  cmd->add_option("--tlsCaFile", o.tls_ca_file, "PEM CA file the node's certificate is checked against (TLS)");
  cmd->add_option("--execEnabled", o.exec_enabled, "Offer the exec kind (runs processes here)")->capture_default_str();
  cmd->add_option("--commandKinds", o.command_kinds, "File of command kinds to offer (as on a node)");
  cmd->add_option("--outputTailBytes", o.output_tail_bytes, "Bytes of an exec job's output kept")
      ->capture_default_str();
  cmd->add_option("--workerPoolSize", o.worker_pool_size, "Threads for blocking kinds")->capture_default_str();
  cmd->add_option("--logLevel", f->log_level, "spdlog level")
      ->capture_default_str()
      ->check(CLI::IsMember({"trace", "debug", "info", "warn", "error", "critical", "off"}));
  cmd->callback([&run, f] { run = [f] { return run_worker(*f); }; });

  auto client = std::make_shared<client_options>();
  auto json = std::make_shared<bool>(false);
  auto* list = app.add_subcommand("workers", "List the worker nodes of a node: kinds, slots, running jobs, last "
                                             "heartbeat; and those lost or left recently");
  client->add_to(*list);
  list->add_flag("--json", *json, "Print the list as JSON");
  list->callback([&run, client, json] { run = [client, json] { return run_workers(*client, *json); }; });
}

}  // namespace troupe::cli
