#include "actors/kinds/process_attempts.hpp"

#include "troupe/error.hpp"

namespace troupe {

namespace {

outcome outcome_of(process_result& r, const std::string& label) {
  outcome o;
  o.exit_code = r.exit_code;
  o.signal = r.signal;
  o.max_rss_kb = r.max_rss_kb;
  o.cpu_ms = r.cpu_ms;
  o.output = std::move(r.output_tail);
  if (r.signal == 0 && r.exit_code == 0) return o;
  o.code = outcome::status::failed;
  o.error = r.signal != 0 ? label + ": the process was killed by signal " + std::to_string(r.signal)
                          : label + ": the process exited with code " + std::to_string(r.exit_code);
  return o;
}

}  // namespace

process_attempts::process_attempts(uint32_t output_tail_bytes)
    : tail_(output_tail_bytes), runner_(std::make_unique<process_runner>()) {}

process_attempts::~process_attempts() { runner_.reset(); }

void process_attempts::start(const std::shared_ptr<attempt>& run, process_spec spec) {
  spec.output_tail_bytes = tail_;
  auto label = spec.label;
  std::lock_guard<std::mutex> guard{mutex_};
  auto id = runner_->start(std::move(spec), [this, run, label](process_result result) {
    {
      std::lock_guard<std::mutex> guard{mutex_};
      processes_.erase(run.get());
    }
    run->finish(outcome_of(result, label));
  });
  if (!id) {
    run->finish(outcome::failure(describe(id.error())));
    return;
  }
  processes_[run.get()] = *id;
}

void process_attempts::stop(attempt& run) {
  std::lock_guard<std::mutex> guard{mutex_};
  if (auto i = processes_.find(&run); i != processes_.end()) runner_->kill(i->second);
}

}  // namespace troupe
