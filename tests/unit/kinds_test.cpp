#define BOOST_TEST_MODULE kinds
#include <boost/test/unit_test.hpp>

// The kind registration API (include/troupe/kind.hpp): the registry's rules and the payload helpers kinds use.

#include "actors/kinds/builtin_kinds.hpp"
#include "troupe/json.hpp"
#include "troupe/kind.hpp"

using namespace troupe;

namespace {

google::protobuf::Value json(const std::string& text) {
  google::protobuf::Value v;
  BOOST_REQUIRE(!from_json(text, &v));
  return v;
}

// The error's code by name ("none" for no error), printable in checks.
std::string code(const caf::error& err) { return to_string(code_of(err)); }

kind_registry::function succeed() {
  return [](const attempt&) { return outcome::success(); };
}

}  // namespace

BOOST_AUTO_TEST_CASE(a_kind_needs_a_unique_non_empty_name_of_at_most_64_bytes) {
  kind_registry kinds;
  BOOST_TEST(!kinds.add_function("resize", succeed()));
  BOOST_TEST(code(kinds.add_function("resize", succeed())) == "conflict");
  BOOST_TEST(code(kinds.add_function("", succeed())) == "invalid_argument");
  BOOST_TEST(code(kinds.add_function(std::string(65, 'k'), succeed())) == "invalid_argument");
  BOOST_TEST(code(kinds.add("empty", nullptr)) == "invalid_argument");
  BOOST_TEST(kinds.find("resize") != nullptr);
  BOOST_TEST(kinds.find("nope") == nullptr);
  BOOST_TEST(kinds.names() == std::vector<std::string>{"resize"}, boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(the_builtin_kinds_are_registered_and_a_name_they_use_is_refused_to_users) {
  kind_registry kinds;
  BOOST_TEST(!add_builtin_kinds(kinds, {}));
  BOOST_TEST(kinds.names() == (std::vector<std::string>{"cpu", "exec", "fail", "noop", "sleep"}),
             boost::test_tools::per_element());
  BOOST_TEST(code(kinds.add_function("sleep", succeed())) == "conflict");
}

BOOST_AUTO_TEST_CASE(read_number_and_read_string_name_the_field_they_reject) {
  auto payload = json(R"({"ms": 5, "path": "/tmp/x", "flag": true})");
  double ms = 0;
  std::string path;
  BOOST_TEST(read_number(payload, "ms", &ms) == "");
  BOOST_TEST(ms == 5.0);
  BOOST_TEST(read_string(payload, "path", &path) == "");
  BOOST_TEST(path == "/tmp/x");
  BOOST_TEST(read_number(payload, "missing", &ms) == "payload.missing is required");
  BOOST_TEST(read_number(payload, "missing", &ms, /*required=*/false) == "");
  BOOST_TEST(read_number(payload, "path", &ms) == "payload.path must be a number");
  BOOST_TEST(read_string(payload, "flag", &path) == "payload.flag must be a string");
  BOOST_TEST(read_number(json("[1, 2]"), "ms", &ms) == "payload.ms is required");
}

BOOST_AUTO_TEST_CASE(builtin_kinds_check_their_payloads_at_submit) {
  kind_registry kinds;
  BOOST_REQUIRE(!add_builtin_kinds(kinds, {/*exec_enabled=*/true, 4096}));
  auto check = [&](const std::string& kind, const std::string& payload) {
    JobSpec spec;
    spec.set_kind(kind);
    *spec.mutable_payload() = json(payload);
    return kinds.find(kind)->check(spec);
  };
  BOOST_TEST(!check("sleep", R"({"ms": 10})"));
  BOOST_TEST(describe(check("sleep", R"({"ms": -1})")) == "sleep: payload.ms must be between 0 and 86400000");
  BOOST_TEST(describe(check("cpu", "{}")) == "cpu: payload.ms is required");
  BOOST_TEST(describe(check("fail", R"({"times": 1.5})")) ==
             "fail: payload.times must be a whole number between 0 and 1000");
  BOOST_TEST(!check("exec", R"({"argv": ["true"]})"));
  BOOST_TEST(describe(check("exec", R"({"argv": []})")) ==
             "exec: payload.argv must be a non-empty array of strings");
  BOOST_TEST(describe(check("exec", R"({"argv": ["true"], "shell": 1})")) ==
             "exec: unknown payload field 'shell' (expected argv, env, cwd)");
}

BOOST_AUTO_TEST_CASE(exec_is_refused_as_forbidden_where_the_node_does_not_allow_it) {
  kind_registry kinds;
  BOOST_REQUIRE(!add_builtin_kinds(kinds, {/*exec_enabled=*/false, 4096}));
  JobSpec spec;
  spec.set_kind("exec");
  *spec.mutable_payload() = json(R"({"argv": ["true"]})");
  auto err = kinds.find("exec")->check(spec);
  BOOST_TEST(code(err) == "forbidden");
  BOOST_TEST(describe(err).find("execEnabled") != std::string::npos);
}
