// troupe::worker (troupe/worker.hpp): the options, the actor system's settings and the agent's lifetime.

#include "troupe/worker.hpp"

#include <unistd.h>

#include <caf/actor_system_config.hpp>
#include <caf/io/middleman.hpp>
#include <caf/openssl/manager.hpp>
#include <caf/scoped_actor.hpp>

#include "actors/kinds/builtin_kinds.hpp"
#include "actors/system_config.hpp"
#include "actors/worker_agent.hpp"
#include "troupe/client.hpp"

namespace troupe {

struct worker::impl {
  caf::actor_system& sys;
  caf::actor agent;
  std::shared_ptr<worker_shared_status> status;
  std::string name;
  bool ended = false;
  caf::error result;
};

void worker::prepare(caf::actor_system_config& cfg, const worker_options& opts) {
  client::prepare(cfg);
  register_internal_types(cfg);
  configure_scheduler(cfg, 0);
  configure_peer_timeouts(cfg, opts.heartbeat_interval_ms, opts.peer_timeout_ms);
  if (opts.tls) configure_tls(cfg, opts.tls_certificate, opts.tls_key, opts.tls_ca_file);
}

caf::expected<std::unique_ptr<worker>> worker::start(caf::actor_system& sys, worker_options opts,
                                                     kind_registry kinds) {
  std::string host;
  uint16_t port = 0;
  if (opts.join.empty()) return make_error(ec::invalid_argument, "a worker needs --join HOST:PORT");
  if (auto err = parse_endpoint(opts.join, &host, &port))
    return make_error(ec::invalid_argument, "--join " + describe(err));
  if (opts.secret.empty())
    return make_error(ec::invalid_argument,
                      "a worker needs the cluster secret (--clusterSecret or TROUPE_CLUSTER_SECRET)");
  if (opts.slots == 0) return make_error(ec::invalid_argument, "a worker needs at least one slot (--slots)");
  if (opts.reconnect_min_ms == 0 || opts.reconnect_max_ms < opts.reconnect_min_ms)
    return make_error(ec::invalid_argument, "reconnect backoff: 0 < min <= max");
  if (opts.peer_timeout_ms != 0 && opts.peer_timeout_ms <= opts.heartbeat_interval_ms)
    return make_error(ec::invalid_argument, "--peerTimeoutMs must exceed --heartbeatIntervalMs (or be 0)");
  if (opts.name.empty()) {
    char buf[256] = {};
    gethostname(buf, sizeof(buf) - 1);
    opts.name = std::string{buf[0] != '\0' ? buf : "worker"} + "-" + std::to_string(getpid());
  }
  if (opts.tls && !sys.has_openssl_manager())
    return make_error(ec::invalid_argument, "TLS needs the openssl module: call worker::prepare with tls set");
  if (auto err = add_builtin_kinds(kinds, {opts.exec_enabled, opts.output_tail_bytes, opts.command_kinds}))
    return err;
  for (const auto& name : opts.kinds) {  // it offers only these (the node sends it no other kind)
    if (kinds.find(name) != nullptr) continue;
    std::string known;
    for (const auto& n : kinds.names()) known += (known.empty() ? "" : ", ") + n;
    return make_error(ec::invalid_argument,
                      "--kinds: '" + name + "' is not a kind of this worker (it has: " + known + ")");
  }
  if (opts.kinds.empty()) {  // all it has; exec only if enabled (the node would send exec jobs to fail here)
    for (auto& name : kinds.names())
      if (name != "exec" || opts.exec_enabled) opts.kinds.push_back(std::move(name));
  }
  auto ctx = std::make_shared<engine_context>();
  ctx->options.jobTimeoutMs = opts.job_timeout_ms;
  ctx->options.outputTailBytes = opts.output_tail_bytes;
  ctx->node_name = opts.name;
  ctx->kinds = std::make_shared<const kind_registry>(std::move(kinds));
  ctx->wall = make_system_clock();
  ctx->workers = std::make_shared<worker_pool>(opts.worker_pool_size);
  auto status = std::make_shared<worker_shared_status>();
  auto name = opts.name;
  auto agent = spawn_worker_agent(sys, ctx, std::move(opts), status);
  return std::unique_ptr<worker>{new worker(std::make_unique<impl>(impl{sys, agent, status, name, false, {}}))};
}

worker::worker(std::unique_ptr<impl> impl) : impl_(std::move(impl)) {}

worker::~worker() {
  if (!impl_->ended) {
    caf::anon_send_exit(impl_->agent, caf::exit_reason::user_shutdown);
    wait();
  }
}

void worker::drain() { drain_worker_agent(impl_->agent); }

caf::error worker::wait_for(std::chrono::milliseconds timeout) {
  if (impl_->ended) return impl_->result;
  caf::scoped_actor self{impl_->sys};
  self->monitor(impl_->agent);
  bool done = false;
  self->receive(
      [&](caf::down_msg& msg) {
        done = true;
        impl_->result = msg.reason == caf::exit_reason::user_shutdown ? caf::error{} : msg.reason;
      },
      caf::after(timeout) >> [] {});
  if (!done) return make_error(ec::timeout, "the worker still runs");
  impl_->ended = true;
  return impl_->result;
}

caf::error worker::wait() {
  while (true) {
    auto err = wait_for(std::chrono::hours{24});
    if (code_of(err) != ec::timeout || impl_->ended) return err;
  }
}

worker_status worker::status() const {
  const auto& s = *impl_->status;
  return {s.connected.load(), s.draining.load(), s.running.load(), s.finished.load(), s.reports_pending.load(),
          s.joins.load()};
}

const std::string& worker::name() const { return impl_->name; }

}  // namespace troupe
