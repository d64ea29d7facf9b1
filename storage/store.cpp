#include <algorithm>
#include <chrono>

#include <rocksdb/cache.h>
#include <rocksdb/convenience.h>
#include <rocksdb/options.h>
#include <rocksdb/perf_level.h>
#include <rocksdb/table.h>

#include "schemas/lifecycle.hpp"
#include "storage/keys.hpp"
#include "storage/store_impl.hpp"

namespace troupe::storage {

const char* cf_name(cf family) {
  switch (family) {
    case cf::jobs: return "jobs";
    case cf::queue: return "queue";
    case cf::scheduled: return "scheduled";
    case cf::history: return "history";
    case cf::meta: return "meta";
    case cf::blocked: return "blocked";
    case cf::deps: return "deps";
    case cf::batches: return "batches";
    case cf::unique: return "unique";
    case cf::metrics: return "metrics";
    case cf::count_: break;
  }
  return "?";
}

status from_rocksdb(const rocksdb::Status& s) {
  if (s.ok()) return status::ok();
  if (s.IsNotFound()) return status::not_found(s.ToString());
  if (s.IsCorruption()) return status::corruption(s.ToString());
  if (s.IsInvalidArgument()) return status::invalid_argument(s.ToString());
  return status::io_error(s.ToString());
}

job_store::impl::~impl() {
  if (db) {
    for (auto* h : cfs) db->DestroyColumnFamilyHandle(h);
    cfs.clear();
    db->Close().PermitUncheckedError();
  }
}

namespace {

rocksdb::CompressionType rocksdb_compression(record_compression c) {
  switch (c) {
    case record_compression::none: return rocksdb::kNoCompression;
    case record_compression::lz4: return rocksdb::kLZ4Compression;
    case record_compression::zstd: return rocksdb::kZSTD;
  }
  return rocksdb::kNoCompression;
}

// A blob file is closed and a new one started at this size. Smaller than RocksDB's 256 MiB default so that a file
// whose records were all rewritten (every state change rewrites a record) is dropped sooner.
constexpr uint64_t blob_file_bytes = 64ull << 20;

rocksdb::ColumnFamilyOptions family_options(cf family, const store_options& options,
                                            const std::shared_ptr<rocksdb::Cache>& cache) {
  rocksdb::ColumnFamilyOptions o;
  rocksdb::BlockBasedTableOptions t;
  t.block_cache = cache;
  t.cache_index_and_filter_blocks = true;
  o.table_factory.reset(rocksdb::NewBlockBasedTableFactory(t));
  if (family == cf::jobs || family == cf::metrics) {
    // Job records compress well (repeated field names in payloads, states); keys are ids. Metrics samples repeat
    // their series names in every record. One algorithm for every level (payloadCompression).
    o.compression = rocksdb_compression(options.compression);
    if (family == cf::jobs && options.blob_threshold_kb > 0) {
      // Large records live in blob files: compactions move their small references, not the payloads. Every
      // state change rewrites a record, so the blobs of superseded versions are garbage: compactions relocate
      // the live blobs of the older half of the files, and a file that is half garbage gets compacted for it.
      o.enable_blob_files = true;
      o.min_blob_size = uint64_t{options.blob_threshold_kb} * 1024;
      o.blob_compression_type = o.compression;
      o.blob_file_size = blob_file_bytes;
      o.enable_blob_garbage_collection = true;
      o.blob_garbage_collection_age_cutoff = 0.5;
      o.blob_garbage_collection_force_threshold = 0.5;
    }
  } else {
    // Index families hold short keys and empty values, written and deleted at a high rate: small memtables
    // flush often and keep tombstones from piling up in memory.
    o.compression = rocksdb::kNoCompression;
    o.write_buffer_size = 16 << 20;
  }
  return o;
}

// Scans the meta and index families to restore the counters the store keeps in memory.
status load_counters(job_store::impl& s) {
  std::string value;
  auto st = s.db->Get(rocksdb::ReadOptions{}, s.handle(cf::meta), keys::meta_next_id, &value);
  if (st.ok() && value.size() == 8) s.next_id = keys::get_u64(value);
  else if (!st.IsNotFound() && !st.ok()) return from_rocksdb(st);

  // Ids must never be reused, even if the counter were behind the records.
  std::unique_ptr<rocksdb::Iterator> it{s.db->NewIterator(rocksdb::ReadOptions{}, s.handle(cf::jobs))};
  it->SeekToLast();
  if (it->Valid()) s.next_id = std::max<uint64_t>(s.next_id, keys::job_id_of_job_key(it->key().ToStringView()) + 1);

  uint64_t max_seq = 0;
  it.reset(s.db->NewIterator(rocksdb::ReadOptions{}, s.handle(cf::queue)));
  for (int lane = 0; lane < lifecycle::lane_count; ++lane) {  // a lane's last key holds its highest position
    it->SeekForPrev(keys::queue(lane, UINT64_MAX));
    if (it->Valid() && keys::lane_of_queue_key(it->key().ToStringView()) == lane)
      max_seq = std::max(max_seq, keys::seq_of_queue_key(it->key().ToStringView()));
  }
  if (!it->status().ok()) return from_rocksdb(it->status());
  s.next_ready_seq = max_seq + 1;

  // Lease tokens: this open's epoch in the high bits, so that no token repeats across restarts.
  value.clear();
  st = s.db->Get(rocksdb::ReadOptions{}, s.handle(cf::meta), keys::meta_lease_epoch, &value);
  if (!st.ok() && !st.IsNotFound()) return from_rocksdb(st);
  uint64_t epoch = (st.ok() && value.size() == 8 ? keys::get_u64(value) : 0) + 1;
  std::string encoded;
  keys::put_u64(encoded, epoch);
  rocksdb::WriteOptions sync;
  sync.sync = true;
  if (st = s.db->Put(sync, s.handle(cf::meta), keys::meta_lease_epoch, encoded); !st.ok()) return from_rocksdb(st);
  s.next_lease_token = epoch << 40;

  int64_t finished = 0;
  it.reset(s.db->NewIterator(rocksdb::ReadOptions{}, s.handle(cf::history)));
  for (it->SeekToFirst(); it->Valid(); it->Next()) ++finished;
  if (!it->status().ok()) return from_rocksdb(it->status());
  s.history_size = finished;
  return status::ok();
}

}  // namespace

bool parse_record_compression(std::string_view name, record_compression* out) {
  for (auto c : {record_compression::none, record_compression::lz4, record_compression::zstd})
    if (name == to_string(c)) {
      *out = c;
      return true;
    }
  return false;
}

const char* to_string(record_compression c) {
  switch (c) {
    case record_compression::none: return "none";
    case record_compression::lz4: return "lz4";
    case record_compression::zstd: return "zstd";
  }
  return "?";
}

bool compression_supported(record_compression c) {
  auto wanted = rocksdb_compression(c);
  if (wanted == rocksdb::kNoCompression) return true;
  auto supported = rocksdb::GetSupportedCompressions();
  return std::find(supported.begin(), supported.end(), wanted) != supported.end();
}

job_store::job_store(std::unique_ptr<impl> impl) : impl_(std::move(impl)) {}
job_store::~job_store() = default;

status job_store::open(const store_options& options, std::unique_ptr<job_store>* out) {
  if (!compression_supported(options.compression))
    return status::invalid_argument(std::string{"the linked RocksDB was built without "} +
                                    to_string(options.compression) + " compression");
  rocksdb::DBOptions db_options;
  db_options.create_if_missing = true;
  db_options.create_missing_column_families = true;
  db_options.max_background_jobs = 2;
  db_options.bytes_per_sync = 1 << 20;
  db_options.keep_log_file_num = 4;
  db_options.max_total_wal_size = 256 << 20;
  auto cache = rocksdb::NewLRUCache(options.block_cache_mb << 20);

  std::vector<rocksdb::ColumnFamilyDescriptor> descriptors;
  descriptors.emplace_back(rocksdb::kDefaultColumnFamilyName, rocksdb::ColumnFamilyOptions{});
  for (int i = 0; i < static_cast<int>(cf::count_); ++i)
    descriptors.emplace_back(cf_name(static_cast<cf>(i)), family_options(static_cast<cf>(i), options, cache));

  std::vector<rocksdb::ColumnFamilyHandle*> handles;
  rocksdb::DB* raw = nullptr;
  auto st = rocksdb::DB::Open(db_options, options.path, descriptors, &handles, &raw);
  if (!st.ok())
    return status::io_error("cannot open the store at '" + options.path + "': " + st.ToString());

  auto state = std::make_unique<impl>();
  state->db.reset(raw);
  raw->DestroyColumnFamilyHandle(handles[0]);  // the default family is unused
  state->cfs.assign(handles.begin() + 1, handles.end());
  if (auto s = load_counters(*state); !s) return s;
  out->reset(new job_store(std::move(state)));
  return status::ok();
}

status job_store::get(uint64_t id, Job* out) const {
  rocksdb::PinnableSlice value;
  auto st = impl_->db->Get(rocksdb::ReadOptions{}, impl_->handle(cf::jobs), keys::job(id), &value);
  if (st.IsNotFound()) return status::not_found("unknown job id " + std::to_string(id));
  if (!st.ok()) return from_rocksdb(st);
  if (!out->ParseFromArray(value.data(), static_cast<int>(value.size())))
    return status::corruption("job " + std::to_string(id) + ": record does not parse");
  return status::ok();
}

status job_store::multi_get(const std::vector<uint64_t>& ids, std::vector<Job>* out,
                            std::vector<bool>* found) const {
  size_t n = ids.size();
  std::vector<std::string> key_bytes(n);
  std::vector<rocksdb::Slice> key_slices(n);
  for (size_t i = 0; i < n; ++i) {
    key_bytes[i] = keys::job(ids[i]);
    key_slices[i] = key_bytes[i];
  }
  std::vector<rocksdb::PinnableSlice> values(n);
  std::vector<rocksdb::Status> statuses(n);
  impl_->db->MultiGet(rocksdb::ReadOptions{}, impl_->handle(cf::jobs), n, key_slices.data(), values.data(),
                      statuses.data());
  out->resize(n);
  found->assign(n, false);
  for (size_t i = 0; i < n; ++i) {
    if (statuses[i].IsNotFound()) continue;
    if (!statuses[i].ok()) return from_rocksdb(statuses[i]);
    if (!(*out)[i].ParseFromArray(values[i].data(), static_cast<int>(values[i].size())))
      return status::corruption("job " + std::to_string(ids[i]) + ": record does not parse");
    (*found)[i] = true;
  }
  return status::ok();
}

namespace {

bool matches(const JobQuery& q, const Job& job) {
  if (q.has_state() && job.state() != q.state()) return false;
  if (!q.kind().empty() && job.spec().kind() != q.kind()) return false;
  if (!q.user().empty() && job.spec().user() != q.user()) return false;
  if (!q.batch().empty() && job.spec().batch() != q.batch()) return false;
  return true;
}

}  // namespace

status job_store::list(const JobQuery& query, JobPage* out) const {
  uint32_t limit = query.limit() == 0 ? 100 : query.limit();
  out->Clear();
  std::unique_ptr<rocksdb::Iterator> it{impl_->db->NewIterator(rocksdb::ReadOptions{}, impl_->handle(cf::jobs))};
  Job job;
  for (it->Seek(keys::job(query.after_id() + 1)); it->Valid(); it->Next()) {
    if (!job.ParseFromArray(it->value().data(), static_cast<int>(it->value().size())))
      return status::corruption("job " + std::to_string(keys::job_id_of_job_key(it->key().ToStringView())) +
                                ": record does not parse");
    if (!matches(query, job)) continue;
    if (static_cast<uint32_t>(out->jobs_size()) == limit) {
      out->set_next_after_id(out->jobs(out->jobs_size() - 1).id());
      break;
    }
    *out->add_jobs() = job;
  }
  return from_rocksdb(it->status());
}

status job_store::scan_queue(const std::function<void(const queued_entry&)>& fn) const {
  std::unique_ptr<rocksdb::Iterator> it{impl_->db->NewIterator(rocksdb::ReadOptions{}, impl_->handle(cf::queue))};
  keys::queue_entry_value value;
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    auto key = it->key().ToStringView();
    if (key.size() != 9 || !keys::parse_queue_value(it->value().ToStringView(), &value))
      return status::corruption("queue index: malformed entry");
    fn(queued_entry{keys::lane_of_queue_key(key), keys::seq_of_queue_key(key), value.id, value.user, value.kind});
  }
  return from_rocksdb(it->status());
}

