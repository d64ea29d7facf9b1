// `troupe bench --workload storage` (bench/bench.hpp): bytes on disk per job, by payloadCompression, for a
// typical JSON payload (an order event of about 1.8 KiB) and a large one (an order document of about 32 KiB, which
// goes to blob files with the default blobThresholdKB).

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <random>
#include <thread>

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>

#include "actors/engine_context.hpp"
#include "actors/system_config.hpp"
#include "bench/bench.hpp"
#include "schemas/usage.hpp"
#include "storage/store.hpp"
#include "troupe/client.hpp"
#include "troupe/json.hpp"
#include "troupe/node.hpp"

namespace troupe {

namespace {

using steady = std::chrono::steady_clock;

// A fresh temporary directory for one run, removed afterwards.
class run_dir {
 public:
  run_dir() {
    std::string pattern = std::filesystem::temp_directory_path() / "troupe-bench-storage-XXXXXX";
    if (mkdtemp(pattern.data()) != nullptr) path_ = pattern;
  }
  ~run_dir() {
    std::error_code ignored;
    if (!path_.empty()) std::filesystem::remove_all(path_, ignored);
  }
  run_dir(const run_dir&) = delete;
  run_dir& operator=(const run_dir&) = delete;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// Realistic JSON payloads, the same for the same job number: an e-commerce order event with nested objects,
// ids, timestamps, money amounts, free text from a small vocabulary, and keys repeated in every item. `items`
// and `events` set its size (small: 3 and 2, about 1.8 KiB of JSON; large: 100 and 90, about 32 KiB).
class order_payloads {
 public:
  order_payloads(int items, int events) : items_(items), events_(events) {}

