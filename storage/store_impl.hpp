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
enum class cf : int { jobs = 0, queue, scheduled, history, meta, count_ };
const char* cf_name(cf family);

struct job_store::impl {
  std::unique_ptr<rocksdb::DB> db;
  std::vector<rocksdb::ColumnFamilyHandle*> cfs;  // owned; destroyed before db
  std::atomic<uint64_t> next_id{1};
  std::atomic<uint64_t> next_ready_seq{1};
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

  rocksdb::ColumnFamilyHandle* handle(cf family) const { return cfs[static_cast<int>(family)]; }
  ~impl();
};

// One buffered operation of a write_batch.
struct batch_op {
  cf family;
  bool erase = false;
  std::string key;
  std::string value;
};

// A write_batch buffers its operations and hands them to RocksDB sorted by (column family, key), keeping the
// order of operations on the same key (a stable sort). Sorted inserts let each memtable's skiplist reuse the
// position of the previous insert instead of searching from the top: for the mixed, non-monotonic keys of a
// group commit (claims, results and deletions of jobs from different parts of the queue) this cuts the
// journal's time per operation by more than half.
struct write_batch::impl {
  const job_store::impl* store;
  std::vector<batch_op> ops_list;
  size_t ops = 0;
  int64_t history_delta = 0;      // entries added minus removed
  uint64_t history_exits = 0;     // history entries removed by update()
  std::string history_floor;      // the highest history key erased (exclusive lower bound afterwards)
  rocksdb::WriteBatch batch;       // built from ops_list by job_store::write
  std::vector<uint32_t> order;     // reused sort permutation
};

status from_rocksdb(const rocksdb::Status& s);

}  // namespace troupe::storage
