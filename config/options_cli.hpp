#pragma once
// Parsing and validation of node_options: the one place that defines each option's flag,
// description, default, valid values and section. The command line, the config file
// (`--config FILE`, TOML, same keys) and the reference config file (config/troupe.toml) all come
// from the registration in add_node_options.
//
// Errors: CLI::App::parse throws a CLI::ParseError for an unknown option or config key, an invalid
// value (the message names the option and the value) or an unreadable config file. Callers catch
// it and `return app.exit(e);`, as CLI11 intends. No other exception leaves these functions.

#include <string>

#include "config/options.hpp"

namespace CLI {
class App;
}  // namespace CLI

namespace troupe {

// Registers every field of `opts` on `app` as a long option named like the field
// (`--maxConcurrentJobs`), with its description, its default (shown in --help), a validator and a
// help group per section of node_options ("node", "parallel processing", "resource limits",
// "scaling"). Also registers `--config FILE`: a TOML file whose top-level keys are the same names
// (`maxConcurrentJobs = 20`).
// - `app` may be the root app or a subcommand (`troupe serve --config FILE`): `app` reads the file
//   itself, so the keys need no [serve] section.
// - The file is applied after the whole command line is parsed: a flag on the command line wins
//   over the file, wherever `--config` appears.
// - A key that is not an option of `app`, a key given twice, and any [section] are errors; so is
//   an invalid value, in the file as on the command line.
// Parsing stores each given value in `opts`; fields not given keep their current value.
// After a successful parse, call validate(opts) for the rules that involve several options.
// REQUIRES: `app` has none of these options yet (else CLI11 throws OptionAlreadyAdded here);
// `opts` outlives every parse of `app`.
void add_node_options(CLI::App& app, node_options& opts);

// Checks the rules that involve several options: minWorkers <= maxWorkers and
// scaleDownThreshold < scaleUpThreshold. Returns "" when `opts` satisfies them, else one message
// per broken rule, separated by "; ", each naming the options and their values.
[[nodiscard]] std::string validate(const node_options& opts);

// The text of the reference config file: a header comment, then every option of add_node_options
// by section, each as a `# description` line and `name = default` in TOML
// (`maxConcurrentJobs = 15`, `durability = "group"`). config/troupe.toml holds exactly this text.
[[nodiscard]] std::string reference_config();

}  // namespace troupe
