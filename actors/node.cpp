#include "troupe/node.hpp"

#include <unistd.h>

#include <filesystem>

#include <caf/actor_system.hpp>
#include <caf/scoped_actor.hpp>
#include <spdlog/spdlog.h>

#include "actors/clock.hpp"
#include "actors/engine_context.hpp"
#include "actors/kinds/builtin_kinds.hpp"
#include "actors/access.hpp"
#include "actors/alerts.hpp"
#include "actors/metrics.hpp"
#include "actors/node_store.hpp"
#include "actors/supervisor.hpp"
#include "actors/users.hpp"
#include "storage/recovery.hpp"

namespace troupe {

struct node::impl {
  caf::actor_system& system;
  std::shared_ptr<engine_context> ctx;
  supervisor_actor supervisor;
  gateway_internal_actor gateway;
  access_actor access;
  metrics_actor metrics;  // both null with metricsEnabled = false
  alert_actor alerts;
  scaling_actor scaling;
  bool stopped = false;
};

namespace {

std::string host_name() {
  char buf[256] = {};
  if (gethostname(buf, sizeof(buf) - 1) != 0 || buf[0] == '\0') return "troupe";
  return buf;
}

}  // namespace

caf::expected<std::unique_ptr<node>> node::start(caf::actor_system& system, const node_options& options,
                                                 kind_registry kinds, std::shared_ptr<clock> wall, bool detached) {
  // Kinds first: a node whose configuration declares bad command kinds refuses to start before it opens its store.
  if (auto err = add_builtin_kinds(kinds, {options.execEnabled, options.outputTailBytes, options.commandKinds}))
    return err;
  auto store_options = store_options_of(options);  // refuses a payloadCompression the RocksDB build lacks
  if (!store_options) return store_options.error();
  std::error_code fs_error;
  std::filesystem::create_directories(options.data, fs_error);
  if (fs_error)
    return make_error(ec::storage_failure,
                      "cannot create the data directory '" + options.data + "': " + fs_error.message());
  std::unique_ptr<storage::job_store> store;
  if (auto s = storage::job_store::open(*store_options, &store); !s)
    return make_error(ec::storage_failure, s.message());
  if (!wall) wall = make_system_clock();
  storage::recovery_report report;
  if (auto s = storage::recover_interrupted(*store, wall->now(), &report); !s)
    return make_error(ec::storage_failure, "recovery: " + s.message());
  if (report.requeued + report.dead > 0)
    spdlog::info("recovery: {} jobs that were running went back to READY, {} had no attempts left (DEAD)",
                 report.requeued, report.dead);
  if (report.usage_rebuilt)
    spdlog::info("recovery: per-user usage counted from the store's unfinished jobs ({} users)", report.usage_users);
  if (options.bootstrapAdmin) {
    auto token_file = options.data + "/admin.token";
    auto created = bootstrap_admin(*store, token_file, wall->now());
    if (!created) return created.error();
    if (*created)
      spdlog::info("created the first user, admin; its API token is in {} (readable by you only)", token_file);
  }

  auto ctx = std::make_shared<engine_context>();
  ctx->options = options;
  ctx->node_name = options.nodeName.empty() ? host_name() : options.nodeName;
  ctx->store = std::move(store);
  ctx->kinds = std::make_shared<const kind_registry>(std::move(kinds));
  ctx->wall = std::move(wall);
  ctx->workers = std::make_shared<worker_pool>(options.workerPoolSize);

  auto state = std::make_unique<impl>(
      impl{system, ctx, spawn_supervisor(system, ctx, detached), {}, {}, {}, {}, {}, false});
  caf::scoped_actor self{system};
  caf::error failure;
  self->request(state->supervisor, std::chrono::seconds{30}, gateway_atom::value)
      .receive([&](gateway_internal_actor& gw) { state->gateway = std::move(gw); },
               [&](caf::error& err) { failure = std::move(err); });
  scaling_actor scaling;
  if (!failure)
    self->request(state->supervisor, std::chrono::seconds{30}, scaling_atom::value)
        .receive([&](scaling_actor& s) { scaling = std::move(s); }, [&](caf::error& err) { failure = std::move(err); });
  if (!failure) {
    if (options.metricsEnabled) {
      state->alerts = spawn_alerts(system, ctx, detached);
      state->metrics = spawn_metrics(system, ctx, state->gateway, state->alerts, scaling, detached);
    }
    auto access =
        spawn_access(system, ctx, state->gateway, observers{state->metrics, state->alerts, scaling}, detached);
    if (access)
      state->access = std::move(*access);
    else
      failure = std::move(access.error());
  }
  state->scaling = scaling;
  if (failure) {
    self->send_exit(state->supervisor, caf::exit_reason::kill);
    if (state->metrics) self->send_exit(state->metrics, caf::exit_reason::kill);
    if (state->alerts) self->send_exit(state->alerts, caf::exit_reason::kill);
    return failure;
  }
  return std::unique_ptr<node>{new node(std::move(state))};
}

node::node(std::unique_ptr<impl> impl) : impl_(std::move(impl)) {}

node::~node() { shutdown(std::chrono::milliseconds{0}); }

gateway_actor node::gateway() const { return caf::actor_cast<gateway_actor>(impl_->gateway); }

access_actor node::access() const { return impl_->access; }

caf::actor node::supervisor() const { return caf::actor_cast<caf::actor>(impl_->supervisor); }

const engine_context& node::context() const { return *impl_->ctx; }

void node::listening_at(const std::string& host_port) {
  if (impl_->scaling) caf::anon_send(impl_->scaling, listen_atom::value, host_port);
}

void node::shutdown(std::chrono::milliseconds grace) {
  if (impl_->stopped) return;
  impl_->stopped = true;
  caf::scoped_actor self{impl_->system};
  self->monitor(impl_->supervisor);
  bool done = false;
  self->request(impl_->supervisor, caf::infinite, shutdown_atom::value, static_cast<uint64_t>(grace.count()))
      .receive([&](ok_atom) {}, [&](caf::error&) { done = true; });  // an error: it is gone already
  // Wait for the supervisor itself to exit: it quits right after answering.
  while (!done) {
    self->receive([&](caf::down_msg&) { done = true; });
  }
  // Last: while the node drained, peers could still read (and were told it is shutting down when they submitted),
  // and the metrics kept sampling.
  auto stop = [&](const auto& handle) {
    if (!handle) return;
    self->monitor(handle);
    self->send_exit(handle, caf::exit_reason::user_shutdown);
    self->receive([&](caf::down_msg&) {});
  };
  stop(impl_->access);
  stop(impl_->metrics);
  stop(impl_->alerts);  // after those that ask it; its webhook sender exits with it
}

}  // namespace troupe
