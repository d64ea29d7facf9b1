#pragma once
// How a node configures its CAF actor system, in one place (serve, demo, bench, worker nodes).

#include <string>

#include <caf/fwd.hpp>

#include "config/options.hpp"

namespace troupe {

// Loads the middleman, registers every troupe message type and sets the scheduler (configure_scheduler):
// - scheduler.max-threads: schedulerThreads, or one per core (at least 2);
// - scheduler.max-throughput 500: one busy actor cannot hold a worker thread indefinitely;
// - work-stealing.moderate-poll-attempts 0: an idle worker spins briefly, then sleeps on its condition variable
//   until work arrives, instead of waking every 50 us for 25 ms. On a 2-core VM those wake-ups cost a quarter of
//   the CPU and about a third of the throughput (measured with troupe bench).
// Also the peer settings below from the node's heartbeatIntervalMs, peerTimeoutMs and tls* options.
void configure_node_system(caf::actor_system_config& cfg, const node_options& options);

// The scheduler settings above, for any troupe process that runs actors (nodes, workers); `threads` 0: one per
// core, at least 2.
void configure_scheduler(caf::actor_system_config& cfg, uint32_t threads);

// CAF's middleman heartbeat every `heartbeat_ms` on every connection, and a connection that carried nothing for
// `timeout_ms` (0: never) dropped: the peer is then lost (its actors' monitors fire). Every node, worker and client
// sends heartbeats (client::prepare sets 500 ms), so only a hung or unreachable peer goes silent that long.
void configure_peer_timeouts(caf::actor_system_config& cfg, uint32_t heartbeat_ms, uint32_t timeout_ms);

// Loads CAF's openssl module with these PEM files (all empty: anonymous TLS).
void configure_tls(caf::actor_system_config& cfg, const std::string& certificate, const std::string& key,
                   const std::string& ca_file);

}  // namespace troupe
