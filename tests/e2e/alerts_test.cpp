#define BOOST_TEST_MODULE e2e_alerts
#include <boost/test/unit_test.hpp>

// Alerts end to end: a real `troupe serve` whose jobs fail fires high_error_rate and dead_jobs, POSTs them to a
// webhook (a listener in this test), resolves the error rate once successes dilute it and says so to the
// webhook, and `troupe alerts` shows what is active.

#include <chrono>
#include <string>
#include <vector>

#include "schemas/troupe.pb.h"
#include "support/http_listener.hpp"
#include "support/process.hpp"
#include "support/temp_dir.hpp"
#include "troupe/json.hpp"

using namespace troupe;
using namespace troupe::test;
using namespace std::chrono_literals;

namespace {

// POSTs `body` to the node's HTTP API as its admin; the HTTP status.
int post(const node_process& node, const std::string& path, const std::string& body) {
  child_process curl{{"/usr/bin/curl", "-sS", "-o", "/dev/null", "-w", "%{http_code}", "-X", "POST", "-H",
                      "Authorization: Bearer " + node.admin_token(), "-H", "Content-Type: application/json",
                      "--data-binary", body, "http://" + node.http_address() + path}};
  curl.wait(40s, "curl POST " + path);
  return std::atoi(curl.out().c_str());
}

// `n` copies of a job spec as a JSON array.
std::string jobs(const std::string& spec, int n) {
  std::string out = "[";
  for (int i = 0; i < n; ++i) out += (i == 0 ? "" : ",") + spec;
  return out + "]";
}

// The webhook events received so far.
std::vector<AlertEvent> events(http_listener& hook) {
  std::vector<AlertEvent> out;
  for (const auto& r : hook.wait_for(0)) {
    AlertEvent e;
    BOOST_REQUIRE_MESSAGE(!from_json(r.body, &e), "the webhook body is an AlertEvent: " << r.body);
    out.push_back(std::move(e));
  }
  return out;
}

const AlertEvent* find(const std::vector<AlertEvent>& all, const std::string& event, const std::string& rule) {
  for (const auto& e : all)
    if (e.event() == event && e.alert().rule() == rule && e.alert().subject().empty()) return &e;
  return nullptr;
}

}  // namespace

BOOST_AUTO_TEST_CASE(failing_jobs_fire_alerts_to_the_webhook_and_successes_resolve_the_error_rate) {
  http_listener hook;
  temp_dir dir;
  node_process node{dir.sub("data"),
                    {"--metricsIntervalMs", "200", "--alertForMs", "0", "--alertWebhookUrl", hook.url(),
                     "--maxConcurrentJobs", "4", "--nodeName", "alerting-node"},
                    dir.path()};
  node.start();
  // Twelve jobs that fail their only attempt: an error rate of 100% over 12 attempts, and 12 DEAD jobs.
  BOOST_REQUIRE_EQUAL(post(node, "/api/jobs", jobs(R"({"kind":"fail","payload":{"times":5},"max_attempts":1})", 12)),
                      201);
  wait_until([&] { return find(events(hook), "fired", "high_error_rate") != nullptr; }, 30s,
             "the webhook hears that high_error_rate fired");
  auto fired = *find(events(hook), "fired", "high_error_rate");
  BOOST_TEST(fired.node() == "alerting-node");
  BOOST_TEST(fired.alert().severity() == Alert::CRITICAL);
  BOOST_TEST(fired.alert().state() == Alert::ACTIVE);
  BOOST_TEST(fired.alert().message().find("error rate") != std::string::npos, fired.alert().message());
  wait_until([&] { return find(events(hook), "fired", "dead_jobs") != nullptr; }, 30s,
             "the webhook hears that dead_jobs fired");

  // Two hundred successes bring the last minute's error rate to 12 / 212 (5.7%), under the band below 15%.
  BOOST_REQUIRE_EQUAL(post(node, "/api/jobs", jobs(R"({"kind":"noop"})", 200)), 201);
  wait_until([&] { return find(events(hook), "resolved", "high_error_rate") != nullptr; }, 30s,
             "the webhook hears that high_error_rate resolved");
  auto all = events(hook);
  const auto* resolved = find(all, "resolved", "high_error_rate");
  BOOST_TEST(resolved->alert().state() == Alert::RESOLVED);
  BOOST_TEST(resolved->alert().id() == fired.alert().id());
  BOOST_TEST(find(all, "resolved", "dead_jobs") == nullptr, "dead jobs stay counted for 10 minutes");

  auto listed = node.run({"alerts"});
  BOOST_TEST(listed.exit_code == 0, listed.describe());
  BOOST_TEST(listed.out.find("dead_jobs") != std::string::npos, listed.out);
  BOOST_TEST(listed.out.find("health:") != std::string::npos, listed.out);
}
