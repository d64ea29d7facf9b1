#include "config/options_cli.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdint>
#include <filesystem>
#include <regex>
#include <fstream>
#include <set>
#include <sstream>
#include <string_view>
#include <type_traits>
#include <vector>

#include <CLI/CLI.hpp>

namespace troupe {
namespace {

constexpr durability_policy durability_policies[] = {durability_policy::sync,
                                                     durability_policy::group};

// The help groups, one per section of node_options, in the order of the reference config file.
constexpr const char* node_group = "node";
constexpr const char* parallel_group = "parallel processing";
constexpr const char* fair_share_group = "fair share";
constexpr const char* retries_group = "retries";
constexpr const char* api_group = "api and users";
constexpr const char* metrics_group = "metrics and alerts";
constexpr const char* limits_group = "resource limits";
constexpr const char* cluster_group = "cluster";
constexpr const char* scaling_group = "scaling";
constexpr const char* sections[] = {node_group,   parallel_group, fair_share_group, retries_group, api_group,
                                    metrics_group, limits_group,  cluster_group,    scaling_group};

constexpr uint64_t ms_per_day = uint64_t{24} * 3600 * 1000;

const char* const reference_header =
    "# troupe node configuration: every option with its default value.\n"
    "# Generated from config/options_cli.cpp by `troupe config defaults`; do not edit by hand.\n"
    "# Use it as `troupe serve --config FILE`. Each key is also the command-line flag of the\n"
    "# same name (maxConcurrentJobs = 20 here, --maxConcurrentJobs 20 there); a flag given on\n"
    "# the command line wins over the file.\n";

std::string format_number(double value) {
  std::ostringstream out;
  out << value;
  return out.str();
}

// --- validators: each returns "" for a valid value, else a message naming the value --------------

CLI::Validator non_empty() {
  return {[](std::string& text) {
            return text.empty() ? std::string{"must not be empty"} : std::string{};
          },
          "NON-EMPTY"};
}

CLI::Validator no_space() {
  return {[](std::string& text) {
            bool ok = std::none_of(text.begin(), text.end(), [](unsigned char c) {
              return std::isspace(c) != 0 || std::iscntrl(c) != 0;
            });
            return ok ? std::string{} : "'" + text + "' contains a space or control character";
          },
          ""};
}

// HOST:PORT with a non-empty host and a port in 0..65535; an IPv6 host is written in brackets
// ([::1]:4242).
CLI::Validator host_port() {
  return {[](std::string& text) {
            auto colon = text.rfind(':');
            if (colon == std::string::npos || colon == 0) return "'" + text + "' is not HOST:PORT";
            std::string host = text.substr(0, colon);
            std::string port = text.substr(colon + 1);
            bool bracketed = host.size() > 2 && host.front() == '[' && host.back() == ']';
            if (host.find(':') != std::string::npos && !bracketed)
              return "'" + text + "' is not HOST:PORT (write an IPv6 host as [ADDRESS]:PORT)";
            bool digits = !port.empty() && port.size() <= 5 &&
                          std::all_of(port.begin(), port.end(),
                                      [](unsigned char c) { return std::isdigit(c); });
            if (!digits || std::stoul(port) > 65535)
              return "'" + text + "': port '" + port + "' is not in 0..65535";
            return std::string{};
          },
          "HOST:PORT"};
}

// An http:// or https:// URL with a host and no spaces (alertWebhookUrl).
CLI::Validator http_url() {
  return {[](std::string& text) {
            auto scheme_end = text.find("://");
            auto scheme = scheme_end == std::string::npos ? std::string{} : text.substr(0, scheme_end);
            if (scheme != "http" && scheme != "https")
              return "'" + text + "' is not an http:// or https:// URL";
            if (text.size() == scheme_end + 3 || text[scheme_end + 3] == '/')
              return "'" + text + "' has no host";
            if (std::any_of(text.begin(), text.end(), [](unsigned char c) { return std::isspace(c) != 0; }))
              return "'" + text + "' contains a space";
            return std::string{};
          },
          "URL"};
}

// Empty, or what `inner` accepts.
CLI::Validator empty_or(CLI::Validator inner) {
  return {[inner](std::string& text) { return text.empty() ? std::string{} : inner(text); },
          "[" + inner.get_description() + "]"};
}

// ROLE,ROLE with roles admin and user (execRoles).
CLI::Validator exec_roles() {
  return {[](std::string& text) {
            std::string role;
            std::istringstream in{text};
            while (std::getline(in, role, ','))
              if (role != "admin" && role != "user")
                return "'" + text + "': '" + role + "' is not a role that may run exec (admin, user)";
            return std::string{};
          },
          "ROLE,..."};
}

// NAME=N,NAME=N (parse_name_values).
CLI::Validator name_values() {
  return {[](std::string& text) {
            std::string error;
            return parse_name_values(text, &error) ? std::string{} : "'" + text + "': " + error;
          },
          "NAME=N,..."};
}

// KIND=BASE_MS:FACTOR:MAX_DELAY_MS:JITTER,... (parse_kind_retry).
CLI::Validator kind_retry() {
  return {[](std::string& text) {
            std::string error;
            return parse_kind_retry(text, &error) ? std::string{} : "'" + text + "': " + error;
          },
          "KIND=BASE_MS:FACTOR:MAX_MS:JITTER,..."};
}

// NAME=N/INTERVAL_MS[:BURST],... (parse_rate_limits).
CLI::Validator rate_limits() {
  return {[](std::string& text) {
            std::string error;
            return parse_rate_limits(text, &error) ? std::string{} : "'" + text + "': " + error;
          },
          "NAME=N/INTERVAL_MS[:BURST],..."};
}

// A finite number in [min, max].
CLI::Validator finite_range(double min, double max) {
  return {[min, max](std::string& text) {
            double value = 0;
            bool ok = CLI::detail::lexical_cast(text, value) && std::isfinite(value) && value >= min && value <= max;
            return ok ? std::string{}
                      : "Value " + text + " is not a number in [" + format_number(min) + ", " + format_number(max) + "]";
          },
          ""};
}

// A finite number > 0 (CLI::PositiveNumber lets nan and inf through).
CLI::Validator positive_finite() {
  return {[](std::string& text) {
            double value = 0;
            bool ok = CLI::detail::lexical_cast(text, value) && std::isfinite(value) && value > 0;
            return ok ? std::string{} : "Value " + text + " is not a finite number > 0";
          },
          "> 0"};
}

// Both bounds inclusive; values are parsed as T, so "-1" is out of range of any unsigned field.
template <class T>
CLI::Validator range(T min, T max) {
  return CLI::Range(min, max).description("in [" + std::to_string(min) + ", " +
                                          std::to_string(max) + "]");
}

// --- registration ------------------------------------------------------------------------------

// Registers `--name` for `field` in `group`, showing the field's current value as the default.
template <class T>
CLI::Option* add(CLI::App& app, const char* group, const char* name, T& field,
                 const char* description) {
  auto* opt = app.add_option(std::string{"--"} + name, field, description)->group(group);
  if constexpr (std::is_same_v<T, bool>)
    return opt->default_str(field ? "true" : "false");
  else
    return opt->capture_default_str();
}

CLI::Option* add_durability(CLI::App& app, node_options& opts) {
  std::vector<std::string> names;
  for (auto policy : durability_policies) names.emplace_back(to_string(policy));
  return app
      .add_option_function<std::string>(
          "--durability",
          [&opts](const std::string& text) { opts.durability = *parse_durability(text); },
          "sync: one fsync per write; group: one fsync shared by all writes of a short window")
      ->check(CLI::IsMember(names))
      ->default_str(to_string(opts.durability))
      ->group(node_group);
}

// The name of a config item as written in the file: `key`, `a.key`, or `[section]` for a section
// marker.
std::string key_of(const CLI::ConfigItem& item) {
  bool section = item.name == "++" || item.name == "--";
  std::string key = section ? "[" : "";
  for (const auto& parent : item.parents) key += parent + ".";
  if (section) key.back() = ']';
  return section ? key : key + item.name;
}

// True when --help was given to `app` or an app above it: then help wins over errors in the config
// file, as with CLI11's own config files.
bool help_requested(const CLI::App& app) {
  for (const CLI::App* a = &app; a != nullptr; a = a->get_parent())
    if (const CLI::Option* help = a->get_help_ptr(); help != nullptr && help->count() > 0)
      return true;
  return false;
}

// Gives every option of `app` that the command line did not set its value from the TOML file
// `path`. This replaces CLI11's set_config, which in 2.1 reads the file only for the root app and
// maps top-level keys to root options (subcommand options would need a [serve] section): here
// `--config` is an ordinary option of `app` whose callback runs after the command line is parsed.
// Throws CLI::FileError if the file cannot be read; CLI::ConfigError naming the key for an unknown
// or repeated key or a [section], and naming the option and the value for an invalid value.
void read_config_file(CLI::App& app, const std::string& path) {
  if (help_requested(app)) return;
  std::ifstream in{path};
  std::error_code ignored;
  if (!in || !std::filesystem::is_regular_file(path, ignored))
    throw CLI::FileError("--config: cannot read the file " + path);
  std::vector<CLI::ConfigItem> items = CLI::ConfigTOML{}.from_config(in);
  std::set<std::string> seen;
  for (const CLI::ConfigItem& item : items) {
    CLI::Option* opt = item.parents.empty() ? app.get_option_no_throw("--" + item.name) : nullptr;
    if (opt == nullptr || !opt->get_configurable())
      throw CLI::ConfigError(path + ": unknown option " + key_of(item));
    if (!seen.insert(item.name).second || item.inputs.size() != 1)
      throw CLI::ConfigError(path + ": option " + item.name +
                             " must be given once, with one value");
    if (opt->count() > 0) continue;  // the command line wins
    try {
      opt->add_result(item.inputs);
      opt->run_callback();
    } catch (const CLI::ParseError& e) {
      throw CLI::ConfigError(path + ": " + e.what());
    }
  }
}

// The default of `opt` as a TOML value: text options quoted, numbers and booleans bare. The
// defaults contain no quote or backslash, so no escaping is needed (CLI11's reader would not undo
// it either).
std::string toml_value(const CLI::Option& opt) {
  bool text = opt.get_type_name().rfind("TEXT", 0) == 0;
  return text ? '"' + opt.get_default_str() + '"' : opt.get_default_str();
}

}  // namespace

const char* to_string(durability_policy policy) {
  switch (policy) {
    case durability_policy::sync:
      return "sync";
    case durability_policy::group:
      return "group";
  }
  return "unknown";
}

std::optional<std::unordered_map<std::string, uint32_t>> parse_name_values(std::string_view text,
                                                                          std::string* error) {
  std::unordered_map<std::string, uint32_t> out;
  auto fail = [&](std::string message) {
    if (error != nullptr) *error = std::move(message);
    return std::nullopt;
  };
  while (!text.empty()) {
    auto comma = text.find(',');
    auto item = text.substr(0, comma);
    text = comma == std::string_view::npos ? std::string_view{} : text.substr(comma + 1);
    auto eq = item.find('=');
    if (eq == std::string_view::npos || eq == 0) return fail("'" + std::string{item} + "' is not NAME=N");
    std::string name{item.substr(0, eq)};
    auto number = item.substr(eq + 1);
    uint32_t value = 0;
    bool digits = !number.empty() && number.size() <= 7 &&
                  std::all_of(number.begin(), number.end(), [](unsigned char c) { return std::isdigit(c); });
    if (digits) value = static_cast<uint32_t>(std::stoul(std::string{number}));
    if (!digits || value < 1 || value > 1'000'000)
      return fail("'" + std::string{number} + "' (for " + name + ") is not an integer in [1, 1000000]");
    if (!out.emplace(name, value).second) return fail("'" + name + "' is given twice");
  }
  return out;
}

std::optional<std::unordered_map<std::string, rate_setting>> parse_rate_limits(std::string_view text,
                                                                              std::string* error) {
  std::unordered_map<std::string, rate_setting> out;
  auto fail = [&](std::string message) {
    if (error != nullptr) *error = std::move(message);
    return std::nullopt;
  };
  static const std::regex item_pattern{R"(^([^=,]+)=([0-9]{1,9})/([0-9]{1,12})(:([0-9]{1,9}))?$)"};
  while (!text.empty()) {
    auto comma = text.find(',');
    std::string item{text.substr(0, comma)};
    text = comma == std::string_view::npos ? std::string_view{} : text.substr(comma + 1);
    std::smatch m;
    if (!std::regex_match(item, m, item_pattern))
      return fail("'" + item + "' is not NAME=N/INTERVAL_MS[:BURST]");
    rate_setting r{static_cast<uint32_t>(std::stoul(m[2])), std::stoull(m[3]),
                   m[5].matched ? static_cast<uint32_t>(std::stoul(m[5])) : 0u};
    if (r.burst == 0) r.burst = r.count;
    if (r.count == 0 || r.interval_ms == 0)
      return fail("'" + item + "': N and INTERVAL_MS must be positive");
    if (!out.emplace(m[1].str(), r).second) return fail("'" + m[1].str() + "' is given twice");
  }
  return out;
}

std::optional<std::unordered_map<std::string, retry_setting>> parse_kind_retry(std::string_view text,
                                                                              std::string* error) {
  std::unordered_map<std::string, retry_setting> out;
  auto fail = [&](std::string message) {
    if (error != nullptr) *error = std::move(message);
    return std::nullopt;
  };
  while (!text.empty()) {
    auto comma = text.find(',');
    std::string item{text.substr(0, comma)};
    text = comma == std::string_view::npos ? std::string_view{} : text.substr(comma + 1);
    auto eq = item.find('=');
    if (eq == std::string::npos || eq == 0) return fail("'" + item + "' is not KIND=BASE_MS:FACTOR:MAX_MS:JITTER");
    std::string kind = item.substr(0, eq);
    std::vector<std::string> parts;
    std::stringstream fields{item.substr(eq + 1)};
    for (std::string part; std::getline(fields, part, ':');) parts.push_back(part);
    retry_setting r;
    bool ok = parts.size() == 4 && CLI::detail::lexical_cast(parts[0], r.base_ms) &&
              CLI::detail::lexical_cast(parts[1], r.factor) && CLI::detail::lexical_cast(parts[2], r.max_delay_ms) &&
              CLI::detail::lexical_cast(parts[3], r.jitter) && parts[0][0] != '-' && parts[2][0] != '-' &&
              std::isfinite(r.factor) && r.factor >= 1 && r.factor <= 100 && std::isfinite(r.jitter) &&
              r.jitter >= 0 && r.jitter <= 1;
    if (!ok)
      return fail("'" + item + "' (for " + kind +
                  ") is not BASE_MS:FACTOR:MAX_MS:JITTER with FACTOR in [1, 100] and JITTER in [0, 1]");
    if (!out.emplace(kind, r).second) return fail("'" + kind + "' is given twice");
  }
  return out;
}

std::optional<durability_policy> parse_durability(std::string_view text) {
  for (auto policy : durability_policies)
    if (text == to_string(policy)) return policy;
  return std::nullopt;
}

void add_node_options(CLI::App& app, node_options& opts) {
  app.add_option_function<std::string>(
         "--config", [&app](const std::string& path) { read_config_file(app, path); },
         "Read options from this TOML file (keys as the flags, no section); the command line wins")
      ->configurable(false)
      ->type_name("FILE");

  auto* g = node_group;
  add(app, g, "data", opts.data, "RocksDB directory of the node")->check(non_empty());
  add(app, g, "listen", opts.listen,
      "Where the node publishes its actor interface to peers and the CLI (port 0 picks one)")
      ->check(host_port());
  add(app, g, "nodeName", opts.nodeName,
      "Name of this node in leases, status and logs (empty: the host name)")
      ->check(no_space());
  add_durability(app, opts);
  add(app, g, "groupCommitWindowUs", opts.groupCommitWindowUs,
      "group only: microseconds a commit waits for more writes before its fsync (0: no wait)")
      ->check(range(0u, 1'000'000u));
  add(app, g, "shutdownGraceMs", opts.shutdownGraceMs,
      "ms running jobs may take to finish after SIGTERM/SIGINT before being stopped and requeued")
      ->check(range(0u, 3'600'000u));
  add(app, g, "schedulerThreads", opts.schedulerThreads,
      "Threads of CAF's scheduler (0: one per core, at least 2)")
      ->check(range(0u, 1024u));
  add(app, g, "logLevel", opts.logLevel,
      "spdlog level: trace, debug, info, warn, error, critical, off")
      ->check(CLI::IsMember({"trace", "debug", "info", "warn", "error", "critical", "off"}));

  g = parallel_group;
  add(app, g, "maxConcurrentJobs", opts.maxConcurrentJobs,
      "Slots of this node's local pool: jobs running at once (0: a node that only schedules)")
      ->check(range(0u, 100'000u));
  add(app, g, "maxJobsPerRun", opts.maxJobsPerRun,
      "Most jobs the scheduler dispatches in one turn before serving other messages")
      ->check(range(1u, 1'000'000u));
  add(app, g, "batchClaimSize", opts.batchClaimSize,
      "Most READY jobs claimed in one write to storage")
      ->check(range(1u, 100'000u));
  add(app, g, "queueCacheMB", opts.queueCacheMB,
      "MiB of queued jobs' records the scheduler keeps in memory; beyond it they are read back when claimed")
      ->check(range(0u, 1'048'576u));
  add(app, g, "workerPoolSize", opts.workerPoolSize,
      "Threads that run blocking kinds (cpu and functions registered as blocking)")
      ->check(range(1u, 1024u));
  add(app, g, "enablePriorityScheduling", opts.enablePriorityScheduling,
      "Serve CRITICAL > HIGH > NORMAL > LOW strictly; false: one FIFO across all priorities");
  add(app, g, "metricsEnabled", opts.metricsEnabled, "Collect metrics (metrics actor)");
  add(app, g, "adaptiveThrottling", opts.adaptiveThrottling,
      "Let each pool's concurrency follow throughput, latency and errors (resource manager)");
  add(app, g, "adaptiveMinConcurrency", opts.adaptiveMinConcurrency,
      "Lowest concurrency adaptive throttling gives a pool (its highest is the pool's slots)")
      ->check(range(1u, 100'000u));

  g = fair_share_group;
  add(app, g, "userWeights", opts.userWeights,
      "Weights of users in the fair share of a priority level, as NAME=WEIGHT,... (unlisted users: 1)")
      ->check(name_values());
  add(app, g, "kindWeights", opts.kindWeights,
      "Weights of job kinds inside a user's share, as KIND=WEIGHT,... (unlisted kinds: 1)")
      ->check(name_values());
  add(app, g, "maxRunningPerUser", opts.maxRunningPerUser,
      "Most jobs of one user running at once (0: no limit)")
      ->check(range(0u, 1'000'000u));
  add(app, g, "userRunningLimits", opts.userRunningLimits,
      "Per-user overrides of maxRunningPerUser, as NAME=N,...")
      ->check(name_values());
  add(app, g, "kindRunningLimits", opts.kindRunningLimits,
      "Most jobs of one kind running at once, as KIND=N,... (unlisted kinds: no limit)")
      ->check(name_values());
  add(app, g, "kindRateLimits", opts.kindRateLimits,
      "Jobs of a kind started per interval, as KIND=N/INTERVAL_MS[:BURST],... (e.g. exec=100/60000:20)")
      ->check(rate_limits());
  add(app, g, "userRateLimits", opts.userRateLimits,
      "Jobs of a user started per interval, as USER=N/INTERVAL_MS[:BURST],...")
      ->check(rate_limits());
  add(app, g, "priorityAgingMs", opts.priorityAgingMs,
      "A READY job that waited this long, in a priority level not served meanwhile, moves up one level, and "
      "again after each further wait (0: never)")
      ->check(range<uint64_t>(0, 365 * ms_per_day));

  g = retries_group;
  add(app, g, "retryBaseMs", opts.retryBaseMs,
      "Wait after a job's first failed attempt, in milliseconds (0: retry at once)")
      ->check(range<uint64_t>(0, 365 * ms_per_day));
  add(app, g, "retryFactor", opts.retryFactor, "Each further failed attempt multiplies the wait by this")
      ->check(finite_range(1, 100));
  add(app, g, "retryMaxDelayMs", opts.retryMaxDelayMs, "Longest wait between attempts, in milliseconds")
      ->check(range<uint64_t>(0, 365 * ms_per_day));
  add(app, g, "retryJitter", opts.retryJitter,
      "The wait is scaled by a factor in [1 - retryJitter, 1 + retryJitter], so jobs that failed together spread out")
      ->check(finite_range(0, 1));
  add(app, g, "kindRetry", opts.kindRetry,
      "Per-kind retry settings, as KIND=BASE_MS:FACTOR:MAX_DELAY_MS:JITTER,... (e.g. exec=5000:3:600000:0.1)")
      ->check(kind_retry());
  add(app, g, "idempotencyWindowMs", opts.idempotencyWindowMs,
      "Unique jobs: a submit with the idempotency key of a job that ended less than this long ago gets its id")
      ->check(range<uint64_t>(0, 3650 * ms_per_day));
  add(app, g, "cronMissed", opts.cronMissed,
      "Cron occurrences missed while the node was down: run-once (one job at start) or skip (schedules may say)")
      ->check(CLI::IsMember({"run-once", "skip"}));

  g = api_group;
  add(app, g, "httpListen", opts.httpListen,
      "Where the HTTP/JSON API listens (port 0 picks one; empty: no HTTP server)")
      ->check(empty_or(host_port()));
  add(app, g, "httpMaxConnections", opts.httpMaxConnections,
      "Most HTTP connections open at once; further ones are closed at once")
      ->check(range(1u, 100'000u));
  add(app, g, "httpReadTimeoutMs", opts.httpReadTimeoutMs,
      "A client must send a whole request within this many milliseconds of starting it")
      ->check(range(10u, 3'600'000u));
  add(app, g, "httpMaxHeaderKB", opts.httpMaxHeaderKB, "Largest request header block accepted, in KiB")
      ->check(range(1u, 1024u));
  add(app, g, "execRoles", opts.execRoles,
      "Roles that may submit raw exec jobs, as ROLE,... (admin, user); others submit command kinds")
      ->check(exec_roles());
  add(app, g, "commandKinds", opts.commandKinds,
      "Command kinds file: argv templates filled from payloads, no shell (config/commands.example.json); \"\": none");
  add(app, g, "bootstrapAdmin", opts.bootstrapAdmin,
      "With no users in the store at start, create user admin and write its token to DATA/admin.token");
  add(app, g, "maxQueuedPerUser", opts.maxQueuedPerUser,
      "Most unfinished jobs of one user; a submit over it is refused (0: no limit)")
      ->check(range(0u, 1'000'000'000u));
  add(app, g, "userQueuedLimits", opts.userQueuedLimits, "Per-user overrides of maxQueuedPerUser, as NAME=N,...")
      ->check(name_values());
  add(app, g, "maxPayloadMBPerUser", opts.maxPayloadMBPerUser,
      "Most MiB of payload in one user's unfinished jobs; a submit over it is refused (0: no limit)")
      ->check(range(0u, 1'048'576u));
  add(app, g, "userPayloadLimitsMB", opts.userPayloadLimitsMB,
      "Per-user overrides of maxPayloadMBPerUser, as NAME=MIB,...")
      ->check(name_values());

  g = metrics_group;
  add(app, g, "metricsIntervalMs", opts.metricsIntervalMs,
      "Milliseconds between two samples of the node's metrics (the finest step of the history)")
      ->check(range(100u, 60'000u));
  add(app, g, "metricsFineRetentionMinutes", opts.metricsFineRetentionMinutes,
      "Minutes the metrics history keeps its finest samples; then per-minute averages")
      ->check(range(1u, 10'080u));
  add(app, g, "metricsMinuteRetentionHours", opts.metricsMinuteRetentionHours,
      "Hours the metrics history keeps per-minute averages; then per-hour ones, for maxJobHistoryDays")
      ->check(range(1u, 8'760u));
  add(app, g, "pickupLatencyTargetMs", opts.pickupLatencyTargetMs,
      "Target pickup latency (READY to RUNNING, p95 over a minute) in ms; above it an alert fires")
      ->check(range(1u, 86'400'000u));
  add(app, g, "alertForMs", opts.alertForMs,
      "Milliseconds a rule's condition must hold before its alert fires, and be clear before it resolves")
      ->check(range(0u, 86'400'000u));
  add(app, g, "alertHysteresis", opts.alertHysteresis,
      "An active alert resolves once its value is below its threshold by this fraction")
      ->check(CLI::Range(0.0, 0.9));
  add(app, g, "backlogAlertJobs", opts.backlogAlertJobs,
      "Waiting jobs above which a backlog that grew over the last minute raises an alert")
      ->check(range<uint64_t>(1, 1'000'000'000'000));
  add(app, g, "blockedAlertJobs", opts.blockedAlertJobs, "BLOCKED jobs above which an alert fires")
      ->check(range<uint64_t>(1, 1'000'000'000'000));
  add(app, g, "deadAlertJobs", opts.deadAlertJobs,
      "Jobs ended DEAD within 10 minutes from which an alert fires (0: never)")
      ->check(range(0u, 1'000'000'000u));
  add(app, g, "alertWebhookUrl", opts.alertWebhookUrl,
      "URL that receives fired and resolved alerts as JSON (POST); empty: none")
      ->check(empty_or(http_url()));
  add(app, g, "alertWebhookTimeoutMs", opts.alertWebhookTimeoutMs,
      "Milliseconds a webhook request may take before it is given up")
      ->check(range(100u, 600'000u));
  add(app, g, "alertHistoryKept", opts.alertHistoryKept, "Resolved alerts kept in the alert history")
      ->check(range(1u, 1'000'000u));

  g = limits_group;
  add(app, g, "maxMemoryMB", opts.maxMemoryMB,
      "Memory budget of the node process, in MiB (resource manager admission)")
      ->check(range(1u, 1'048'576u));
  add(app, g, "memoryHysteresisPercent", opts.memoryHysteresisPercent,
      "Admission resumes once memory is this many percentage points below memoryThreshold")
      ->check(range(0u, 99u));
  add(app, g, "resourceIntervalMs", opts.resourceIntervalMs,
      "ms between the resource manager's samples of memory and CPU (and its concurrency adjustments)")
      ->check(range(10u, 3'600'000u));
  add(app, g, "maxJobPayloadSizeMB", opts.maxJobPayloadSizeMB,
      "Largest payload accepted, in MiB (serialized size)")
      ->check(range(1u, 1024u));
  add(app, g, "payloadCompression", opts.payloadCompression,
      "Compression of stored job records and payloads: zstd, lz4 or none")
      ->check(CLI::IsMember({"zstd", "lz4", "none"}));
  add(app, g, "blobThresholdKB", opts.blobThresholdKB,
      "Job records of at least this many KiB (large payloads) go to RocksDB blob files (0: never)")
      ->check(range(0u, 1'048'576u));
  add(app, g, "jobTimeoutMs", opts.jobTimeoutMs,
      "Default per-attempt timeout in milliseconds, for jobs that do not set one")
      ->check(range<uint64_t>(1, 365 * ms_per_day));
  add(app, g, "maxJobHistoryDays", opts.maxJobHistoryDays,
      "Finished jobs older than this many days are deleted")
      ->check(range(0u, 36'500u));
  add(app, g, "maxCompletedJobsToKeep", opts.maxCompletedJobsToKeep,
      "At most this many finished jobs are kept; the oldest are deleted first")
      ->check(range<uint64_t>(0, 1'000'000'000'000));
  add(app, g, "defaultMaxAttempts", opts.defaultMaxAttempts,
      "Attempts for jobs that do not set max_attempts")
      ->check(range(1u, 10'000u));
  add(app, g, "execEnabled", opts.execEnabled,
      "Allow the exec kind (runs processes on this machine)");
  add(app, g, "outputTailBytes", opts.outputTailBytes,
      "Bytes of an exec job's stdout/stderr kept in its result (the tail)")
      ->check(range(0u, 16u << 20));
  add(app, g, "retentionIntervalMs", opts.retentionIntervalMs,
      "How often retention looks for finished jobs to delete, in milliseconds")
      ->check(range<uint32_t>(1, ms_per_day));

  g = cluster_group;
  add(app, g, "clusterSecret", opts.clusterSecret,
      "Secret a worker must present to join (env TROUPE_CLUSTER_SECRET; empty: no worker may join)")
      ->envname("TROUPE_CLUSTER_SECRET");
  add(app, g, "heartbeatIntervalMs", opts.heartbeatIntervalMs,
      "ms between heartbeats on connections to peers (CAF middleman)")
      ->check(range(10u, 60'000u));
  add(app, g, "peerTimeoutMs", opts.peerTimeoutMs,
      "A peer silent this long (ms) is lost: a hung worker is detected after it (0: only closed connections)")
      ->check(range(0u, 3'600'000u));
  add(app, g, "tlsEnabled", opts.tlsEnabled,
      "Serve peers, the CLI and workers over TLS (CAF's openssl module)");
  add(app, g, "tlsCertificate", opts.tlsCertificate, "PEM certificate of this node (TLS)");
  add(app, g, "tlsKey", opts.tlsKey, "PEM private key of this node (TLS)");
  add(app, g, "tlsCaFile", opts.tlsCaFile, "PEM CA file that peers' certificates are checked against (TLS)");

  g = scaling_group;
  add(app, g, "minWorkers", opts.minWorkers, "Fewest worker nodes the scaling manager keeps")
      ->check(range(0u, 10'000u));
  add(app, g, "maxWorkers", opts.maxWorkers, "Most worker nodes the scaling manager starts")
      ->check(range(1u, 10'000u));
  add(app, g, "targetQueueDepth", opts.targetQueueDepth,
      "READY jobs per worker the scaling manager aims for")
      ->check(range(1u, 1'000'000u));
  add(app, g, "scaleUpThreshold", opts.scaleUpThreshold,
      "Scale up when queue depth > targetQueueDepth x this")
      ->check(positive_finite());
  add(app, g, "scaleDownThreshold", opts.scaleDownThreshold,
      "Scale down when queue depth < targetQueueDepth x this")
      ->check(positive_finite());
  add(app, g, "memoryThreshold", opts.memoryThreshold,
      "Percent of maxMemoryMB above which the node stops claiming jobs")
      ->check(range(1u, 100u));
  add(app, g, "errorRateThreshold", opts.errorRateThreshold,
      "Percent of failed attempts above which scaling up is held")
      ->check(range(0u, 100u));
  add(app, g, "scalingMode", opts.scalingMode,
      "off: only recommend; local: start and drain troupe worker processes here; command: run scalingCommand")
      ->check(CLI::IsMember({"off", "local", "command"}));
  add(app, g, "scalingIntervalMs", opts.scalingIntervalMs, "ms between two decisions of the scaling manager")
      ->check(range(10u, 3'600'000u));
  add(app, g, "scaleUpCooldownMs", opts.scaleUpCooldownMs, "Least ms between two scale-ups")
      ->check(range(0u, 86'400'000u));
  add(app, g, "scaleDownCooldownMs", opts.scaleDownCooldownMs,
      "Least ms between any change of the desired count and a scale-down")
      ->check(range(0u, 86'400'000u));
  add(app, g, "scalingCommand", opts.scalingCommand,
      "command mode: run by /bin/sh -c when the desired count changes ({count}, env TROUPE_DESIRED_WORKERS)");
  add(app, g, "scalingWorkerSlots", opts.scalingWorkerSlots, "local mode: slots of each worker process it starts")
      ->check(range(1u, 100'000u));
}

std::string validate(const node_options& opts) {
  std::string errors;
  auto fail = [&errors](const std::string& message) {
    errors += (errors.empty() ? "" : "; ") + message;
  };
  if (opts.minWorkers > opts.maxWorkers)
    fail("minWorkers (" + std::to_string(opts.minWorkers) + ") must not exceed maxWorkers (" +
         std::to_string(opts.maxWorkers) + ")");
  if (opts.peerTimeoutMs != 0 && opts.peerTimeoutMs <= opts.heartbeatIntervalMs)
    fail("peerTimeoutMs (" + std::to_string(opts.peerTimeoutMs) + ") must exceed heartbeatIntervalMs (" +
         std::to_string(opts.heartbeatIntervalMs) + "), or every idle peer would be dropped");
  if (opts.tlsCertificate.empty() != opts.tlsKey.empty())
    fail("tlsCertificate and tlsKey go together: set both or neither");
  if (opts.memoryHysteresisPercent >= opts.memoryThreshold)
    fail("memoryHysteresisPercent (" + std::to_string(opts.memoryHysteresisPercent) +
         ") must be below memoryThreshold (" + std::to_string(opts.memoryThreshold) + ")");
  if (opts.scalingMode == "command" && opts.scalingCommand.empty())
    fail("scalingMode command needs scalingCommand");
  if (opts.scalingMode == "local" && opts.clusterSecret.empty())
    fail("scalingMode local needs clusterSecret: the workers it starts join with it");
  if (!(opts.scaleDownThreshold < opts.scaleUpThreshold))
    fail("scaleDownThreshold (" + format_number(opts.scaleDownThreshold) +
         ") must be less than scaleUpThreshold (" + format_number(opts.scaleUpThreshold) + ")");
  return errors;
}

std::string reference_config() {
  node_options defaults;
  CLI::App app;
  add_node_options(app, defaults);
  std::ostringstream out;
  out << reference_header;
  for (const char* section : sections) {
    out << "\n# --- " << section << " ---\n";
    for (const CLI::Option* opt : app.get_options()) {
      if (opt->get_group() != section) continue;
      out << "\n# " << opt->get_description() << '\n'
          << opt->get_single_name() << " = " << toml_value(*opt) << '\n';
    }
  }
  return out.str();
}

}  // namespace troupe
