#pragma once
// The argv template of a command kind, and the one place its rules live:
//
// - Each element of argv is a template. `{field}` inside an element is replaced by the payload's top-level field
//   `field` (letters, digits, '_' and '-'); an element may hold text and several placeholders ("--size={w}x{h}").
// - An element stays ONE argv element whatever the values hold: spaces, quotes, ';', '$(...)', '*', newlines.
//   No shell ever sees it, so nothing in a value is interpreted.
// - `{{` and `}}` are a literal '{' and '}'. Any other '{' must open a placeholder closed by '}', and a '}' that
//   closes none is an error.
// - argv[0] is the program, fixed by the operator: it may not hold a placeholder.
// - Values: a string as it is; a number as an integer when it is a whole number of magnitude below 2^53 (3, -12,
//   1000000: no ".0", no exponent), otherwise in the shortest form that reads back as the same double (0.5,
//   1e-07); true and false as `true` and `false`. A string holding a NUL byte cannot be an argument.
// - Strict payloads: the payload is an object (or absent, when the template uses no field); every field the
//   template uses must be present and a string, number or boolean (not null, an object or an array); a field the
//   template does not use is refused too, so a misspelt field name is an error rather than silently ignored.
//
// Parsing happens once, when the node loads its command kinds; expand() runs at submit (the kind's check, so a
// payload that does not fit is never stored) and again when an attempt starts. Plain data: thread-safe to share.

#include <string>
#include <vector>

#include <caf/expected.hpp>
#include <google/protobuf/struct.pb.h>

namespace troupe {

class command_template {
 public:
  // Parses argument templates. Errors (ec::invalid_argument) name the element: "argv[2] '{in put}': ...".
  static caf::expected<command_template> parse(const std::vector<std::string>& argv);

  // The argv for `payload`. Errors (ec::invalid_argument) name the field: "payload.size is missing (argv[3] uses
  // it)", "unknown payload field 'sise' (the command uses input, output, size)".
  caf::expected<std::vector<std::string>> expand(const google::protobuf::Value& payload) const;

  // The payload fields the template uses, sorted.
  const std::vector<std::string>& fields() const { return fields_; }

 private:
  // A piece of an element: literal text, or the name of a payload field.
  struct piece {
    std::string text = {};
    bool is_field = false;
  };
  std::vector<std::vector<piece>> argv_ = {};
  std::vector<std::string> fields_ = {};
};

// A JSON number as an argument: see the rules above.
std::string format_number(double value);

}  // namespace troupe
