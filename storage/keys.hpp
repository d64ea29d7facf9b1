#pragma once
// The RocksDB key layout, in one place (documented for people in docs/storage.md; keep the two in step).
// Integers are big-endian so that RocksDB's byte order is numeric order: range scans find the oldest history
// entry, the next due scheduled job and the head of a ready lane without sorting.
//
//   column family  key                                  value
//   jobs           id (8)                               Job (protobuf)
//   queue          lane (1) . ready_seq (8)             id (8)          READY and RUNNING jobs, FIFO per lane
//   scheduled      run_at_us (8) . id (8)               empty           SCHEDULED jobs by due time
//   history        finished_at_us (8) . id (8)          "r" or empty    terminal jobs by finish time (retention);
//                                                                       "r": it has relations to delete with it
//   meta           name (ASCII)                         per name        "next_id": next job id (8); "paused:" . kind,
//                                                                       "runner_stopped": who paused or stopped;
//                                                                       "cron:" . name: CronSchedule (protobuf);
//                                                                       "audit:" . at_us (8) . seq (8): ControlEvent;
//                                                                       "user:" . name: User (protobuf);
//                                                                       "usage:" . user: UsageCounter;
//                                                                       "usage_counted": the store keeps them;
//                                                                       "alert:" . alert id: Alert (active and
//                                                                       the newest resolved ones);
//                                                                       "bench:" . run id: BenchmarkRun
//   blocked        id (8)                               empty           BLOCKED jobs (dependencies, batch callbacks)
//   deps           parent id (8) . child id (8)         empty           dependency edges, until the child is deleted
//   unique         user . 0x00 . key . 0x00 . id (8)    empty           idempotency keys, until the job is deleted
//   batches        batch name . 0x00 . id (8)           empty           batch members, until the job is deleted
//                  batch name . 0x01 . id (8)           empty           the batch's callback jobs, likewise
//   metrics        tier (1) . at_us (8)                 MetricsSample   the metrics history (tiers: 0 finest,
//                                                                       1 per-minute, 2 per-hour averages)
//
// A queue entry's value also carries the job's fair-share keys, so the ready queue is rebuilt without reading
// records: id (8) . user . 0x00 . kind.

#include <cstdint>
#include <string>
#include <string_view>

namespace troupe::storage::keys {

void put_u64(std::string& out, uint64_t v);
uint64_t get_u64(std::string_view in, size_t offset = 0);

std::string job(uint64_t id);
std::string queue(int lane, uint64_t seq);
std::string scheduled(int64_t run_at_us, uint64_t id);
std::string history(int64_t finished_at_us, uint64_t id);
std::string edge(uint64_t parent, uint64_t child);
std::string batch_member(std::string_view batch, uint64_t id);
std::string batch_callback(std::string_view batch, uint64_t id);
// An idempotency key's entries start with unique_prefix(user, key); unique(user, key, id) is one job's.
std::string unique_prefix(std::string_view user, std::string_view key);
std::string unique(std::string_view user, std::string_view key, uint64_t id);
// The first key of a batch's members or callbacks (every such key starts with it).
std::string batch_prefix(std::string_view batch);
std::string batch_callback_prefix(std::string_view batch);
std::string queue_value(uint64_t id, std::string_view user, std::string_view kind);
std::string metrics(uint8_t tier, int64_t at_us);

inline constexpr std::string_view meta_next_id = "next_id";
// The lease epoch: bumped (synced) at every open; the high bits of lease tokens.
inline constexpr std::string_view meta_lease_epoch = "lease_epoch";
// Paused queues: "paused:" . kind -> who paused it; a stopped runner: "runner_stopped" -> who stopped it.
inline constexpr std::string_view meta_paused_prefix = "paused:";
inline constexpr std::string_view meta_runner_stopped = "runner_stopped";
// Cron schedules: "cron:" . name -> CronSchedule.
inline constexpr std::string_view meta_cron_prefix = "cron:";
// The node-wide controls' history: "audit:" . at_us (8) . seq (8) -> ControlEvent, oldest first.
inline constexpr std::string_view meta_audit_prefix = "audit:";
// An API user's record (User, with the salted hash of its token).
inline constexpr std::string_view meta_user_prefix = "user:";
std::string audit(int64_t at_us, uint64_t seq);
// Per-user usage counters (storage/usage.hpp): "usage:" . user -> UsageCounter (no record: nothing), and the marker
// "usage_counted" that says the store keeps them (stores written before they existed have none).
inline constexpr std::string_view meta_usage_prefix = "usage:";
inline constexpr std::string_view meta_usage_counted = "usage_counted";
std::string usage(std::string_view user);
// Alerts (actors/alerts.hpp): "alert:" . Alert.id -> Alert, the active ones and the newest alertHistoryKept resolved.
inline constexpr std::string_view meta_alert_prefix = "alert:";
// Benchmark runs (bench/bench_runs.hpp): "bench:" . BenchmarkRun.id -> BenchmarkRun, the newest 50 finished runs.
// Ids hold their start time, so name order is start order.
inline constexpr std::string_view meta_bench_prefix = "bench:";
// The value of a history entry whose job has relations to delete with it (edges, batch entries); otherwise empty.
inline constexpr char history_has_relations = 'r';

// Decoders for the keys above. REQUIRES: the key has the layout above.
inline uint64_t job_id_of_job_key(std::string_view key) { return get_u64(key); }
inline int lane_of_queue_key(std::string_view key) { return static_cast<uint8_t>(key[0]); }
inline uint64_t seq_of_queue_key(std::string_view key) { return get_u64(key, 1); }
inline int64_t time_of_timed_key(std::string_view key) { return static_cast<int64_t>(get_u64(key)); }
inline uint64_t id_of_timed_key(std::string_view key) { return get_u64(key, 8); }
inline uint64_t child_of_edge_key(std::string_view key) { return get_u64(key, 8); }
inline uint64_t id_of_batch_member_key(std::string_view key) { return get_u64(key, key.size() - 8); }

// A queue entry's value, decoded. Returns false if it is malformed.
struct queue_entry_value {
  uint64_t id = 0;
  std::string_view user;
  std::string_view kind;
};
bool parse_queue_value(std::string_view value, queue_entry_value* out);

}  // namespace troupe::storage::keys
