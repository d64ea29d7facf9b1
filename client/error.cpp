#include "troupe/error.hpp"

#include <caf/make_message.hpp>
#include <caf/message.hpp>

namespace troupe {

const char* to_string(ec code) {
  switch (code) {
    case ec::none: return "none";
    case ec::invalid_argument: return "invalid_argument";
    case ec::unknown_kind: return "unknown_kind";
    case ec::payload_too_large: return "payload_too_large";
    case ec::unknown_job: return "unknown_job";
    case ec::conflict: return "conflict";
    case ec::shutting_down: return "shutting_down";
    case ec::storage_failure: return "storage_failure";
    case ec::unauthenticated: return "unauthenticated";
    case ec::forbidden: return "forbidden";
    case ec::quota_exceeded: return "quota_exceeded";
    case ec::unavailable: return "unavailable";
    case ec::internal: return "internal";
    case ec::timeout: return "timeout";
    case ec::unknown_schedule: return "unknown_schedule";
  }
  return "unknown";
}

caf::error make_error(ec code, std::string message) {
  return caf::error{static_cast<uint8_t>(code), error_category, caf::make_message(std::move(message))};
}

caf::error make_error(ec code) { return make_error(code, to_string(code)); }

ec code_of(const caf::error& err) {
  if (!err) return ec::none;
  if (err.category() != error_category) return ec::internal;
  return static_cast<ec>(err.code());
}

std::string describe(const caf::error& err) {
  if (!err) return "no error";
  const auto& ctx = err.context();
  if (err.category() == error_category && ctx.match_elements<std::string>())
    return ctx.get_as<std::string>(0);
  // CAF's own errors (sec, exit_reason): render the code and any context.
  std::string result = to_string(err);
  return result;
}

}  // namespace troupe