namespace {

// Calls `fn` with every key of `family` that starts with `prefix`, while it returns true.
status scan_prefix(const job_store::impl& s, cf family, std::string_view prefix,
                   const std::function<bool(std::string_view key)>& fn) {
  std::unique_ptr<rocksdb::Iterator> it{s.db->NewIterator(rocksdb::ReadOptions{}, s.handle(family))};
  for (it->Seek(rocksdb::Slice{prefix.data(), prefix.size()}); it->Valid(); it->Next()) {
    auto key = it->key().ToStringView();
    if (key.substr(0, prefix.size()) != prefix) break;
    if (!fn(key)) break;
  }
  return from_rocksdb(it->status());
}

}  // namespace

status job_store::scan_meta(std::string_view prefix,
                             const std::function<void(std::string_view, std::string_view)>& fn) const {
  std::unique_ptr<rocksdb::Iterator> it{impl_->db->NewIterator(rocksdb::ReadOptions{}, impl_->handle(cf::meta))};
  for (it->Seek(rocksdb::Slice{prefix.data(), prefix.size()}); it->Valid(); it->Next()) {
    auto key = it->key().ToStringView();
    if (key.substr(0, prefix.size()) != prefix) break;
    fn(key, it->value().ToStringView());
  }
  return from_rocksdb(it->status());
}

