#pragma once
// The workloads that need only a client of the node (bench/bench.hpp: burn, dag, and steady against a running
// node), shared by the in-process benchmark (run_bench) and `troupe bench --node` (run_remote_bench). Internal to
// bench/.
//
// Against a running node, "finished" is counted from the node's status (succeeded + dead + cancelled totals)
// relative to when the workload began: other work finishing on that node at the same time is counted too.

#include <cstdint>
#include <functional>
#include <string>

#include <caf/expected.hpp>

#include "bench/bench.hpp"
#include "troupe/client.hpp"

namespace troupe {

namespace storage {
class job_store;
}

// The node's finished jobs so far (succeeded + dead + cancelled); nullopt if it did not answer.
std::optional<uint64_t> finished_total(const client& c);

// Waits until `total` more jobs than `base` have finished, reporting progress from `from` to `to`; false if the
// node stopped answering.
bool wait_finished(const client& c, uint64_t base, uint64_t total, const std::function<void(double)>& progress,
                   double from, double to);

// burn (bench/bench.hpp). `store`: the in-process node's store, for its write figures (commits, slots,
// durability and peak RSS are printed only then); nullptr against a running node.
caf::expected<std::string> burn_workload(const bench_options& o, const client& c, const storage::job_store* store,
                                         const std::function<void(double)>& progress);

// dag (bench/bench.hpp). `in_process`: print the node's slots, durability and peak RSS.
caf::expected<std::string> dag_workload(const bench_options& o, const client& c, bool in_process,
                                        const std::function<void(double)>& progress);

}  // namespace troupe
