#pragma once
// How a node configures its CAF actor system, in one place (serve, demo, bench, worker nodes).

#include <caf/fwd.hpp>

#include "config/options.hpp"

namespace troupe {

// Loads the middleman, registers every troupe message type and sets the scheduler:
// - scheduler.max-threads: schedulerThreads, or one per core (at least 2);
// - scheduler.max-throughput 500: one busy actor cannot hold a worker thread indefinitely;
// - work-stealing.moderate-poll-attempts 0: an idle worker spins briefly, then sleeps on its condition variable
//   until work arrives, instead of waking every 50 us for 25 ms. On a 2-core VM those wake-ups cost a quarter of
//   the CPU and about a third of the throughput (measured with troupe bench).
void configure_node_system(caf::actor_system_config& cfg, const node_options& options);

}  // namespace troupe
