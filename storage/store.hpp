#pragma once
// troupe's durable store: jobs and their queue indexes in RocksDB (layout in storage/keys.hpp). No RocksDB type
// appears in this header: actors use the store through these classes only.

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "schemas/time.hpp"
#include "schemas/troupe.pb.h"
#include "storage/status.hpp"

namespace troupe::storage {

struct store_options {
  std::string path;             // directory of the RocksDB instance; created if missing
  size_t block_cache_mb = 64;   // shared block cache of every column family
};

// Where a job sits in the indexes. Taken from a job *before* a change (job_position::of), so that the change can
// move the job's index entry from where it was to where its new state puts it.
struct job_position {
  uint64_t id = 0;
  Job::State state = Job::PENDING;
  int lane = 2;
  uint64_t ready_seq = 0;
  micros run_at = 0;
  micros finished_at = 0;

  static job_position of(const Job& job);
};

// A finished job's entry in the history index.
struct history_entry {
  uint64_t id = 0;
  micros finished_at = 0;
};

// Changes that job_store::write applies atomically (one RocksDB WriteBatch). Made by job_store::batch(); build it
// on one thread and write it to the store that made it.
class write_batch {
 public:
  ~write_batch();
  write_batch(write_batch&&) noexcept;
  write_batch& operator=(write_batch&&) noexcept;

  // A new job: its record and the index entry of its state.
  void insert(const Job& job);
  // A changed job: its record; its index entry moves from `before` to where job.state() puts it.
  void update(const Job& job, const job_position& before);
  // Deletes a finished job: its record and its history entry.
  void erase_finished(const history_entry& entry);
  // Persists the id counter: ids below `next` are taken.
  void set_next_id(uint64_t next);

  size_t size() const;  // operations so far
  bool empty() const { return size() == 0; }
  void clear();

  struct impl;  // opaque: defined in storage/store_impl.hpp

 private:
  friend class job_store;
  explicit write_batch(std::unique_ptr<impl> impl);
  std::unique_ptr<impl> impl_;
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
  // Every queued (READY or RUNNING) job's index entry, in lane then FIFO order.
  status scan_queue(const std::function<void(int lane, uint64_t seq, uint64_t id)>& fn) const;
  // Every RUNNING job's record.
  status scan_running(const std::function<void(Job&)>& fn) const;
  // Up to `limit` finished jobs to delete: the oldest beyond the newest `keep`, and any finished before `cutoff`.
  // `generation` receives the history's generation at the time of the scan (see history_changed_since).
  status expired(uint64_t keep, micros cutoff, size_t limit, std::vector<history_entry>* out,
                 uint64_t* generation) const;
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

  // --- allocators (thread-safe) -------------------------------------------------------------------------------
  // Reserves `n` consecutive job ids and returns the first. The batch that stores the jobs must persist the
  // counter with set_next_id(first + n), so that ids are never reused after a restart.
  uint64_t take_ids(uint64_t n);
  // The next FIFO position for a job entering a ready lane (above every position stored at open).
  uint64_t take_ready_seq();

  // --- writes ---------------------------------------------------------------------------------------------
  // An empty batch for this store.
  write_batch batch() const;
  // Applies `batch` atomically; with `sync`, returns after the WAL is fsynced. Clears the batch.
  status write(write_batch& batch, bool sync);

  // A short human-readable summary of RocksDB's state (sizes, compaction), for `troupe status --verbose`.
  std::string describe() const;

  struct impl;  // opaque: defined in storage/store_impl.hpp

 private:
  explicit job_store(std::unique_ptr<impl> impl);
  std::unique_ptr<impl> impl_;
};

}  // namespace troupe::storage
