#pragma once
// troupe's in-process benchmark (`troupe bench`): a real node (RocksDB on disk, the default durability policy
// unless told otherwise, the real actors) on a fresh data directory, driven through its gateway.
//
// Modes (bench/modes.hpp: quick, comprehensive, stress) compose these workloads; each measurement has one place
// here, and the modes only choose sizes and draw conclusions. Against a running node (`--node`,
// run_remote_bench) burn, steady and dag run through troupe::client instead, on that node's own configuration.
// Threads: every run_* call blocks the calling thread until its workload is done (never call it from an actor).
//
//   burn:   submit N jobs in batches, then drain them: no-op jobs, or the kinds of --mix taken in turn
//           ("sleep:1,noop,cpu:1": KIND or KIND:MS, the payload {"ms": MS}), each with a --payload-bytes string
//           in its payload when given. cpu_s_per_1000_jobs is this process's CPU time (node and client) per 1,000.
//           -> workload=burn jobs=N submit_per_s=... jobs_per_s=... cpu_s_per_1000_jobs=... peak_rss_mb=...
//   steady: open-loop submits of one job each at R jobs/s for S seconds; pickup latency is the time from the
//           submit's acknowledgement to the start of the job in its slot; drain_s how long the last jobs took to
//           finish after the last submit was due (grows with a backlog).
//           -> workload=steady rate=R p50_pickup_ms=... p99_pickup_ms=... max_pickup_ms=... drain_s=...
//   dag:    one workflow of N no-op jobs submitted in one request, shaped as a chain (each job after the one
//           before) or in layers of 1,000 (each job after 2 random jobs of the layer above; seeded), then drained.
//           -> workflow=dag shape=... jobs=N submit_s=... drain_s=... jobs_per_s=...
//   queue:  the scheduler's ready queue alone (no node): N jobs over U users and 4 kinds, random priorities,
//           pushed, then popped (each pop's job finished at once).
//           -> workload=queue jobs=N users=U push_ns=... pop_ns=...
//   fairness: user "heavy" queues N no-op jobs at once; while they drain, user "light" submits one job at a time
//           at R jobs/s. Fair share keeps the light user's pickup latency low behind the flood.
//           -> workload=fairness heavy_jobs=N light_jobs=... light_p50_pickup_ms=... light_p99_pickup_ms=...
//              heavy_jobs_per_s=...
//   delayed: N no-op jobs (default 1,000,000) submitted in batches, each with a run_at: job i is due at start + L + i x
//           S / N (L = --lead, default 2 + N / 50,000 seconds; S = --seconds, default 100), so that the due times begin
//           after the submits are done (late_submits counts jobs already due when their submit was acknowledged).
//           Between the last submit and the first due time nothing is asked of the node and the process's CPU time is
//           measured (idle_cpu_pct: user+sys CPU of all threads / wall time of that phase, n/a when the submits overran
//           the lead; idle_rss_mb at its end): what N waiting jobs cost. Once all ran, every record is read back (list,
//           pages of 10,000; read=all) and each job's lateness taken from its transitions: run_at -> READY "due"
//           (due_ms) and run_at -> RUNNING (late_ms; RUNNING is stamped when the job is claimed, one commit before its
//           slot runs it). commits, ops_per_commit and commit_ms cover the due phase. The node keeps at least N
//           finished jobs (maxCompletedJobsToKeep) so that retention leaves the records to read. S shorter than N / the
//           node's throughput measures a backlog.
//           -> workload=delayed jobs=N lead_s=... spread_s=... submit_per_s=... late_submits=... idle_cpu_pct=...
//              p50_due_ms=... p99_due_ms=... p50_late_ms=... p99_late_ms=... max_late_ms=... jobs_per_s=...
//              peak_rss_mb=...
//   cluster: a scheduling node in this process with no slots of its own (it publishes its access actor on
//           loopback) and W `troupe worker` processes of --worker-slots slots each joining it; N sleep jobs of
//           --sleep-ms each, submitted in batches and drained; one run per count in --workers (default 1,2,4).
//           -> workload=cluster workers=W slots_per_worker=... sleep_ms=... jobs=N seconds=... jobs_per_s=...
//              ideal_jobs_per_s=... efficiency_pct=...   (one line per run)
//   storage: bytes on disk per job (bench/storage_bench.cpp). For each payload variant (small: an order event of
//           about 1.8 KiB of JSON; large: an order document of about 32 KiB, over blobThresholdKB) and each
//           payloadCompression (none, lz4, zstd), a node on a fresh directory runs N jobs (default 20,000) of a
//           no-op kind to SUCCEEDED; then the jobs family is flushed and fully compacted, and its live SST and
//           blob file sizes are divided by N. Also: the payload's JSON and stored (protobuf) size, and the
//           serialized final record. blobThresholdKB and the other node options apply as given.
//           -> payload=... compression=... json_bytes=... payload_bytes=... record_bytes=... sst_bytes=...
//              blob_bytes=... stored_per_job=... (one line per run), then
//              workload=storage jobs=N blob_threshold_kb=... small_json_b=... small_record_b=... small_none_b=...
//              small_lz4_b=... small_zstd_b=... large_json_b=... large_record_b=... large_none_b=... ...
// Figures are measured, never asserted: compare them across runs on the same machine.

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include <caf/expected.hpp>

