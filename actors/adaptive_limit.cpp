#include "actors/adaptive_limit.hpp"

#include <algorithm>
#include <utility>

#include <fmt/format.h>

namespace troupe {

std::optional<limit_change> adaptive_limit::observe(const pool_observation& o) {
  if (o.slots == 0) return std::nullopt;  // no slot alive: nothing to limit
  uint32_t max = o.slots;
  uint32_t min = std::min(config_.min, max);
  auto change = [this](uint32_t to, std::string reason) {
    limit_ = to;
    return limit_change{to, std::move(reason)};
  };
  if (limit_ == 0) return change(max, fmt::format("starts at the pool's {} slots", max));
  if (limit_ > max) {
    last_was_increase_ = false;
    return change(max, fmt::format("the pool has {} slots now", max));
  }

  double throughput = static_cast<double>(o.finished) / std::max(o.seconds, 1e-3);
  if (o.finished >= config_.min_samples) {
    double error_rate = static_cast<double>(o.failed) / static_cast<double>(o.finished);
    if (std::exchange(last_was_error_decrease_, false) &&
        error_rate >= error_rate_before_decrease_ * (1 - config_.error_drop) && limit_before_decrease_ <= max) {
      // Fewer jobs at once did not mean fewer failures: they are not from load. Back, and learn the rate.
      error_floor_ = std::max(error_floor_, error_rate);
      return change(limit_before_decrease_,
                    fmt::format("error rate {:.0f}% stayed at {:.0f}% after the decrease to {}: the failures do not "
                                "come from load; back to {}",
                                error_rate_before_decrease_ * 100, error_rate * 100, limit_, limit_before_decrease_));
    }
    double threshold = std::max(config_.error_rate_threshold, error_floor_ * 1.5);
    if (error_rate > threshold) {
      last_was_increase_ = false;
      hold_left_ = 0;
      uint32_t halved = std::max(min, limit_ / 2);
      if (halved >= limit_) return std::nullopt;
      last_was_error_decrease_ = true;
      error_rate_before_decrease_ = error_rate;
      limit_before_decrease_ = limit_;
      auto over = error_floor_ * 1.5 > config_.error_rate_threshold
                      ? fmt::format("{:.0f}% (1.5 x the {:.0f}% seen not to come from load)", threshold * 100,
                                    error_floor_ * 100)
                      : fmt::format("errorRateThreshold {:.0f}%", config_.error_rate_threshold * 100);
      return change(halved, fmt::format("error rate {:.0f}% of {} attempts over {}: halved from {}", error_rate * 100,
                                        o.finished, over, limit_));
    }
  }
  if (last_was_increase_) {
    last_was_increase_ = false;
    if (o.backlog > 0 && throughput < throughput_before_increase_ * (1 - config_.plateau_tolerance) &&
        limit_ > min) {
      hold_left_ = config_.hold_intervals;
      return change(limit_ - 1, fmt::format("throughput fell from {:.1f}/s to {:.1f}/s after the increase to {}: "
                                            "back to {} for {} intervals",
                                            throughput_before_increase_, throughput, limit_, limit_ - 1,
                                            config_.hold_intervals));
    }
  }
  if (hold_left_ > 0) {
    --hold_left_;
    return std::nullopt;
  }
  bool saturated = o.backlog > 0 && o.busy >= limit_;
  // With no start in the interval, what waits has waited the whole interval.
  double waiting = o.started > 0 ? o.pickup_mean_s : o.seconds;
  if (!saturated || limit_ >= max || waiting <= config_.pickup_target_s) return std::nullopt;
  throughput_before_increase_ = throughput;
  last_was_increase_ = true;
  return change(limit_ + 1, fmt::format("{} jobs waiting {:.0f} ms on average (target {:.0f} ms), errors under "
                                        "the threshold: one more",
                                        o.backlog, waiting * 1000, config_.pickup_target_s * 1000));
}

}  // namespace troupe
