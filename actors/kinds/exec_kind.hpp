#pragma once
// The exec kind: runs {"argv": [...], "env": {...}, "cwd": "..."} as a process in its own process group. Exit code
// 0 succeeds; the tail of stdout+stderr goes into the result; stop() (timeout, cancel) kills the whole group.
// When disabled (execEnabled = false) submits are refused and recovered jobs fail permanently.

#include <memory>

#include "actors/kinds/process_attempts.hpp"
#include "troupe/kind.hpp"

namespace troupe {

// `processes`: where the processes run (shared with the command kinds); null: exec is disabled on this node.
std::shared_ptr<job_kind> make_exec_kind(std::shared_ptr<process_attempts> processes);

}  // namespace troupe
