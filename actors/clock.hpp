#pragma once
// The wall clock of the engine, injected so that tests and simulations control time. Timestamps of job
// transitions come from here; timers (timeouts, sleep) use CAF's actor clock, which CAF's test coordinator
// drives in tests.

#include <atomic>
#include <memory>

#include "schemas/time.hpp"

namespace troupe {

class clock {
 public:
  virtual ~clock() = default;
  // Microseconds since the Unix epoch. Thread-safe.
  virtual micros now() const = 0;
};

// The system's wall clock.
std::shared_ptr<clock> make_system_clock();

// A clock that moves only when told to. Thread-safe.
class manual_clock final : public clock {
 public:
  explicit manual_clock(micros start = 1'700'000'000'000'000) : now_(start) {}
  micros now() const override { return now_.load(); }
  void set(micros t) { now_ = t; }
  void advance(micros span) { now_ += span; }

 private:
  std::atomic<micros> now_;
};

}  // namespace troupe
