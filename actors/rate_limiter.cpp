#include "actors/rate_limiter.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

namespace troupe {

void rate_limiter::limit_kind(uint32_t kind, limit l) {
  buckets_[key({false, kind})] = bucket{l, l.burst, 0, false};
}

void rate_limiter::limit_user(uint32_t user, limit l) {
  buckets_[key({true, user})] = bucket{l, l.burst, 0, false};
}

void rate_limiter::top_up(bucket& b, micros now) const {
  if (b.at == 0) b.at = now;  // a full bucket until first used
  if (now > b.at) b.tokens = std::min(b.rate.burst, b.tokens + static_cast<double>(now - b.at) * b.rate.per_micro);
  b.at = std::max(b.at, now);
}

std::vector<rate_limiter::party> rate_limiter::take(uint32_t user, uint32_t kind, micros now) {
  std::vector<party> out;
  for (party p : {party{false, kind}, party{true, user}}) {
    auto it = buckets_.find(key(p));
    if (it == buckets_.end()) continue;
    auto& b = it->second;
    top_up(b, now);
    b.tokens -= 1;
    if (b.tokens < 1 && !b.throttled) {
      b.throttled = true;
      out.push_back(p);
    }
  }
  return out;
}

std::vector<rate_limiter::party> rate_limiter::refill(micros now) {
  std::vector<party> out;
  for (auto& [k, b] : buckets_) {
    if (!b.throttled) continue;
    top_up(b, now);
    if (b.tokens < 1) continue;
    b.throttled = false;
    out.push_back(party{(k >> 32) != 0, static_cast<uint32_t>(k)});
  }
  return out;
}

micros rate_limiter::next_refill() const {
  micros next = 0;
  for (const auto& [k, b] : buckets_) {
    if (!b.throttled) continue;
    auto wait = static_cast<micros>(std::ceil((1 - b.tokens) / b.rate.per_micro));
    auto at = b.at + std::max<micros>(wait, 1);
    if (next == 0 || at < next) next = at;
  }
  return next;
}

}  // namespace troupe
