#pragma once
// Command kinds: named kinds the node's operator declares in a JSON file (the option `commandKinds`; messages
// CommandKind and CommandKinds in schemas/troupe.proto; example: config/commands.example.json), so that users run
// fixed programs with arguments from their payload instead of raw `exec`. They run whether or not execEnabled is
// set.
//
// A job of a command kind runs the kind's argv template filled in from its payload (command_template.hpp: one
// argv element per template element, never a shell), as a process in its own process group exactly as exec does
// (process_attempts): exit code 0 succeeds, the output tail is kept, timeout and cancel kill the group.
// - Environment: the node's PATH (or /usr/local/bin:/usr/bin:/bin when the node has none) with the kind's `env`
//   over it, and nothing else of the node's environment; the payload never sets a variable. argv[0] is looked up
//   in the node's PATH (an absolute path does not depend on it).
// - Working directory: the kind's `cwd`, or the node's when empty. The payload cannot change it.
// - Timeout: the kind's `timeout` is the per-attempt timeout of its jobs that set none, and the longest one a job
//   may ask for (max_timeout()); unset, jobs get the node's jobTimeoutMs and may ask for any.
// - Checks: the payload is checked at submit (a payload that does not fit the template is refused with
//   ec::invalid_argument naming the kind and the field, and never stored) and again when an attempt starts (a
//   failure then is permanent).

#include <memory>
#include <string>
#include <vector>

#include <caf/error.hpp>
#include <caf/expected.hpp>

#include "actors/kinds/process_attempts.hpp"
#include "schemas/troupe.pb.h"
#include "troupe/kind.hpp"

namespace troupe {

// Reads and checks the command kinds file `path`. Errors (ec::invalid_argument) name the file and the problem: a
// file that cannot be read, malformed JSON or an unknown field, a kind without a name or declared twice, a name
// in `reserved` (the built-in kinds), an empty argv or a bad placeholder, a non-positive timeout, a bad env name.
caf::expected<CommandKinds> load_command_kinds(const std::string& path, const std::vector<std::string>& reserved);

// A kind that runs `kind`'s processes on `processes`. REQUIRES: `kind` passed load_command_kinds' checks.
caf::expected<std::shared_ptr<job_kind>> make_command_kind(const CommandKind& kind,
                                                            std::shared_ptr<process_attempts> processes);

// Loads `path` and adds its kinds to `kinds`, all or none. Errors as load_command_kinds, or a name the registry
// refuses (too long, taken by the program's own kinds), named with the file.
caf::error add_command_kinds(kind_registry& kinds, const std::string& path, const std::vector<std::string>& reserved,
                             std::shared_ptr<process_attempts> processes);

}  // namespace troupe
