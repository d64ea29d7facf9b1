#pragma once
// The node process's own resource use, read from /proc/self (Linux): resident memory and CPU time so far.

#include <cstdint>
#include <optional>

namespace troupe {

struct process_usage {
  uint64_t rss_bytes = 0;
  double cpu_seconds = 0;  // user + system time since the process started
  double start_time = 0;   // Unix seconds at which the process started
};

// nullopt if /proc cannot be read (not Linux, or a restricted sandbox).
std::optional<process_usage> read_process_usage();

// Resident memory as a percent of `budget_bytes` (maxMemoryMB): what memory-aware admission, the scaling manager
// and the memory_percent series compare with memoryThreshold. REQUIRES: budget_bytes > 0.
inline double memory_percent(const process_usage& usage, uint64_t budget_bytes) {
  return 100.0 * static_cast<double>(usage.rss_bytes) / static_cast<double>(budget_bytes);
}

}  // namespace troupe
