#include "actors/clock.hpp"

namespace troupe {

namespace {
class system_clock final : public clock {
 public:
  micros now() const override { return wall_now(); }
};
}  // namespace

std::shared_ptr<clock> make_system_clock() { return std::make_shared<system_clock>(); }

}  // namespace troupe
