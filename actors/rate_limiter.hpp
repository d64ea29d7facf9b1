#pragma once
// Token buckets for the rate limits of kinds and users (kindRateLimits, userRateLimits). Each start of a job takes
// a token from its kind's and its user's bucket; a bucket refills continuously at its rate up to its burst. A
// party whose bucket holds less than one token is throttled in the ready queue until it holds one again; the
// scheduler arms one timer for the earliest such time. Pure: time comes from the caller.

#include <cstdint>
#include <unordered_map>
#include <vector>

#include "schemas/time.hpp"

namespace troupe {

class rate_limiter {
 public:
  struct limit {
    double per_micro = 0;  // tokens added per microsecond
    double burst = 1;      // most tokens held
  };
  // A party: a kind or a user, by the ready queue's interned id.
  struct party {
    bool is_user = false;
    uint32_t id = 0;
    bool operator==(const party&) const = default;
  };

  void limit_kind(uint32_t kind, limit l);
  void limit_user(uint32_t user, limit l);
  bool empty() const { return buckets_.empty(); }

  // A job of `user` and `kind` started at `now`: takes a token from each limited one. Returns the parties whose
  // bucket fell under one token (to throttle).
  std::vector<party> take(uint32_t user, uint32_t kind, micros now);
  // Parties throttled so far whose bucket holds a token again at `now` (to let go).
  std::vector<party> refill(micros now);
  // When the next throttled party gets its token back, or 0 if none is throttled.
  micros next_refill() const;

 private:
  struct bucket {
    limit rate;
    double tokens = 0;
    micros at = 0;  // when `tokens` was computed
    bool throttled = false;
  };
  static uint64_t key(party p) { return uint64_t{p.is_user} << 32 | p.id; }
  void top_up(bucket& b, micros now) const;

  std::unordered_map<uint64_t, bucket> buckets_;
};

}  // namespace troupe
