// `troupe wait ID...`: blocks until every job is terminal; exit 0 only if all SUCCEEDED.

#include <iostream>

#include "cmd/troupe/cli.hpp"

namespace troupe::cli {

void add_wait_command(CLI::App& app, std::optional<command_fn>& run) {
  struct wait_options {
    client_options client;
    std::vector<uint64_t> ids;
    std::string timeout = "1h";
    bool quiet = false;
  };
  auto o = std::make_shared<wait_options>();
  auto* cmd = app.add_subcommand("wait", "Wait until the jobs are terminal. Exit 0 if all SUCCEEDED, 1 if one did not, "
                                         "124 if --timeout passed first.");
  o->client.add_to(*cmd);
  cmd->add_option("ID", o->ids, "Job ids")->required();
  cmd->add_option("--timeout", o->timeout, "Give up after this long")->capture_default_str();
  cmd->add_flag("--quiet,-q", o->quiet, "Print nothing; only the exit code tells");
  cmd->callback([&run, o] {
    run = [o] {
      auto timeout = parse_duration(o->timeout);
      if (!timeout) return fail_usage("wait", "--timeout " + describe(timeout.error()));
      if (timeout->count() <= 0) return fail_usage("wait", "--timeout '" + o->timeout + "': must be positive");
      return with_client("wait", o->client, [&](const client& c) {
        auto jobs = c.wait(o->ids, *timeout);
        if (!jobs) return fail("wait", jobs.error());
        int code = exit_ok;
        for (const auto& job : *jobs) {
          bool ok = job.state() == Job::SUCCEEDED;
          if (!ok) code = exit_negative;
          if (o->quiet) continue;
          (ok ? std::cout : std::cerr) << "job " << job.id() << " " << Job::State_Name(job.state())
                                       << (job.last_error().empty() || ok ? "" : ": " + job.last_error()) << "\n";
        }
        return code;
      });
    };
  });
}

}  // namespace troupe::cli
