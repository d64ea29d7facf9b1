#define BOOST_TEST_MODULE e2e_dashboard
#include <boost/test/unit_test.hpp>

// The web dashboard (docs/dashboard.md) in a real browser: a real `troupe serve` node, jobs submitted over HTTP,
// and Debian's headless Chromium driven through chromedriver (W3C WebDriver, support/webdriver.hpp). The test
// signs in with the admin token, waits until the job table lists the jobs and the charts are drawn (with points
// when the node collects metrics), opens a workflow job's dependency graph, clicks a job's Cancel button and
// waits until the node says CANCELLED. A screenshot is kept in <build>/test-artifacts/dashboard.png.
// Every wait is on a condition with a deadline; a missing chromium or chromium-driver fails the test.

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "schemas/troupe.pb.h"
#include "support/http_client.hpp"
#include "support/process.hpp"
#include "support/temp_dir.hpp"
#include "support/webdriver.hpp"
#include "troupe/json.hpp"

using namespace troupe;
using namespace troupe::test;
using namespace std::chrono_literals;

namespace {

using steady = std::chrono::steady_clock;

const std::vector<std::string> chrome_args = {"--headless=new", "--no-sandbox", "--disable-dev-shm-usage",
                                              "--disable-gpu", "--window-size=1400,1000"};

// A node's API with its admin token.
struct node_api_client {
  std::string address;
  std::string token;

  template <class T>
  T call(const std::string& method, const std::string& target, const std::string& body = "") const {
    auto answer = http_call(address, method, target, body, "Bearer " + token);
    BOOST_REQUIRE_MESSAGE(answer.status / 100 == 2, method << " " << target << ": " << answer.describe());
    T message;
    auto err = from_json(answer.body, &message);
    BOOST_REQUIRE_MESSAGE(!err, "a " << T::descriptor()->name() << " from " << target << ": " << answer.body);
    return message;
  }
};

// Signs in on the login form with `token` (the page must show the login).
void sign_in(webdriver_session& browser, const std::string& token) {
  std::optional<std::string> input;
  wait_until([&] { return (input = browser.find("#login:not([hidden]) #token")).has_value(); }, 10s,
             "the login form shows");
  browser.execute("document.getElementById('token').value = ''");
  browser.type(*input, token);
  auto clicked = browser.click(*browser.find("#login-button"));
  BOOST_REQUIRE_MESSAGE(clicked.ok, "click Sign in: " << clicked.describe());
}

double count(webdriver_session& browser, const std::string& css) {
  return browser.execute("return document.querySelectorAll(\"" + css + "\").length").number_value();
}

std::vector<std::string> ids_of(const SubmitResponse& response) {
  std::vector<std::string> ids;
  for (auto id : response.ids()) ids.push_back(std::to_string(id));
  return ids;
}

}  // namespace

