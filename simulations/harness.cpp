#include "simulations/harness.hpp"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <ostream>
#include <random>
#include <utility>

#include <fmt/format.h>

#include "simulations/sim_ledger.hpp"
#include "simulations/sim_worker.hpp"
#include "simulations/svg_chart.hpp"
#include "simulations/virtual_node.hpp"

namespace troupe::sim {

namespace {

constexpr micros us_per_s = 1'000'000;

// One row of the time series.
struct sample_row {
  double t_s = 0;
  double offered_per_s = 0;
  uint64_t accepted = 0, ready = 0, running = 0, blocked = 0, scheduled = 0, finished = 0;
  double throughput_per_s = 0;
  double p50_pickup_ms = NAN, p99_pickup_ms = NAN, light_p99_pickup_ms = NAN;
  uint32_t workers = 0, desired = 0, slots = 0;
  double memory_percent = NAN;
  bool admission_held = false;
  bool node_up = true;
};

double percentile(std::vector<double>& v, double p) {
  if (v.empty()) return NAN;
  auto k = static_cast<size_t>(std::min<double>(static_cast<double>(v.size()) - 1,
                                                std::floor(p * static_cast<double>(v.size()))));
  std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(k), v.end());
  return v[k];
}

// The node's memory in the model, fed by the harness after every step.
struct memory_state {
  std::atomic<uint64_t> ready{0}, running{0};
};

class harness {
 public:
  harness(const scenario& s, std::ostream& log)
      : s_(s), log_(log), rng_(s.seed),
        ledger_(std::make_shared<sim_ledger>(
            /*track_jobs=*/s.kills_per_min > 0 || s.partitions_per_min > 0 || s.node_restarts > 0,
            /*track_dependencies=*/s.dag_jobs > 0)) {}

  // Ends the node's actors and every worker's before the actor system goes, so that none outlives it: an actor
  // still alive then is never freed, nor anything it holds (the sanitizer build's leak check reports them). The
  // node first, so that its registry does not log each worker as lost.
  ~harness() {
    if (!node_) return;
    if (node_->running()) node_->crash();
    for (auto& w : workers_) w.worker->kill();
    node_->run();
  }

  caf::expected<run_result> run();

 private:
  // --- load ------------------------------------------------------------------------------------------------
  double rate_at(double t_s) const;
  JobSpec job_spec(const std::string& user);
  void offer(micros t, micros step);
  void submit_now(std::vector<JobSpec> specs);
  void take_answers();
  void submit_dag();
  // --- workers and faults ------------------------------------------------------------------------------------
  void start_worker(const std::string& name, micros join_at);
  void join_due(micros t);
  void inject_faults(micros step);
  sim_worker* random_worker(bool joined_only);
  void provision(uint32_t desired, micros t);
  caf::error crash_node();
  caf::error restart_node();
  // --- observation -------------------------------------------------------------------------------------------
  // The memory model, fed every step from the scheduler's status; checked against max-memory-percent.
  void update_memory();
  double modelled_memory_percent(uint64_t ready, uint64_t running) const;
  caf::error sample(micros t);
  caf::error final_checks();
  caf::expected<run_result> finish();
  void violation(std::string text) { ledger_->violation(std::move(text)); }
  uint32_t live_workers() const;

  const scenario& s_;
  std::ostream& log_;
  std::mt19937_64 rng_;
  std::shared_ptr<sim_ledger> ledger_;
  std::shared_ptr<memory_state> memory_ = std::make_shared<memory_state>();
  std::unique_ptr<virtual_node> node_;
  std::shared_ptr<clock> wall_;

  struct worker_slot {
    std::unique_ptr<sim_worker> worker;
    micros join_at = 0;  // not joined yet while > now
    bool started = false;
  };
  std::vector<worker_slot> workers_;
  std::vector<std::pair<micros, std::string>> rejoins_;  // killed workers coming back
  uint64_t next_auto_ = 1;

  std::vector<JobSpec> deferred_;  // offered while the node was down: submitted once it is back (clients retry)
  uint64_t offered_ = 0, offered_in_sample_ = 0;
  std::vector<job_id> accepted_;
  uint64_t in_flight_submits_ = 0;  // sent, answer not taken yet
  uint64_t unacknowledged_ = 0;     // submits cut off by a crash: may or may not be stored
  uint64_t refused_ = 0;
  uint64_t kills_ = 0, partitions_ = 0, restarts_ = 0;
  std::vector<micros> restart_at_;
  micros node_down_until_ = -1;

