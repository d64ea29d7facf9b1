// `troupe serve` (a node) and `troupe demo` (a node plus a demo workload that shows what happens).

#include <pthread.h>
#include <signal.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <thread>

#include <caf/actor_system_config.hpp>
#include <caf/io/middleman.hpp>
#include <caf/openssl/publish.hpp>
#include <caf/scoped_actor.hpp>
#include <spdlog/spdlog.h>

#include "actors/engine_context.hpp"
#include "actors/system_config.hpp"
#include "api/access_client.hpp"
#include "api/http_server.hpp"
#include "bench/bench_runs.hpp"
#include "cmd/troupe/cli.hpp"
#include "cmd/troupe/demo.hpp"
#include "config/options_cli.hpp"
#include "troupe/node.hpp"

namespace troupe::cli {

namespace {

using signal_atom = caf::atom_constant<caf::atom("signal")>;

// How long an HTTP request waits for the node's answer before it is answered 504 timeout.
constexpr std::chrono::seconds http_node_timeout{30};

// Blocks SIGINT and SIGTERM in this thread and every thread started after it, so that only the signal thread
// below receives them (through sigtimedwait).
sigset_t block_shutdown_signals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  return set;
}

// Forwards SIGINT/SIGTERM to `target` as (signal_atom, int) until stopped.
class signal_forwarder {
 public:
  signal_forwarder(sigset_t set, caf::actor target)
      : thread_([this, set, target] {
          while (!stop_) {
            timespec wait{0, 200'000'000};
            siginfo_t info;
            int sig = sigtimedwait(&set, &info, &wait);
            if (sig > 0) caf::anon_send(target, signal_atom::value, sig);
          }
        }) {}
  ~signal_forwarder() {
    stop_ = true;
    thread_.join();
  }

 private:
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

int run_node(const std::string& command, node_options opts, bool demo) {
  if (auto problem = validate(opts); !problem.empty()) return fail_usage(command, problem);
  spdlog::set_level(spdlog::level::from_str(opts.logLevel));
  spdlog::set_pattern("%Y-%m-%dT%H:%M:%S.%e %^%l%$ %v");
  std::string host;
  uint16_t port = 0;
  if (auto err = parse_endpoint(opts.listen, &host, &port)) return fail_usage(command, "--listen " + describe(err));
  auto signals = block_shutdown_signals();

  caf::actor_system_config cfg;
  configure_node_system(cfg, opts);
  caf::actor_system sys{cfg};

  auto started = node::start(sys, opts, kind_registry{});
  if (!started && code_of(started.error()) == ec::invalid_argument)  // the configuration (a command kinds file)
    return fail_usage(command, describe(started.error()));
  if (!started) return fail(command, started.error());
  auto& n = **started;
  // Peers, the CLI and workers reach the access actor here (over TLS with tlsEnabled).
  auto bound = opts.tlsEnabled ? caf::openssl::publish(n.access(), port, host.c_str(), /*reuse=*/true)
                               : sys.middleman().publish(n.access(), port, host.c_str(), /*reuse=*/true);
  if (!bound) {
    n.shutdown(std::chrono::milliseconds{0});
    return fail(command, make_error(ec::unavailable, "cannot listen on " + opts.listen + ": " + sys.render(bound.error())));
  }
  auto address = host + ":" + std::to_string(*bound);
  // Workers started here (scalingMode local) join over loopback when the node listens on every address.
  bool any_address = host == "0.0.0.0" || host == "::" || host == "[::]";
  n.listening_at((any_address ? std::string{"127.0.0.1"} : host) + ":" + std::to_string(*bound));

  // The HTTP/JSON API (docs/api.md), started before node.addr is written: once node.addr exists, both listen.
  std::unique_ptr<api::http_server> http;
  std::error_code ignored;
  std::filesystem::remove(opts.data + "/http.addr", ignored);
  std::shared_ptr<bench::bench_runs> bench_runs;
  if (!opts.httpListen.empty()) {
    // Benchmark runs over HTTP (POST /api/jobs/benchmark): on a thread of their own, stored in the node's meta.
    bench_runs = std::make_shared<bench::bench_runs>(*n.context().store, opts);
    auto routes = std::make_shared<api::router>(api::make_access_client(sys, n.access(), http_node_timeout),
                                                bench_runs);
    auto server = api::http_server::start(api::http_settings_of(opts), std::move(routes));
    if (!server) {
      n.shutdown(std::chrono::milliseconds{0});
      fail(command, server.error());
      return exit_failure;
    }
    http = std::move(*server);
    std::ofstream{opts.data + "/http.addr"} << http->address() << "\n";
  }
  std::ofstream{opts.data + "/node.addr"} << address << "\n";
  spdlog::info("troupe node '{}' listening on {}{} (data in {}, durability {}, {} slots; workers {})",
               n.context().node_name, address, opts.tlsEnabled ? " over TLS" : "", opts.data,
               to_string(opts.durability), opts.maxConcurrentJobs,
               opts.clusterSecret.empty() ? "refused: no clusterSecret" : "may join with the cluster secret");

  caf::scoped_actor self{sys};
  self->monitor(n.supervisor());
  signal_forwarder forwarder{signals, caf::actor{self}};
  std::unique_ptr<demo_runner> demo_run;
  if (demo)
    demo_run = std::make_unique<demo_runner>(sys, n.gateway(), address, http ? http->address() : "", opts.data);

  bool failed = false;
  self->receive([&](signal_atom, int sig) { spdlog::info("received {}; stopping", strsignal(sig)); },
                [&](caf::down_msg& msg) {
                  failed = true;
                  spdlog::critical("the node failed: {}", describe(msg.reason));
                });
  if (http) http->begin_shutdown();  // every HTTP request is answered 503 from now on
  if (demo_run) demo_run->stop();
  if (bench_runs) bench_runs->stop();  // a run in progress ends at its next measurement, stored before the node stops
  n.shutdown(std::chrono::milliseconds{opts.shutdownGraceMs});
  if (http) http->stop();
  demo_run.reset();
  return failed ? exit_failure : exit_ok;
}

}  // namespace

void add_serve_commands(CLI::App& app, std::optional<command_fn>& run) {
  auto serve_opts = std::make_shared<node_options>();
  auto* serve = app.add_subcommand("serve", "Run a node: keep jobs in RocksDB (--data) and run them; serve peers "
                                            "and the CLI on --listen. SIGTERM/SIGINT stop it gracefully.");
  add_node_options(*serve, *serve_opts);
  serve->callback([&run, serve_opts] { run = [serve_opts] { return run_node("serve", *serve_opts, false); }; });

  auto demo_opts = std::make_shared<node_options>();
  demo_opts->execEnabled = true;  // the demo shows an exec job (echo); the node listens on loopback only
  auto* demo = app.add_subcommand("demo", "Run a node (as serve) and feed it a small demo workload, printing what "
                                          "happens; the node keeps serving afterwards until Ctrl-C.");
  add_node_options(*demo, *demo_opts);
  demo->callback([&run, demo_opts] { run = [demo_opts] { return run_node("demo", *demo_opts, true); }; });
}

}  // namespace troupe::cli
