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
  pos.run_at = job.spec().has_run_at() ? to_micros(job.spec().run_at()) : 0;
  pos.finished_at = job.has_finished_at() ? to_micros(job.finished_at()) : 0;
  return pos;
}

namespace {

// The index entry a job in position `pos` has: its column family and key, or none (PENDING).
struct index_entry {
  cf family;
  std::string key;
  bool exists = false;
};

index_entry index_of(const job_position& pos) {
  switch (pos.state) {
    // A job keeps its queue entry from READY through RUNNING: claiming it rewrites only its record.
    case Job::READY:
    case Job::RUNNING: return {cf::queue, keys::queue(pos.lane, pos.ready_seq), true};
    case Job::SCHEDULED: return {cf::scheduled, keys::scheduled(pos.run_at, pos.id), true};
    case Job::SUCCEEDED:
    case Job::FAILED:
    case Job::DEAD:
    case Job::CANCELLED: return {cf::history, keys::history(pos.finished_at, pos.id), true};
    default: return {cf::jobs, {}, false};
  }
}

}  // namespace

write_batch::write_batch(std::unique_ptr<impl> impl) : impl_(std::move(impl)) {}
write_batch::~write_batch() = default;
write_batch::write_batch(write_batch&&) noexcept = default;
write_batch& write_batch::operator=(write_batch&&) noexcept = default;

namespace {

void add_op(write_batch::impl& b, cf family, bool erase, std::string key, std::string value = {}) {
  b.ops_list.push_back(batch_op{family, erase, std::move(key), std::move(value)});
  ++b.ops;
}

void put_index(write_batch::impl& b, const index_entry& e, uint64_t id) {
  if (!e.exists) return;
  std::string value;
  if (e.family == cf::queue) keys::put_u64(value, id);
  add_op(b, e.family, false, e.key, std::move(value));
  if (e.family == cf::history) ++b.history_delta;
}

void delete_index(write_batch::impl& b, const index_entry& e) {
  if (!e.exists) return;
  add_op(b, e.family, true, e.key);
  if (e.family == cf::history) --b.history_delta;
}

void put_record(write_batch::impl& b, const Job& job) {
  std::string value;
  job.SerializeToString(&value);
  add_op(b, cf::jobs, false, keys::job(job.id()), std::move(value));
}

}  // namespace

void write_batch::insert(const Job& job) {
  put_record(*impl_, job);
  put_index(*impl_, index_of(job_position::of(job)), job.id());
}

void write_batch::update(const Job& job, const job_position& before) {
  put_record(*impl_, job);
  auto old_entry = index_of(before);
  auto new_entry = index_of(job_position::of(job));
  if (old_entry.exists && new_entry.exists && old_entry.family == new_entry.family &&
      old_entry.key == new_entry.key)
    return;
  delete_index(*impl_, old_entry);
  if (old_entry.family == cf::history) ++impl_->history_exits;
  put_index(*impl_, new_entry, job.id());
}

void write_batch::erase_finished(const history_entry& entry) {
  index_entry index{cf::history, keys::history(entry.finished_at, entry.id), true};
  add_op(*impl_, cf::jobs, true, keys::job(entry.id));
  delete_index(*impl_, index);
  if (index.key > impl_->history_floor) impl_->history_floor = index.key;
}

void write_batch::set_next_id(uint64_t next) {
  std::string value;
  keys::put_u64(value, next);
  add_op(*impl_, cf::meta, false, std::string{keys::meta_next_id}, std::move(value));
}

size_t write_batch::size() const { return impl_->ops; }

void write_batch::clear() {
  impl_->ops_list.clear();
  impl_->batch.Clear();
  impl_->ops = 0;
  impl_->history_delta = 0;
  impl_->history_exits = 0;
  impl_->history_floor.clear();
}

}  // namespace troupe::storage
