#include "actors/scaling_policy.hpp"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

namespace troupe {

const char* to_string(scaling_decision::action a) {
  switch (a) {
    case scaling_decision::action::up: return "up";
    case scaling_decision::action::down: return "down";
    case scaling_decision::action::hold: break;
  }
  return "hold";
}

scaling_decision scaling_policy::change(const scaling_input& in, uint32_t to, std::string reason) {
  scaling_decision d;
  d.what = to > desired_ ? scaling_decision::action::up : scaling_decision::action::down;
  if (to > desired_) last_up_ = in.now;
  last_change_ = in.now;
  desired_ = to;
  d.desired = to;
  d.reason = std::move(reason);
  return d;
}

scaling_decision scaling_policy::decide(const scaling_input& in) {
  const auto& c = config_;
  auto hold = [this](std::string reason) {
    return scaling_decision{scaling_decision::action::hold, desired_, std::move(reason)};
  };
  if (desired_ < c.min_workers) return change(in, c.min_workers, fmt::format("minWorkers is {}", c.min_workers));
  if (desired_ > c.max_workers) return change(in, c.max_workers, fmt::format("maxWorkers is {}", c.max_workers));

  auto depth = static_cast<double>(in.queue_depth);
  double per_worker = depth / std::max<uint32_t>(desired_, 1);
  double high = c.target_depth * c.up_threshold;
  double low = c.target_depth * c.down_threshold;
  bool memory_high = in.memory_percent >= c.memory_threshold;
  bool errors_high = in.error_rate > c.error_rate_threshold;
  auto wanted_by_depth = static_cast<uint32_t>(
      std::min<double>(c.max_workers, std::ceil(depth / std::max<uint32_t>(c.target_depth, 1))));

  uint32_t up_to = desired_;
  std::string why;
  if (per_worker > high && wanted_by_depth > desired_) {
    up_to = wanted_by_depth;
    why = fmt::format("{} READY jobs, {:.1f} per worker over targetQueueDepth {} x scaleUpThreshold {}",
                      in.queue_depth, per_worker, c.target_depth, c.up_threshold);
  } else if (memory_high && in.queue_depth > 0 && desired_ < c.max_workers) {
    up_to = desired_ + 1;
    why = fmt::format("memory at {:.1f}%, at or over memoryThreshold {:.0f}%, with {} jobs READY: one more "
                      "worker takes work off this node",
                      in.memory_percent, c.memory_threshold, in.queue_depth);
  }
  if (up_to > desired_) {
    if (errors_high)
      return hold(fmt::format("{}; but {:.1f}% of attempts failed, over errorRateThreshold {:.0f}%: scale-up held",
                              why, in.error_rate, c.error_rate_threshold));
    if (last_up_ >= 0 && in.now - last_up_ < c.up_cooldown)
      return hold(fmt::format("{}; scale-up cooling down ({} ms of scaleUpCooldownMs {} left)", why,
                              (c.up_cooldown - (in.now - last_up_)) / 1000, c.up_cooldown / 1000));
    return change(in, up_to, why);
  }

  if (per_worker < low && desired_ > c.min_workers) {
    auto why_down = fmt::format("{} READY jobs, {:.1f} per worker under targetQueueDepth {} x scaleDownThreshold {}",
                                in.queue_depth, per_worker, c.target_depth, c.down_threshold);
    if (memory_high)
      return hold(fmt::format("{}; but memory at {:.1f}% is at or over memoryThreshold: scale-down held", why_down,
                              in.memory_percent));
    if (in.queue_depth > 0 && in.active_workers > 0) {
      auto per_worker_slots = in.slots_total / std::max<uint32_t>(in.active_workers, 1);
      if (in.slots_busy > in.slots_total - std::min(in.slots_total, per_worker_slots))
        return hold(fmt::format("{}; but {} of {} slots are busy with jobs waiting: one worker fewer could not run "
                                "them, scale-down held", why_down, in.slots_busy, in.slots_total));
    }
    if (last_change_ >= 0 && in.now - last_change_ < c.down_cooldown)
      return hold(fmt::format("{}; scale-down cooling down ({} ms of scaleDownCooldownMs {} left)", why_down,
                              (c.down_cooldown - (in.now - last_change_)) / 1000, c.down_cooldown / 1000));
    return change(in, desired_ - 1, why_down);
  }
  return hold(fmt::format("{} READY jobs, {:.1f} per worker for {} workers (scale up over {:.1f}, down under {:.1f})",
                          in.queue_depth, per_worker, desired_, high, low));
}

}  // namespace troupe
