#include "bench/client_workloads.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <chrono>
#include <random>
#include <thread>

#include <sys/resource.h>

#include "storage/store.hpp"
#include "troupe/json.hpp"

namespace troupe {

double cpu_seconds() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  auto secs = [](const timeval& t) { return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_usec) / 1e6; };
  return secs(u.ru_utime) + secs(u.ru_stime);
}

caf::expected<std::vector<JobSpec>> mix_specs(const std::string& mix, uint64_t payload_bytes) {
  std::vector<JobSpec> out;
  std::string_view list{mix};
  while (!list.empty()) {
    auto comma = list.find(',');
    auto item = list.substr(0, comma);
    list = comma == std::string_view::npos ? std::string_view{} : list.substr(comma + 1);
    if (item.empty()) continue;
    JobSpec spec;
    auto colon = item.find(':');
    spec.set_kind(std::string{item.substr(0, colon)});
    if (colon != std::string_view::npos) {
      uint32_t ms = 0;
      auto text = item.substr(colon + 1);
      auto [end, problem] = std::from_chars(text.data(), text.data() + text.size(), ms);
      if (problem != std::errc{} || end != text.data() + text.size())
        return make_error(ec::invalid_argument, "--mix: '" + std::string{item} + "' is not KIND or KIND:MS");
      (*spec.mutable_payload()->mutable_struct_value()->mutable_fields())["ms"].set_number_value(ms);
    }
    if (payload_bytes > 0)
      (*spec.mutable_payload()->mutable_struct_value()->mutable_fields())["data"].set_string_value(
          std::string(payload_bytes, 'x'));
    out.push_back(std::move(spec));
  }
  if (out.empty()) return make_error(ec::invalid_argument, "--mix names no kind");
  return out;
}

namespace {

using steady = std::chrono::steady_clock;

}  // namespace

std::optional<uint64_t> finished_total(const client& c) {
  auto s = c.status();
  if (!s) return std::nullopt;
  return s->succeeded_total() + s->dead_total() + s->cancelled_total();
}

bool wait_finished(const client& c, uint64_t base, uint64_t total, const std::function<void(double)>& progress,
                   double from, double to) {
  for (;;) {
    auto finished = finished_total(c);
    if (!finished) return false;
    uint64_t done = *finished - std::min(*finished, base);
    progress(total == 0 ? to : from + (to - from) * static_cast<double>(std::min(done, total)) /
                                          static_cast<double>(total));
    if (done >= total) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds{5});
  }
}

