#include "bench/bench_runs.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <ctime>
#include <vector>

#include "bench/modes.hpp"
#include "schemas/time.hpp"
#include "storage/keys.hpp"
#include "storage/store.hpp"
#include "troupe/error.hpp"

namespace troupe::bench {

namespace {

std::string key_of(const std::string& id) { return std::string{storage::keys::meta_bench_prefix} + id; }

// "bench-20261129T214500.123Z": the start time in UTC, so that ids sort by start.
std::string run_id(micros now) {
  auto seconds = static_cast<std::time_t>(now / 1'000'000);
  std::tm tm{};
  gmtime_r(&seconds, &tm);
  return fmt::format("bench-{:04}{:02}{:02}T{:02}{:02}{:02}.{:03}Z", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                     tm.tm_hour, tm.tm_min, tm.tm_sec, (now / 1000) % 1000);
}

}  // namespace

bench_runs::bench_runs(storage::job_store& store, const node_options& node, size_t keep)
    : store_(store), keep_(keep) {
  base_.node = node;
  base_.node.data.clear();  // each measurement: a fresh temporary directory
  // What reaches outside the measured node stays off: alerts and their webhook, worker processes, joins.
  base_.node.metricsEnabled = false;
  base_.node.alertWebhookUrl.clear();
  base_.node.scalingMode = "off";
  base_.node.clusterSecret.clear();
}

bench_runs::~bench_runs() { stop(); }

void bench_runs::stop() {
  {
    std::lock_guard<std::mutex> guard{mutex_};
    stopping_ = true;
  }
  if (thread_.joinable()) thread_.join();
}

caf::expected<BenchmarkRun> bench_runs::start(const BenchmarkRequest& request, const std::string& by) {
  const auto& mode = request.mode();
  if (!mode.empty() && mode != "quick" && mode != "comprehensive" && mode != "stress")
    return make_error(ec::invalid_argument, "mode must be quick, comprehensive or stress, not '" + mode + "'");
  std::lock_guard<std::mutex> guard{mutex_};
  if (stopping_) return make_error(ec::shutting_down, "the node is shutting down");
  if (current_)
    return make_error(ec::conflict, fmt::format("benchmark run {} is in progress ({}); one runs at a time",
                                                current_->id(), current_->phase().empty() ? "starting"
                                                                                          : current_->phase()));
  if (thread_.joinable()) thread_.join();  // the last run's thread, done with everything but returning
  auto now = wall_now();
  BenchmarkRun run;
  run.set_id(run_id(now));
  *run.mutable_request() = request;
  run.mutable_request()->set_mode(mode.empty() ? "quick" : mode);
  run.set_state(BenchmarkRun::RUNNING);
  run.set_by(by);
  set_timestamp(run.mutable_started_at(), now);
  run.set_plot("/api/jobs/benchmark/" + run.id() + "/plot.svg");
  current_ = run;
  thread_ = std::thread([this, request = run.request()] { this->run(request); });
  return run;
}

void bench_runs::run(BenchmarkRequest request) {
  target t;
  t.run = [](const bench_options& o, const std::function<void(double)>& progress) { return run_bench(o, progress); };
  t.stopped = [this] {
    std::lock_guard<std::mutex> guard{mutex_};
    return stopping_;
  };
  auto progress = [this](const std::string& phase, double fraction) {
    std::lock_guard<std::mutex> guard{mutex_};
    current_->set_phase(phase);
    current_->set_progress(fraction);
  };
  auto result = run_mode(request, base_, t, progress);
  BenchmarkRun done;
  {
    std::lock_guard<std::mutex> guard{mutex_};
    done = *current_;
  }
  if (result) {
    auto started = done;
    done = std::move(*result);
    done.set_id(started.id());
    done.set_by(started.by());
    *done.mutable_started_at() = started.started_at();
    done.set_plot(started.plot());
  } else {
    done.set_state(BenchmarkRun::FAILED);
    done.set_error(describe(result.error()));
    spdlog::warn("benchmark run {} failed: {}", done.id(), done.error());
  }
  done.clear_phase();
  set_timestamp(done.mutable_finished_at(), wall_now());
  finish(std::move(done));
}

void bench_runs::finish(BenchmarkRun run) {
  storage::write_batch batch;
  batch.put_meta(key_of(run.id()), run.SerializeAsString());
  std::vector<std::string> stored;
  auto s = store_.scan_meta(storage::keys::meta_bench_prefix,
                            [&](std::string_view key, std::string_view) { stored.emplace_back(key); });
  if (s) {
    // The oldest beyond the newest keep_, counting the one written now.
    auto excess = stored.size() + 1 > keep_ ? stored.size() + 1 - keep_ : 0;
    for (size_t i = 0; i < excess && i < stored.size(); ++i) batch.erase_meta(stored[i]);
  }
  if (auto w = store_.write(batch, /*sync=*/true); !w)
    spdlog::error("benchmark run {}: storing it failed: {}", run.id(), w.message());
  else
    spdlog::info("benchmark run {} {}: {}", run.id(), BenchmarkRun::State_Name(run.state()),
                 run.state() == BenchmarkRun::DONE ? run.result() : run.error());
  std::lock_guard<std::mutex> guard{mutex_};
  current_.reset();
}

caf::expected<BenchmarkRuns> bench_runs::list() const {
  BenchmarkRuns out;
  out.set_available(true);
  {
    std::lock_guard<std::mutex> guard{mutex_};
    if (current_) {
      *out.add_runs() = *current_;
      out.set_running(current_->id());
    }
  }
  std::vector<BenchmarkRun> stored;
  std::string corrupt;
  auto s = store_.scan_meta(storage::keys::meta_bench_prefix, [&](std::string_view key, std::string_view value) {
    BenchmarkRun run;
    if (run.ParseFromArray(value.data(), static_cast<int>(value.size())))
      stored.push_back(std::move(run));
    else
      corrupt = key;
  });
  if (!s) return make_error(ec::storage_failure, "reading benchmark runs: " + s.message());
  if (!corrupt.empty()) spdlog::error("benchmark runs: the record '{}' is corrupt; left out", corrupt);
  for (auto it = stored.rbegin(); it != stored.rend(); ++it) *out.add_runs() = std::move(*it);
  return out;
}

caf::expected<BenchmarkRun> bench_runs::get(const std::string& id) const {
  {
    std::lock_guard<std::mutex> guard{mutex_};
    if (current_ && current_->id() == id) return *current_;
  }
  std::string value;
  auto s = store_.get_meta(key_of(id), &value);
  if (s.is_not_found()) return make_error(ec::unknown_job, "no benchmark run '" + id + "'");
  if (!s) return make_error(ec::storage_failure, "reading benchmark run " + id + ": " + s.message());
  BenchmarkRun run;
  if (!run.ParseFromString(value)) return make_error(ec::storage_failure, "the benchmark run " + id + " is corrupt");
  return run;
}

caf::expected<std::string> bench_runs::plot(const std::string& id) const {
  auto run = get(id);
  if (!run) return run.error();
  return plot_of(*run);
}

}  // namespace troupe::bench
