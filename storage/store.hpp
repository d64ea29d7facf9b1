#pragma once
// troupe's durable store: jobs and their queue indexes in RocksDB (layout in storage/keys.hpp). No RocksDB type
// appears in this header: actors use the store through these classes only.

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "schemas/time.hpp"
#include "schemas/troupe.pb.h"
#include "storage/status.hpp"
#include "storage/write_batch.hpp"

namespace troupe::storage {

// How the store compresses job records (SST blocks and blob files) and metrics samples: payloadCompression.
// Only the writing side depends on it: RocksDB reads files written under any setting, so it may change between
// opens of the same directory.
enum class record_compression { none, lz4, zstd };

// Parses "none", "lz4" or "zstd" (the payloadCompression values); false for anything else.
bool parse_record_compression(std::string_view name, record_compression* out);
const char* to_string(record_compression c);
// Whether the linked RocksDB was built with `c` (none always is). open() refuses a compression it lacks.
bool compression_supported(record_compression c);

struct store_options {
  std::string path;             // directory of the RocksDB instance; created if missing
  size_t block_cache_mb = 64;   // shared block cache of every column family
  record_compression compression = record_compression::zstd;
  // Job records of at least this many KiB go to RocksDB blob files, out of the LSM tree, so that compactions
  // do not rewrite large payloads (blobThresholdKB; 0: no blob files).
  uint32_t blob_threshold_kb = 4;
};

// The store. Reads are safe from any thread at any time; writes come from one thread at a time (the journal).
class job_store {
 public:
  // Opens (creating if needed) the store at options.path.
  static status open(const store_options& options, std::unique_ptr<job_store>* out);
  ~job_store();
  job_store(const job_store&) = delete;
  job_store& operator=(const job_store&) = delete;

  // --- reads ----------------------------------------------------------------------------------------------
  status get(uint64_t id, Job* out) const;
  // Looks up many jobs at once. `found[i]` tells whether ids[i] exists; out[i] is its record.
  status multi_get(const std::vector<uint64_t>& ids, std::vector<Job>* out, std::vector<bool>* found) const;
  // Jobs in id order after query.after_id() matching the query's filters, at most query.limit() (0: 100).
  status list(const JobQuery& query, JobPage* out) const;
  // A queue index entry: the job's lane, FIFO position, id and fair-share keys (valid during the callback).
  struct queued_entry {
    int lane = 0;
    uint64_t seq = 0;
    uint64_t id = 0;
    std::string_view user;
    std::string_view kind;
  };
  // Reads the records of the ids an index scan yields, a chunk at a time (multi_get), and calls `fn` with each one
  // that exists, until it returns false. `scan` is given the sink for ids (it returns false to stop the scan),
  // e.g. [&](auto& sink) { return store.children(parent, sink); }.
  using id_sink = std::function<bool(uint64_t id)>;
  status records_of(const std::function<status(const id_sink&)>& scan,
                    const std::function<bool(Job&)>& fn) const;
  // Every queued (READY or RUNNING) job's index entry, in lane then FIFO order.
  status scan_queue(const std::function<void(const queued_entry&)>& fn) const;
  // Every record in `meta` whose name starts with `prefix`, in name order.
  status scan_meta(std::string_view prefix,
                   const std::function<void(std::string_view key, std::string_view value)>& fn) const;
  // The record in `meta` named `key`; not_found if there is none.
  status get_meta(std::string_view key, std::string* value) const;
  // Every SCHEDULED job's due time and id, earliest first.
  status scan_scheduled(const std::function<void(micros at, uint64_t id)>& fn) const;
  // Every BLOCKED job's id, in id order.
  status scan_blocked(const std::function<void(uint64_t id)>& fn) const;
  // The jobs that depend on `parent` (dependency edges), in id order, while `fn` returns true.
  status children(uint64_t parent, const std::function<bool(uint64_t child)>& fn) const;
  // The ids of a batch's jobs, in id order, while `fn` returns true.
  status batch_members(std::string_view batch, const std::function<bool(uint64_t id)>& fn) const;
  // The newest job with this idempotency key for this user; not_found if none.
  status latest_unique(std::string_view user, std::string_view key, uint64_t* id) const;
  // The ids of the callback jobs of a batch, in id order.
  status batch_callbacks(std::string_view batch, const std::function<void(uint64_t id)>& fn) const;
  // Every RUNNING job's record.
  status scan_running(const std::function<void(Job&)>& fn) const;
  // Up to `limit` finished jobs to delete: the oldest beyond the newest `keep`, and any finished before `cutoff`.
  // `generation` receives the history's generation at the time of the scan (see history_changed_since).
  status expired(uint64_t keep, micros cutoff, size_t limit, std::vector<history_entry>* out,
                 uint64_t* generation) const;
  // Every finished job that ended before `cutoff` and satisfies `keep_if` (given its record), at most `limit`;
  // `generation` as for expired().
  status finished_before(micros cutoff, const std::function<bool(const Job&)>& keep_if, size_t limit,
                         std::vector<history_entry>* out, uint64_t* generation) const;
  // Whether a job left the history (other than by deletion) since `generation`: then entries listed by
  // expired() must be checked with in_history() before they are deleted.
  bool history_changed_since(uint64_t generation) const;
  // Whether `entry` is still in the history (its job was not retried or deleted since it was listed).
  bool in_history(const history_entry& entry) const;

