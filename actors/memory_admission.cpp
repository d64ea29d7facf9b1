#include "actors/memory_admission.hpp"

#include <fmt/format.h>

namespace troupe {

std::optional<std::string> memory_admission::observe(double percent) {
  if (!held_ && percent >= threshold_) {
    held_ = true;
    return fmt::format("memory at {:.1f}% of maxMemoryMB {} MiB, at or over memoryThreshold {}%: no new job "
                       "starts until it is below {}%",
                       percent, budget_mb_, threshold_, resume_below_);
  }
  if (held_ && percent < resume_below_) {
    held_ = false;
    return fmt::format("memory at {:.1f}% of maxMemoryMB {} MiB, below {}% (memoryThreshold {}% less "
                       "memoryHysteresisPercent): jobs start again",
                       percent, budget_mb_, resume_below_, threshold_);
  }
  return std::nullopt;
}

}  // namespace troupe