#include "config/options.hpp"
#include "schemas/troupe.pb.h"
#include "troupe/client.hpp"

namespace troupe {

struct bench_options {
  std::string workload = "burn";  // burn | steady | fairness | dag | queue | delayed | cluster | storage
  uint64_t jobs = 200'000;        // burn, delayed; fairness: the heavy user's jobs
  uint32_t submit_batch = 1000;   // burn, delayed: jobs per submit request
  uint32_t users = 1;             // burn, queue: jobs are spread over this many users (fair share's cost)
  std::string mix = "noop";       // burn: the kinds of the jobs, taken in turn: KIND or KIND:MS, comma-separated
  uint64_t payload_bytes = 0;     // burn: a string of this many bytes in each job's payload ("data")
  std::string shape = "chain";    // dag: chain | layers
  uint64_t seed = 0;              // dag (layers): 0 picks one (printed)
  double rate = 10'000;           // steady: jobs per second offered
  double light_rate = 100;        // fairness: the light user's jobs per second
  double seconds = 10;            // steady: how long; delayed: the window the due times are spread over
  double lead = 0;                // delayed: seconds from the start to the first due time (0: 2 + N / 50,000)
  std::vector<uint32_t> cluster_workers = {1, 2, 4};  // cluster: worker processes, one run per count
  uint32_t worker_slots = 8;      // cluster: slots of each worker
  uint32_t sleep_ms = 10;         // cluster: each job sleeps this long
  node_options node;              // node options; node.data empty: a fresh temporary directory, removed after
};

// The cluster workload (bench/cluster_bench.cpp): one key=value line per run, in the order of cluster_workers.
caf::expected<std::string> run_cluster_bench(const bench_options& options,
                                             const std::function<void(double)>& progress);

// The storage workload (bench/storage_bench.cpp): one key=value line per run, then the summary line.
caf::expected<std::string> run_storage_bench(const bench_options& options,
                                             const std::function<void(double)>& progress);

// Runs the workload; `progress(fraction)` is called from time to time. Returns the key=value result line.
caf::expected<std::string> run_bench(bench_options options, const std::function<void(double)>& progress);

// The workload against a running node through `c` (bench/remote_bench.cpp): burn, steady or dag; the node's own
// options (slots, durability) stay as they are.
caf::expected<std::string> run_remote_bench(const bench_options& options, const client& c,
                                            const std::function<void(double)>& progress);

// The process's peak resident set size in MiB (VmHWM).
double peak_rss_mb();
// The process's CPU time so far (user + system, all threads), in seconds.
double cpu_seconds();
// The job specs of a burn's --mix ("sleep:1,noop"), each with a payload string of `payload_bytes` when not 0;
// an error naming the item that is neither KIND nor KIND:MS.
caf::expected<std::vector<JobSpec>> mix_specs(const std::string& mix, uint64_t payload_bytes);

}  // namespace troupe
