#include "storage/recovery.hpp"

#include <unordered_set>

#include "schemas/lifecycle.hpp"
#include "storage/usage.hpp"

namespace troupe::storage {

status recover_interrupted(job_store& store, micros now, recovery_report* report) {
  *report = {};
  bool counted = false;
  if (auto s = usage_counted(store, &counted); !s) return s;
  // A job that ends DEAD here stops counting: its user's counter changes in the same write.
  usage_map usage;
  if (counted)
    if (auto s = load_usage(store, &usage); !s) return s;
  std::unordered_set<std::string> changed;
  write_batch batch;
  auto s = store.scan_running([&](Job& job) {
    auto before = job_position::of(job);
    lifecycle::requeue_interrupted(job, now, store.take_ready_seq(),
                                   "the node stopped during attempt " + std::to_string(job.attempts()),
                                   /*keep_lease=*/true);  // a worker may still report the attempt's result
    if (job.state() == Job::DEAD) ++report->dead;
    else ++report->requeued;
    if (counted && count_change(usage[job.spec().user()], job.spec(), before.state, job.state()))
      changed.insert(job.spec().user());
    batch.update(job, before);
  });
  if (!s) return s;
  for (const auto& user : changed) put_usage(batch, user, usage[user]);
  if (s = store.write(batch, /*sync=*/true); !s) return s;
  if (counted) return status::ok();
  // A store written before the counters existed: count them once, from the jobs as recovered.
  report->usage_rebuilt = true;
  return rebuild_usage(store, &report->usage_users);
}

}  // namespace troupe::storage
