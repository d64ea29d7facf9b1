#pragma once
// Shared pieces of the `troupe` command: exit codes, the options every client command takes, and helpers to
// reach a node. Each command lives in its own file and registers itself with add_*_command().

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>
#include <caf/error.hpp>

#include "troupe/client.hpp"

namespace troupe::cli {

// Exit codes of the troupe command (also listed in `troupe --help` and the README).
enum exit_code : int {
  exit_ok = 0,           // done; for `wait`: every job SUCCEEDED
  exit_negative = 1,     // done, but the answer is no: a job did not succeed
  exit_usage = 2,        // bad flags, a bad input file, an invalid configuration
  exit_unreachable = 3,  // no node answered at the address, or it went away
  exit_refused = 4,      // the node refused the request (invalid job, unknown id, wrong state)
  exit_failure = 5,      // the node failed (storage error, cannot listen)
  exit_regression = 6,   // `bench --baseline`: a figure got worse than the baseline by more than --threshold
  exit_timeout = 124,    // a deadline passed (as timeout(1))
};

// The exit code that goes with an error from a node or the client.
int exit_code_of(const caf::error& err);

// Prints "troupe <command>: <message>" to stderr and returns the matching exit code.
int fail(const std::string& command, const caf::error& err);
int fail_usage(const std::string& command, const std::string& message);

// --node, --token, --token-file, --request-timeout and --tls, taken by every command that talks to a node.
struct client_options {
  std::string node;                          // HOST:PORT; default $TROUPE_NODE or 127.0.0.1:4242
  std::string token;                         // default $TROUPE_TOKEN
  std::string token_file;                    // read when no token is given; default ./troupe-data/admin.token
  std::string timeout = "30s";               // per request
  bool tls = false;                          // connect over TLS (the node has tlsEnabled); default $TROUPE_TLS=1
  std::string tls_ca_file;                   // check the node's certificate against this CA file
  void add_to(CLI::App& app);
  // The API token: --token / $TROUPE_TOKEN, else the first line of --token-file (default: the admin token a new
  // node writes into its default data directory, for commands run on the node's machine). An error naming the
  // file when it was given and cannot be read; "" when there is no token at all (the node then refuses).
  caf::expected<std::string> resolve_token() const;
};

// The flags that describe one job, for `submit` and `cron add`.
struct job_flags {
  std::string kind;
  std::string payload = "{}";
  std::string priority = "NORMAL";
  std::string timeout;
  uint32_t max_attempts = 0;
  std::string user;
  std::string batch;
  std::vector<std::string> labels;
  // One-off jobs only (submit):
  std::string batch_callback;
  std::vector<uint64_t> after;
  std::string on_parent_failure = "cancel";
  std::string key;  // idempotency key
  std::string at;   // RFC 3339 time
  std::string in;   // duration from now
};
// Adds the flags of `f` to `cmd` and returns --kind; `one_off`: also the flags of a single job (--after, --key,
// --at, --in, --on-parent-failure, --batch-callback).
CLI::Option* add_job_flags(CLI::App& cmd, job_flags& f, bool one_off);
// The spec the flags describe, or an error naming the flag.
caf::expected<JobSpec> spec_from(const job_flags& f);

// Who the CLI acts as, recorded with every control: $USER, else "cli" (commands take --by to say otherwise).
std::string default_by();
// A time as "2026-12-01 08:00:00" (UTC), "-" if unset.
std::string format_time(const google::protobuf::Timestamp& ts);

// A job state by name, in any case ("dead" -> DEAD); an error listing the states otherwise.
caf::expected<Job::State> parse_state(const std::string& text);

// "500ms", "10s", "2m", "1h", "7d", "1.5s" -> duration; an error naming the text otherwise.
caf::expected<std::chrono::milliseconds> parse_duration(const std::string& text);

// Connects to the node of `options` and runs `body` with a client. Returns body's exit code, or the code of the
// connection failure (printed).
int with_client(const std::string& command, const client_options& options,
                const std::function<int(const client&)>& body);

// A command's entry point, called when its subcommand was given.
using command_fn = std::function<int()>;

void add_serve_commands(CLI::App& app, std::optional<command_fn>& run);
void add_submit_command(CLI::App& app, std::optional<command_fn>& run);
void add_jobs_command(CLI::App& app, std::optional<command_fn>& run);
void add_batches_command(CLI::App& app, std::optional<command_fn>& run);
// `jobs retry|prioritize|run|cancel` (added to the jobs command), `queues ...` and `runner ...`.
void add_job_controls(CLI::App& jobs, std::optional<command_fn>& run);
void add_queue_commands(CLI::App& app, std::optional<command_fn>& run);
// `cron add|list|pause|resume|delete`.
void add_cron_command(CLI::App& app, std::optional<command_fn>& run);
void add_wait_command(CLI::App& app, std::optional<command_fn>& run);
// `users add|list|revoke|whoami`.
void add_users_command(CLI::App& app, std::optional<command_fn>& run);
void add_status_command(CLI::App& app, std::optional<command_fn>& run);
// `alerts [list]|ack|silence|unsilence`.
void add_alerts_command(CLI::App& app, std::optional<command_fn>& run);
// The health score with its `top` biggest penalties on one line, and the active alerts as a table (for `status`
// and `alerts`).
void print_health(const HealthReport& health, size_t top);
void print_active_alerts(const google::protobuf::RepeatedPtrField<Alert>& active);
// `worker --join HOST:PORT` (a worker node) and `workers` (a node's workers).
void add_worker_commands(CLI::App& app, std::optional<command_fn>& run);
void add_config_command(CLI::App& app, std::optional<command_fn>& run);
void add_bench_command(CLI::App& app, std::optional<command_fn>& run);

}  // namespace troupe::cli