status job_store::get_meta(std::string_view key, std::string* value) const {
  auto st = impl_->db->Get(rocksdb::ReadOptions{}, impl_->handle(cf::meta), rocksdb::Slice{key.data(), key.size()},
                           value);
  if (st.IsNotFound()) return status::not_found("no record '" + std::string{key} + "' in meta");
  return from_rocksdb(st);
}

status job_store::scan_scheduled(const std::function<void(micros, uint64_t)>& fn) const {
  return scan_prefix(*impl_, cf::scheduled, {}, [&](std::string_view key) {
    if (key.size() == 16) fn(keys::time_of_timed_key(key), keys::id_of_timed_key(key));
    return true;
  });
}

status job_store::scan_blocked(const std::function<void(uint64_t)>& fn) const {
  return scan_prefix(*impl_, cf::blocked, {}, [&](std::string_view key) {
    if (key.size() == 8) fn(keys::job_id_of_job_key(key));
    return true;
  });
}

status job_store::children(uint64_t parent, const std::function<bool(uint64_t)>& fn) const {
  return scan_prefix(*impl_, cf::deps, keys::job(parent), [&](std::string_view key) {
    return key.size() != 16 || fn(keys::child_of_edge_key(key));
  });
}

status job_store::latest_unique(std::string_view user, std::string_view key, uint64_t* id) const {
  auto prefix = keys::unique_prefix(user, key);
  std::unique_ptr<rocksdb::Iterator> it{impl_->db->NewIterator(rocksdb::ReadOptions{}, impl_->handle(cf::unique))};
  it->SeekForPrev(keys::unique(user, key, UINT64_MAX));
  if (it->Valid()) {
    auto k = it->key().ToStringView();
    if (k.size() == prefix.size() + 8 && k.substr(0, prefix.size()) == prefix) {
      *id = keys::get_u64(k, prefix.size());
      return status::ok();
    }
  }
  if (!it->status().ok()) return from_rocksdb(it->status());
  return status::not_found("no job with this idempotency key");
}

