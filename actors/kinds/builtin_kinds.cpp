#include "actors/kinds/builtin_kinds.hpp"

#include <chrono>
#include <cmath>

#include "actors/kinds/command_kinds.hpp"
#include "actors/kinds/exec_kind.hpp"
#include "troupe/error.hpp"

namespace troupe {

namespace {

// Largest duration a test kind accepts: one day.
constexpr double max_ms = 86'400'000;

caf::error invalid(std::string message) { return make_error(ec::invalid_argument, std::move(message)); }

caf::error check_ms(const JobSpec& spec) {
  double ms = 0;
  if (auto err = read_number(spec.payload(), "ms", &ms); !err.empty()) return invalid(spec.kind() + ": " + err);
  if (!(ms >= 0 && ms <= max_ms)) return invalid(spec.kind() + ": payload.ms must be between 0 and 86400000");
  return caf::none;
}

std::chrono::microseconds ms_of(const attempt& run) {
  double ms = 0;
  (void)read_number(run.payload(), "ms", &ms);
  return std::chrono::microseconds{static_cast<int64_t>(ms * 1000)};
}

// sleep: waits on a timer of the engine, so thousands of sleeping jobs cost no threads.
class sleep_kind final : public job_kind {
 public:
  caf::error check(const JobSpec& spec) const override { return check_ms(spec); }
  void start(const std::shared_ptr<attempt>& run) override { run->finish_after(ms_of(*run), outcome::success()); }
};

outcome burn_cpu(const attempt& run) {
  auto until = std::chrono::steady_clock::now() + ms_of(run);
  uint64_t x = 0x9e3779b97f4a7c15ULL;
  while (std::chrono::steady_clock::now() < until) {
    for (int i = 0; i < 1000; ++i) x ^= x << 13, x ^= x >> 7, x ^= x << 17;
    if (run.stopped()) return outcome::failure("stopped");
  }
  return outcome::success(x == 0 ? "0" : "");  // use x so the loop is not optimized away
}

caf::error check_fail(const JobSpec& spec) {
  double times = 0;
  if (auto err = read_number(spec.payload(), "times", &times); !err.empty()) return invalid("fail: " + err);
  if (!(times >= 0 && times <= 1000 && std::floor(times) == times))
    return invalid("fail: payload.times must be a whole number between 0 and 1000");
  const auto& fields = spec.payload().struct_value().fields();
  if (auto i = fields.find("permanent");
      i != fields.end() && i->second.kind_case() != google::protobuf::Value::kBoolValue)
    return invalid("fail: payload.permanent must be true or false");
  return caf::none;
}

outcome fail_first_attempts(const attempt& run) {
  double times = 0;
  (void)read_number(run.payload(), "times", &times);
  if (run.number() > static_cast<uint32_t>(times)) return outcome::success();
  const auto& fields = run.payload().struct_value().fields();
  bool permanent = false;
  if (auto i = fields.find("permanent"); i != fields.end()) permanent = i->second.bool_value();
  return outcome::failure("fail: attempt " + std::to_string(run.number()) + " of the first " +
                              std::to_string(static_cast<uint32_t>(times)) + " fails by design",
                          permanent);
}

caf::error check_empty(const JobSpec&) { return caf::none; }

}  // namespace

const std::vector<std::string>& builtin_kind_names() {
  static const std::vector<std::string> names{"cpu", "exec", "fail", "noop", "sleep"};
  return names;
}

caf::error add_builtin_kinds(kind_registry& kinds, const builtin_kind_options& options) {
  using exec = kind_registry::execution;
  if (auto err = kinds.add_function("noop", [](const attempt&) { return outcome::success(); }, exec::inline_call,
                                    check_empty))
    return err;
  if (auto err = kinds.add("sleep", std::make_shared<sleep_kind>())) return err;
  if (auto err = kinds.add_function("cpu", burn_cpu, exec::worker_pool, check_ms)) return err;
  if (auto err = kinds.add_function("fail", fail_first_attempts, exec::inline_call, check_fail)) return err;
  // One process runner (one reaper thread) for exec and the command kinds, made only if something runs processes.
  std::shared_ptr<process_attempts> processes;
  if (options.exec_enabled || !options.command_kinds.empty())
    processes = std::make_shared<process_attempts>(options.output_tail_bytes);
  if (auto err = kinds.add("exec", make_exec_kind(options.exec_enabled ? processes : nullptr))) return err;
  if (options.command_kinds.empty()) return caf::none;
  return add_command_kinds(kinds, options.command_kinds, builtin_kind_names(), std::move(processes));
}

}  // namespace troupe