BOOST_AUTO_TEST_CASE(the_dashboard_shows_the_jobs_and_charts_and_its_cancel_button_cancels_a_job) {
  auto started = steady::now();
  temp_dir dir;
  // Two slots: two sleeps run, the others wait READY; the workflow's second job waits BLOCKED.
  node_process node{dir.sub("data"), {"--maxConcurrentJobs", "2"}};
  node.start();
  node_api_client api{node.http_address(), node.admin_token()};
  BOOST_REQUIRE(!api.token.empty());

  auto sleeps = ids_of(api.call<SubmitResponse>("POST", "/api/jobs",
      R"([{"kind":"sleep","payload":{"ms":60000},"batch":"dash"},{"kind":"sleep","payload":{"ms":60000},"batch":"dash"},
          {"kind":"sleep","payload":{"ms":60000},"batch":"dash"},{"kind":"noop","batch":"dash"}])"));
  auto flow = ids_of(api.call<SubmitResponse>("POST", "/api/jobs",
      R"({"jobs":[{"ref":"extract","kind":"sleep","payload":{"ms":60000},"batch":"flow"},
                  {"ref":"load","kind":"noop","after":["extract"],"batch":"flow"}]})"));
  std::vector<std::string> all = sleeps;
  all.insert(all.end(), flow.begin(), flow.end());

  webdriver_session browser{chrome_args};
  browser.navigate("http://" + api.address + "/");
  sign_in(browser, api.token);

  // The job table lists every submitted job.
  std::string listed;
  wait_until(
      [&] {
        listed = browser.execute("return [...document.querySelectorAll('#jobs-table tbody tr[data-job-id]')]"
                                 ".map(r => r.dataset.jobId).join(',')").string_value();
        auto rows = "," + listed + ",";
        return std::all_of(all.begin(), all.end(), [&](auto& id) { return rows.find("," + id + ",") != rows.npos; });
      },
      15s, "the job table lists the submitted jobs");
  BOOST_TEST_MESSAGE("job table: " << listed);

  // The charts: drawn with points when the node collects metrics (or has series to show); otherwise the page
  // says metrics are off.
  // A node with a metrics actor samples every second (metricsIntervalMs): give it a few to show points.
  Dashboard board;
  bool has_series = false;
  auto metrics_on = poll_until(
      [&] {
        board = api.call<Dashboard>("GET", "/api/jobs/dashboard");
        has_series = std::any_of(board.recent().series().begin(), board.recent().series().end(),
                                 [](const Series& s) { return s.t_size() > 0; });
        return board.status().metrics_enabled() || has_series;
      },
      3s, 200ms);
  BOOST_TEST(browser.execute("return document.querySelectorAll('figure.chart canvas').length").number_value() == 4);
  const std::vector<std::string> charts = {"chart-depth", "chart-throughput", "chart-latency", "chart-slots"};
  if (metrics_on) {
    for (const auto& chart : charts)
      wait_until(
          [&] {
            return browser.execute("return Number(document.getElementById('" + chart + "').dataset.points)")
                       .number_value() > 0;
          },
          20s, chart + " draws points (data-points > 0)");
  } else {
    BOOST_TEST_MESSAGE("the node collects no metrics (status.metrics_enabled false): charts are checked to exist");
    wait_until([&] {
      return browser.execute("return document.getElementById('metrics-note').textContent").string_value().find(
                 "Metrics are off") != std::string::npos;
    }, 10s, "the page says metrics are off");
  }
  if (board.status().metrics_enabled())
    wait_until(
        [&] {
          auto score = browser.execute("return document.getElementById('health-score').textContent").string_value();
          return !score.empty() && std::isdigit(static_cast<unsigned char>(score[0]));
        },
        20s, "the health score shows a number");
  BOOST_TEST(browser.execute("return document.getElementById('figure-running').textContent").string_value().find(
                 "running") != std::string::npos);

  // The workflow's dependency graph: both jobs, drawn from GET /api/jobs/{id}/plan.
  auto link = browser.find("#jobs-table tr[data-job-id='" + flow[1] + "'] a");
  BOOST_REQUIRE(link);
  BOOST_REQUIRE_MESSAGE(browser.click(*link).ok, "open job " << flow[1]);
  wait_until(
      [&] {
        return browser.execute("return document.querySelectorAll('#detail-graph svg g[data-job-id]').length")
                   .number_value() == 2;
      },
      10s, "the detail panel draws the workflow's two jobs");

  // Cancel a running job with its button; the row may be redrawn between finding and clicking the button.
  const auto& victim = sleeps[0];
  auto button = "#jobs-table button[data-action='cancel'][data-job-id='" + victim + "']";
  wait_until(
      [&] {
        auto found = browser.find(button);
        return found && browser.click(*found).ok;
      },
      10s, "job " + victim + "'s Cancel button is clicked");
  wait_until([&] { return api.call<Job>("GET", "/api/jobs/" + victim).state() == Job::CANCELLED; }, 15s,
             "job " + victim + " is CANCELLED");
  wait_until(
      [&] {
        return browser.find("#jobs-table tr[data-job-id='" + victim + "'][data-state='CANCELLED']").has_value();
      },
      10s, "the table shows job " + victim + " CANCELLED");
  BOOST_TEST(browser.execute("return document.getElementById('error-bar').hidden").bool_value(),
             browser.execute("return document.getElementById('error-bar').textContent").string_value());

  std::filesystem::create_directories(TROUPE_TEST_ARTIFACTS_DIR);
  std::string path = std::string{TROUPE_TEST_ARTIFACTS_DIR} + "/dashboard.png";
  browser.execute("window.scrollTo(0, 0)");  // the header, alerts, figures and charts
  auto png = browser.screenshot_png();
  std::ofstream{path, std::ios::binary} << png;
  BOOST_TEST(png.substr(1, 3) == "PNG");
  auto seconds = std::chrono::duration<double>(steady::now() - started).count();
  BOOST_TEST_MESSAGE("screenshot: " << path << " (" << png.size() << " bytes); the test took " << seconds << " s");
}

