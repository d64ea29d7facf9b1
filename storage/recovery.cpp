#include "storage/recovery.hpp"

#include "schemas/lifecycle.hpp"

namespace troupe::storage {

status recover_interrupted(job_store& store, micros now, recovery_report* report) {
  *report = {};
  write_batch batch;
  auto s = store.scan_running([&](Job& job) {
    auto before = job_position::of(job);
    lifecycle::requeue_interrupted(job, now, store.take_ready_seq(),
                                   "the node stopped during attempt " + std::to_string(job.attempts()));
    if (job.state() == Job::DEAD) ++report->dead;
    else ++report->requeued;
    batch.update(job, before);
  });
  if (!s) return s;
  return store.write(batch, /*sync=*/true);
}

}  // namespace troupe::storage
