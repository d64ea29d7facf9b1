#pragma once
// The RocksDB key layout, in one place (documented for people in docs/storage.md; keep the two in step).
// Integers are big-endian so that RocksDB's byte order is numeric order: range scans find the oldest history
// entry, the next due scheduled job and the head of a ready lane without sorting.
//
//   column family  key                                  value
//   jobs           id (8)                               Job (protobuf)
//   queue          lane (1) . ready_seq (8)             id (8)          READY and RUNNING jobs, FIFO per lane
//   scheduled      run_at_us (8) . id (8)               empty           SCHEDULED jobs by due time
//   history        finished_at_us (8) . id (8)          empty           terminal jobs by finish time (retention)
//   meta           name (ASCII)                         per name        "next_id": next job id (8)

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

inline constexpr std::string_view meta_next_id = "next_id";

// Decoders for the keys above. REQUIRES: the key has the layout above.
inline uint64_t job_id_of_job_key(std::string_view key) { return get_u64(key); }
inline int lane_of_queue_key(std::string_view key) { return static_cast<uint8_t>(key[0]); }
inline uint64_t seq_of_queue_key(std::string_view key) { return get_u64(key, 1); }
inline int64_t time_of_timed_key(std::string_view key) { return static_cast<int64_t>(get_u64(key)); }
inline uint64_t id_of_timed_key(std::string_view key) { return get_u64(key, 8); }

}  // namespace troupe::storage::keys
