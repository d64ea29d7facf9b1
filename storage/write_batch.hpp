#pragma once
// A set of changes to the store, applied atomically by job_store::write (one RocksDB WriteBatch). A plain value:
// any thread builds one (serializing records as it goes), moves it to the journal, which appends many into one
// commit. The caller describes jobs; the batch derives the index entries from their states (storage/keys.hpp).

#include <cstdint>
#include <string>
#include <vector>

#include "schemas/time.hpp"
#include "schemas/troupe.pb.h"

namespace troupe::storage {

// Where a job sits in the indexes. Taken from a job *before* a change (job_position::of), so that the change can
// move the job's index entry from where it was to where its new state puts it.
struct job_position {
  uint64_t id = 0;
  Job::State state = Job::PENDING;
  int lane = 2;
  uint64_t ready_seq = 0;
  micros run_at = 0;  // SCHEDULED: when it turns READY (Job.scheduled_for)
  micros finished_at = 0;

  static job_position of(const Job& job);
};

// A finished job's entry in the history index, and the relations that go with the job when it is deleted (filled
// from its record by prepare_expiry, storage/graph_queries.hpp, for entries whose index value says it has any).
struct history_entry {
  uint64_t id = 0;
  micros finished_at = 0;
  bool has_relations = false;          // the job has dependencies, a batch or a batch callback (index value)
  std::vector<uint64_t> parents = {};  // its dependencies: the edges parent . id
  std::string batch = {};              // its batch membership
  std::string batch_callback = {};     // the batch it is the callback of
  std::string user = {};               // with idempotency_key: its entry in the unique index
  std::string idempotency_key = {};
};

// One buffered operation. `family` is a storage::cf value.
struct batch_op {
  uint8_t family = 0;
  bool erase = false;
  std::string key;
  std::string value;
};

class write_batch {
 public:
  // A new job: its record, the index entry of its state, its dependency edges and its batch membership.
  // Returns the serialized record.
  const std::string& insert(const Job& job);
  // A changed job: its record; its index entry moves from `before` to where job.state() puts it. Returns the
  // serialized record.
  const std::string& update(const Job& job, const job_position& before);
  // Deletes a finished job: its record, its history entry, and the relations the entry names.
  void erase_finished(const history_entry& entry);
  // Persists the id counter: ids below `next` are taken.
  void set_next_id(uint64_t next);
  // Sets or deletes a small named record in `meta` (keys in storage/keys.hpp).
  void put_meta(std::string key, std::string value);
  void erase_meta(std::string key);
  // Moves every operation of `other` after this batch's own.
  void append(write_batch&& other);

  size_t size() const { return ops_.size(); }
  bool empty() const { return ops_.empty(); }
  void clear();

 private:
  friend class job_store;
  void add(uint8_t family, bool erase, std::string key, std::string value = {});
  size_t add_record(const Job& job);
  // Puts or deletes an index entry (a queue entry's value is the job id), keeping the history counters.
  void add_index(bool erase, std::string key, uint8_t family, const Job& job);

  std::vector<batch_op> ops_;
  int64_t history_delta_ = 0;   // history entries added minus removed
  uint64_t history_exits_ = 0;  // history entries removed by update() (a job leaving a terminal state)
  std::string history_floor_;   // the highest history key erased by erase_finished
};

}  // namespace troupe::storage
