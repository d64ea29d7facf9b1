#pragma once
// The kinds every node has. Payloads are JSON objects:
//   noop  {}                                  succeeds at once
//   sleep {"ms": N}                           succeeds after N ms, holding no thread
//   cpu   {"ms": N}                           keeps a worker-pool thread busy for N ms of wall time
//   fail  {"times": N, "permanent": false}    fails its first N attempts, then succeeds
//   exec  {"argv": [...], "env": {...}, "cwd": "..."}
//                                             runs a process; exit code 0 succeeds (only with execEnabled)

#include <cstdint>

#include "troupe/kind.hpp"

namespace troupe {

struct builtin_kind_options {
  bool exec_enabled = false;
  uint32_t output_tail_bytes = 4096;
};

// Adds the built-in kinds to `kinds`. REQUIRES: none of their names is taken.
caf::error add_builtin_kinds(kind_registry& kinds, const builtin_kind_options& options);

}  // namespace troupe
