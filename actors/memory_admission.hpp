#pragma once
// Memory-aware admission: whether the node may claim new jobs, given its memory use. Above memoryThreshold % of
// maxMemoryMB it holds (running jobs go on; nothing new starts); it admits again only once use is
// memoryHysteresisPercent points below the threshold, so that a node hovering at the threshold does not flap. The
// node is never killed by this: the worst is that its queue waits. A pure state machine, fed the resource
// manager's samples (actors/resources.cpp).

#include <cstdint>
#include <optional>
#include <string>

namespace troupe {

class memory_admission {
 public:
  // threshold_percent: memoryThreshold; hysteresis_points: memoryHysteresisPercent (< threshold);
  // budget_mb: maxMemoryMB (for the messages).
  memory_admission(uint32_t threshold_percent, uint32_t hysteresis_points, uint32_t budget_mb)
      : threshold_(threshold_percent), resume_below_(threshold_percent - hysteresis_points), budget_mb_(budget_mb) {}

  bool held() const { return held_; }
  // Use under this percent resumes admission (memoryThreshold - memoryHysteresisPercent).
  double resume_level() const { return resume_below_; }

  // Takes one sample (percent of maxMemoryMB in use); returns the reason when admission changes (held or
  // resumed), nullopt when it stays as it was.
  std::optional<std::string> observe(double percent);

 private:
  uint32_t threshold_;
  uint32_t resume_below_;
  uint32_t budget_mb_;
  bool held_ = false;
};

}  // namespace troupe
