#include "cmd/troupe/cli.hpp"

#include <cctype>
#include <cstdlib>
#include <ctime>
#include <fstream>
#include <iostream>
#include <regex>

#include <caf/actor_system_config.hpp>

#include "actors/system_config.hpp"

namespace troupe::cli {

int exit_code_of(const caf::error& err) {
  switch (code_of(err)) {
    case ec::none: return exit_ok;
    case ec::unavailable:
    case ec::shutting_down: return exit_unreachable;
    case ec::timeout: return exit_timeout;
    case ec::storage_failure:
    case ec::internal: return exit_failure;
    default: return exit_refused;
  }
}

int fail(const std::string& command, const caf::error& err) {
  std::cerr << "troupe " << command << ": " << describe(err) << "\n";
  return exit_code_of(err);
}

int fail_usage(const std::string& command, const std::string& message) {
  std::cerr << "troupe " << command << ": " << message << "\n";
  return exit_usage;
}

std::string default_by() {
  const char* user = std::getenv("USER");
  return user != nullptr && *user != '\0' ? std::string{user} : std::string{"cli"};
}

std::string format_time(const google::protobuf::Timestamp& ts) {
  if (ts.seconds() == 0) return "-";
  time_t t = ts.seconds();
  tm utc{};
  gmtime_r(&t, &utc);
  char buf[32];
  strftime(buf, sizeof(buf), "%Y-%m-%d %H:%M:%S", &utc);
  return buf;
}

void client_options::add_to(CLI::App& app) {
  const char* env = std::getenv("TROUPE_NODE");
  node = env != nullptr && *env != '\0' ? env : "127.0.0.1:4242";
  app.add_option("--node", node, "The node to talk to, HOST:PORT (env TROUPE_NODE)")->capture_default_str();
  const char* env_token = std::getenv("TROUPE_TOKEN");
  token = env_token != nullptr ? env_token : "";
  app.add_option("--token", token, "API token NAME.SECRET (env TROUPE_TOKEN; `troupe users add` issues them)");
  app.add_option("--token-file", token_file,
                 "Read the API token from this file (default without --token: ./troupe-data/admin.token, "
                 "the first admin's token of a node on this machine)");
  app.add_option("--request-timeout", timeout, "How long to wait for each answer")->capture_default_str();
  const char* env_tls = std::getenv("TROUPE_TLS");
  tls = env_tls != nullptr && std::string{env_tls} == "1";
  app.add_flag("--tls", tls, "Connect over TLS: the node runs with tlsEnabled (env TROUPE_TLS=1)");
  app.add_option("--tls-ca-file", tls_ca_file, "With --tls: check the node's certificate against this CA file");
}

caf::expected<std::string> client_options::resolve_token() const {
  if (!token.empty()) return token;
  auto path = token_file.empty() ? std::string{"./troupe-data/admin.token"} : token_file;
  std::ifstream in{path};
  if (!in) {
    if (token_file.empty()) return std::string{};
    return make_error(ec::invalid_argument, "--token-file '" + path + "' cannot be read");
  }
  std::string line;
  std::getline(in, line);
  while (!line.empty() && std::isspace(static_cast<unsigned char>(line.back()))) line.pop_back();
  return line;
}

caf::expected<Job::State> parse_state(const std::string& text) {
  std::string upper = text;
  for (auto& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  Job::State state;
  if (!Job::State_Parse(upper, &state))
    return make_error(ec::invalid_argument, "'" + text +
                                                "' is not a state (PENDING, BLOCKED, SCHEDULED, READY, RUNNING, "
                                                "SUCCEEDED, FAILED, DEAD, CANCELLED)");
  return state;
}

caf::expected<std::chrono::milliseconds> parse_duration(const std::string& text) {
  static const std::regex pattern{R"(^\s*([0-9]+(\.[0-9]+)?)\s*(ms|s|m|h|d)?\s*$)"};
  std::smatch m;
  if (!std::regex_match(text, m, pattern))
    return make_error(ec::invalid_argument, "'" + text + "' is not a duration (examples: 500ms, 10s, 2m, 1h, 7d)");
  double value = std::stod(m[1].str());
  std::string unit = m[3].matched ? m[3].str() : "s";
  double ms = unit == "ms"  ? value
              : unit == "s" ? value * 1e3
              : unit == "m" ? value * 60e3
              : unit == "h" ? value * 3600e3
                            : value * 86400e3;
  if (ms > 365.0 * 24 * 3600e3) return make_error(ec::invalid_argument, "'" + text + "' is longer than a year");
  return std::chrono::milliseconds{static_cast<int64_t>(ms)};
}

int with_client(const std::string& command, const client_options& options,
                const std::function<int(const client&)>& body) {
  std::string host;
  uint16_t port = 0;
  if (auto err = parse_endpoint(options.node, &host, &port)) return fail_usage(command, "--node " + describe(err));
  auto timeout = parse_duration(options.timeout);
  if (!timeout) return fail_usage(command, "--request-timeout " + describe(timeout.error()));
  if (timeout->count() <= 0)
    return fail_usage(command, "--request-timeout '" + options.timeout + "': must be positive");
  caf::actor_system_config cfg;
  client::prepare(cfg);
  if (options.tls) configure_tls(cfg, {}, {}, options.tls_ca_file);
  cfg.set("scheduler.max-threads", 2);
  caf::actor_system sys{cfg};
  auto token = options.resolve_token();
  if (!token) return fail_usage(command, describe(token.error()));
  auto c = client::connect(sys, host, port, std::move(*token));
  if (!c) return fail(command, c.error());
  c->set_request_timeout(*timeout);
  return body(*c);
}

}  // namespace troupe::cli
