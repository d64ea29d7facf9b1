#pragma once
// JSON for troupe's records, through Protobuf's JSON mapping (field names as in schemas/troupe.proto, enums by
// name, 64-bit ids as strings, timestamps in RFC 3339, durations as "1.5s").

#include <string>
#include <string_view>

#include <caf/error.hpp>
#include <google/protobuf/message.h>

namespace troupe {

// Parses one JSON object into `out`. Unknown fields and wrong types are errors (ec::invalid_argument) whose
// message names the field, e.g. "invalid JSON: kindd: Cannot find field."
caf::error from_json(std::string_view json, google::protobuf::Message* out);

// The message as JSON: one line, or indented with `pretty`. Fields with default values are printed too, so
// that a record always shows every field (its state, its priority).
std::string to_json(const google::protobuf::Message& message, bool pretty = false);

}  // namespace troupe