caf::expected<std::string> burn_workload(const bench_options& o, const client& c, const storage::job_store* store,
                                         const std::function<void(double)>& progress) {
  auto base = finished_total(c);
  if (!base) return make_error(ec::unavailable, "the node stopped answering");
  auto mix = mix_specs(o.mix, o.payload_bytes);
  if (!mix) return mix.error();
  std::vector<std::string> users(o.users);
  for (uint32_t u = 0; u < o.users; ++u) users[u] = o.users == 1 ? std::string{} : "user-" + std::to_string(u);
  // Requests of at most about 16 MiB of payload.
  auto batch = std::max<uint64_t>(1, std::min<uint64_t>(o.submit_batch, (16u << 20) / (o.payload_bytes + 1)));
  auto cpu0 = cpu_seconds();
  auto start = steady::now();
  for (uint64_t sent = 0; sent < o.jobs; sent += batch) {
    auto count = std::min<uint64_t>(batch, o.jobs - sent);
    std::vector<JobSpec> specs(count);
    for (uint64_t i = 0; i < count; ++i) {
      specs[i] = (*mix)[(sent + i) % mix->size()];
      specs[i].set_user(users[(sent + i) % o.users]);
    }
    if (auto ids = c.submit(std::move(specs)); !ids) return ids.error();
    progress(0.5 * static_cast<double>(sent + count) / static_cast<double>(o.jobs));
  }
  auto submitted = steady::now();
  if (!wait_finished(c, *base, o.jobs, progress, 0.5, 1.0))
    return make_error(ec::unavailable, "the node stopped answering");
  auto drained = steady::now();
  auto secs = [](auto a, auto b) { return std::chrono::duration<double>(b - a).count(); };
  auto line = fmt::format("workload=burn jobs={} users={} mix={} payload_bytes={}", o.jobs, o.users, o.mix,
                          o.payload_bytes);
  if (store != nullptr) {
    auto writes = store->stats();
    line += fmt::format(" slots={} durability={} commits={} ops_per_commit={:.0f} write_busy_pct={:.0f}",
                        o.node.maxConcurrentJobs, to_string(o.node.durability), writes.writes,
                        static_cast<double>(writes.ops) / std::max<double>(1, writes.writes),
                        100.0 * static_cast<double>(writes.nanos) / 1e9 / secs(start, drained));
  }
  // CPU time is this process's: with a running node, the client's only.
  line += fmt::format(" submit_per_s={:.0f} jobs_per_s={:.0f} {}={:.3f}", static_cast<double>(o.jobs) /
                      secs(start, submitted), static_cast<double>(o.jobs) / secs(start, drained),
                      store != nullptr ? "cpu_s_per_1000_jobs" : "client_cpu_s_per_1000_jobs",
                      (cpu_seconds() - cpu0) * 1000.0 / static_cast<double>(o.jobs));
  if (store != nullptr) line += fmt::format(" peak_rss_mb={:.1f}", peak_rss_mb());
  return line;
}

// One workflow of o.jobs no-op jobs in one request, as a chain or in layers; submitted, then drained.
caf::expected<std::string> dag_workload(const bench_options& o, const client& c, bool in_process,
                                        const std::function<void(double)>& progress) {
  constexpr uint64_t width = 1000;
  auto seed = o.seed != 0 ? o.seed : std::random_device{}();
  std::mt19937_64 rng{seed};
  std::vector<JobSpec> specs(o.jobs);
  for (uint64_t i = 0; i < o.jobs; ++i) {
    specs[i].set_kind("noop");
    specs[i].set_ref("j" + std::to_string(i));
    if (o.shape == "chain") {
      if (i > 0) specs[i].add_after("j" + std::to_string(i - 1));
    } else if (i >= width) {
      auto layer_start = (i / width - 1) * width;
      auto a = layer_start + rng() % width, b = layer_start + rng() % width;
      specs[i].add_after("j" + std::to_string(a));
      if (b != a) specs[i].add_after("j" + std::to_string(b));
    }
  }
  auto patient = c;
  patient.set_request_timeout(std::chrono::minutes{10});
  auto base = finished_total(c);
  if (!base) return make_error(ec::unavailable, "the node stopped answering");
  auto start = steady::now();
  if (auto ids = patient.submit(std::move(specs)); !ids) return ids.error();
  auto submitted = steady::now();
  if (!wait_finished(c, *base, o.jobs, progress, 0.0, 1.0))
    return make_error(ec::unavailable, "the node stopped answering");
  auto drained = steady::now();
  auto secs = [](auto a, auto b) { return std::chrono::duration<double>(b - a).count(); };
  auto line = fmt::format("workload=dag shape={} jobs={} seed={}", o.shape, o.jobs, o.shape == "chain" ? 0 : seed);
  if (in_process)
    line += fmt::format(" slots={} durability={}", o.node.maxConcurrentJobs, to_string(o.node.durability));
  line += fmt::format(" submit_s={:.2f} drain_s={:.2f} jobs_per_s={:.0f}", secs(start, submitted),
                      secs(submitted, drained), static_cast<double>(o.jobs) / secs(start, drained));
  if (in_process) line += fmt::format(" peak_rss_mb={:.1f}", peak_rss_mb());
  return line;
}


}  // namespace troupe
