#include "actors/kinds/command_template.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdint>

#include "troupe/error.hpp"

namespace troupe {

namespace {

using google::protobuf::Value;

caf::error invalid(std::string message) { return make_error(ec::invalid_argument, std::move(message)); }

bool is_name_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
}

// "argv[2] '{in put}'": how errors name an element.
std::string element(size_t index, const std::string& text) {
  return "argv[" + std::to_string(index) + "] '" + text + "'";
}

// "a, b, c", or `none` for an empty list.
std::string join(const std::vector<std::string>& names, const char* none) {
  if (names.empty()) return none;
  std::string out;
  for (const auto& name : names) out += (out.empty() ? "" : ", ") + name;
  return out;
}

}  // namespace

std::string format_number(double value) {
  constexpr double exact_integers = 9007199254740992.0;  // 2^53: every whole double below it is exact
  if (std::floor(value) == value && std::fabs(value) < exact_integers)
    return std::to_string(static_cast<int64_t>(value));
  char buf[64];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, value);
  return ec == std::errc{} ? std::string{buf, end} : std::to_string(value);
}

caf::expected<command_template> command_template::parse(const std::vector<std::string>& argv) {
  if (argv.empty()) return invalid("argv is empty: it needs at least the program");
  command_template out;
  for (size_t index = 0; index < argv.size(); ++index) {
    const auto& text = argv[index];
    std::vector<piece> pieces;
    auto literal = [&](char c) {
      if (pieces.empty() || pieces.back().is_field) pieces.push_back({});
      pieces.back().text += c;
    };
    for (size_t i = 0; i < text.size(); ++i) {
      char c = text[i];
      if ((c == '{' || c == '}') && i + 1 < text.size() && text[i + 1] == c) {
        literal(c);
        ++i;
      } else if (c == '}') {
        return invalid(element(index, text) + ": a '}' that closes no placeholder (write '}}' for a literal '}')");
      } else if (c == '{') {
        auto close = text.find('}', i + 1);
        if (close == std::string::npos)
          return invalid(element(index, text) + ": a '{' without its '}' (write '{{' for a literal '{')");
        auto name = text.substr(i + 1, close - i - 1);
        if (name.empty() || !std::all_of(name.begin(), name.end(), is_name_char))
          return invalid(element(index, text) + ": '{" + name +
                         "}' is not a placeholder: a field name is letters, digits, '_' and '-'");
        if (index == 0)
          return invalid(element(index, text) + ": argv[0] is the program and cannot hold a placeholder");
        pieces.push_back({name, true});
        out.fields_.push_back(std::move(name));
        i = close;
      } else {
        literal(c);
      }
    }
    if (index == 0 && pieces.empty()) return invalid("argv[0] is empty: it must name the program");
    out.argv_.push_back(std::move(pieces));
  }
  std::sort(out.fields_.begin(), out.fields_.end());
  out.fields_.erase(std::unique(out.fields_.begin(), out.fields_.end()), out.fields_.end());
  return out;
}

caf::expected<std::vector<std::string>> command_template::expand(const Value& payload) const {
  static const google::protobuf::Struct no_fields;
  const google::protobuf::Struct* object = &no_fields;
  if (payload.kind_case() == Value::kStructValue) {
    object = &payload.struct_value();
  } else if (payload.kind_case() != Value::KIND_NOT_SET) {
    return invalid("the payload must be an object" +
                   (fields_.empty() ? std::string{" ({}: the command uses no field)"}
                                    : " with the fields " + join(fields_, "")));
  }
  const auto& fields = object->fields();
  std::vector<std::string> unknown;
  for (const auto& [name, _] : fields)
    if (!std::binary_search(fields_.begin(), fields_.end(), name)) unknown.push_back("'" + name + "'");
  if (!unknown.empty()) {
    std::sort(unknown.begin(), unknown.end());
    return invalid((unknown.size() == 1 ? "unknown payload field " : "unknown payload fields ") +
                   join(unknown, "") + " (the command uses " + join(fields_, "no field") + ")");
  }
  std::vector<std::string> argv;
  argv.reserve(argv_.size());
  for (size_t index = 0; index < argv_.size(); ++index) {
    auto& arg = argv.emplace_back();
    for (const auto& p : argv_[index]) {
      if (!p.is_field) {
        arg += p.text;
        continue;
      }
      auto field = fields.find(p.text);
      auto name = "payload." + p.text;
      if (field == fields.end())
        return invalid(name + " is missing (argv[" + std::to_string(index) + "] uses it)");
      const auto& v = field->second;
      switch (v.kind_case()) {
        case Value::kStringValue:
          if (v.string_value().find('\0') != std::string::npos) return invalid(name + " contains a NUL byte");
          arg += v.string_value();
          break;
        case Value::kNumberValue: arg += format_number(v.number_value()); break;
        case Value::kBoolValue: arg += v.bool_value() ? "true" : "false"; break;
        default: {
          const char* what = v.kind_case() == Value::kStructValue ? "an object"
                             : v.kind_case() == Value::kListValue ? "an array"
                                                                  : "null";
          return invalid(name + " is " + what + ": it must be a string, a number, true or false");
        }
      }
    }
  }
  return argv;
}

}  // namespace troupe
