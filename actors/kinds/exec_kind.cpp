#include "actors/kinds/exec_kind.hpp"

#include "actors/kinds/process_attempts.hpp"
#include "troupe/error.hpp"

namespace troupe {

namespace {

// Reads the exec payload into a process_spec; returns "" or a message naming the offending field.
std::string parse_payload(const google::protobuf::Value& payload, process_spec* spec) {
  using google::protobuf::Value;
  if (payload.kind_case() != Value::kStructValue) return "exec: the payload must be an object with argv";
  const auto& fields = payload.struct_value().fields();
  auto argv = fields.find("argv");
  if (argv == fields.end() || argv->second.kind_case() != Value::kListValue ||
      argv->second.list_value().values_size() == 0)
    return "exec: payload.argv must be a non-empty array of strings";
  for (const auto& arg : argv->second.list_value().values()) {
    if (arg.kind_case() != Value::kStringValue) return "exec: payload.argv must hold only strings";
    spec->argv.push_back(arg.string_value());
  }
  if (auto env = fields.find("env"); env != fields.end()) {
    if (env->second.kind_case() != Value::kStructValue) return "exec: payload.env must be an object of strings";
    for (const auto& [name, value] : env->second.struct_value().fields()) {
      if (value.kind_case() != Value::kStringValue) return "exec: payload.env." + name + " must be a string";
      spec->env[name] = value.string_value();
    }
  }
  if (auto cwd = fields.find("cwd"); cwd != fields.end()) {
    if (cwd->second.kind_case() != Value::kStringValue) return "exec: payload.cwd must be a string";
    spec->cwd = cwd->second.string_value();
  }
  for (const auto& [name, _] : fields)
    if (name != "argv" && name != "env" && name != "cwd")
      return "exec: unknown payload field '" + name + "' (expected argv, env, cwd)";
  return {};
}

class exec_kind final : public job_kind {
 public:
  explicit exec_kind(std::shared_ptr<process_attempts> processes) : processes_(std::move(processes)) {}

  caf::error check(const JobSpec& spec) const override {
    if (!processes_)
      return make_error(ec::forbidden,
                        "exec: the exec kind is disabled on this node (start it with --execEnabled true)");
    process_spec ps;
    if (auto problem = parse_payload(spec.payload(), &ps); !problem.empty())
      return make_error(ec::invalid_argument, problem);
    return caf::none;
  }

  void start(const std::shared_ptr<attempt>& run) override {
    if (!processes_) {
      run->finish(outcome::failure("exec: the exec kind is disabled on this node", /*permanent=*/true));
      return;
    }
    process_spec spec;
    if (auto err = parse_payload(run->payload(), &spec); !err.empty()) {
      run->finish(outcome::failure(err, /*permanent=*/true));
      return;
    }
    processes_->start(run, std::move(spec));
  }

  void stop(attempt& run) override {
    if (processes_) processes_->stop(run);
  }

 private:
  std::shared_ptr<process_attempts> processes_;  // null: exec is disabled on this node
};

}  // namespace

std::shared_ptr<job_kind> make_exec_kind(std::shared_ptr<process_attempts> processes) {
  return std::make_shared<exec_kind>(std::move(processes));
}

}  // namespace troupe
