#include <caf/actor_system_config.hpp>

#include "actors/interfaces.hpp"

namespace troupe {

void register_internal_types(caf::actor_system_config& cfg) {
  cfg.add_message_types<caf::id_block::troupe_internal>();
}

}  // namespace troupe