  std::vector<sample_row> rows_;
  std::vector<double> all_pickups_;
  uint32_t last_desired_ = 0, desired_changes_ = 0, workers_max_ = 0;
  bool admission_held_once_ = false;
  double max_memory_percent_ = 0;
  micros load_end_ = 0, drained_at_ = -1;
};

// --- load ------------------------------------------------------------------------------------------------------

double harness::rate_at(double t) const {
  if (s_.profile == "burst" && t >= s_.burst_at_s && t < s_.burst_at_s + s_.burst_s) return s_.rate * s_.burst_factor;
  if (s_.profile == "daily") {
    // Night at t = 0, peak at half a day.
    double phase = 2 * M_PI * t / s_.daily_period_s;
    return std::max(0.0, s_.rate * (1 - s_.daily_amplitude * std::cos(phase)));
  }
  return s_.rate;
}

JobSpec harness::job_spec(const std::string& user) {
  double ms = s_.job_ms;
  if (s_.job_dist == "exp") ms = std::exponential_distribution<double>{1.0 / std::max(s_.job_ms, 1e-3)}(rng_);
  JobSpec spec;
  spec.set_kind("sleep");
  spec.set_user(user);
  (*spec.mutable_payload()->mutable_struct_value()->mutable_fields())["ms"].set_number_value(std::round(ms));
  return spec;
}

void harness::offer(micros t, micros step) {
  if (t >= load_end_) {
    if (node_->running() && !deferred_.empty()) submit_now(std::exchange(deferred_, {}));
    return;
  }
  double t_s = static_cast<double>(t) / us_per_s, step_s = static_cast<double>(step) / us_per_s;
  auto draw = [&](double rate) {
    return rate <= 0 ? uint64_t{0} : std::poisson_distribution<uint64_t>{rate * step_s}(rng_);
  };
  uint64_t n = draw(rate_at(t_s));
  uint64_t noisy = draw(s_.noisy_rate) + (t == 0 ? s_.noisy_burst : 0);
  if (s_.total_jobs > 0) {
    auto left = s_.total_jobs > offered_ ? s_.total_jobs - offered_ : 0;
    n = std::min(n, left);
    noisy = std::min(noisy, left - n);
  }
  std::vector<JobSpec> specs;
  specs.reserve(n + noisy);
  std::uniform_int_distribution<uint32_t> user{0, s_.users - 1};
  for (uint64_t i = 0; i < n; ++i) specs.push_back(job_spec("u" + std::to_string(user(rng_))));
  for (uint64_t i = 0; i < noisy; ++i) specs.push_back(job_spec("noisy"));
  offered_ += specs.size();
  offered_in_sample_ += specs.size();
  if (!node_->running()) {
    for (auto& spec : specs) deferred_.push_back(std::move(spec));
    return;
  }
  if (!deferred_.empty()) {
    specs.insert(specs.begin(), std::make_move_iterator(deferred_.begin()), std::make_move_iterator(deferred_.end()));
    deferred_.clear();
  }
  submit_now(std::move(specs));
}

void harness::submit_now(std::vector<JobSpec> specs) {
  for (size_t from = 0; from < specs.size(); from += s_.submit_batch) {
    auto to = std::min(specs.size(), from + s_.submit_batch);
    std::vector<JobSpec> batch(std::make_move_iterator(specs.begin() + static_cast<std::ptrdiff_t>(from)),
                               std::make_move_iterator(specs.begin() + static_cast<std::ptrdiff_t>(to)));
    in_flight_submits_ += batch.size();
    node_->send_submit(std::move(batch));
  }
}

void harness::take_answers() {
  node_->run();
  while (in_flight_submits_ > 0) {
    auto answer = node_->take_submit_answer();
    if (!answer) break;
    if (*answer) {
      in_flight_submits_ -= std::min<uint64_t>(in_flight_submits_, (*answer)->size());
      accepted_.insert(accepted_.end(), (*answer)->begin(), (*answer)->end());
    } else {
      // A refused batch: nothing of it is stored (the node validates a request as a whole).
      violation("a submit was refused: " + describe(answer->error()));
      ++refused_;
      in_flight_submits_ = 0;
    }
  }
}

void harness::submit_dag() {
  if (s_.dag_jobs == 0) return;
  std::vector<JobSpec> specs;
  specs.reserve(s_.dag_jobs);
  for (uint64_t i = 0; i < s_.dag_jobs; ++i) {
    auto spec = job_spec("dag");
    spec.set_ref("d" + std::to_string(i));
    if (i >= s_.dag_width) {
      auto layer_start = (i / s_.dag_width - 1) * s_.dag_width;
      std::uniform_int_distribution<uint64_t> pick{layer_start, layer_start + s_.dag_width - 1};
      std::vector<uint64_t> parents;
      for (uint32_t k = 0; k < s_.dag_parents; ++k) parents.push_back(pick(rng_));
      std::sort(parents.begin(), parents.end());
      parents.erase(std::unique(parents.begin(), parents.end()), parents.end());
      for (auto p : parents) spec.add_after("d" + std::to_string(p));
    }
    specs.push_back(std::move(spec));
  }
  offered_ += specs.size();
  in_flight_submits_ += specs.size();
  node_->send_submit(std::move(specs));  // one request: refs resolve within it
  take_answers();
}

// --- workers and faults ----------------------------------------------------------------------------------------

void harness::start_worker(const std::string& name, micros join_at) {
  sim_worker_config c;
  c.name = name;
  c.slots = s_.worker_slots;
  c.secret = s_.node.clusterSecret;
  c.fail_pct = s_.fail_pct;
  c.seed = s_.seed;
  workers_.push_back(worker_slot{std::make_unique<sim_worker>(node_->sys(), c, wall_, ledger_), join_at, false});
}

void harness::join_due(micros t) {
  for (auto it = rejoins_.begin(); it != rejoins_.end();) {
    if (it->first > t) {
      ++it;
      continue;
    }
    start_worker(it->second, t);
    it = rejoins_.erase(it);
  }
  if (!node_->running()) return;
  for (auto& w : workers_) {
    if (w.started || w.join_at > t) continue;
    w.started = true;
    w.worker->join(node_->scaling());
  }
}

sim_worker* harness::random_worker(bool joined_only) {
  std::vector<sim_worker*> candidates;
  for (auto& w : workers_) {
    auto v = w.worker->view();
    if (!v.gone && !v.draining && (!joined_only || v.joined)) candidates.push_back(w.worker.get());
  }
  if (candidates.empty()) return nullptr;
  return candidates[std::uniform_int_distribution<size_t>{0, candidates.size() - 1}(rng_)];
}

void harness::inject_faults(micros step) {
  double step_min = static_cast<double>(step) / us_per_s / 60;
  auto draw = [&](double per_min) {
    return per_min <= 0 ? uint64_t{0} : std::poisson_distribution<uint64_t>{per_min * step_min}(rng_);
  };
  auto now = node_->elapsed();
  for (auto n = draw(s_.kills_per_min); n > 0; --n) {
    auto* w = random_worker(false);
    if (!w) break;
    w->kill();
    rejoins_.emplace_back(now + micros{s_.rejoin_ms} * 1000, w->name());
    ++kills_;
  }
  for (auto n = draw(s_.partitions_per_min); n > 0; --n) {
    auto* w = random_worker(true);
    if (!w) break;
    w->partition(s_.partition_ms);
    ++partitions_;
  }
}

uint32_t harness::live_workers() const {
  uint32_t n = 0;
  for (const auto& w : workers_) {
    auto v = w.worker->view();
    n += (!v.gone && !v.draining) ? 1 : 0;
  }
  return n + static_cast<uint32_t>(rejoins_.size());
}

// Follows the scaling manager's recommendation like an external provisioner: new workers join after
// join-delay-ms; the newest drain first.
void harness::provision(uint32_t desired, micros t) {
  auto live = live_workers();
  auto join_at = t + micros{s_.join_delay_ms} * 1000;
  for (; live < desired; ++live) start_worker("auto-" + std::to_string(next_auto_++), join_at);
  for (auto it = workers_.rbegin(); it != workers_.rend() && live > desired; ++it) {
    auto v = it->worker->view();
    if (v.gone || v.draining) continue;
    if (!it->started) it->started = true;  // never joined: it just does not come
    it->worker->drain();
    --live;
  }
}

caf::error harness::crash_node() {
  // At a random point in the middle of work: a submit on its way, some messages handled, then the kill.
  std::vector<JobSpec> specs;
  for (int i = 0; i < 100; ++i) specs.push_back(job_spec("u0"));
  offered_ += specs.size();
  in_flight_submits_ += specs.size();
  node_->send_submit(std::move(specs));
  node_->run_some(std::uniform_int_distribution<size_t>{0, 60}(rng_));
  node_->crash();
  while (auto answer = node_->take_submit_answer()) {
    if (*answer) {
      in_flight_submits_ -= std::min<uint64_t>(in_flight_submits_, (*answer)->size());
      accepted_.insert(accepted_.end(), (*answer)->begin(), (*answer)->end());
    }
  }
  unacknowledged_ += in_flight_submits_;
  in_flight_submits_ = 0;
  ++restarts_;
  node_->run();
  return node_->close_store();
}

caf::error harness::restart_node() {
  if (auto err = node_->reopen()) return err;
  log_ << fmt::format("  t={:.1f}s node restarted: recovery requeued {} running jobs\n",
                      static_cast<double>(node_->elapsed()) / us_per_s, node_->last_recovery().requeued);
  for (auto& w : workers_) {
    auto v = w.worker->view();
    if (w.started && !v.gone) w.worker->join(node_->scaling());
  }
  node_->run();
  return {};
}

// --- observation -----------------------------------------------------------------------------------------------

void harness::update_memory() {
  if (!s_.memory_model || !node_->running()) return;
  auto status = node_->status();
  if (!status) return;
  uint64_t ready = 0;
  for (const auto& d : status->depth())
    if (d.state() == Job::READY) ready += d.count();
  memory_->ready = ready;
  memory_->running = status->running();
  // Checked every step, not only every sample: a peak between samples counts.
  double percent = modelled_memory_percent(ready, status->running());
  max_memory_percent_ = std::max(max_memory_percent_, percent);
  if (s_.max_memory_percent > 0 && percent > s_.max_memory_percent)
    violation(fmt::format("t={:.2f}s: memory at {:.1f}% of maxMemoryMB, over max-memory-percent {:.0f}",
                          static_cast<double>(node_->elapsed()) / us_per_s, percent, s_.max_memory_percent));
}

double harness::modelled_memory_percent(uint64_t ready, uint64_t running) const {
  return (s_.base_mb + s_.per_running_mb * static_cast<double>(running) +
          s_.per_ready_kb / 1024 * static_cast<double>(ready)) /
         s_.node.maxMemoryMB * 100;
}

caf::error harness::sample(micros t) {
  sample_row row;
  row.t_s = static_cast<double>(t) / us_per_s;
  row.offered_per_s = static_cast<double>(offered_in_sample_) * 1000.0 / s_.sample_ms;
  offered_in_sample_ = 0;
  row.accepted = accepted_.size();
  auto interval = ledger_->take_interval();
  row.throughput_per_s = static_cast<double>(interval.succeeded) * 1000.0 / s_.sample_ms;
  all_pickups_.insert(all_pickups_.end(), interval.pickup_ms.begin(), interval.pickup_ms.end());
  row.p50_pickup_ms = percentile(interval.pickup_ms, 0.50);
  row.p99_pickup_ms = percentile(interval.pickup_ms, 0.99);
  std::vector<double> light;
  for (auto& [user, v] : interval.pickup_by_user)
    if (user != "noisy") light.insert(light.end(), v.begin(), v.end());
  row.light_p99_pickup_ms = percentile(light, 0.99);
  if (s_.max_light_p99_pickup_ms > 0 && light.size() >= 20 && row.light_p99_pickup_ms > s_.max_light_p99_pickup_ms)
    violation(fmt::format("t={:.0f}s: light users' p99 pickup latency {:.0f} ms over max-light-p99-pickup-ms {:.0f}",
                          row.t_s, row.light_p99_pickup_ms, s_.max_light_p99_pickup_ms));
  for (const auto& w : workers_) {
    auto v = w.worker->view();
    row.workers += v.joined && !v.gone ? 1 : 0;
  }
  workers_max_ = std::max(workers_max_, row.workers);
  row.node_up = node_->running();
  if (row.node_up) {
    auto status = node_->status();
    if (!status) return status.error();
    for (const auto& d : status->depth()) {
      if (d.state() == Job::READY) row.ready += d.count();
      if (d.state() == Job::RUNNING) row.running += d.count();
    }
    row.blocked = status->blocked();
    row.scheduled = status->scheduled();
    row.finished = status->finished_in_store();
    row.slots = status->slots_total();
    row.admission_held = status->admission().held();
    admission_held_once_ |= row.admission_held;
    // No job lost or invented.
    auto in_node = row.ready + row.running + row.blocked + row.scheduled + row.finished;
    if (in_node < row.accepted || in_node > row.accepted + unacknowledged_)
      violation(fmt::format("t={:.1f}s: the node holds {} jobs, {} were acknowledged ({} cut off by a crash)",
                            row.t_s, in_node, row.accepted, unacknowledged_));
    if (auto scaling = node_->scaling_status(); scaling) {
      row.desired = scaling->desired();
      if (rows_.empty() || row.desired != last_desired_) {
        if (!rows_.empty()) ++desired_changes_;
        last_desired_ = row.desired;
      }
      if (s_.autoscale) provision(row.desired, t);
    }
    if (s_.memory_model) row.memory_percent = modelled_memory_percent(row.ready, row.running);
    if (t >= load_end_ && drained_at_ < 0 && deferred_.empty() && in_flight_submits_ == 0 &&
        row.finished >= row.accepted && row.ready + row.running + row.blocked + row.scheduled == 0)
      drained_at_ = t;
  }
  rows_.push_back(row);
  return {};
}

caf::error harness::final_checks() {
  // Every acknowledged job, read back from the store.
  const auto& store = node_->store();
  std::map<std::string, uint64_t> states;
  uint64_t double_finish = 0, stale = 0;
  constexpr size_t chunk = 10'000;
  for (size_t from = 0; from < accepted_.size(); from += chunk) {
    auto to = std::min(accepted_.size(), from + chunk);
    std::vector<uint64_t> ids(accepted_.begin() + static_cast<std::ptrdiff_t>(from),
                              accepted_.begin() + static_cast<std::ptrdiff_t>(to));
    std::vector<Job> jobs;
    std::vector<bool> found;
    if (auto st = store.multi_get(ids, &jobs, &found); !st)
      return make_error(ec::storage_failure, "reading the jobs back: " + st.message());
    for (size_t i = 0; i < ids.size(); ++i) {
      if (!found[i]) {
        violation(fmt::format("job {} was acknowledged and is not in the store", ids[i]));
        ++states["MISSING"];
        continue;
      }
      const auto& job = jobs[i];
      ++states[Job::State_Name(job.state())];
      bool expected_end = job.state() == Job::SUCCEEDED || (s_.fail_pct > 0 && job.state() == Job::DEAD);
      if (!expected_end && drained_at_ >= 0)
        violation(fmt::format("job {} ended {}: {}", job.id(), Job::State_Name(job.state()), job.last_error()));
      int succeeded = 0;
      for (const auto& tr : job.transitions()) succeeded += tr.state() == Job::SUCCEEDED ? 1 : 0;
      if (succeeded > 1) {
        ++double_finish;
        violation(fmt::format("job {} entered SUCCEEDED {} times", job.id(), succeeded));
      }
      if (job.state() == Job::SUCCEEDED && ledger_->latest_token(job.id()) != 0) {
        auto applied = job.result().output();
        auto latest = "sim token " + std::to_string(ledger_->latest_token(job.id()));
        if (applied != latest) {
          ++stale;
          violation(fmt::format("job {} holds the result of '{}', not of its newest lease ({})", job.id(), applied,
                                latest));
        }
      }
    }
  }
  std::string by_state;
  for (const auto& [state, n] : states) by_state += fmt::format(" {}={}", state, n);
  log_ << "  final states:" << by_state << "\n";
  if (drained_at_ < 0)
    violation(fmt::format("the backlog did not drain within drain-s {:.0f} after the load stopped", s_.drain_s));
  double drain_s = drained_at_ < 0 ? NAN : static_cast<double>(drained_at_ - load_end_) / us_per_s;
  if (s_.max_drain_s > 0 && drained_at_ >= 0 && drain_s > s_.max_drain_s)
    violation(fmt::format("the backlog took {:.1f} s to drain, over max-drain-s {:.0f}", drain_s, s_.max_drain_s));
  auto p99 = percentile(all_pickups_, 0.99);
  if (s_.max_p99_pickup_ms > 0 && p99 > s_.max_p99_pickup_ms)
    violation(fmt::format("p99 pickup latency {:.0f} ms over max-p99-pickup-ms {:.0f}", p99, s_.max_p99_pickup_ms));
  if (s_.max_scaling_changes > 0 && desired_changes_ > s_.max_scaling_changes)
    violation(fmt::format("the desired worker count changed {} times, over max-scaling-changes {}", desired_changes_,
                          s_.max_scaling_changes));
  if (s_.expect_admission_hold && !admission_held_once_) violation("admission never held");
  return {};
}

caf::expected<run_result> harness::finish() {
  run_result r;
  std::error_code ec;
  std::filesystem::create_directories(s_.out, ec);
  if (ec) return make_error(ec::invalid_argument, "cannot create " + s_.out + ": " + ec.message());
  r.csv_path = s_.out + "/" + s_.name + ".csv";
  r.svg_path = s_.out + "/" + s_.name + ".svg";
  std::ofstream csv{r.csv_path};
  csv << "t_s,offered_per_s,accepted,ready,running,blocked,scheduled,finished,throughput_per_s,p50_pickup_ms,"
         "p99_pickup_ms,light_p99_pickup_ms,workers,desired_workers,slots,memory_percent,admission_held,node_up\n";
  auto num = [](double v) { return std::isfinite(v) ? fmt::format("{:.3f}", v) : std::string{}; };
  std::vector<double> x;
  chart_panel depth{"queue depth (jobs)", {{"READY", "#1f77b4", {}}, {"RUNNING", "#ff7f0e", {}}}};
  chart_panel throughput{"throughput (jobs/s)", {{"offered", "#aaaaaa", {}}, {"finished", "#2ca02c", {}}}};
  chart_panel latency{"pickup latency (ms)", {{"p50", "#9467bd", {}}, {"p99", "#d62728", {}}}};
  chart_panel fleet{"workers", {{"joined", "#17becf", {}}, {"desired", "#8c564b", {}}}};
  if (s_.noisy_rate > 0 || s_.noisy_burst > 0) latency.series.push_back({"light users p99", "#e377c2", {}});
  for (const auto& row : rows_) {
    csv << fmt::format("{:.3f},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{}\n", row.t_s, num(row.offered_per_s),
                       row.accepted, row.ready, row.running, row.blocked, row.scheduled, row.finished,
                       num(row.throughput_per_s), num(row.p50_pickup_ms), num(row.p99_pickup_ms),
                       num(row.light_p99_pickup_ms), row.workers, row.desired, row.slots, num(row.memory_percent),
                       row.admission_held ? 1 : 0, row.node_up ? 1 : 0);
    x.push_back(row.t_s);
    depth.series[0].values.push_back(static_cast<double>(row.ready));
    depth.series[1].values.push_back(static_cast<double>(row.running));
    throughput.series[0].values.push_back(row.offered_per_s);
    throughput.series[1].values.push_back(row.throughput_per_s);
    latency.series[0].values.push_back(row.p50_pickup_ms);
    latency.series[1].values.push_back(row.p99_pickup_ms);
    if (latency.series.size() > 2) latency.series[2].values.push_back(row.light_p99_pickup_ms);
    fleet.series[0].values.push_back(row.workers);
    fleet.series[1].values.push_back(row.desired);
  }
  std::vector<chart_panel> panels{depth, throughput, latency, fleet};
  if (s_.memory_model) {
    chart_panel memory{"node memory (% of maxMemoryMB)",
                       {{"memory", "#bcbd22", {}}, {"admission held x100", "#d62728", {}}}};
    for (const auto& row : rows_) {
      memory.series[0].values.push_back(row.memory_percent);
      memory.series[1].values.push_back(row.admission_held ? 100 : 0);
    }
    panels.push_back(memory);
  }
  std::ofstream svg{r.svg_path};
  svg << render_svg(fmt::format("troupe simulation: {} (seed {})", s_.name, s_.seed), "simulated time (s)", x,
                    panels);
  if (!csv || !svg) return make_error(ec::invalid_argument, "cannot write " + r.csv_path + " or " + r.svg_path);

  r.violations = ledger_->violations();
  r.passed = ledger_->violation_count() == 0;
  double drain_s = drained_at_ < 0 ? NAN : static_cast<double>(drained_at_ - load_end_) / us_per_s;
  auto p50 = percentile(all_pickups_, 0.50), p99 = percentile(all_pickups_, 0.99);
  double sim_s = static_cast<double>(node_->elapsed()) / us_per_s;
  r.summary = fmt::format(
      "scenario={} seed={} sim_s={:.0f} jobs={} executions={} workers_max={} kills={} partitions={} restarts={} "
      "kept_results={} reported={} applied_reports={} unacknowledged={} p50_pickup_ms={} p99_pickup_ms={} "
      "drain_s={} desired_changes={} admission_held={} max_memory_percent={} violations={} verdict={}",
      s_.name, s_.seed, sim_s, accepted_.size(), ledger_->executions(), workers_max_, kills_, partitions_,
      restarts_, ledger_->kept(), ledger_->reported(), ledger_->applied_reports(), unacknowledged_, num(p50), num(p99),
      num(drain_s), desired_changes_, admission_held_once_ ? 1 : 0, num(max_memory_percent_),
      ledger_->violation_count(), r.passed ? "PASS" : "FAIL");
  return r;
}

caf::expected<run_result> harness::run() {
  // Without a memory model the node's memory is not simulated and the probe reports none: this process's
  // resident memory is the simulator's (several times larger under AddressSanitizer), and admission held on it
  // would make a run depend on more than its seed.
  engine_context::usage_fn probe = [] { return std::optional<process_usage>{}; };
  if (s_.memory_model) {
    auto memory = memory_;
    probe = [memory, budget_mb = s_.node.maxMemoryMB, this] {
      process_usage u;
      double mb = modelled_memory_percent(memory->ready.load(), memory->running.load()) / 100 * budget_mb;
      u.rss_bytes = static_cast<uint64_t>(mb * 1024 * 1024);
      return std::optional<process_usage>{u};
    };
  }
  auto created = virtual_node::create(s_.node, probe);
  if (!created) return created.error();
  node_ = std::move(*created);
  wall_ = node_->wall_clock();
  load_end_ = static_cast<micros>(s_.duration_s * us_per_s);
  for (uint32_t i = 0; i < s_.node_restarts; ++i)
    restart_at_.push_back(std::uniform_int_distribution<micros>{1, std::max<micros>(2, load_end_ - 1)}(rng_));
  std::sort(restart_at_.begin(), restart_at_.end());
  for (uint32_t i = 0; i < s_.workers; ++i) start_worker("w" + std::to_string(i + 1), 0);
  join_due(0);
  node_->run();
  submit_dag();

  auto step = micros{s_.step_ms} * 1000, sample_every = micros{s_.sample_ms} * 1000;
  auto horizon = load_end_ + static_cast<micros>(s_.drain_s * us_per_s);
  micros t = 0, next_sample = sample_every, next_report = 0;
  for (;;) {
    if (!restart_at_.empty() && t >= restart_at_.front() && node_->running()) {
      restart_at_.erase(restart_at_.begin());
      log_ << fmt::format("  t={:.1f}s node killed\n", static_cast<double>(t) / us_per_s);
      if (auto err = crash_node()) return err;
      node_down_until_ = t + micros{s_.restart_down_ms} * 1000;
    }
    if (!node_->running() && t >= node_down_until_) {
      if (auto err = restart_node()) return err;
    }
    join_due(t);
    offer(t, step);
    if (node_->running()) take_answers();
    inject_faults(step);
    node_->advance_to(t + step);
    t += step;
    update_memory();
    if (t >= next_sample) {
      if (auto err = sample(t)) return err;
      next_sample += sample_every;
      if (t >= next_report) {
        const auto& row = rows_.back();
        log_ << fmt::format("  t={:.0f}s accepted={} ready={} running={} finished={} workers={} p99_pickup_ms={}\n",
                            row.t_s, row.accepted, row.ready, row.running, row.finished, row.workers,
                            std::isfinite(row.p99_pickup_ms) ? fmt::format("{:.0f}", row.p99_pickup_ms) : "-");
        next_report = t + std::max<micros>(sample_every, (load_end_ + 9) / 10);
      }
    }
    if (drained_at_ >= 0 || t >= horizon) break;
  }
  if (auto err = final_checks()) return err;
  return finish();
}

}  // namespace

caf::expected<run_result> run_scenario(const scenario& s, std::ostream& log) {
  harness h{s, log};
  return h.run();
}

}  // namespace troupe::sim