status job_store::batch_callbacks(std::string_view batch, const std::function<void(uint64_t)>& fn) const {
  auto prefix = keys::batch_callback_prefix(batch);
  return scan_prefix(*impl_, cf::batches, prefix, [&](std::string_view key) {
    if (key.size() == prefix.size() + 8) fn(keys::id_of_batch_member_key(key));
    return true;
  });
}

status job_store::batch_members(std::string_view batch, const std::function<bool(uint64_t)>& fn) const {
  auto prefix = keys::batch_prefix(batch);
  return scan_prefix(*impl_, cf::batches, prefix, [&](std::string_view key) {
    return key.size() != prefix.size() + 8 || fn(keys::id_of_batch_member_key(key));
  });
}

status job_store::records_of(const std::function<status(const id_sink&)>& scan,
                             const std::function<bool(Job&)>& fn) const {
  constexpr size_t chunk = 1024;
  std::vector<uint64_t> ids;
  std::vector<Job> jobs;
  std::vector<bool> found;
  bool stopped = false;
  auto visit = [&]() -> status {
    if (auto s = multi_get(ids, &jobs, &found); !s) return s;
    for (size_t i = 0; i < ids.size() && !stopped; ++i)
      if (found[i] && !fn(jobs[i])) stopped = true;
    ids.clear();
    return status::ok();
  };
  status failure;
  auto s = scan([&](uint64_t id) {
    ids.push_back(id);
    if (ids.size() == chunk) failure = visit();
    return failure.is_ok() && !stopped;
  });
  if (!s) return s;
  if (!failure) return failure;
  return stopped ? status::ok() : visit();
}

