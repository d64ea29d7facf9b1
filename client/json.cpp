#include "troupe/json.hpp"

#include <google/protobuf/util/json_util.h>

#include "troupe/error.hpp"

namespace troupe {

caf::error from_json(std::string_view json, google::protobuf::Message* out) {
  google::protobuf::util::JsonParseOptions options;
  options.ignore_unknown_fields = false;
  auto status = google::protobuf::util::JsonStringToMessage(google::protobuf::StringPiece{json.data(), json.size()},
                                                             out, options);
  if (!status.ok()) return make_error(ec::invalid_argument, "invalid JSON: " + std::string{status.message()});
  return caf::none;
}

std::string to_json(const google::protobuf::Message& message, bool pretty) {
  google::protobuf::util::JsonPrintOptions options;
  options.preserve_proto_field_names = true;
  options.always_print_primitive_fields = true;
  options.add_whitespace = pretty;
  std::string out;
  (void)google::protobuf::util::MessageToJsonString(message, &out, options);
  if (!out.empty() && out.back() == '\n') out.pop_back();
  return out;
}

}  // namespace troupe
