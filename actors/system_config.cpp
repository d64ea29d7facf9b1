#include "actors/system_config.hpp"

#include <algorithm>
#include <thread>

#include <caf/actor_system_config.hpp>

#include "actors/interfaces.hpp"
#include "troupe/client.hpp"

namespace troupe {

void configure_node_system(caf::actor_system_config& cfg, const node_options& options) {
  client::prepare(cfg);
  register_internal_types(cfg);
  auto threads = options.schedulerThreads > 0 ? options.schedulerThreads
                                              : std::max(2u, std::thread::hardware_concurrency());
  cfg.set("scheduler.max-threads", static_cast<int>(threads));
  cfg.set("scheduler.max-throughput", 500);
  cfg.set("work-stealing.moderate-poll-attempts", 0);
}

}  // namespace troupe