status job_store::scan_running(const std::function<void(Job&)>& fn) const {
  // RUNNING jobs are the queued jobs whose record says so.
  auto queued = [&](const id_sink& sink) { return scan_queue([&](const queued_entry& e) { sink(e.id); }); };
  return records_of(queued, [&](Job& job) {
    if (job.state() == Job::RUNNING) fn(job);
    return true;
  });
}

status job_store::finished_before(micros cutoff, const std::function<bool(const Job&)>& keep_if, size_t limit,
                                  std::vector<history_entry>* out, uint64_t* generation) const {
  *generation = impl_->history_exits.load();
  out->clear();
  std::vector<history_entry> chunk;
  auto check = [&]() -> status {
    std::vector<uint64_t> ids;
    for (const auto& e : chunk) ids.push_back(e.id);
    std::vector<Job> jobs;
    std::vector<bool> found;
    if (auto s = multi_get(ids, &jobs, &found); !s) return s;
    for (size_t i = 0; i < chunk.size() && out->size() < limit; ++i)
      if (found[i] && keep_if(jobs[i])) out->push_back(chunk[i]);
    chunk.clear();
    return status::ok();
  };
  std::unique_ptr<rocksdb::Iterator> it{impl_->db->NewIterator(rocksdb::ReadOptions{}, impl_->handle(cf::history))};
  for (it->SeekToFirst(); it->Valid() && out->size() < limit; it->Next()) {
    auto key = it->key().ToStringView();
    if (key.size() != 16) return status::corruption("history index: malformed entry");
    history_entry e{keys::id_of_timed_key(key), keys::time_of_timed_key(key), !it->value().empty()};
    if (e.finished_at >= cutoff) break;
    chunk.push_back(e);
    if (chunk.size() == 1024)
      if (auto s = check(); !s) return s;
  }
  if (!it->status().ok()) return from_rocksdb(it->status());
  return check();
}

status job_store::expired(uint64_t keep, micros cutoff, size_t limit, std::vector<history_entry>* out,
                          uint64_t* generation) const {
  *generation = impl_->history_exits.load();
  out->clear();
  int64_t size = impl_->history_size.load();
  uint64_t excess = size > static_cast<int64_t>(keep) ? static_cast<uint64_t>(size) - keep : 0;
  std::string floor;
  {
    std::lock_guard<std::mutex> guard{impl_->history_floor_mutex};
    floor = impl_->history_floor;
  }
  auto scan = [&](const std::string& from) -> status {
    out->clear();
    std::unique_ptr<rocksdb::Iterator> it{
        impl_->db->NewIterator(rocksdb::ReadOptions{}, impl_->handle(cf::history))};
    for (it->Seek(from); it->Valid() && out->size() < limit; it->Next()) {
      auto key = it->key().ToStringView();
      if (key.size() != 16) return status::corruption("history index: malformed entry");
      history_entry e{keys::id_of_timed_key(key), keys::time_of_timed_key(key), !it->value().empty()};
      if (out->size() >= excess && e.finished_at >= cutoff) break;
      out->push_back(e);
    }
    return from_rocksdb(it->status());
  };
  if (auto s = scan(floor); !s) return s;
  // The floor is a hint: an entry older than it (a clock step back) would hide below it. Look from the start
  // when the count says more must go than was found.
  if (!floor.empty() && out->size() < std::min<uint64_t>(excess, limit)) return scan(std::string{});
  return status::ok();
}

bool job_store::history_changed_since(uint64_t generation) const { return impl_->history_exits.load() != generation; }

bool job_store::in_history(const history_entry& entry) const {
  std::string value;
  auto st = impl_->db->Get(rocksdb::ReadOptions{}, impl_->handle(cf::history),
                           keys::history(entry.finished_at, entry.id), &value);
  return st.ok();
}

