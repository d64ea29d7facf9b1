#include "actors/system_config.hpp"

#include <algorithm>
#include <thread>

#include <caf/actor_system_config.hpp>
#include <caf/openssl/manager.hpp>

#include "actors/interfaces.hpp"
#include "troupe/client.hpp"

namespace troupe {

void configure_node_system(caf::actor_system_config& cfg, const node_options& options) {
  client::prepare(cfg);
  register_internal_types(cfg);
  configure_scheduler(cfg, options.schedulerThreads);
  configure_peer_timeouts(cfg, options.heartbeatIntervalMs, options.peerTimeoutMs);
  if (options.tlsEnabled) configure_tls(cfg, options.tlsCertificate, options.tlsKey, options.tlsCaFile);
}

void configure_scheduler(caf::actor_system_config& cfg, uint32_t threads) {
  if (threads == 0) threads = std::max(2u, std::thread::hardware_concurrency());
  cfg.set("scheduler.max-threads", static_cast<int>(threads));
  cfg.set("scheduler.max-throughput", 500);
  cfg.set("work-stealing.moderate-poll-attempts", 0);
}

void configure_peer_timeouts(caf::actor_system_config& cfg, uint32_t heartbeat_ms, uint32_t timeout_ms) {
  cfg.set("middleman.heartbeat-interval", caf::timespan{std::chrono::milliseconds{heartbeat_ms}});
  cfg.set("middleman.connection-timeout", caf::timespan{std::chrono::milliseconds{timeout_ms}});
}

void configure_tls(caf::actor_system_config& cfg, const std::string& certificate, const std::string& key,
                   const std::string& ca_file) {
  cfg.load<caf::openssl::manager>();
  if (!certificate.empty()) cfg.set("openssl.certificate", certificate);
  if (!key.empty()) cfg.set("openssl.key", key);
  if (!ca_file.empty()) cfg.set("openssl.cafile", ca_file);
}

}  // namespace troupe
