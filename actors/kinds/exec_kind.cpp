#include "actors/kinds/exec_kind.hpp"

#include <mutex>
#include <unordered_map>

#include "actors/kinds/process_runner.hpp"
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

outcome outcome_of(const process_result& r) {
  outcome o;
  o.exit_code = r.exit_code;
  o.signal = r.signal;
  o.output = r.output_tail;
  if (r.signal == 0 && r.exit_code == 0) return o;
  o.code = outcome::status::failed;
  o.error = r.signal != 0 ? "exec: the process was killed by signal " + std::to_string(r.signal)
                          : "exec: the process exited with code " + std::to_string(r.exit_code);
  return o;
}

class exec_kind final : public job_kind {
 public:
  exec_kind(bool enabled, uint32_t tail) : enabled_(enabled), tail_(tail) {
    if (enabled_) runner_ = std::make_unique<process_runner>();
  }

  caf::error check(const JobSpec& spec) const override {
    if (!enabled_)
      return make_error(ec::forbidden, "exec: the exec kind is disabled on this node (start it with --execEnabled true)");
    process_spec ps;
    if (auto problem = parse_payload(spec.payload(), &ps); !problem.empty())
      return make_error(ec::invalid_argument, problem);
    return caf::none;
  }

  void start(const std::shared_ptr<attempt>& run) override {
    process_spec spec;
    spec.output_tail_bytes = tail_;
    if (!enabled_) {
      run->finish(outcome::failure("exec: the exec kind is disabled on this node", /*permanent=*/true));
      return;
    }
    if (auto err = parse_payload(run->payload(), &spec); !err.empty()) {
      run->finish(outcome::failure(err, /*permanent=*/true));
      return;
    }
    std::lock_guard<std::mutex> guard{mutex_};
    auto id = runner_->start(std::move(spec), [this, run](process_result result) {
      {
        std::lock_guard<std::mutex> guard{mutex_};
        processes_.erase(run.get());
      }
      run->finish(outcome_of(result));
    });
    if (!id) {
      run->finish(outcome::failure(describe(id.error())));
      return;
    }
    processes_[run.get()] = *id;
  }

  void stop(attempt& run) override {
    std::lock_guard<std::mutex> guard{mutex_};
    if (auto i = processes_.find(&run); i != processes_.end()) runner_->kill(i->second);
  }

 private:
  bool enabled_;
  uint32_t tail_;
  std::mutex mutex_;
  std::unordered_map<const attempt*, process_runner::process_id> processes_;  // guarded by mutex_
  std::unique_ptr<process_runner> runner_;  // last: destroyed (processes reaped) before the map
};

}  // namespace

std::shared_ptr<job_kind> make_exec_kind(bool enabled, uint32_t output_tail_bytes) {
  return std::make_shared<exec_kind>(enabled, output_tail_bytes);
}

}  // namespace troupe