BOOST_AUTO_TEST_CASE(controls_follow_the_role_and_a_bad_token_returns_to_the_login_with_the_nodes_message) {
  temp_dir dir;
  node_process node{dir.sub("data"), {"--maxConcurrentJobs", "1"}};
  node.start();
  node_api_client admin{node.http_address(), node.admin_token()};
  auto carol = admin.call<UserList>("POST", "/api/users", R"({"action":"ADD","name":"carol","role":"USER"})").token();
  auto rita =
      admin.call<UserList>("POST", "/api/users", R"({"action":"ADD","name":"rita","role":"READ_ONLY"})").token();
  auto admins = ids_of(admin.call<SubmitResponse>("POST", "/api/jobs", R"({"kind":"sleep","payload":{"ms":60000}})"));
  node_api_client as_carol{node.http_address(), carol};
  auto carols =
      ids_of(as_carol.call<SubmitResponse>("POST", "/api/jobs", R"({"kind":"sleep","payload":{"ms":60000}})"));

  webdriver_session browser{chrome_args};
  browser.navigate("http://" + admin.address + "/");
  sign_in(browser, "nobody.nothing");
  wait_until(
      [&] {
        return browser.execute("return document.getElementById('login-error').textContent").string_value().find(
                   "not valid") != std::string::npos;
      },
      10s, "the login says the token is not valid");

  // A user: its own job with a Cancel button, no queue controls, no node-wide charts.
  sign_in(browser, carol);
  wait_until([&] { return count(browser, "#jobs-table tr[data-job-id='" + carols[0] + "']") == 1; }, 10s,
             "carol's job is listed");
  wait_until([&] { return count(browser, "#queues tbody tr") > 0; }, 10s, "the queues are listed");
  BOOST_TEST(count(browser, "#jobs-table tr[data-job-id='" + admins[0] + "']") == 0);
  BOOST_TEST(count(browser, "button[data-action='cancel'][data-job-id='" + carols[0] + "']") == 1);
  BOOST_TEST(count(browser, "#queues button") == 0);
  BOOST_TEST(browser.execute("return document.getElementById('metrics-note').textContent").string_value() != "");

  // Read-only: no controls at all.
  BOOST_REQUIRE(browser.click(*browser.find("#logout")).ok);
  sign_in(browser, rita);
  wait_until([&] { return browser.execute("return document.getElementById('who').textContent").string_value() ==
                          "rita (read-only)"; }, 10s, "rita is signed in");
  wait_until([&] { return count(browser, "#queues tbody tr") > 0; }, 10s, "the queues are listed");
  BOOST_TEST(count(browser, "#jobs-panel button[data-action]") == 0);
  BOOST_TEST(count(browser, "#queues button") == 0);

  // The token is revoked while the page is open: the next refresh returns to the login with the node's message.
  admin.call<UserList>("DELETE", "/api/users/rita");
  wait_until([&] { return browser.find("#login:not([hidden])").has_value(); }, 10s,
             "the page returns to the login once rita's token is revoked");
  BOOST_TEST(!browser.execute("return document.getElementById('login-error').textContent").string_value().empty());
}
