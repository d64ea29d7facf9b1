#pragma once
// Internals shared by the store's translation units (store.cpp, write_batch.cpp). Not for use outside storage/.

#include <atomic>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <rocksdb/db.h>
#include <rocksdb/write_batch.h>

#include "storage/store.hpp"

namespace troupe::storage {

// Column families in the order they are opened; index = position in job_store::impl::cfs.
enum class cf : int { jobs = 0, queue, scheduled, history, meta, blocked, deps, batches, unique, metrics, count_ };
const char* cf_name(cf family);

// What job_store::write reuses from one write to the next (the journal writes from one thread).
struct write_scratch {
  rocksdb::WriteBatch batch;
  std::vector<uint32_t> order;
};

struct job_store::impl {
  std::unique_ptr<rocksdb::DB> db;
  std::vector<rocksdb::ColumnFamilyHandle*> cfs;  // owned; destroyed before db
  std::atomic<uint64_t> next_id{1};
  std::atomic<uint64_t> next_ready_seq{1};
  std::atomic<uint64_t> next_lease_token{1};  // lease epoch << 40 | counter (see load_counters)
  std::atomic<int64_t> history_size{0};
  // Counts jobs that left the history other than by retention (a terminal job made non-terminal again), so
  // that retention knows when the entries it listed must be checked one by one before deletion.
  std::atomic<uint64_t> history_exits{0};
  std::atomic<uint64_t> writes{0};       // write() calls that wrote something
  std::atomic<uint64_t> write_ops{0};    // operations in them
  std::atomic<uint64_t> write_ns{0};     // time spent in them (sorting, RocksDB write, fsync)
  // Smallest history key that may still exist: retention deletes from the front, so scans start here and skip
  // the tombstones of what was already deleted.
  mutable std::mutex history_floor_mutex;
  std::string history_floor;
  std::mutex write_mutex;  // one write() at a time (normally only the journal writes)
  write_scratch scratch;   // guarded by write_mutex

  rocksdb::ColumnFamilyHandle* handle(cf family) const { return cfs[static_cast<int>(family)]; }
  ~impl();
};

status from_rocksdb(const rocksdb::Status& s);

}  // namespace troupe::storage
