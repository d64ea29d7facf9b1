#define BOOST_TEST_MODULE command_kinds
#include <boost/test/unit_test.hpp>

// Command kinds (actors/kinds/command_kinds.hpp, command_template.hpp): how an argv template is filled in from a
// payload, what is refused at submit and named, what a command kinds file must hold, the timeout a kind sets, and
// real processes run through a kind (no shell, only the kind's environment, its cwd). Real processes are waited
// for with a deadline (a future), never a fixed sleep.

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <future>
#include <memory>
#include <string>
#include <vector>

#include "actors/kinds/builtin_kinds.hpp"
#include "actors/kinds/command_kinds.hpp"
#include "actors/kinds/command_template.hpp"
#include "actors/spec_validation.hpp"
#include "support/temp_dir.hpp"
#include "troupe/json.hpp"
#include "troupe/kind.hpp"

using namespace troupe;
using namespace std::chrono_literals;
using troupe::test::temp_dir;

namespace {

google::protobuf::Value json(const std::string& text) {
  google::protobuf::Value v;
  BOOST_REQUIRE_MESSAGE(!from_json(text, &v), "not JSON: " << text);
  return v;
}

std::string code(const caf::error& err) { return to_string(code_of(err)); }

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

// The argv `templ` makes for `payload`, or a failed check naming the error.
std::vector<std::string> expand(const std::vector<std::string>& templ, const std::string& payload) {
  auto t = command_template::parse(templ);
  BOOST_REQUIRE_MESSAGE(t, "parse: " << (t ? "" : describe(t.error())));
  auto argv = t->expand(json(payload));
  BOOST_REQUIRE_MESSAGE(argv, "expand: " << (argv ? "" : describe(argv.error())));
  return *argv;
}

// The error parsing `templ` gives ("" if it parses).
std::string parse_error(const std::vector<std::string>& templ) {
  auto t = command_template::parse(templ);
  return t ? std::string{} : describe(t.error());
}

// Writes `text` to `path` and returns the path.
std::string write(const std::string& path, const std::string& text) {
  std::ofstream{path} << text;
  return path;
}

// A registry with the built-in kinds (exec disabled) and the command kinds of the file holding `text`.
struct registry_with {
  temp_dir dir;
  std::string file;
  kind_registry kinds;
  caf::error error;
  explicit registry_with(const std::string& text) : file(write(dir.sub("commands.json"), text)) {
    error = add_builtin_kinds(kinds, {.exec_enabled = false, .output_tail_bytes = 4096, .command_kinds = file});
  }
  // The kind's verdict on a submit of `payload`.
  caf::error check(const std::string& kind, const std::string& payload) const {
    JobSpec spec;
    spec.set_kind(kind);
    *spec.mutable_payload() = json(payload);
    auto* k = kinds.find(kind);
    BOOST_REQUIRE_MESSAGE(k != nullptr, "no kind " << kind);
    return k->check(spec);
  }
};

// The error loading a command kinds file holding `text`, with the file's path replaced by FILE.
std::string load_error(const std::string& text) {
  registry_with r{text};
  if (!r.error) return "";
  BOOST_TEST(code(r.error) == "invalid_argument");
  auto message = describe(r.error);
  auto at = message.find(r.file);
  BOOST_TEST_REQUIRE(at != std::string::npos, "the message names the file: " << message);
  return message.replace(at, r.file.size(), "FILE");
}

// One attempt of a job, as a kind sees it; the first finish() is its outcome.
class test_attempt final : public attempt {
 public:
  explicit test_attempt(Job job) : job_(std::move(job)) {}
  const Job& job() const override { return job_; }
  void finish(outcome result) override {
    if (!finished_.exchange(true)) promise_.set_value(std::move(result));
  }
  void finish_after(std::chrono::microseconds, outcome result) override { finish(std::move(result)); }
  void run_blocking(std::function<outcome(const attempt&)> work) override { finish(work(*this)); }
  bool stopped() const override { return false; }
  // The outcome, waiting for it at most 10 s.
  outcome result() {
    auto future = promise_.get_future();
    BOOST_REQUIRE_MESSAGE(future.wait_for(10s) == std::future_status::ready, "the attempt did not finish in 10 s");
    return future.get();
  }

