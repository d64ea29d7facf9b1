#pragma once
// The kinds every node has. Payloads are JSON objects:
//   noop  {}                                  succeeds at once
//   sleep {"ms": N}                           succeeds after N ms, holding no thread
//   cpu   {"ms": N}                           keeps a worker-pool thread busy for N ms of wall time
//   fail  {"times": N, "permanent": false}    fails its first N attempts, then succeeds
//   exec  {"argv": [...], "env": {...}, "cwd": "..."}
//                                             runs a process; exit code 0 succeeds (only with execEnabled)
// and the command kinds the node's configuration declares (command_kinds.hpp), which share exec's process runner.

#include <cstdint>
#include <string>
#include <vector>

#include "troupe/kind.hpp"

namespace troupe {

struct builtin_kind_options {
  bool exec_enabled = false;
  uint32_t output_tail_bytes = 4096;
  std::string command_kinds = {};  // the command kinds file (the option commandKinds); empty: none
};

// The names of the built-in kinds; a command kind may not take one.
const std::vector<std::string>& builtin_kind_names();

// Adds the built-in kinds and the command kinds of `options.command_kinds` to `kinds`. Errors: a name taken
// (REQUIRES: the built-in names are free), or the command kinds file's problem (ec::invalid_argument, naming the
// file).
caf::error add_builtin_kinds(kind_registry& kinds, const builtin_kind_options& options);

}  // namespace troupe