bool job_store::issued(uint64_t id) const { return id > 0 && id < impl_->next_id.load(); }

uint64_t job_store::take_ids(uint64_t n) { return impl_->next_id.fetch_add(n); }
uint64_t job_store::take_ready_seq() { return impl_->next_ready_seq.fetch_add(1); }
uint64_t job_store::take_lease_token() { return impl_->next_lease_token.fetch_add(1); }
int64_t job_store::history_size() const { return impl_->history_size.load(); }

job_store::write_stats job_store::stats() const {
  return {impl_->writes.load(std::memory_order_relaxed), impl_->write_ops.load(std::memory_order_relaxed),
          impl_->write_ns.load(std::memory_order_relaxed)};
}

status job_store::write(write_batch& batch, bool sync) {
  if (batch.empty()) return status::ok();
  // RocksDB counts every operation in a thread-local perf context unless told not to; troupe does not read it.
  static thread_local bool perf_off = (rocksdb::SetPerfLevel(rocksdb::PerfLevel::kDisable), true);
  (void)perf_off;
  std::lock_guard<std::mutex> guard{impl_->write_mutex};
  auto started = std::chrono::steady_clock::now();
  // Sorted by (family, key), stable for same-key order: each memtable then receives its keys in order.
  auto& order = impl_->scratch.order;
  order.resize(batch.ops_.size());
  for (uint32_t i = 0; i < order.size(); ++i) order[i] = i;
  std::stable_sort(order.begin(), order.end(), [&](uint32_t x, uint32_t y) {
    const auto& a = batch.ops_[x];
    const auto& c = batch.ops_[y];
    return a.family != c.family ? a.family < c.family : a.key < c.key;
  });
  auto& rb = impl_->scratch.batch;
  rb.Clear();
  for (auto i : order) {
    const auto& op = batch.ops_[i];
    auto* h = impl_->handle(static_cast<cf>(op.family));
    auto st = op.erase ? rb.Delete(h, op.key) : rb.Put(h, op.key, op.value);
    if (!st.ok()) return from_rocksdb(st);
  }
  rocksdb::WriteOptions options;
  options.sync = sync;
  auto st = impl_->db->Write(options, &rb);
  if (!st.ok()) return from_rocksdb(st);
  impl_->history_size += batch.history_delta_;
  impl_->history_exits += batch.history_exits_;
  impl_->writes.fetch_add(1, std::memory_order_relaxed);
  impl_->write_ops.fetch_add(batch.ops_.size(), std::memory_order_relaxed);
  impl_->write_ns.fetch_add(
      std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now() - started).count(),
      std::memory_order_relaxed);
  if (!batch.history_floor_.empty()) {
    std::lock_guard<std::mutex> floor_guard{impl_->history_floor_mutex};
    if (batch.history_floor_ > impl_->history_floor) impl_->history_floor = batch.history_floor_;
  }
  batch.clear();
  return status::ok();
}

status job_store::compact_jobs() {
  auto* jobs = impl_->handle(cf::jobs);
  if (auto st = impl_->db->Flush(rocksdb::FlushOptions{}, jobs); !st.ok()) return from_rocksdb(st);
  rocksdb::CompactRangeOptions options;
  options.bottommost_level_compaction = rocksdb::BottommostLevelCompaction::kForce;
  // Relocate the live blobs of every blob file, whatever the family's age cutoff: the superseded ones go.
  options.blob_garbage_collection_policy = rocksdb::BlobGarbageCollectionPolicy::kForce;
  options.blob_garbage_collection_age_cutoff = 1.0;
  return from_rocksdb(impl_->db->CompactRange(options, jobs, nullptr, nullptr));
}

status job_store::jobs_size(family_size* out) const {
  auto* jobs = impl_->handle(cf::jobs);
  if (!impl_->db->GetIntProperty(jobs, rocksdb::DB::Properties::kLiveSstFilesSize, &out->sst_bytes))
    return status::io_error("RocksDB did not report rocksdb.live-sst-files-size");
  if (!impl_->db->GetIntProperty(jobs, rocksdb::DB::Properties::kLiveBlobFileSize, &out->blob_bytes))
    return status::io_error("RocksDB did not report rocksdb.live-blob-file-size");
  return status::ok();
}

}  // namespace troupe::storage