  // Finished jobs in the history (exact for the writes made through this object).
  int64_t history_size() const;

  // Writes made through this object since it was opened, and the operations in them.
  struct write_stats {
    uint64_t writes = 0;
    uint64_t ops = 0;
    uint64_t nanos = 0;  // time spent writing (RocksDB write and fsync)
  };
  write_stats stats() const;

  // Whether `id` was ever handed out by take_ids (its job may since have been deleted, or never stored).
  bool issued(uint64_t id) const;

  // --- allocators (thread-safe) -------------------------------------------------------------------------------
  // Reserves `n` consecutive job ids and returns the first. The batch that stores the jobs must persist the
  // counter with set_next_id(first + n), so that ids are never reused after a restart.
  uint64_t take_ids(uint64_t n);
  // The next FIFO position for a job entering a ready lane (above every position stored at open).
  uint64_t take_ready_seq();
  // A fencing token for a new attempt's lease: never issued before by this store, across restarts (every open
  // persists a new epoch, the token's high bits).
  uint64_t take_lease_token();

  // --- writes ---------------------------------------------------------------------------------------------
  // Applies `batch` atomically, its operations sorted by (column family, key) and same-key operations in order;
  // with `sync`, returns after the WAL is fsynced. Clears the batch.
  status write(write_batch& batch, bool sync);

  // --- maintenance (benchmarks, tools) -------------------------------------------------------------------------
  // Flushes the memtables and compacts the jobs family to its last level, collecting every blob of a record that
  // was since rewritten or deleted. Costly (rewrites the whole family): not for a serving node.
  status compact_jobs();
  // Bytes on disk of the jobs family: its live SST files and its live blob files (RocksDB's
  // rocksdb.live-sst-files-size and rocksdb.live-blob-file-size).
  struct family_size {
    uint64_t sst_bytes = 0;
    uint64_t blob_bytes = 0;
  };
  status jobs_size(family_size* out) const;

  // --- metrics history (storage/metrics_history.cpp; the metrics actor's) ----------------------------------
  // Samples in tiers (0: finest, 1: per minute, 2: per hour), keyed by time. Written without fsync: a crash may
  // lose the newest samples, never a job. Safe from any thread.
  status put_metrics(uint8_t tier, micros at, std::string_view sample);
  // Samples of `tier` with from <= at < to, oldest first, while `fn` returns true.
  status scan_metrics(uint8_t tier, micros from, micros to,
                      const std::function<bool(micros at, std::string_view sample)>& fn) const;
  // Deletes the samples of `tier` older than `before`.
  status erase_metrics_before(uint8_t tier, micros before);

  struct impl;  // opaque: defined in storage/store_impl.hpp

 private:
  explicit job_store(std::unique_ptr<impl> impl);
  std::unique_ptr<impl> impl_;
};

}  // namespace troupe::storage
