#pragma once
// Time in troupe: microseconds since the Unix epoch (int64) inside the engine; google.protobuf.Timestamp and
// Duration in records and on the API. Conversions live here and nowhere else.

#include <chrono>
#include <cstdint>

#include <google/protobuf/duration.pb.h>
#include <google/protobuf/timestamp.pb.h>

namespace troupe {

using micros = int64_t;  // microseconds since the epoch, or a span of microseconds

inline void set_timestamp(google::protobuf::Timestamp* ts, micros t) {
  ts->set_seconds(t / 1'000'000);
  ts->set_nanos(static_cast<int32_t>((t % 1'000'000) * 1000));
}

inline micros to_micros(const google::protobuf::Timestamp& ts) {
  return ts.seconds() * 1'000'000 + ts.nanos() / 1000;
}

inline void set_duration(google::protobuf::Duration* d, micros span) {
  d->set_seconds(span / 1'000'000);
  d->set_nanos(static_cast<int32_t>((span % 1'000'000) * 1000));
}

inline micros to_micros(const google::protobuf::Duration& d) {
  return d.seconds() * 1'000'000 + d.nanos() / 1000;
}

// Wall-clock now. Engine code takes time from a troupe::clock instead (see actors/clock.hpp); this is for the
// places that are the clock (system_clock) and for clients.
inline micros wall_now() {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace troupe
