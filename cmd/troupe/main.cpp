// troupe: the command-line entry point. One executable with subcommands; see `troupe --help`.
// CAF_MAIN is not used: it always exits 0, and troupe's exit codes mean something (cmd/troupe/cli.hpp).

#include <iostream>
#include <optional>

#include "cmd/troupe/cli.hpp"

int main(int argc, char** argv) {
  using namespace troupe::cli;
  CLI::App app{"troupe: a durable, actor-model job engine. Services hand it background jobs; it keeps them in\n"
               "RocksDB and runs them by priority on supervised pools of job actors."};
  app.name("troupe");
  app.require_subcommand(1);
  app.set_version_flag("--version", TROUPE_VERSION);
  app.footer(
      "Exit codes: 0 done (wait: every job SUCCEEDED), 1 a job did not succeed, 2 usage or configuration error,\n"
      "3 no node reachable, 4 request refused by the node, 5 node failure, 6 bench: a figure regressed against\n"
      "--baseline, 124 deadline passed.");
  std::optional<command_fn> run;
  add_serve_commands(app, run);
  add_submit_command(app, run);
  add_jobs_command(app, run);
  add_batches_command(app, run);
  add_queue_commands(app, run);
  add_cron_command(app, run);
  add_users_command(app, run);
  add_wait_command(app, run);
  add_status_command(app, run);
  add_alerts_command(app, run);
  add_worker_commands(app, run);
  add_config_command(app, run);
  add_bench_command(app, run);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int code = app.exit(e);
    return code == 0 ? exit_ok : exit_usage;
  }
  if (!run) return exit_usage;
  return (*run)();
}