  std::string json(uint64_t n) const {
    std::mt19937_64 rng{n * 0x9E3779B97F4A7C15ull + 17};
    auto pick = [&](const auto& list) -> const char* { return list[rng() % std::size(list)]; };
    auto hex = [&](int digits) {
      std::string out;
      for (int i = 0; i < digits; ++i) out += "0123456789abcdef"[rng() % 16];
      return out;
    };
    int64_t created = 1'795'000'000 + static_cast<int64_t>(n) * 37 + static_cast<int64_t>(rng() % 30);
    auto time = [](int64_t seconds, int millis) {
      auto t = static_cast<std::time_t>(seconds);
      std::tm tm{};
      gmtime_r(&t, &tm);
      return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                         tm.tm_hour, tm.tm_min, tm.tm_sec, millis);
    };
    static const char* const streets[] = {"Hauptstrasse", "Lindenweg", "Bahnhofstrasse", "Gartenstrasse",
                                          "Schillerstrasse", "Goethestrasse", "Kirchweg", "Am Markt"};
    static const char* const cities[] = {"Berlin", "Hamburg", "Munich", "Cologne", "Leipzig", "Dresden", "Bremen"};
    static const char* const first[] = {"Anna", "Lukas", "Mia", "Leon", "Emma", "Paul", "Hannah", "Felix"};
    static const char* const last[] = {"Mueller", "Schmidt", "Schneider", "Fischer", "Weber", "Meyer", "Wagner"};
    static const char* const products[] = {"USB-C cable 2 m",     "Wireless mouse",      "Mechanical keyboard",
                                           "27-inch monitor",     "Laptop stand",        "Noise-cancelling headphones",
                                           "Webcam 1080p",        "LED desk lamp",       "Ergonomic office chair",
                                           "Phone case, clear",   "Portable SSD 1 TB",   "HDMI adapter"};
    static const char* const colors[] = {"black", "white", "silver", "blue", "red", "graphite"};
    static const char* const sizes[] = {"S", "M", "L", "XL", "one-size"};
    static const char* const event_types[] = {"order.created", "payment.authorized", "payment.captured",
                                              "fulfillment.started", "package.shipped", "package.delivered",
                                              "customer.contacted", "address.corrected"};
    static const char* const words[] = {"customer", "requested", "delivery", "before", "noon", "leave", "parcel",
                                        "at",       "the",       "door",     "call",   "on", "arrival", "gift",
                                        "wrap",     "please",    "invoice",  "sent",   "to", "accounting",
                                        "warehouse", "picked",   "packed",   "carrier", "dhl", "tracking"};
    auto sentence = [&](int min_words, int spread) {
      std::string out;
      int count = min_words + static_cast<int>(rng() % spread);
      for (int i = 0; i < count; ++i) out += (i == 0 ? "" : " ") + std::string{pick(words)};
      return out;
    };
    auto address = [&] {
      return fmt::format(R"({{"line1":"{} {}","line2":"","city":"{}","postal_code":"{:05}","country":"DE"}})",
                         pick(streets), 1 + rng() % 180, pick(cities), rng() % 100'000);
    };
    std::string items;
    int64_t subtotal = 0;
    for (int i = 0; i < items_; ++i) {
      int quantity = 1 + static_cast<int>(rng() % 4);
      int64_t cents = 499 + static_cast<int64_t>(rng() % 40'000);
      subtotal += quantity * cents;
      items += fmt::format(R"({}{{"line":{},"sku":"SKU-{:06}","name":"{}","quantity":{},)"
                           R"("unit_price":{{"amount":{},"currency":"EUR"}},"tax_rate":0.19,)"
                           R"("attributes":{{"color":"{}","size":"{}"}},"warehouse":"WH-{}"}})",
                           i == 0 ? "" : ",", i + 1, rng() % 1'000'000, pick(products), quantity, cents,
                           pick(colors), pick(sizes), 1 + rng() % 6);
    }
    std::string events;
    for (int i = 0; i < events_; ++i)
      events += fmt::format(R"({}{{"at":"{}","type":"{}","actor":"{}","note":"{}"}})", i == 0 ? "" : ",",
                            time(created + 60 * (i + 1) + static_cast<int64_t>(rng() % 50), rng() % 1000),
                            pick(event_types), rng() % 3 == 0 ? "support" : "system", sentence(3, 8));
    int64_t tax = subtotal * 19 / 119;
    int64_t shipping = subtotal > 5'000 ? 0 : 495;
    return fmt::format(
        R"({{"type":"order.updated","version":3,"event_id":"{}-{}-{}-{}-{}","occurred_at":"{}",)"
        R"("order":{{"id":"ord_{}","number":{},"status":"paid","currency":"EUR","created_at":"{}",)"
        R"("customer":{{"id":"cus_{}","email":"{}.{}{}@example.com","name":"{} {}","locale":"de-DE",)"
        R"("segment":"{}","marketing_opt_in":{}}},"shipping_address":{},"billing_address":{},"items":[{}],)"
        R"("totals":{{"subtotal":{},"tax":{},"shipping":{},"total":{}}},)"
        R"("payments":[{{"id":"pay_{}","method":"card","brand":"visa","last4":"{:04}","status":"captured",)"
        R"("amount":{},"at":"{}"}}],"events":[{}],"tags":["web","{}"],)"
        R"("metadata":{{"source":"web","campaign":"winter-sale","ab_bucket":{},"user_agent":"Mozilla/5.0"}}}}}})",
        hex(8), hex(4), hex(4), hex(4), hex(12), time(created + 3600, rng() % 1000), hex(16), 100'000 + n,
        time(created, rng() % 1000), hex(12), pick(first), pick(last), rng() % 100, pick(first), pick(last),
        rng() % 2 == 0 ? "retail" : "business", rng() % 2 == 0 ? "true" : "false", address(), address(), items,
        subtotal, tax, shipping, subtotal + shipping, hex(16), rng() % 10'000, subtotal + shipping,
        time(created + 5, rng() % 1000), events, rng() % 2 == 0 ? "express" : "standard", rng() % 10);
  }

 private:
  int items_;
  int events_;
};

// What one run (a payload variant under one compression) measured.
struct run_figures {
  uint64_t jobs = 0;
  double json_bytes = 0;     // per job: the payload as submitted JSON text
  double payload_bytes = 0;  // per job: the payload as stored (serialized google.protobuf.Value)
  double record_bytes = 0;   // per job: the serialized final (SUCCEEDED) record
  uint64_t sst_bytes = 0;    // jobs family, after the flush and full compaction
  uint64_t blob_bytes = 0;
  double seconds = 0;        // submit to the last job finished
  double stored_per_job() const { return static_cast<double>(sst_bytes + blob_bytes) / static_cast<double>(jobs); }
};

bool all_finished(const client& c, uint64_t total) {
  for (;;) {
    auto s = c.status();
    if (!s) return false;
    if (s->succeeded_total() + s->dead_total() + s->cancelled_total() >= total) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds{5});
  }
}

caf::expected<run_figures> run_once(const bench_options& o, const order_payloads& payloads,
                                    const std::string& compression, const std::function<void(double)>& progress) {
  run_dir dir;
  if (dir.path().empty()) return make_error(ec::storage_failure, "cannot create a temporary data directory");
  auto options = o.node;
  options.data = dir.path();
  options.payloadCompression = compression;
  options.maxCompletedJobsToKeep = std::max<uint64_t>(options.maxCompletedJobsToKeep, o.jobs);  // keep them all
  // This process is also the client and holds every payload it submits (780 MB of large ones): the node's
  // memory-aware admission would hold claims against memory that is not the node's. Bytes are measured here.
  options.maxMemoryMB = std::max<uint32_t>(options.maxMemoryMB, 8192);
  caf::actor_system_config cfg;
  configure_node_system(cfg, options);
  caf::actor_system sys{cfg};
  kind_registry kinds;
  (void)kinds.add_function("bench_store", [](const attempt&) { return outcome::success(); },
                           kind_registry::execution::inline_call);
  auto started = node::start(sys, options, std::move(kinds));
  if (!started) return started.error();
  auto& n = **started;
  auto c = client::local(sys, n.gateway());
  run_figures out;
  out.jobs = o.jobs;
  auto fail = [&](caf::error err) -> caf::expected<run_figures> {
    n.shutdown(std::chrono::seconds{10});
    return err;
  };
  // Requests of at most about 8 MiB of JSON.
  auto batch = std::max<uint64_t>(1, std::min<uint64_t>(o.submit_batch, (8u << 20) / payloads.json(0).size()));
  double json_total = 0;
  auto start = steady::now();
  for (uint64_t sent = 0; sent < o.jobs; sent += batch) {
    auto count = std::min<uint64_t>(batch, o.jobs - sent);
    std::vector<JobSpec> specs(count);
    for (uint64_t i = 0; i < count; ++i) {
      specs[i].set_kind("bench_store");
      auto text = payloads.json(sent + i);
      json_total += static_cast<double>(text.size());
      if (auto err = from_json(text, specs[i].mutable_payload())) return fail(err);
    }
    if (auto ids = c.submit(std::move(specs)); !ids) return fail(ids.error());
    progress(0.8 * static_cast<double>(sent + count) / static_cast<double>(o.jobs));
  }
  if (!all_finished(c, o.jobs)) return fail(make_error(ec::unavailable, "the node stopped answering"));
  out.seconds = std::chrono::duration<double>(steady::now() - start).count();
  out.json_bytes = json_total / static_cast<double>(o.jobs);

  // Every record, as stored: its size, and that it ran. The node counts a job finished as it writes its end, so
  // the last records may still say RUNNING for a moment.
  const auto& store = *n.context().store;
  uint64_t read = 0, succeeded = 0;
  double payload_total = 0, record_total = 0;
  for (int tries = 0; tries < 1000 && succeeded < o.jobs; ++tries) {
    if (tries > 0) std::this_thread::sleep_for(std::chrono::milliseconds{10});
    read = succeeded = 0;
    payload_total = record_total = 0;
    JobQuery query;
    query.set_limit(1000);
    for (;;) {
      JobPage page;
      if (auto s = store.list(query, &page); !s) return fail(make_error(ec::storage_failure, s.message()));
      for (const auto& job : page.jobs()) {
        ++read;
        succeeded += job.state() == Job::SUCCEEDED ? 1 : 0;
        payload_total += static_cast<double>(payload_bytes(job.spec()));
        record_total += static_cast<double>(job.ByteSizeLong());
      }
      if (page.next_after_id() == 0) break;
      query.set_after_id(page.next_after_id());
    }
  }
  if (read != o.jobs || succeeded != o.jobs)
    return fail(make_error(ec::internal, fmt::format("read {} records, {} SUCCEEDED, of {} jobs", read, succeeded,
                                                     o.jobs)));
  out.payload_bytes = payload_total / static_cast<double>(o.jobs);
  out.record_bytes = record_total / static_cast<double>(o.jobs);
  if (auto s = n.context().store->compact_jobs(); !s) return fail(make_error(ec::storage_failure, s.message()));
  storage::job_store::family_size size;
  if (auto s = store.jobs_size(&size); !s) return fail(make_error(ec::storage_failure, s.message()));
  out.sst_bytes = size.sst_bytes;
  out.blob_bytes = size.blob_bytes;
  n.shutdown(std::chrono::seconds{10});
  progress(1.0);
  return out;
}

}  // namespace

caf::expected<std::string> run_storage_bench(const bench_options& o, const std::function<void(double)>& progress) {
  struct variant {
    const char* name;
    order_payloads payloads;
  };
  const variant variants[] = {{"small", order_payloads{3, 2}}, {"large", order_payloads{100, 90}}};
  const char* const compressions[] = {"none", "lz4", "zstd"};
  std::string lines;
  std::string last = fmt::format("workload=storage jobs={} blob_threshold_kb={}", o.jobs, o.node.blobThresholdKB);
  int done = 0;
  for (const auto& v : variants) {
    for (size_t c = 0; c < std::size(compressions); ++c) {
      const char* compression = compressions[c];
      auto step = [&](double fraction) { progress((done + fraction) / 6.0); };
      auto r = run_once(o, v.payloads, compression, step);
      if (!r) return r.error();
      ++done;
      lines += fmt::format("payload={} compression={} jobs={} json_bytes={:.0f} payload_bytes={:.0f} "
                           "record_bytes={:.0f} sst_bytes={} blob_bytes={} stored_per_job={:.0f} "
                           "stored_of_record_pct={:.0f} jobs_per_s={:.0f}\n",
                           v.name, compression, r->jobs, r->json_bytes, r->payload_bytes, r->record_bytes,
                           r->sst_bytes, r->blob_bytes, r->stored_per_job(),
                           100.0 * r->stored_per_job() / r->record_bytes, static_cast<double>(r->jobs) / r->seconds);
      if (c == 0)
        last += fmt::format(" {0}_json_b={1:.0f} {0}_record_b={2:.0f}", v.name, r->json_bytes, r->record_bytes);
      last += fmt::format(" {}_{}_b={:.0f}", v.name, compression, r->stored_per_job());
    }
  }
  return lines + last;
}

}  // namespace troupe
