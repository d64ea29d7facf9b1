#include "storage/write_batch.hpp"

#include "schemas/lifecycle.hpp"
#include "storage/keys.hpp"
#include "storage/store_impl.hpp"

namespace troupe::storage {

job_position job_position::of(const Job& job) {
  job_position pos;
  pos.id = job.id();
  pos.state = job.state();
  pos.lane = lifecycle::lane_of(job.spec().priority());
  pos.ready_seq = job.ready_seq();
  pos.run_at = job.has_scheduled_for() ? to_micros(job.scheduled_for()) : 0;
  pos.finished_at = job.has_finished_at() ? to_micros(job.finished_at()) : 0;
  return pos;
}

namespace {

// The index entry a job in position `pos` has: its column family and key, or none (PENDING).
struct index_entry {
  cf family = cf::jobs;
  std::string key;
  bool exists = false;
};

index_entry index_of(const job_position& pos) {
  switch (pos.state) {
    // A job keeps its queue entry from READY through RUNNING: claiming it rewrites only its record.
    case Job::READY:
    case Job::RUNNING: return {cf::queue, keys::queue(pos.lane, pos.ready_seq), true};
    case Job::SCHEDULED: return {cf::scheduled, keys::scheduled(pos.run_at, pos.id), true};
    case Job::BLOCKED: return {cf::blocked, keys::job(pos.id), true};
    case Job::SUCCEEDED:
    case Job::FAILED:
    case Job::DEAD:
    case Job::CANCELLED: return {cf::history, keys::history(pos.finished_at, pos.id), true};
    default: return {};
  }
}

uint8_t family_id(cf family) { return static_cast<uint8_t>(family); }

bool has_relations(const JobSpec& spec) {
  return spec.dependencies_size() > 0 || !spec.batch().empty() || !spec.batch_callback().empty() ||
         !spec.idempotency_key().empty();
}

}  // namespace

void write_batch::add(uint8_t family, bool erase, std::string key, std::string value) {
  ops_.push_back(batch_op{family, erase, std::move(key), std::move(value)});
}

// Adds the job's serialized record; returns its index in ops_.
size_t write_batch::add_record(const Job& job) {
  std::string record;
  job.SerializeToString(&record);
  add(family_id(cf::jobs), false, keys::job(job.id()), std::move(record));
  return ops_.size() - 1;
}

void write_batch::add_index(bool erase, std::string key, uint8_t family, const Job& job) {
  std::string value;
  if (!erase && family == family_id(cf::queue))
    value = keys::queue_value(job.id(), job.spec().user(), job.spec().kind());
  if (!erase && family == family_id(cf::history) && has_relations(job.spec()))
    value.assign(1, keys::history_has_relations);
  add(family, erase, std::move(key), std::move(value));
  if (family == family_id(cf::history)) {
    history_delta_ += erase ? -1 : 1;
    if (erase) ++history_exits_;
  }
}

const std::string& write_batch::insert(const Job& job) {
  auto stored = add_record(job);
  auto entry = index_of(job_position::of(job));
  if (entry.exists) add_index(false, std::move(entry.key), family_id(entry.family), job);
  // Relations live as long as the job: edges to its parents and its batch membership (erase_finished).
  for (auto parent : job.spec().dependencies()) add(family_id(cf::deps), false, keys::edge(parent, job.id()));
  if (!job.spec().batch().empty())
    add(family_id(cf::batches), false, keys::batch_member(job.spec().batch(), job.id()));
  if (!job.spec().batch_callback().empty())
    add(family_id(cf::batches), false, keys::batch_callback(job.spec().batch_callback(), job.id()));
  if (!job.spec().idempotency_key().empty())
    add(family_id(cf::unique), false, keys::unique(job.spec().user(), job.spec().idempotency_key(), job.id()));
  return ops_[stored].value;
}

const std::string& write_batch::update(const Job& job, const job_position& before) {
  auto stored = add_record(job);
  auto old_entry = index_of(before);
  auto new_entry = index_of(job_position::of(job));
  bool same = old_entry.exists && new_entry.exists && old_entry.family == new_entry.family &&
              old_entry.key == new_entry.key;
  if (!same) {
    if (old_entry.exists) add_index(true, std::move(old_entry.key), family_id(old_entry.family), job);
    if (new_entry.exists) add_index(false, std::move(new_entry.key), family_id(new_entry.family), job);
  }
  return ops_[stored].value;
}

void write_batch::erase_finished(const history_entry& entry) {
  auto key = keys::history(entry.finished_at, entry.id);
  if (key > history_floor_) history_floor_ = key;
  for (auto parent : entry.parents) add(family_id(cf::deps), true, keys::edge(parent, entry.id));
  if (!entry.batch.empty()) add(family_id(cf::batches), true, keys::batch_member(entry.batch, entry.id));
  if (!entry.batch_callback.empty())
    add(family_id(cf::batches), true, keys::batch_callback(entry.batch_callback, entry.id));
  if (!entry.idempotency_key.empty())
    add(family_id(cf::unique), true, keys::unique(entry.user, entry.idempotency_key, entry.id));
  add(family_id(cf::jobs), true, keys::job(entry.id));
  add(family_id(cf::history), true, std::move(key));
  --history_delta_;
}

void write_batch::set_next_id(uint64_t next) {
  std::string value;
  keys::put_u64(value, next);
  add(family_id(cf::meta), false, std::string{keys::meta_next_id}, std::move(value));
}

void write_batch::put_meta(std::string key, std::string value) {
  add(family_id(cf::meta), false, std::move(key), std::move(value));
}

void write_batch::erase_meta(std::string key) { add(family_id(cf::meta), true, std::move(key)); }

void write_batch::append(write_batch&& other) {
  if (ops_.empty()) {
    ops_ = std::move(other.ops_);
  } else {
    ops_.reserve(ops_.size() + other.ops_.size());
    for (auto& op : other.ops_) ops_.push_back(std::move(op));
  }
  history_delta_ += other.history_delta_;
  history_exits_ += other.history_exits_;
  if (other.history_floor_ > history_floor_) history_floor_ = std::move(other.history_floor_);
  other.clear();
}

void write_batch::clear() {
  ops_.clear();
  history_delta_ = 0;
  history_exits_ = 0;
  history_floor_.clear();
}

}  // namespace troupe::storage
