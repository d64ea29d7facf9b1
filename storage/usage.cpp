#include "storage/usage.hpp"

#include "storage/keys.hpp"

namespace troupe::storage {

status load_usage(const job_store& store, usage_map* out) {
  out->clear();
  status failure;
  auto s = store.scan_meta(keys::meta_usage_prefix, [&](std::string_view key, std::string_view value) {
    UsageCounter record;
    if (!record.ParseFromArray(value.data(), static_cast<int>(value.size()))) {
      failure = status::corruption("meta record '" + std::string{key} + "' does not parse");
      return;
    }
    (*out)[std::string{key.substr(keys::meta_usage_prefix.size())}] = {record.jobs(), record.payload_bytes()};
  });
  return s ? failure : s;
}

status count_usage(const job_store& store, usage_map* out) {
  out->clear();
  // The unfinished jobs are those of the queue (READY, RUNNING), scheduled and blocked indexes.
  auto unfinished = [&](const job_store::id_sink& sink) -> status {
    if (auto s = store.scan_queue([&](const job_store::queued_entry& e) { sink(e.id); }); !s) return s;
    if (auto s = store.scan_scheduled([&](micros, uint64_t id) { sink(id); }); !s) return s;
    return store.scan_blocked([&](uint64_t id) { sink(id); });
  };
  return store.records_of(unfinished, [&](Job& job) {
    count_change((*out)[job.spec().user()], job.spec(), Job::PENDING, job.state());
    return true;
  });
}

void put_usage(write_batch& batch, std::string_view user, const usage_counter& counter) {
  if (counter.empty()) {
    batch.erase_meta(keys::usage(user));
    return;
  }
  UsageCounter record;
  record.set_jobs(counter.jobs);
  record.set_payload_bytes(counter.payload_bytes);
  batch.put_meta(keys::usage(user), record.SerializeAsString());
}

status usage_counted(const job_store& store, bool* out) {
  std::string value;
  auto s = store.get_meta(keys::meta_usage_counted, &value);
  *out = s.is_ok();
  return s.is_not_found() ? status::ok() : s;
}

status rebuild_usage(job_store& store, size_t* users) {
  usage_map usage, stale;
  if (auto s = count_usage(store, &usage); !s) return s;
  if (auto s = load_usage(store, &stale); !s) return s;
  for (const auto& [user, counter] : stale) usage.try_emplace(user);  // holds nothing now: deleted
  write_batch batch;
  *users = 0;
  for (const auto& [user, counter] : usage) {
    put_usage(batch, user, counter);
    *users += counter.empty() ? 0 : 1;
  }
  batch.put_meta(std::string{keys::meta_usage_counted}, "1");
  return store.write(batch, /*sync=*/true);
}

}  // namespace troupe::storage
