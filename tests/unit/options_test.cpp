// Parsing and validation of node_options (config/options_cli.hpp): the command line and the config
// file of `troupe serve`, their errors, the cross-field rules, and the checked-in reference config
// file. Needs TROUPE_SOURCE_DIR (the source root) to find config/troupe.toml.

#define BOOST_TEST_MODULE options
#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include <unistd.h>

#include <CLI/CLI.hpp>

#include "actors/node_store.hpp"
#include "config/options_cli.hpp"
#include "troupe/error.hpp"

#ifndef TROUPE_SOURCE_DIR
#error "define TROUPE_SOURCE_DIR as the quoted source root, e.g. TROUPE_SOURCE_DIR=\"/work/main\""
#endif

using namespace troupe;

namespace {

// Every field of `opts`, one `name=value` line each: compares whole structs with a readable diff.
std::string describe(const node_options& opts) {
  std::ostringstream out;
  out << std::boolalpha << "data=" << opts.data << "\nlisten=" << opts.listen
      << "\nnodeName=" << opts.nodeName << "\ndurability=" << to_string(opts.durability)
      << "\ngroupCommitWindowUs=" << opts.groupCommitWindowUs
      << "\nshutdownGraceMs=" << opts.shutdownGraceMs
      << "\nschedulerThreads=" << opts.schedulerThreads << "\nlogLevel=" << opts.logLevel
      << "\nmaxConcurrentJobs=" << opts.maxConcurrentJobs
      << "\nmaxJobsPerRun=" << opts.maxJobsPerRun << "\nbatchClaimSize=" << opts.batchClaimSize
      << "\nqueueCacheMB=" << opts.queueCacheMB
      << "\nworkerPoolSize=" << opts.workerPoolSize
      << "\nenablePriorityScheduling=" << opts.enablePriorityScheduling
      << "\nmetricsEnabled=" << opts.metricsEnabled
      << "\nadaptiveThrottling=" << opts.adaptiveThrottling
      << "\nadaptiveMinConcurrency=" << opts.adaptiveMinConcurrency << "\nuserWeights=" << opts.userWeights
      << "\nkindWeights=" << opts.kindWeights << "\nmaxRunningPerUser=" << opts.maxRunningPerUser
      << "\nuserRunningLimits=" << opts.userRunningLimits << "\nkindRunningLimits=" << opts.kindRunningLimits
      << "\nkindRateLimits=" << opts.kindRateLimits << "\nuserRateLimits=" << opts.userRateLimits
      << "\npriorityAgingMs=" << opts.priorityAgingMs << "\nretryBaseMs=" << opts.retryBaseMs
      << "\nretryFactor=" << opts.retryFactor << "\nretryMaxDelayMs=" << opts.retryMaxDelayMs
      << "\nretryJitter=" << opts.retryJitter << "\nkindRetry=" << opts.kindRetry
      << "\nidempotencyWindowMs=" << opts.idempotencyWindowMs << "\ncronMissed=" << opts.cronMissed
      << "\nhttpListen=" << opts.httpListen << "\nhttpMaxConnections=" << opts.httpMaxConnections
      << "\nhttpReadTimeoutMs=" << opts.httpReadTimeoutMs << "\nhttpMaxHeaderKB=" << opts.httpMaxHeaderKB
      << "\nexecRoles=" << opts.execRoles << "\ncommandKinds=" << opts.commandKinds
      << "\nbootstrapAdmin=" << opts.bootstrapAdmin << "\nmaxQueuedPerUser=" << opts.maxQueuedPerUser
      << "\nuserQueuedLimits=" << opts.userQueuedLimits << "\nmaxPayloadMBPerUser=" << opts.maxPayloadMBPerUser
      << "\nuserPayloadLimitsMB=" << opts.userPayloadLimitsMB
      << "\nmetricsIntervalMs=" << opts.metricsIntervalMs
      << "\nmetricsFineRetentionMinutes=" << opts.metricsFineRetentionMinutes
      << "\nmetricsMinuteRetentionHours=" << opts.metricsMinuteRetentionHours
      << "\npickupLatencyTargetMs=" << opts.pickupLatencyTargetMs << "\nalertForMs=" << opts.alertForMs
      << "\nalertHysteresis=" << opts.alertHysteresis << "\nbacklogAlertJobs=" << opts.backlogAlertJobs
      << "\nblockedAlertJobs=" << opts.blockedAlertJobs << "\ndeadAlertJobs=" << opts.deadAlertJobs
      << "\nalertWebhookUrl=" << opts.alertWebhookUrl << "\nalertWebhookTimeoutMs=" << opts.alertWebhookTimeoutMs
      << "\nalertHistoryKept=" << opts.alertHistoryKept
      << "\nmaxMemoryMB=" << opts.maxMemoryMB
      << "\nmaxJobPayloadSizeMB=" << opts.maxJobPayloadSizeMB
      << "\nmemoryHysteresisPercent=" << opts.memoryHysteresisPercent
      << "\nresourceIntervalMs=" << opts.resourceIntervalMs << "\npayloadCompression=" << opts.payloadCompression
      << "\nblobThresholdKB=" << opts.blobThresholdKB
      << "\njobTimeoutMs=" << opts.jobTimeoutMs << "\nmaxJobHistoryDays=" << opts.maxJobHistoryDays
      << "\nmaxCompletedJobsToKeep=" << opts.maxCompletedJobsToKeep
      << "\ndefaultMaxAttempts=" << opts.defaultMaxAttempts << "\nexecEnabled=" << opts.execEnabled
      << "\noutputTailBytes=" << opts.outputTailBytes
      << "\nretentionIntervalMs=" << opts.retentionIntervalMs << "\nclusterSecret=" << opts.clusterSecret
      << "\nheartbeatIntervalMs=" << opts.heartbeatIntervalMs << "\npeerTimeoutMs=" << opts.peerTimeoutMs
      << "\ntlsEnabled=" << opts.tlsEnabled << "\ntlsCertificate=" << opts.tlsCertificate
      << "\ntlsKey=" << opts.tlsKey << "\ntlsCaFile=" << opts.tlsCaFile << "\nminWorkers=" << opts.minWorkers
      << "\nmaxWorkers=" << opts.maxWorkers << "\ntargetQueueDepth=" << opts.targetQueueDepth
      << "\nscaleUpThreshold=" << opts.scaleUpThreshold
      << "\nscaleDownThreshold=" << opts.scaleDownThreshold
      << "\nmemoryThreshold=" << opts.memoryThreshold
      << "\nerrorRateThreshold=" << opts.errorRateThreshold << "\nscalingMode=" << opts.scalingMode
      << "\nscalingIntervalMs=" << opts.scalingIntervalMs << "\nscaleUpCooldownMs=" << opts.scaleUpCooldownMs
      << "\nscaleDownCooldownMs=" << opts.scaleDownCooldownMs << "\nscalingCommand=" << opts.scalingCommand
      << "\nscalingWorkerSlots=" << opts.scalingWorkerSlots << '\n';
  return out.str();
}

// A non-default value for every option, and the struct these values make.
struct setting {
  std::string name;
  std::string value;
  bool text;  // quoted in TOML
};

const std::vector<setting> changed_settings = {
    {"data", "/var/lib/troupe", true},
    {"listen", "[::1]:5000", true},
    {"nodeName", "worker-7", true},
    {"durability", "sync", true},
    {"groupCommitWindowUs", "250", false},
    {"shutdownGraceMs", "5000", false},
    {"schedulerThreads", "8", false},
    {"logLevel", "debug", true},
    {"maxConcurrentJobs", "40", false},
    {"maxJobsPerRun", "300", false},
    {"batchClaimSize", "20", false},
    {"queueCacheMB", "16", false},
    {"workerPoolSize", "4", false},
    {"enablePriorityScheduling", "false", false},
    {"metricsEnabled", "false", false},
    {"adaptiveThrottling", "false", false},
    {"adaptiveMinConcurrency", "2", false},
    {"userWeights", "alice=3,bob=2", true},
    {"kindWeights", "exec=2", true},
    {"maxRunningPerUser", "10", false},
    {"userRunningLimits", "alice=20", true},
    {"kindRunningLimits", "exec=4,cpu=2", true},
    {"kindRateLimits", "exec=100/60000:20", true},
    {"userRateLimits", "bob=10/1000", true},
    {"priorityAgingMs", "5000", false},
    {"retryBaseMs", "250", false},
    {"retryFactor", "3.5", false},
    {"retryMaxDelayMs", "60000", false},
    {"retryJitter", "0.5", false},
    {"kindRetry", "exec=5000:3:600000:0.1", true},
    {"idempotencyWindowMs", "60000", false},
    {"cronMissed", "skip", true},
    {"httpListen", "0.0.0.0:9090", true},
    {"httpMaxConnections", "64", false},
    {"httpReadTimeoutMs", "2000", false},
    {"httpMaxHeaderKB", "8", false},
    {"execRoles", "admin,user", true},
    {"commandKinds", "/etc/troupe/commands.json", true},
    {"bootstrapAdmin", "false", false},
    {"maxQueuedPerUser", "1000", false},
    {"userQueuedLimits", "alice=5000", true},
    {"maxPayloadMBPerUser", "100", false},
    {"userPayloadLimitsMB", "bob=10", true},
    {"metricsIntervalMs", "500", false},
    {"metricsFineRetentionMinutes", "30", false},
    {"metricsMinuteRetentionHours", "48", false},
    {"pickupLatencyTargetMs", "250", false},
    {"alertForMs", "2000", false},
    {"alertHysteresis", "0.2", false},
    {"backlogAlertJobs", "50", false},
    {"blockedAlertJobs", "60", false},
    {"deadAlertJobs", "3", false},
    {"alertWebhookUrl", "http://127.0.0.1:9/hook", true},
    {"alertWebhookTimeoutMs", "1500", false},
    {"alertHistoryKept", "20", false},
    {"maxMemoryMB", "2048", false},
    {"maxJobPayloadSizeMB", "8", false},
    {"memoryHysteresisPercent", "5", false},
    {"resourceIntervalMs", "250", false},
    {"payloadCompression", "none", true},
    {"blobThresholdKB", "64", false},
    {"jobTimeoutMs", "60000", false},
    {"maxJobHistoryDays", "7", false},
    {"maxCompletedJobsToKeep", "5000", false},
    {"defaultMaxAttempts", "3", false},
    {"execEnabled", "true", false},
    {"outputTailBytes", "1024", false},
    {"retentionIntervalMs", "250", false},
    {"clusterSecret", "s3cret", true},
    {"heartbeatIntervalMs", "200", false},
    {"peerTimeoutMs", "1000", false},
    {"tlsEnabled", "true", false},
    {"tlsCertificate", "/etc/troupe/node.pem", true},
    {"tlsKey", "/etc/troupe/node.key", true},
    {"tlsCaFile", "/etc/troupe/ca.pem", true},
    {"minWorkers", "1", false},
    {"maxWorkers", "50", false},
    {"targetQueueDepth", "10", false},
    {"scaleUpThreshold", "2.25", false},
    {"scaleDownThreshold", "0.25", false},
    {"memoryThreshold", "90", false},
    {"errorRateThreshold", "5", false},
    {"scalingMode", "command", true},
    {"scalingIntervalMs", "1000", false},
    {"scaleUpCooldownMs", "5000", false},
    {"scaleDownCooldownMs", "60000", false},
    {"scalingCommand", "kubectl scale --replicas={count} deploy/w", true},
    {"scalingWorkerSlots", "4", false},
};

node_options changed_options() {
  node_options o;
  o.data = "/var/lib/troupe";
  o.listen = "[::1]:5000";
  o.nodeName = "worker-7";
  o.durability = durability_policy::sync;
  o.groupCommitWindowUs = 250;
  o.shutdownGraceMs = 5000;
  o.schedulerThreads = 8;
  o.logLevel = "debug";
  o.maxConcurrentJobs = 40;
  o.maxJobsPerRun = 300;
  o.batchClaimSize = 20;
  o.queueCacheMB = 16;
  o.workerPoolSize = 4;
  o.enablePriorityScheduling = false;
  o.metricsEnabled = false;
  o.adaptiveThrottling = false;
  o.adaptiveMinConcurrency = 2;
  o.userWeights = "alice=3,bob=2";
  o.kindWeights = "exec=2";
  o.maxRunningPerUser = 10;
  o.userRunningLimits = "alice=20";
  o.kindRunningLimits = "exec=4,cpu=2";
  o.kindRateLimits = "exec=100/60000:20";
  o.userRateLimits = "bob=10/1000";
  o.priorityAgingMs = 5000;
  o.retryBaseMs = 250;
  o.retryFactor = 3.5;
  o.retryMaxDelayMs = 60000;
  o.retryJitter = 0.5;
  o.kindRetry = "exec=5000:3:600000:0.1";
  o.idempotencyWindowMs = 60000;
  o.cronMissed = "skip";
  o.httpListen = "0.0.0.0:9090";
  o.httpMaxConnections = 64;
  o.httpReadTimeoutMs = 2000;
  o.httpMaxHeaderKB = 8;
  o.execRoles = "admin,user";
  o.commandKinds = "/etc/troupe/commands.json";
  o.bootstrapAdmin = false;
  o.maxQueuedPerUser = 1000;
  o.userQueuedLimits = "alice=5000";
  o.maxPayloadMBPerUser = 100;
  o.userPayloadLimitsMB = "bob=10";
  o.metricsIntervalMs = 500;
  o.metricsFineRetentionMinutes = 30;
  o.metricsMinuteRetentionHours = 48;
  o.pickupLatencyTargetMs = 250;
  o.alertForMs = 2000;
  o.alertHysteresis = 0.2;
  o.backlogAlertJobs = 50;
  o.blockedAlertJobs = 60;
  o.deadAlertJobs = 3;
  o.alertWebhookUrl = "http://127.0.0.1:9/hook";
  o.alertWebhookTimeoutMs = 1500;
  o.alertHistoryKept = 20;
  o.maxMemoryMB = 2048;
  o.maxJobPayloadSizeMB = 8;
  o.memoryHysteresisPercent = 5;
  o.resourceIntervalMs = 250;
  o.payloadCompression = "none";
  o.blobThresholdKB = 64;
  o.jobTimeoutMs = 60000;
  o.maxJobHistoryDays = 7;
  o.maxCompletedJobsToKeep = 5000;
  o.defaultMaxAttempts = 3;
  o.execEnabled = true;
  o.outputTailBytes = 1024;
  o.retentionIntervalMs = 250;
  o.clusterSecret = "s3cret";
  o.heartbeatIntervalMs = 200;
  o.peerTimeoutMs = 1000;
  o.tlsEnabled = true;
  o.tlsCertificate = "/etc/troupe/node.pem";
  o.tlsKey = "/etc/troupe/node.key";
  o.tlsCaFile = "/etc/troupe/ca.pem";
  o.minWorkers = 1;
  o.maxWorkers = 50;
  o.targetQueueDepth = 10;
  o.scaleUpThreshold = 2.25;
  o.scaleDownThreshold = 0.25;
  o.memoryThreshold = 90;
  o.errorRateThreshold = 5;
  o.scalingMode = "command";
  o.scalingIntervalMs = 1000;
  o.scaleUpCooldownMs = 5000;
  o.scaleDownCooldownMs = 60000;
  o.scalingCommand = "kubectl scale --replicas={count} deploy/w";
  o.scalingWorkerSlots = 4;
  return o;
}

std::string toml(const std::vector<setting>& settings) {
  std::string out;
  for (const auto& s : settings)
    out += s.name + " = " + (s.text ? '"' + s.value + '"' : s.value) + '\n';
  return out;
}

// A file in the temp directory, removed at the end of the test.
class temp_file {
 public:
  explicit temp_file(const std::string& content) {
    static int counter = 0;
    path_ = (std::filesystem::temp_directory_path() /
             ("troupe_options_test_" + std::to_string(::getpid()) + "_" +
              std::to_string(counter++) + ".toml"))
                .string();
    std::ofstream{path_} << content;
  }
  ~temp_file() { std::filesystem::remove(path_); }
  temp_file(const temp_file&) = delete;
  temp_file& operator=(const temp_file&) = delete;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

struct parse_result {
  node_options opts;
  std::string error;       // the ParseError's message; empty when parsing succeeded
  std::string error_name;  // the ParseError's class name ("ValidationError", "CallForHelp", ...)
};

// Parses `troupe serve ARGS...` as the real CLI does (options registered on the `serve`
// subcommand).
parse_result parse_serve(std::vector<std::string> args) {
  parse_result result;
  CLI::App app{"troupe", "troupe"};
  auto* serve = app.add_subcommand("serve", "Run a node");
  add_node_options(*serve, result.opts);
  args.insert(args.begin(), "serve");
  std::reverse(args.begin(), args.end());  // CLI11 takes the arguments in reverse order
  try {
    app.parse(args);
  } catch (const CLI::ParseError& e) {
    result.error = e.what();
    result.error_name = e.get_name();
  }
  return result;
}

std::vector<std::string> flags(const std::vector<setting>& settings) {
  std::vector<std::string> args;
  for (const auto& s : settings) {
    args.push_back("--" + s.name);
    args.push_back(s.value);
  }
  return args;
}

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

}  // namespace

BOOST_AUTO_TEST_CASE(without_arguments_every_option_keeps_the_default_of_the_struct) {
  auto result = parse_serve({});
  BOOST_TEST(result.error == "");
  BOOST_TEST(describe(result.opts) == describe(node_options{}));
}

BOOST_AUTO_TEST_CASE(the_test_table_covers_every_registered_option) {
  node_options opts;
  CLI::App app;
  add_node_options(app, opts);
  std::set<std::string> registered;
  for (const CLI::Option* opt : app.get_options())
    if (opt->get_configurable()) registered.insert(opt->get_single_name());
  std::set<std::string> tested;
  for (const auto& s : changed_settings) tested.insert(s.name);
  BOOST_TEST(registered == tested, boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(every_option_is_settable_on_the_command_line) {
  auto result = parse_serve(flags(changed_settings));
  BOOST_TEST(result.error == "");
  BOOST_TEST(describe(result.opts) == describe(changed_options()));
}

BOOST_AUTO_TEST_CASE(an_option_accepts_the_equals_form) {
  auto result = parse_serve({"--maxConcurrentJobs=33", "--metricsEnabled=false"});
  BOOST_TEST(result.error == "");
  BOOST_TEST(result.opts.maxConcurrentJobs == 33u);
  BOOST_TEST(result.opts.metricsEnabled == false);
}

BOOST_AUTO_TEST_CASE(every_option_is_settable_in_a_config_file_with_top_level_keys) {
  temp_file file{toml(changed_settings)};
  auto result = parse_serve({"--config", file.path()});
  BOOST_TEST(result.error == "");
  BOOST_TEST(describe(result.opts) == describe(changed_options()));
}

BOOST_AUTO_TEST_CASE(the_config_file_also_works_when_the_options_are_on_the_root_app) {
  temp_file file{toml(changed_settings)};
  node_options opts;
  CLI::App app;
  add_node_options(app, opts);
  BOOST_CHECK_NO_THROW(app.parse(std::vector<std::string>{file.path(), "--config"}));
  BOOST_TEST(describe(opts) == describe(changed_options()));
}

BOOST_AUTO_TEST_CASE(an_empty_string_in_the_file_sets_an_empty_value) {
  temp_file file{"nodeName = \"\"\n"};
  node_options opts;
  opts.nodeName = "preset";
  CLI::App app;
  add_node_options(app, opts);
  app.parse(std::vector<std::string>{file.path(), "--config"});
  BOOST_TEST(opts.nodeName == "");
}

BOOST_AUTO_TEST_CASE(the_command_line_overrides_the_config_file_wherever_config_appears) {
  temp_file file{"maxConcurrentJobs = 40\ndurability = \"sync\"\nlisten = \"0.0.0.0:7000\"\n"};
  for (const auto& args :
       {std::vector<std::string>{"--maxConcurrentJobs", "7", "--config", file.path()},
        std::vector<std::string>{"--config", file.path(), "--maxConcurrentJobs", "7"}}) {
    auto result = parse_serve(args);
    BOOST_TEST(result.error == "");
    BOOST_TEST(result.opts.maxConcurrentJobs == 7u);
    BOOST_TEST(to_string(result.opts.durability) == "sync");
    BOOST_TEST(result.opts.listen == "0.0.0.0:7000");
  }
}

BOOST_AUTO_TEST_CASE(an_unknown_option_on_the_command_line_is_rejected_and_named) {
  auto result = parse_serve({"--maxConcurrentJob", "5"});
  BOOST_TEST_MESSAGE(result.error);
  BOOST_TEST(contains(result.error, "--maxConcurrentJob"));
}

BOOST_AUTO_TEST_CASE(an_unknown_key_in_the_config_file_is_rejected_and_named) {
  temp_file file{"maxConcurrentJobs = 5\nmaxConcurentJobs = 5\n"};
  auto result = parse_serve({"--config", file.path()});
  BOOST_TEST_MESSAGE(result.error);
  BOOST_TEST(result.error == file.path() + ": unknown option maxConcurentJobs");
}

BOOST_AUTO_TEST_CASE(a_section_in_the_config_file_is_rejected_and_named) {
  temp_file file{"[serve]\nmaxConcurrentJobs = 5\n"};
  auto result = parse_serve({"--config", file.path()});
  BOOST_TEST_MESSAGE(result.error);
  BOOST_TEST(result.error == file.path() + ": unknown option [serve]");
}

BOOST_AUTO_TEST_CASE(a_key_given_twice_in_the_config_file_is_rejected_and_named) {
  temp_file file{"maxConcurrentJobs = 5\nbatchClaimSize = 2\nmaxConcurrentJobs = 6\n"};
  auto result = parse_serve({"--config", file.path()});
  BOOST_TEST_MESSAGE(result.error);
  BOOST_TEST(contains(result.error, "maxConcurrentJobs must be given once"));
}

BOOST_AUTO_TEST_CASE(config_and_help_are_not_config_keys) {
  for (std::string key : {"config", "help"}) {
    temp_file file{key + " = \"x\"\n"};
    auto result = parse_serve({"--config", file.path()});
    BOOST_TEST(result.error == file.path() + ": unknown option " + key);
  }
}

BOOST_AUTO_TEST_CASE(a_missing_config_file_is_rejected_and_named) {
  auto result = parse_serve({"--config", "/nonexistent/troupe.toml"});
  BOOST_TEST_MESSAGE(result.error);
  BOOST_TEST(result.error == "--config: cannot read the file /nonexistent/troupe.toml");
  result = parse_serve({"--config", std::filesystem::temp_directory_path().string()});
  BOOST_TEST(contains(result.error, "--config: cannot read the file"));
}

BOOST_AUTO_TEST_CASE(help_wins_over_an_unreadable_config_file) {
  auto result = parse_serve({"--config", "/nonexistent/troupe.toml", "--help"});
  BOOST_TEST(result.error_name == "CallForHelp");
}

BOOST_AUTO_TEST_CASE(text_values_in_the_file_may_hold_spaces_commas_and_colons) {
  temp_file file{"data = \"/srv/troupe data, node 1\"\nlisten = \"[::1]:4242\"\n"};
  auto result = parse_serve({"--config", file.path()});
  BOOST_TEST(result.error == "");
  BOOST_TEST(result.opts.data == "/srv/troupe data, node 1");
  BOOST_TEST(result.opts.listen == "[::1]:4242");
}

BOOST_AUTO_TEST_CASE(invalid_values_are_rejected_naming_the_option_and_the_value) {
  const std::vector<std::pair<std::string, std::string>> invalid = {
      {"maxConcurrentJobs", "-1"},
      {"maxConcurrentJobs", "100001"},
      {"maxConcurrentJobs", "ten"},
      {"durability", "fast"},
      {"listen", "nohost"},
      {"listen", "host:65536"},
      {"listen", ":4242"},
      {"listen", "::1:4242"},
      {"data", ""},
      {"nodeName", "my node"},
      {"logLevel", "verbose"},
      {"cronMissed", "sometimes"},
      {"httpListen", "nohost"},
      {"httpMaxConnections", "0"},
      {"execRoles", "admin,read-only"},
      {"userQueuedLimits", "alice"},
      {"batchClaimSize", "0"},
      {"maxJobsPerRun", "1000001"},
      {"workerPoolSize", "1025"},
      {"maxJobPayloadSizeMB", "0"},
      {"jobTimeoutMs", "0"},
      {"jobTimeoutMs", "-1"},
      {"memoryThreshold", "0"},
      {"memoryThreshold", "101"},
      {"heartbeatIntervalMs", "5"},
      {"peerTimeoutMs", "-1"},
      {"errorRateThreshold", "101"},
      {"scalingMode", "auto"},
      {"payloadCompression", "gzip"},
      {"resourceIntervalMs", "5"},
      {"adaptiveMinConcurrency", "0"},
      {"scaleUpThreshold", "0"},
      {"scaleDownThreshold", "-0.5"},
      {"scaleUpThreshold", "nan"},
      {"metricsEnabled", "maybe"},
      {"metricsIntervalMs", "50"},
      {"alertHysteresis", "1.5"},
      {"alertWebhookUrl", "ftp://host/x"},
      {"alertWebhookUrl", "http://"},
      {"blockedAlertJobs", "0"},
      {"maxCompletedJobsToKeep", "-1"},
      {"userWeights", "alice"},
      {"userWeights", "alice=0"},
      {"userWeights", "=3"},
      {"kindWeights", "exec=2,exec=3"},
      {"kindRunningLimits", "exec=many"},
      {"userRunningLimits", "bob=1000001"},
      {"retryFactor", "0.5"},
      {"retryJitter", "2"},
      {"kindRetry", "exec=5000:3"},
      {"kindRetry", "exec=5000:0.5:100:0"},
      {"kindRetry", "exec=-1:2:100:0"},
      {"kindRateLimits", "exec=10"},
      {"kindRateLimits", "exec=0/1000"},
      {"userRateLimits", "bob=5/1000:x"}};
  for (const auto& [name, value] : invalid) {
    BOOST_TEST_CONTEXT("--" << name << " '" << value << "'") {
      auto result = parse_serve({"--" + name, value});
      BOOST_TEST_MESSAGE(result.error);
      BOOST_TEST(contains(result.error, "--" + name));
      if (!value.empty()) BOOST_TEST(contains(result.error, value));
      // The same value in a config file (CLI11's reader drops the quotes of any value).
      temp_file file{name + " = \"" + value + "\"\n"};
      result = parse_serve({"--config", file.path()});
      BOOST_TEST(contains(result.error, file.path() + ": "));
      BOOST_TEST(contains(result.error, "--" + name));
      if (!value.empty()) BOOST_TEST(contains(result.error, value));
    }
  }
}

BOOST_AUTO_TEST_CASE(an_invalid_value_in_the_config_file_is_rejected_naming_file_option_and_value) {
  temp_file file{"maxConcurrentJobs = -1\n"};
  auto result = parse_serve({"--config", file.path()});
  BOOST_TEST_MESSAGE(result.error);
  BOOST_TEST(result.error ==
             file.path() + ": --maxConcurrentJobs: Value -1 not in range 0 to 100000");
  temp_file durability{"durability = \"fast\"\n"};
  result = parse_serve({"--config", durability.path()});
  BOOST_TEST_MESSAGE(result.error);
  BOOST_TEST(contains(result.error, "--durability"));
  BOOST_TEST(contains(result.error, "fast"));
}

BOOST_AUTO_TEST_CASE(help_shows_each_section_and_default) {
  node_options opts;
  CLI::App app{"troupe", "troupe"};
  auto* serve = app.add_subcommand("serve", "Run a node");
  add_node_options(*serve, opts);
  std::string help = serve->help();
  for (const char* section : {"node:", "parallel processing:", "resource limits:", "scaling:"})
    BOOST_TEST(contains(help, section), section);
  // CLI11 2.1 shows a default as `--name TYPE=DEFAULT`.
  BOOST_TEST(contains(help, "--maxConcurrentJobs UINT:in [0, 100000]=15"));
  BOOST_TEST(contains(help, "--durability TEXT:{sync,group}=group"));
  BOOST_TEST(contains(help, "--scaleUpThreshold FLOAT:> 0=1.5"));
  BOOST_TEST(contains(help, "--metricsEnabled BOOLEAN=true"));
}

BOOST_AUTO_TEST_CASE(the_defaults_satisfy_the_cross_field_rules) {
  BOOST_TEST(validate(node_options{}) == "");
}

BOOST_AUTO_TEST_CASE(min_workers_above_max_workers_is_invalid) {
  node_options opts;
  opts.minWorkers = 30;
  BOOST_TEST(validate(opts) == "minWorkers (30) must not exceed maxWorkers (20)");
  opts.minWorkers = 20;
  BOOST_TEST(validate(opts) == "");
}

BOOST_AUTO_TEST_CASE(a_scale_down_threshold_not_below_the_scale_up_threshold_is_invalid) {
  node_options opts;
  opts.scaleDownThreshold = 1.5;
  BOOST_TEST(validate(opts) == "scaleDownThreshold (1.5) must be less than scaleUpThreshold (1.5)");
  opts.minWorkers = 21;
  BOOST_TEST(validate(opts) ==
             "minWorkers (21) must not exceed maxWorkers (20); "
             "scaleDownThreshold (1.5) must be less than scaleUpThreshold (1.5)");
}

BOOST_AUTO_TEST_CASE(a_peer_timeout_not_above_the_heartbeat_and_half_a_tls_key_pair_are_invalid) {
  node_options opts;
  opts.peerTimeoutMs = 500;
  BOOST_TEST(validate(opts) == "peerTimeoutMs (500) must exceed heartbeatIntervalMs (500), or every idle peer "
                               "would be dropped");
  opts.peerTimeoutMs = 0;  // no timeout at all
  BOOST_TEST(validate(opts) == "");
  opts.tlsCertificate = "node.pem";
  BOOST_TEST(validate(opts) == "tlsCertificate and tlsKey go together: set both or neither");
  opts.tlsKey = "node.key";
  BOOST_TEST(validate(opts) == "");
}

BOOST_AUTO_TEST_CASE(scaling_modes_need_what_they_run_and_the_memory_hysteresis_stays_below_its_threshold) {
  node_options opts;
  opts.scalingMode = "command";
  BOOST_TEST(validate(opts) == "scalingMode command needs scalingCommand");
  opts.scalingCommand = "echo {count}";
  BOOST_TEST(validate(opts) == "");
  opts.scalingMode = "local";
  BOOST_TEST(validate(opts) == "scalingMode local needs clusterSecret: the workers it starts join with it");
  opts.clusterSecret = "s3cret";
  BOOST_TEST(validate(opts) == "");
  opts.memoryHysteresisPercent = 80;
  BOOST_TEST(validate(opts) == "memoryHysteresisPercent (80) must be below memoryThreshold (80)");
}

BOOST_AUTO_TEST_CASE(the_store_gets_payloadCompression_and_blobThresholdKB_or_the_node_refuses_naming_them) {
  node_options o;
  o.data = "/somewhere";
  o.blobThresholdKB = 16;
  for (auto [name, c] : {std::pair{"none", storage::record_compression::none},
                         std::pair{"lz4", storage::record_compression::lz4},
                         std::pair{"zstd", storage::record_compression::zstd}}) {
    o.payloadCompression = name;
    auto store = store_options_of(o);
    if (storage::compression_supported(c)) {
      BOOST_TEST_REQUIRE(static_cast<bool>(store), name);
      BOOST_TEST(store->path == "/somewhere");
      BOOST_TEST((store->compression == c), name);
      BOOST_TEST(store->blob_threshold_kb == 16u);
    } else {  // this RocksDB was built without it: refused, not silently replaced
      BOOST_TEST_REQUIRE(!store, name);
      BOOST_TEST((code_of(store.error()) == ec::invalid_argument));
      BOOST_TEST(describe(store.error()).find("payloadCompression '" + std::string{name} + "'") != std::string::npos,
                 describe(store.error()));
    }
  }
  o.payloadCompression = "gzip";  // past the option table's check only by code that sets the struct directly
  auto refused = store_options_of(o);
  BOOST_TEST_REQUIRE(!refused);
  BOOST_TEST(describe(refused.error()).find("payloadCompression 'gzip'") != std::string::npos,
             describe(refused.error()));
}

BOOST_AUTO_TEST_CASE(durability_names_round_trip) {
  for (auto policy : {durability_policy::sync, durability_policy::group})
    BOOST_TEST((parse_durability(to_string(policy)) == policy));
  BOOST_TEST(!parse_durability("fast").has_value());
  BOOST_TEST(!parse_durability("SYNC").has_value());
  BOOST_TEST(!parse_durability("").has_value());
}

BOOST_AUTO_TEST_CASE(the_reference_config_lists_every_option_with_its_default) {
  std::string text = reference_config();
  for (const auto& s : changed_settings) BOOST_TEST(contains(text, "\n" + s.name + " = "), s.name);
  BOOST_TEST(contains(text, "\nmaxConcurrentJobs = 15\n"));
  BOOST_TEST(contains(text, "\ndurability = \"group\"\n"));
  BOOST_TEST(contains(text, "\nscaleUpThreshold = 1.5\n"));
  BOOST_TEST(contains(text, "\nenablePriorityScheduling = true\n"));
  BOOST_TEST(contains(text, "\nnodeName = \"\"\n"));
}

BOOST_AUTO_TEST_CASE(the_checked_in_troupe_toml_is_the_reference_config) {
  std::ifstream in{std::string{TROUPE_SOURCE_DIR} + "/config/troupe.toml"};
  BOOST_REQUIRE(in.good());
  std::stringstream content;
  content << in.rdbuf();
  BOOST_TEST(content.str() == reference_config());
}

BOOST_AUTO_TEST_CASE(parsing_the_checked_in_troupe_toml_yields_the_defaults) {
  std::string path = std::string{TROUPE_SOURCE_DIR} + "/config/troupe.toml";
  auto result = parse_serve({"--config", path});
  BOOST_TEST(result.error == "");
  BOOST_TEST(describe(result.opts) == describe(node_options{}));
  // The file sets every option: starting from other values still ends at the defaults.
  node_options opts = changed_options();
  CLI::App app;
  add_node_options(app, opts);
  BOOST_CHECK_NO_THROW(app.parse(std::vector<std::string>{path, "--config"}));
  BOOST_TEST(describe(opts) == describe(node_options{}));
}
