#include "schemas/backoff.hpp"

#include <algorithm>
#include <cmath>

namespace troupe {

backoff_policy apply(const RetryPolicy& spec, backoff_policy p) {
  if (spec.has_base()) p.base = to_micros(spec.base());
  if (spec.has_factor()) p.factor = spec.factor();
  if (spec.has_cap()) p.cap = to_micros(spec.cap());
  if (spec.has_jitter()) p.jitter = spec.jitter();
  return p;
}

namespace {

// A well-mixed 64-bit hash (splitmix64's finalizer).
uint64_t mix(uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

}  // namespace

micros backoff_delay(const backoff_policy& p, uint32_t attempt, uint64_t id) {
  if (p.base <= 0) return 0;
  double exponent = std::max<uint32_t>(attempt, 1) - 1;
  double wait = std::min(static_cast<double>(p.base) * std::pow(std::max(p.factor, 1.0), exponent),
                         static_cast<double>(std::max(p.cap, micros{0})));
  double unit = static_cast<double>(mix(id * 0x100000001b3ULL ^ attempt) >> 11) / static_cast<double>(1ULL << 53);
  double jitter = std::clamp(p.jitter, 0.0, 1.0);
  return static_cast<micros>(std::max(0.0, wait * (1 + jitter * (2 * unit - 1))));
}

const char* check_retry_policy(const RetryPolicy& spec) {
  if (spec.has_base() && to_micros(spec.base()) < 0) return "retry.base must not be negative";
  if (spec.has_cap() && to_micros(spec.cap()) < 0) return "retry.cap must not be negative";
  if (spec.has_factor() && !(spec.factor() >= 1 && spec.factor() <= 100)) return "retry.factor must be in [1, 100]";
  if (spec.has_jitter() && !(spec.jitter() >= 0 && spec.jitter() <= 1)) return "retry.jitter must be in [0, 1]";
  return "";
}

}  // namespace troupe
