// `troupe config defaults`: the reference config file, every option with its default.

#include <iostream>

#include "cmd/troupe/cli.hpp"
#include "config/options_cli.hpp"

namespace troupe::cli {

void add_config_command(CLI::App& app, std::optional<command_fn>& run) {
  auto* config = app.add_subcommand("config", "Configuration helpers.");
  config->require_subcommand(1);
  auto* defaults = config->add_subcommand("defaults", "Print every option with its default and meaning (TOML, usable "
                                                      "as serve --config FILE).");
  defaults->callback([&run] {
    run = [] {
      std::cout << reference_config();
      return int{exit_ok};
    };
  });
}

}  // namespace troupe::cli
