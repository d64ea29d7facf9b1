#pragma once
// Per-user usage counters in the store: meta "usage:" . user -> UsageCounter, what the user's unfinished jobs hold
// (schemas/usage.hpp says what counts). The scheduler writes a user's absolute counter into the same commit as the
// changes of state that change it; storage recovery adjusts the counters of the RUNNING jobs it ends DEAD in its own
// write. So after any crash the stored counters equal what a scan of the unfinished jobs would give.
//
// Why persisted counters rather than a count at every start: counting reads the record of every unfinished job
// (the scheduled and blocked indexes hold no user or payload size), and a node may hold a million delayed jobs:
// 11-27 s for 1,000,000 SCHEDULED jobs on the 2-core VM (docs/storage.md), against 0.2-0.5 s for the scan of the
// scheduled index the scheduler makes anyway. The persisted counters cost one small write per user changed per
// commit and a read of O(users) records at start. The count (count_usage) runs once, for a store written before
// the counters existed (no meta "usage_counted"). A store that a build without counters wrote to after they
// existed must have its "usage_counted" record deleted (ldb) so that they are counted again.

#include <string>
#include <string_view>
#include <unordered_map>

#include "schemas/usage.hpp"
#include "storage/status.hpp"
#include "storage/store.hpp"
#include "storage/write_batch.hpp"

namespace troupe::storage {

// Counters by user; a user missing holds nothing.
using usage_map = std::unordered_map<std::string, usage_counter>;

// The stored counters.
status load_usage(const job_store& store, usage_map* out);
// The counters as the records of the unfinished jobs say (every job in the queue, scheduled and blocked indexes).
status count_usage(const job_store& store, usage_map* out);
// A user's counter into `batch`: its record, or the deletion of its record when it holds nothing.
void put_usage(write_batch& batch, std::string_view user, const usage_counter& counter);
// Whether the store keeps counters (meta "usage_counted").
status usage_counted(const job_store& store, bool* out);
// Counts the usage (count_usage) and writes every counter (deleting stored ones of users with nothing) and the
// marker in one synced write; `users` receives the number of users with unfinished jobs.
status rebuild_usage(job_store& store, size_t* users);

}  // namespace troupe::storage