 private:
  Job job_;
  std::atomic<bool> finished_{false};
  std::promise<outcome> promise_;
};

// Runs one attempt of `kind` with `payload` and returns its outcome.
outcome run(const kind_registry& kinds, const std::string& kind, const std::string& payload) {
  Job job;
  job.set_id(1);
  job.set_attempts(1);
  job.mutable_spec()->set_kind(kind);
  *job.mutable_spec()->mutable_payload() = json(payload);
  auto a = std::make_shared<test_attempt>(std::move(job));
  kinds.find(kind)->start(a);
  return a->result();
}

}  // namespace

// --- templates -------------------------------------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(shell_metacharacters_in_a_value_stay_literal_in_one_argv_element) {
  std::string evil = "x\"; touch /tmp/pwned; $(rm -rf ~) `id` 'q' * && | > < \\n";
  std::string payload = R"({"message": "x\"; touch /tmp/pwned; $(rm -rf ~) `id` 'q' * && | > < \\n"})";
  auto argv = expand({"echo", "{message}"}, payload);
  BOOST_TEST(argv == (std::vector<std::string>{"echo", evil}), boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(each_placeholder_element_is_one_argv_element_whatever_its_value_holds) {
  auto argv = expand({"convert", "{input}", "-resize", "{size}", "{output}"},
                     R"({"input": "my photo.png", "size": "200x200", "output": "a b\nc"})");
  BOOST_TEST(argv == (std::vector<std::string>{"convert", "my photo.png", "-resize", "200x200", "a b\nc"}),
             boost::test_tools::per_element());
  BOOST_TEST(expand({"echo", "{m}"}, R"({"m": ""})") == (std::vector<std::string>{"echo", ""}),
             boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(an_element_may_mix_text_and_several_placeholders) {
  auto argv = expand({"convert", "--size={w}x{h}", "{name}.png"}, R"({"w": 200, "h": 100, "name": "out"})");
  BOOST_TEST(argv == (std::vector<std::string>{"convert", "--size=200x100", "out.png"}),
             boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(numbers_are_in_their_shortest_decimal_form_and_integers_have_no_fraction) {
  auto one = [](const std::string& number) { return expand({"echo", "{n}"}, R"({"n": )" + number + "}").at(1); };
  BOOST_TEST(one("3") == "3");
  BOOST_TEST(one("3.0") == "3");
  BOOST_TEST(one("-12") == "-12");
  BOOST_TEST(one("1000000") == "1000000");
  BOOST_TEST(one("1e6") == "1000000");
  BOOST_TEST(one("-0") == "0");
  BOOST_TEST(one("0.5") == "0.5");
  BOOST_TEST(one("0.1") == "0.1");
  BOOST_TEST(one("2.25") == "2.25");
  BOOST_TEST(one("1e-7") == "1e-07");
  BOOST_TEST(one("9007199254740991") == "9007199254740991");  // 2^53 - 1: the largest integer printed as one
  BOOST_TEST(one("1e300") == "1e+300");
}

BOOST_AUTO_TEST_CASE(booleans_are_true_and_false) {
  BOOST_TEST(expand({"tool", "--force={f}", "{v}"}, R"({"f": true, "v": false})") ==
                 (std::vector<std::string>{"tool", "--force=true", "false"}),
             boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(doubled_braces_are_literal_braces) {
  BOOST_TEST(expand({"printf", "{{literal}}", "{{{x}}}", "}}{{"}, R"({"x": "v"})") ==
                 (std::vector<std::string>{"printf", "{literal}", "{v}", "}{"}),
             boost::test_tools::per_element());
  BOOST_TEST(expand({"awk", "{{print $1}}"}, "{}") == (std::vector<std::string>{"awk", "{print $1}"}),
             boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(a_template_without_placeholders_takes_an_absent_or_empty_payload) {
  auto t = command_template::parse({"date", "-u"});
  BOOST_REQUIRE(t);
  BOOST_TEST(t->fields().empty());
  BOOST_TEST(t->expand(google::protobuf::Value{}).value() == (std::vector<std::string>{"date", "-u"}),
             boost::test_tools::per_element());
  BOOST_TEST(t->expand(json("{}")).value().size() == 2u);
}

BOOST_AUTO_TEST_CASE(bad_templates_are_refused_naming_the_element) {
  BOOST_TEST(parse_error({}) == "argv is empty: it needs at least the program");
  BOOST_TEST(parse_error({""}) == "argv[0] is empty: it must name the program");
  BOOST_TEST(parse_error({"{program}", "x"}) ==
             "argv[0] '{program}': argv[0] is the program and cannot hold a placeholder");
  BOOST_TEST(parse_error({"/opt/{tool}/bin/run"}) ==
             "argv[0] '/opt/{tool}/bin/run': argv[0] is the program and cannot hold a placeholder");
  BOOST_TEST(parse_error({"echo", "{input"}) ==
             "argv[1] '{input': a '{' without its '}' (write '{{' for a literal '{')");
  BOOST_TEST(parse_error({"echo", "ok", "input}"}) ==
             "argv[2] 'input}': a '}' that closes no placeholder (write '}}' for a literal '}')");
  BOOST_TEST(parse_error({"echo", "{}"}) ==
             "argv[1] '{}': '{}' is not a placeholder: a field name is letters, digits, '_' and '-'");
  BOOST_TEST(parse_error({"echo", "{in put}"}) ==
             "argv[1] '{in put}': '{in put}' is not a placeholder: a field name is letters, digits, '_' and '-'");
  BOOST_TEST(parse_error({"echo", "{a.b}"}) ==
             "argv[1] '{a.b}': '{a.b}' is not a placeholder: a field name is letters, digits, '_' and '-'");
  BOOST_TEST(parse_error({"{{weird}}", "{ok_field-2}"}) == "");
}

// --- submit-time checks ----------------------------------------------------------------------------------------

const char* thumbnail_file = R"({"kinds": [
  {"name": "thumbnail", "argv": ["convert", "{input}", "-resize", "{size}", "{output}"]},
  {"name": "stamp", "argv": ["date", "-u"]}
]})";

BOOST_AUTO_TEST_CASE(a_payload_that_fits_the_template_passes_the_kinds_check) {
  registry_with r{thumbnail_file};
  BOOST_REQUIRE_MESSAGE(!r.error, describe(r.error));
  BOOST_TEST(!r.check("thumbnail", R"({"input": "a.png", "size": 200, "output": "b.png"})"));
  BOOST_TEST(!r.check("stamp", "{}"));
}

BOOST_AUTO_TEST_CASE(every_refused_payload_names_the_kind_and_the_field) {
  registry_with r{thumbnail_file};
  BOOST_REQUIRE_MESSAGE(!r.error, describe(r.error));
  auto refusal = [&](const std::string& kind, const std::string& payload) {
    auto err = r.check(kind, payload);
    BOOST_TEST(code(err) == "invalid_argument", payload);
    return describe(err);
  };
  BOOST_TEST(refusal("thumbnail", R"({"input": "a.png", "output": "b.png"})") ==
             "thumbnail: payload.size is missing (argv[3] uses it)");
  BOOST_TEST(refusal("thumbnail", R"({"input": "a.png", "size": null, "output": "b.png"})") ==
             "thumbnail: payload.size is null: it must be a string, a number, true or false");
  BOOST_TEST(refusal("thumbnail", R"({"input": {"path": "a"}, "size": 1, "output": "b.png"})") ==
             "thumbnail: payload.input is an object: it must be a string, a number, true or false");
  BOOST_TEST(refusal("thumbnail", R"({"input": "a.png", "size": 1, "output": ["b", "c"]})") ==
             "thumbnail: payload.output is an array: it must be a string, a number, true or false");
  BOOST_TEST(refusal("thumbnail", R"({"input": "a.png", "sise": 1, "output": "b.png"})") ==
             "thumbnail: unknown payload field 'sise' (the command uses input, output, size)");
  BOOST_TEST(refusal("thumbnail", R"({"input": "a", "size": 1, "output": "b", "z": 1, "extra": 2})") ==
             "thumbnail: unknown payload fields 'extra', 'z' (the command uses input, output, size)");
  BOOST_TEST(refusal("thumbnail", R"(["a.png"])") ==
             "thumbnail: the payload must be an object with the fields input, output, size");
  BOOST_TEST(refusal("thumbnail", R"({"input": "a\u0000b", "size": 1, "output": "b"})") ==
             "thumbnail: payload.input contains a NUL byte");
  BOOST_TEST(refusal("stamp", R"({"when": "now"})") ==
             "stamp: unknown payload field 'when' (the command uses no field)");
  BOOST_TEST(refusal("stamp", "42") == "stamp: the payload must be an object ({}: the command uses no field)");
}

BOOST_AUTO_TEST_CASE(a_kinds_timeout_is_the_default_and_the_longest_a_job_may_ask_for) {
  registry_with r{R"({"kinds": [{"name": "nap", "argv": ["sleep", "{s}"], "timeout": "2s"},
                                {"name": "free", "argv": ["sleep", "{s}"]}]})"};
  BOOST_REQUIRE_MESSAGE(!r.error, describe(r.error));
  node_options options;
  options.jobTimeoutMs = 180'000;
  auto spec = [](const std::string& kind, micros timeout) {
    JobSpec s;
    s.set_kind(kind);
    *s.mutable_payload() = json(R"({"s": 1})");
    if (timeout > 0) set_duration(s.mutable_timeout(), timeout);
    return s;
  };
  auto unset = spec("nap", 0);
  BOOST_REQUIRE(!validate_spec(unset, options, r.kinds));
  BOOST_TEST(to_micros(unset.timeout()) == 2'000'000);
  auto shorter = spec("nap", 500'000);
  BOOST_REQUIRE(!validate_spec(shorter, options, r.kinds));
  BOOST_TEST(to_micros(shorter.timeout()) == 500'000);
  auto longer = spec("nap", 5'000'000);
  auto err = validate_spec(longer, options, r.kinds);
  BOOST_TEST(code(err) == "invalid_argument");
  BOOST_TEST(describe(err) == "timeout 5000 ms is over the 2000 ms that kind 'nap' allows");
  // A kind without a timeout: the node's default, and any timeout a job asks for.
  auto free = spec("free", 0);
  BOOST_REQUIRE(!validate_spec(free, options, r.kinds));
  BOOST_TEST(to_micros(free.timeout()) == 180'000'000);
  auto long_free = spec("free", 3'600'000'000);
  BOOST_TEST(!validate_spec(long_free, options, r.kinds));
  // A job stored with a longer timeout (before the kind had its limit) runs with the limit.
  BOOST_TEST(attempt_timeout(longer, *r.kinds.find("nap"), options) == 2'000'000);
  BOOST_TEST(attempt_timeout(shorter, *r.kinds.find("nap"), options) == 500'000);
  BOOST_TEST(attempt_timeout(long_free, *r.kinds.find("free"), options) == 3'600'000'000);
  BOOST_TEST(attempt_timeout(spec("noop", 0), *r.kinds.find("noop"), options) == 180'000'000);
}

BOOST_AUTO_TEST_CASE(a_kind_only_joined_workers_run_is_valid_with_the_node_defaults) {
  kind_registry kinds;
  BOOST_REQUIRE(!add_builtin_kinds(kinds, {}));
  node_options options;
  options.jobTimeoutMs = 60'000;
  cluster_kinds workers;
  JobSpec spec;
  spec.set_kind("thumbnail");
  auto refused = validate_spec(spec, options, kinds, &workers);
  BOOST_TEST(code(refused) == "unknown_kind");
  workers.add({"thumbnail", "sleep"});
  BOOST_REQUIRE(!validate_spec(spec, options, kinds, &workers));
  BOOST_TEST(to_micros(spec.timeout()) == 60'000'000);
  BOOST_TEST(spec.max_attempts() == options.defaultMaxAttempts);
  JobSpec other;
  other.set_kind("resize");
  BOOST_TEST(describe(validate_spec(other, options, kinds, &workers)) ==
             "unknown kind 'resize' (this node runs: cpu, exec, fail, noop, sleep; its workers run: thumbnail)");
}

// --- loading ---------------------------------------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(a_good_file_adds_its_kinds_beside_the_builtins_even_with_exec_disabled) {
  registry_with r{thumbnail_file};
  BOOST_REQUIRE_MESSAGE(!r.error, describe(r.error));
  BOOST_TEST(r.kinds.names() == (std::vector<std::string>{"cpu", "exec", "fail", "noop", "sleep", "stamp",
                                                          "thumbnail"}),
             boost::test_tools::per_element());
  BOOST_TEST(code(r.check("exec", R"({"argv": ["true"]})")) == "forbidden");
}

BOOST_AUTO_TEST_CASE(the_reserved_names_are_exactly_the_builtin_kinds) {
  kind_registry kinds;
  BOOST_REQUIRE(!add_builtin_kinds(kinds, {}));
  BOOST_TEST(kinds.names() == builtin_kind_names(), boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(the_example_file_loads) {
  auto example = std::string{TROUPE_SOURCE_DIR} + "/config/commands.example.json";
  auto kinds = load_command_kinds(example, builtin_kind_names());
  BOOST_REQUIRE_MESSAGE(kinds, (kinds ? "" : describe(kinds.error())));
  BOOST_TEST(kinds->kinds_size() == 3);
  kind_registry registry;
  BOOST_TEST(!add_builtin_kinds(registry, {.command_kinds = example}));
  BOOST_TEST(registry.find("thumbnail") != nullptr);
}

BOOST_AUTO_TEST_CASE(a_file_that_cannot_be_read_is_refused_naming_the_file) {
  kind_registry kinds;
  temp_dir dir;
  auto missing = dir.sub("nope.json");
  auto err = add_builtin_kinds(kinds, {.command_kinds = missing});
  BOOST_TEST(code(err) == "invalid_argument");
  BOOST_TEST(describe(err) == "command kinds file '" + missing + "': cannot read it: No such file or directory");
  kind_registry fresh;
  err = add_builtin_kinds(fresh, {.command_kinds = dir.path()});
  BOOST_TEST(describe(err) == "command kinds file '" + dir.path() + "': cannot read it: Is a directory");
}

BOOST_AUTO_TEST_CASE(every_problem_in_a_file_is_named_with_the_file) {
  BOOST_TEST(load_error(R"({"kinds": [)").starts_with("command kinds file 'FILE': invalid JSON: "));
  BOOST_TEST(contains(load_error(R"({"kinds": [{"name": "a", "argvv": ["x"]}]})"), "argvv"));
  BOOST_TEST(load_error(R"({"kinds": [{"name": "a", "argvv": ["x"]}]})").starts_with(
      "command kinds file 'FILE': invalid JSON: "));
  BOOST_TEST(contains(load_error(R"({"kinds": [{"name": "a", "argv": ["echo"], "timeout": "5"}]})"),
                      "(kinds[0].timeout): invalid value"));
  BOOST_TEST(contains(load_error(R"({"kinds": [{"name": "a", "argv": ["echo", 1]}]})"), "(kinds[0].argv[1])"));
  BOOST_TEST(contains(load_error(R"({"commands": []})"), "commands"));
  BOOST_TEST(load_error(R"({"kinds": [{"argv": ["echo"]}]})") ==
             "command kinds file 'FILE': kinds[0]: a command kind needs a name");
  BOOST_TEST(load_error(R"({"kinds": [{"name": "a", "argv": ["echo"]}, {"name": "b", "argv": ["true"]},
                                      {"name": "a", "argv": ["false"]}]})") ==
             "command kinds file 'FILE': kind 'a' is declared twice (kinds[0] and kinds[2])");
  BOOST_TEST(load_error(R"({"kinds": [{"name": "exec", "argv": ["echo"]}]})") ==
             "command kinds file 'FILE': kind 'exec' clashes with the built-in kind of that name");
  BOOST_TEST(load_error(R"({"kinds": [{"name": "a", "argv": []}]})") ==
             "command kinds file 'FILE': kind 'a': argv is empty: it needs at least the program");
  BOOST_TEST(load_error(R"({"kinds": [{"name": "a", "argv": ["{prog}"]}]})") ==
             "command kinds file 'FILE': kind 'a': argv[0] '{prog}': argv[0] is the program and cannot hold a "
             "placeholder");
  BOOST_TEST(load_error(R"({"kinds": [{"name": "a", "argv": ["echo", "{in put}"]}]})") ==
             "command kinds file 'FILE': kind 'a': argv[1] '{in put}': '{in put}' is not a placeholder: a field "
             "name is letters, digits, '_' and '-'");
  BOOST_TEST(load_error(R"({"kinds": [{"name": "a", "argv": ["echo"], "timeout": "0s"}]})") ==
             "command kinds file 'FILE': kind 'a': timeout must be positive");
  BOOST_TEST(load_error(R"({"kinds": [{"name": "a", "argv": ["echo"], "env": {"A=B": "c"}}]})") ==
             "command kinds file 'FILE': kind 'a': env name 'A=B' is not a variable name (not empty, no '=')");
  BOOST_TEST(load_error(R"({"kinds": [{"name": ")" + std::string(65, 'k') + R"(", "argv": ["echo"]}]})") ==
             "command kinds file 'FILE': kind name '" + std::string(65, 'k') + "' is over 64 bytes");
  BOOST_TEST(load_error(R"({"kinds": []})") == "");
}

BOOST_AUTO_TEST_CASE(a_file_with_a_problem_adds_none_of_its_kinds) {
  temp_dir dir;
  auto file = write(dir.sub("commands.json"), R"({"kinds": [{"name": "first", "argv": ["echo"]},
                                                           {"name": "resize", "argv": ["true"]}]})");
  kind_registry kinds;
  BOOST_REQUIRE(!kinds.add_function("resize", [](const attempt&) { return outcome::success(); }));
  auto err = add_builtin_kinds(kinds, {.command_kinds = file});
  BOOST_TEST(describe(err) == "command kinds file '" + file + "': kind 'resize' is already registered");
  BOOST_TEST(kinds.find("first") == nullptr);
}

// --- running ---------------------------------------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(a_command_kind_runs_its_program_with_the_payload_as_literal_arguments) {
  temp_dir dir;
  auto pwned = dir.sub("pwned");
  registry_with r{R"({"kinds": [{"name": "show", "argv": ["printf", "[%s]\\n", "{message}", "{count}"]}]})"};
  BOOST_REQUIRE_MESSAGE(!r.error, describe(r.error));
  auto message = "hi\\\"; touch " + pwned + "; $(touch " + pwned + ") `touch " + pwned + "`";
  auto o = run(r.kinds, "show", R"({"message": ")" + message + R"(", "count": 3})");
  BOOST_TEST((o.code == outcome::status::succeeded));
  BOOST_TEST(o.exit_code == 0);
  BOOST_TEST(o.output == "[hi\"; touch " + pwned + "; $(touch " + pwned + ") `touch " + pwned + "`]\n[3]\n");
  BOOST_TEST(!std::filesystem::exists(pwned));
  BOOST_TEST(o.max_rss_kb > 0);  // the process's usage (wait4) travels in the outcome to the job's result
  BOOST_TEST(o.cpu_ms >= 0);
}

BOOST_AUTO_TEST_CASE(a_command_sees_only_the_nodes_path_and_its_kinds_env_and_runs_in_its_cwd) {
  temp_dir work;
  registry_with r{R"({"kinds": [
    {"name": "show-env", "argv": ["env"], "env": {"GREETING": "hello world"}},
    {"name": "where", "argv": ["pwd"], "cwd": ")" + work.path() + R"("}]})"};
  BOOST_REQUIRE_MESSAGE(!r.error, describe(r.error));
  const char* path = std::getenv("PATH");
  BOOST_REQUIRE(path != nullptr);
  auto env = run(r.kinds, "show-env", "{}");
  BOOST_TEST(env.exit_code == 0);
  BOOST_TEST(env.output == "GREETING=hello world\nPATH=" + std::string{path} + "\n");
  auto where = run(r.kinds, "where", "{}");
  BOOST_TEST(where.output == std::filesystem::canonical(work.path()).string() + "\n");
}

BOOST_AUTO_TEST_CASE(a_failing_command_fails_its_attempt_naming_the_kind) {
  registry_with r{R"({"kinds": [{"name": "exit-with", "argv": ["sh", "-c", "echo out; exit \"$1\"", "sh", "{code}"]},
                                {"name": "missing", "argv": ["troupe-no-such-program"]}]})"};
  BOOST_REQUIRE_MESSAGE(!r.error, describe(r.error));
  auto exited = run(r.kinds, "exit-with", R"({"code": 3})");
  BOOST_TEST((exited.code == outcome::status::failed));
  BOOST_TEST(exited.exit_code == 3);
  BOOST_TEST(exited.output == "out\n");
  BOOST_TEST(exited.error == "exit-with: the process exited with code 3");
  auto missing = run(r.kinds, "missing", "{}");
  BOOST_TEST((missing.code == outcome::status::failed));
  BOOST_TEST(missing.error == "missing: cannot run 'troupe-no-such-program': No such file or directory");
}

BOOST_AUTO_TEST_CASE(a_payload_that_no_longer_fits_fails_its_attempt_permanently_without_running) {
  registry_with r{R"({"kinds": [{"name": "say", "argv": ["echo", "{message}"]}]})"};
  BOOST_REQUIRE_MESSAGE(!r.error, describe(r.error));
  auto o = run(r.kinds, "say", R"({"text": "hi"})");
  BOOST_TEST((o.code == outcome::status::failed));
  BOOST_TEST(o.permanent);
  BOOST_TEST(o.error == "say: unknown payload field 'text' (the command uses message)");
}
