// libFuzzer target for the request -> job spec path of the HTTP API (issue 5): the bytes are a POST /api/jobs
// body for api::parse_submit_body; every spec it returns goes through validate_spec with the node's default
// options and the built-in kinds, and each accepted spec must survive to_json -> from_json unchanged. The same
// bytes are also parsed as the other control bodies the API takes (JobControl, QueueControl, CronControl, with
// validate_cron_schedule for an ADD). Crashes, sanitizer reports and leaks fail the run; a broken round trip
// aborts. Built only with -DTROUPE_FUZZ=ON under clang (fuzz/CMakeLists.txt); run by scripts/fuzz.sh.

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include <google/protobuf/util/message_differencer.h>

#include "actors/kinds/builtin_kinds.hpp"
#include "actors/spec_validation.hpp"
#include "api/submit_request.hpp"
#include "config/options.hpp"
#include "troupe/json.hpp"

namespace {

// What the node would validate against, built once: default options and the built-in kinds (exec disabled, no
// command kinds file, as a node started without options).
struct environment {
  troupe::node_options options;
  troupe::kind_registry kinds;

  environment() {
    if (auto err = troupe::add_builtin_kinds(kinds, troupe::builtin_kind_options{})) {
      std::fprintf(stderr, "submit_request_fuzzer: add_builtin_kinds failed\n");
      std::abort();
    }
  }
};

const environment& env() {
  static const environment instance;
  return instance;
}

// The property: a message the node accepted prints as JSON that parses back to the same message.
template <class Message>
void check_round_trip(const Message& message, const char* what) {
  auto json = troupe::to_json(message);
  Message back;
  if (auto err = troupe::from_json(json, &back)) {
    std::fprintf(stderr, "%s: to_json output does not parse back: %s\n", what, json.c_str());
    std::abort();
  }
  if (!google::protobuf::util::MessageDifferencer::Equals(message, back)) {
    std::fprintf(stderr, "%s: round trip changed the message:\n  before: %s\n  after:  %s\n", what, json.c_str(),
                 troupe::to_json(back).c_str());
    std::abort();
  }
}

void fuzz_submit(std::string_view body) {
  auto specs = troupe::api::parse_submit_body(body);
  if (!specs) return;
  for (auto& spec : *specs) {
    if (troupe::validate_spec(spec, env().options, env().kinds)) continue;
    check_round_trip(spec, "JobSpec");
  }
}

void fuzz_controls(std::string_view body) {
  // The control bodies are objects; skip the parse work for anything else.
  if (body.empty() || body.find('{') == std::string_view::npos) return;
  if (troupe::JobControl control; !troupe::from_json(body, &control)) check_round_trip(control, "JobControl");
  if (troupe::QueueControl control; !troupe::from_json(body, &control)) check_round_trip(control, "QueueControl");
  if (troupe::CronControl control; !troupe::from_json(body, &control)) {
    check_round_trip(control, "CronControl");
    if (control.action() == troupe::CronControl::ADD &&
        !troupe::validate_cron_schedule(control.schedule(), env().options, env().kinds))
      check_round_trip(control.schedule(), "CronSchedule");
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view body{reinterpret_cast<const char*>(data), size};
  fuzz_submit(body);
  fuzz_controls(body);
  return 0;
}
