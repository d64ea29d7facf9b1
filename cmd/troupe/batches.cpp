// `troupe batches show B`.

#include <fmt/format.h>

#include <iostream>

#include "cmd/troupe/cli.hpp"
#include "troupe/json.hpp"

namespace troupe::cli {

namespace {

int show_batch(const BatchSummary& b, bool json) {
  if (json) {
    std::cout << to_json(b, /*pretty=*/true) << "\n";
    return exit_ok;
  }
  std::cout << fmt::format("batch {}: {}\n", b.batch(), BatchSummary::State_Name(b.state()));
  std::cout << fmt::format("total {}  succeeded {}  failed {}  cancelled {}  running {}  pending {}\n", b.total(),
                           b.succeeded(), b.failed(), b.cancelled(), b.running(), b.pending());
  for (const auto& cb : b.callbacks())
    std::cout << fmt::format("callback job {}: {}\n", cb.id(), Job::State_Name(cb.state()));
  return exit_ok;
}

}  // namespace

void add_batches_command(CLI::App& app, std::optional<command_fn>& run) {
  auto* batches = app.add_subcommand("batches", "Follow batches of jobs.");
  batches->require_subcommand(1);
  auto client = std::make_shared<client_options>();
  auto name = std::make_shared<std::string>();
  auto json = std::make_shared<bool>(false);
  auto* show = batches->add_subcommand("show", "A batch's jobs by state (total, succeeded, failed, cancelled, "
                                               "running, pending), its state and its callbacks.");
  client->add_to(*show);
  show->add_option("BATCH", *name, "The batch id")->required();
  show->add_flag("--json", *json, "Print the summary as JSON");
  show->callback([&run, client, name, json] {
    run = [client, name, json] {
      return with_client("batches show", *client, [&](const troupe::client& c) {
        auto b = c.batch(*name);
        if (!b) return fail("batches show", b.error());
        return show_batch(*b, *json);
      });
    };
  });
}

}  // namespace troupe::cli
