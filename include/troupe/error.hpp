#pragma once
// troupe's error codes. They travel to peers inside caf::error (category atom "troupe"), so the numeric values are
// part of the wire protocol: never renumber them. Every error carries a human-readable message that names the
// problem (the offending field, id or limit).

#include <cstdint>
#include <string>

#include <caf/atom.hpp>
#include <caf/error.hpp>

namespace troupe {

enum class ec : uint8_t {
  none = 0,
  invalid_argument = 1,   // malformed request: bad JSON, a field with an invalid value
  unknown_kind = 2,       // no pool on this node runs the kind
  payload_too_large = 3,  // over maxJobPayloadSizeMB
  unknown_job = 4,        // no job with that id (or not visible to the caller)
  conflict = 5,           // the job's state does not allow the operation
  shutting_down = 6,      // the node is stopping and accepts no new work
  storage_failure = 7,    // RocksDB reported an error; nothing was acknowledged
  unauthenticated = 8,    // missing or invalid token
  forbidden = 9,          // the caller may not do this (or the kind is disabled on this node)
  quota_exceeded = 10,    // over a user's quota
  unavailable = 11,       // the node could not be reached or did not answer in time
  internal = 12,          // a bug: an invariant did not hold
  timeout = 13,           // the request's own deadline passed (e.g. waiting for jobs)
  unknown_schedule = 14,  // no cron schedule with that name
};

// The error category of troupe errors inside caf::error.
constexpr caf::atom_value error_category = caf::atom("troupe");

const char* to_string(ec code);

// A troupe error with a message naming the problem.
caf::error make_error(ec code, std::string message);
caf::error make_error(ec code);

// The troupe code of `err`, or ec::internal for errors of other categories (CAF's own, system errors).
ec code_of(const caf::error& err);

// A one-line description of any error: the troupe message, or CAF's rendering of its own errors.
std::string describe(const caf::error& err);

}  // namespace troupe
