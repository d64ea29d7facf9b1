#pragma once
// The exec kind: runs {"argv": [...], "env": {...}, "cwd": "..."} as a process in its own process group. Exit code
// 0 succeeds; the tail of stdout+stderr goes into the result; stop() (timeout, cancel) kills the whole group.
// When disabled (execEnabled = false) submits are refused and recovered jobs fail permanently.

#include <cstdint>
#include <memory>

#include "troupe/kind.hpp"

namespace troupe {

std::shared_ptr<job_kind> make_exec_kind(bool enabled, uint32_t output_tail_bytes);

}  // namespace troupe
