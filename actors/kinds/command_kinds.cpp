#include "actors/kinds/command_kinds.hpp"

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <set>

#include "actors/kinds/command_template.hpp"
#include "schemas/time.hpp"
#include "troupe/error.hpp"
#include "troupe/json.hpp"

namespace troupe {

namespace {

// Where posix_spawnp looks when the node has no PATH, and so what a command sees then.
constexpr const char* default_path = "/usr/local/bin:/usr/bin:/bin";

// Largest command kinds file read (it is configuration, not data).
constexpr size_t max_file_bytes = size_t{4} << 20;

bool has_nul(const std::string& s) { return s.find('\0') != std::string::npos; }

std::vector<std::string> argv_of(const CommandKind& kind) {
  return std::vector<std::string>(kind.argv().begin(), kind.argv().end());
}

// Reads a whole file, or returns why it cannot.
caf::expected<std::string> read_file(const std::string& path) {
  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (f == nullptr) return make_error(ec::invalid_argument, std::strerror(errno));
  std::string text;
  char buf[65536];
  size_t n = 0;
  while ((n = std::fread(buf, 1, sizeof buf, f)) > 0 && text.size() <= max_file_bytes) text.append(buf, n);
  int err = std::ferror(f) ? errno : 0;
  std::fclose(f);
  if (err != 0) return make_error(ec::invalid_argument, std::strerror(err));
  if (text.size() > max_file_bytes) return make_error(ec::invalid_argument, "it is over 4 MiB");
  return text;
}

// The problem with one declared kind, or "".
std::string check_kind(const CommandKind& kind) {
  if (auto argv = command_template::parse(argv_of(kind)); !argv)
    return describe(argv.error());
  if (kind.has_timeout() && to_micros(kind.timeout()) <= 0) return "timeout must be positive";
  for (const auto& [name, value] : kind.env()) {
    if (name.empty() || name.find('=') != std::string::npos || has_nul(name))
      return "env name '" + name + "' is not a variable name (not empty, no '=')";
    if (has_nul(value)) return "env." + name + " contains a NUL byte";
  }
  if (has_nul(kind.cwd())) return "cwd contains a NUL byte";
  return {};
}

class command_kind final : public job_kind {
 public:
  command_kind(const CommandKind& kind, command_template argv, std::shared_ptr<process_attempts> processes)
      : name_(kind.name()),
        argv_(std::move(argv)),
        cwd_(kind.cwd()),
        timeout_(kind.has_timeout() ? to_micros(kind.timeout()) : 0),
        processes_(std::move(processes)) {
    const char* path = std::getenv("PATH");
    env_["PATH"] = path != nullptr ? path : default_path;
    for (const auto& [name, value] : kind.env()) env_[name] = value;
  }

  caf::error check(const JobSpec& spec) const override {
    auto argv = expand(spec.payload());
    return argv ? caf::none : std::move(argv.error());
  }

  std::chrono::microseconds max_timeout() const override { return timeout_; }

  void start(const std::shared_ptr<attempt>& run) override {
    auto argv = expand(run->payload());
    if (!argv) {
      run->finish(outcome::failure(describe(argv.error()), /*permanent=*/true));
      return;
    }
    process_spec spec;
    spec.argv = std::move(*argv);
    spec.env = env_;
    spec.inherit_environment = false;
    spec.cwd = cwd_;
    spec.label = name_;
    processes_->start(run, std::move(spec));
  }

  void stop(attempt& run) override { processes_->stop(run); }

 private:
  // The argv for `payload`; errors name this kind.
  caf::expected<std::vector<std::string>> expand(const google::protobuf::Value& payload) const {
    auto argv = argv_.expand(payload);
    if (!argv) return make_error(ec::invalid_argument, name_ + ": " + describe(argv.error()));
    return argv;
  }

  std::string name_;
  command_template argv_;
  std::map<std::string, std::string> env_;  // the whole environment of the process
  std::string cwd_;
  std::chrono::microseconds timeout_;  // 0: none of the kind's own
  std::shared_ptr<process_attempts> processes_;
};

}  // namespace

caf::expected<CommandKinds> load_command_kinds(const std::string& path, const std::vector<std::string>& reserved) {
  auto problem = [&](const std::string& what) {
    return make_error(ec::invalid_argument, "command kinds file '" + path + "': " + what);
  };
  auto text = read_file(path);
  if (!text) return problem("cannot read it: " + describe(text.error()));
  CommandKinds out;
  if (auto err = from_json(*text, &out)) return problem(describe(err));
  std::map<std::string, int> seen;  // name -> index in kinds
  for (int i = 0; i < out.kinds_size(); ++i) {
    const auto& kind = out.kinds(i);
    auto where = "kinds[" + std::to_string(i) + "]";
    if (kind.name().empty()) return problem(where + ": a command kind needs a name");
    if (std::find(reserved.begin(), reserved.end(), kind.name()) != reserved.end())
      return problem("kind '" + kind.name() + "' clashes with the built-in kind of that name");
    if (auto [it, fresh] = seen.emplace(kind.name(), i); !fresh)
      return problem("kind '" + kind.name() + "' is declared twice (kinds[" + std::to_string(it->second) +
                     "] and " + where + ")");
    if (auto what = check_kind(kind); !what.empty()) return problem("kind '" + kind.name() + "': " + what);
  }
  return out;
}

caf::expected<std::shared_ptr<job_kind>> make_command_kind(const CommandKind& kind,
                                                            std::shared_ptr<process_attempts> processes) {
  auto argv = command_template::parse(argv_of(kind));
  if (!argv) return make_error(ec::invalid_argument, "kind '" + kind.name() + "': " + describe(argv.error()));
  return std::shared_ptr<job_kind>{std::make_shared<command_kind>(kind, std::move(*argv), std::move(processes))};
}

caf::error add_command_kinds(kind_registry& kinds, const std::string& path, const std::vector<std::string>& reserved,
                             std::shared_ptr<process_attempts> processes) {
  auto declared = load_command_kinds(path, reserved);
  if (!declared) return std::move(declared.error());
  auto result = kinds;  // all or none: added to a copy first
  for (const auto& kind : declared->kinds()) {
    auto made = make_command_kind(kind, processes);
    if (!made) return std::move(made.error());
    if (auto err = result.add(kind.name(), std::move(*made)))
      return make_error(ec::invalid_argument, "command kinds file '" + path + "': " + describe(err));
  }
  kinds = std::move(result);
  return caf::none;
}

}  // namespace troupe
