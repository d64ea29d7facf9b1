#define BOOST_TEST_MODULE e2e_http
#include <boost/test/unit_test.hpp>

// The HTTP/JSON API of a real `troupe serve` process (docs/api.md), driven with the curl command-line tool and,
// where curl cannot misbehave on purpose, with raw sockets: jobs submitted, listed, shown and cancelled; every
// error status with its JSON; tokens and roles (the node's access rules); the server's limits (body size from
// Content-Length, header size, slow clients, connections); /health and /ready, also while the node shuts down.
// Users are created through POST /api/users with the admin token the node writes to DATA/admin.token.

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "schemas/troupe.pb.h"
#include "support/process.hpp"
#include "support/temp_dir.hpp"
#include "troupe/error.hpp"
#include "troupe/json.hpp"

using namespace troupe;
using namespace troupe::test;
using namespace std::chrono_literals;

namespace {

using steady = std::chrono::steady_clock;

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

std::string read_text(const std::string& path) {
  std::ifstream in{path};
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

std::string trim(std::string text) {
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back()))) text.pop_back();
  return text;
}

// What curl saw: the status (0 if no response came), the headers of the final response, the body.
struct http_answer {
  int status = 0;
  std::string headers;
  std::string body;
  int curl_exit = 0;
  std::string describe() const {
    return "HTTP " + std::to_string(status) + " (curl exit " + std::to_string(curl_exit) + ") " + body;
  }
  // The value of a header (case-insensitive name), "" if absent.
  std::string header(const std::string& name) const {
    std::istringstream in{headers};
    std::string line;
    while (std::getline(in, line)) {
      auto colon = line.find(':');
      if (colon == std::string::npos || colon != name.size()) continue;
      bool same = true;
      for (size_t i = 0; i < colon; ++i)
        same = same && std::tolower(static_cast<unsigned char>(line[i])) ==
                           std::tolower(static_cast<unsigned char>(name[i]));
      if (same) return trim(line.substr(colon + 2));
    }
    return "";
  }
};

// The API of one node, through curl.
class api_client {
 public:
  api_client(std::string address, std::string scratch) : address_(std::move(address)), scratch_(std::move(scratch)) {}

  // `token`: sent as `Authorization: Bearer TOKEN` unless empty. `more`: more curl arguments.
  http_answer call(const std::string& method, const std::string& path, const std::string& token = "",
                   const std::optional<std::string>& body = std::nullopt, std::vector<std::string> more = {}) const {
    std::vector<std::string> argv{"/usr/bin/curl", "-sS", "-D", "-", "-w", "\n%{http_code}", "--max-time", "30",
                                  "-X", method, "http://" + address_ + path};
    if (!token.empty()) argv.insert(argv.end(), {"-H", "Authorization: Bearer " + token});
    if (body) {
      auto file = scratch_ + "/body-" + std::to_string(++calls_) + ".json";
      std::ofstream{file, std::ios::binary} << *body;
      argv.insert(argv.end(), {"-H", "Content-Type: application/json", "--data-binary", "@" + file});
    }
    argv.insert(argv.end(), more.begin(), more.end());
    child_process curl{argv};
    int code = curl.wait(40s, "curl " + method + " " + path);
    return parse(curl.out(), code);
  }

  http_answer get(const std::string& path, const std::string& token) const { return call("GET", path, token); }
  http_answer post(const std::string& path, const std::string& token, const std::string& body) const {
    return call("POST", path, token, body);
  }

  const std::string& address() const { return address_; }

 private:
  static http_answer parse(const std::string& out, int curl_exit) {
    http_answer a;
    a.curl_exit = curl_exit;
    auto last = out.rfind('\n');
    if (last == std::string::npos) return a;
    a.status = std::atoi(out.substr(last + 1).c_str());
    std::string rest = out.substr(0, last);
    // Header blocks (a "100 Continue" one may come first), then the body.
    size_t pos = 0;
    for (;;) {
      auto end = rest.find("\r\n\r\n", pos);
      if (end == std::string::npos) break;
      a.headers = rest.substr(pos, end - pos);
      pos = end + 4;
      if (a.headers.rfind("HTTP/1.1 100", 0) != 0) break;
    }
    a.body = rest.substr(pos);
    return a;
  }

  std::string address_;
  std::string scratch_;
  mutable int calls_ = 0;
};

template <class T>
T parse_as(const http_answer& a) {
  T message;
  auto err = from_json(a.body, &message);
  BOOST_REQUIRE_MESSAGE(!err, "a " << T::descriptor()->name() << " in " << a.describe() << ": " << describe(err));
  return message;
}

// Checks an error answer: its status, its ApiError code, and words its message must contain.
void check_error(const http_answer& a, int status, const std::string& code,
                 const std::vector<std::string>& words = {}) {
  BOOST_TEST(a.status == status, a.describe());
  ApiError error;
  BOOST_REQUIRE_MESSAGE(!from_json(a.body, &error), "an ApiError: " << a.describe());
  BOOST_TEST(error.error().code() == code, a.describe());
  for (const auto& w : words) BOOST_TEST(contains(error.error().message(), w), "names '" << w << "': " << a.body);
}

// A TCP connection that says exactly what a test tells it to.
class raw_connection {
 public:
  explicit raw_connection(const std::string& address) {
    auto colon = address.rfind(':');
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<uint16_t>(std::stoi(address.substr(colon + 1))));
    inet_pton(AF_INET, address.substr(0, colon).c_str(), &addr.sin_addr);
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    BOOST_REQUIRE(fd_ >= 0);
    BOOST_REQUIRE_MESSAGE(::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0,
                          "connect to " << address);
  }
  ~raw_connection() { close(); }
  raw_connection(const raw_connection&) = delete;
  raw_connection& operator=(const raw_connection&) = delete;

  void send(const std::string& data) {
    size_t sent = 0;
    while (sent < data.size()) {
      auto n = ::send(fd_, data.data() + sent, data.size() - sent, MSG_NOSIGNAL);
      BOOST_REQUIRE_MESSAGE(n > 0, "send");
      sent += static_cast<size_t>(n);
    }
  }

  // Reads what has arrived, without waiting; notes when the peer closed (or reset) the connection.
  void pump() {
    char buffer[4096];
    for (;;) {
      pollfd p{fd_, POLLIN, 0};
      if (closed_ || ::poll(&p, 1, 0) <= 0) return;
      auto n = ::recv(fd_, buffer, sizeof buffer, 0);
      if (n <= 0) {
        closed_ = true;
        return;
      }
      received_.append(buffer, static_cast<size_t>(n));
    }
  }
  bool closed() {
    pump();
    return closed_;
  }
  const std::string& received() {
    pump();
    return received_;
  }
  // Whether a whole response (header and the body its Content-Length announces) has arrived.
  bool has_response() {
    pump();
    auto end = received_.find("\r\n\r\n");
    if (end == std::string::npos) return false;
    auto at = received_.find("Content-Length: ");
    if (at == std::string::npos || at > end) return true;
    return received_.size() >= end + 4 + std::stoul(received_.substr(at + 16));
  }
  void close() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }

 private:
  int fd_ = -1;
  bool closed_ = false;
  std::string received_;
};

const std::string health_request = "GET /health HTTP/1.1\r\nHost: test\r\n\r\n";

// A node serving HTTP, its admin token, and a client for it.
struct http_node {
  temp_dir dir;
  node_process node;
  std::optional<api_client> api;
  std::string admin;

  explicit http_node(std::vector<std::string> flags) : node{dir.sub("data"), std::move(flags), dir.path()} {
    node.start();
    BOOST_REQUIRE_MESSAGE(!node.http_address().empty(), "the node wrote http.addr");
    api.emplace(node.http_address(), dir.path());
    admin = trim(read_text(node.data() + "/admin.token"));
    BOOST_REQUIRE_MESSAGE(!admin.empty(), "the node wrote admin.token");
  }

  // A new user of `role` (USER, ADMIN, READ_ONLY) made by the admin; its token.
  std::string add_user(const std::string& name, const std::string& role) {
    auto a = api->post("/api/users", admin, R"({"action":"ADD","name":")" + name + R"(","role":")" + role + "\"}");
    BOOST_REQUIRE_MESSAGE(a.status == 201, "POST /api/users: " << a.describe());
    auto token = parse_as<UserList>(a).token();
    BOOST_REQUIRE_MESSAGE(!token.empty(), "a token for " << name << ": " << a.describe());
    return token;
  }

  std::vector<uint64_t> submit(const std::string& token, const std::string& body) {
    auto a = api->post("/api/jobs", token, body);
    BOOST_REQUIRE_MESSAGE(a.status == 201, "POST /api/jobs " << body << ": " << a.describe());
    auto response = parse_as<SubmitResponse>(a);
    return {response.ids().begin(), response.ids().end()};
  }

  Job job(const std::string& token, uint64_t id) {
    auto a = api->get("/api/jobs/" + std::to_string(id), token);
    BOOST_REQUIRE_MESSAGE(a.status == 200, "GET job " << id << ": " << a.describe());
    return parse_as<Job>(a);
  }
};

std::vector<uint64_t> ids_of(const JobPage& page) {
  std::vector<uint64_t> ids;
  for (const auto& job : page.jobs()) ids.push_back(job.id());
  return ids;
}

}  // namespace

BOOST_AUTO_TEST_CASE(health_and_ready_answer_without_a_token_and_everything_else_needs_one) {
  http_node n{{}};
  auto health = n.api->get("/health", "");
  BOOST_TEST(health.status == 200, health.describe());
  BOOST_TEST(contains(health.body, R"("status":"ok")"), health.body);
  BOOST_TEST(health.header("Content-Type") == "application/json");
  auto ready = n.api->get("/ready", "");
  BOOST_TEST(ready.status == 200, ready.describe());

  check_error(n.api->get("/api/jobs", ""), 401, "unauthenticated", {"Bearer"});
  BOOST_TEST(n.api->get("/api/jobs", "").header("WWW-Authenticate") == "Bearer");
  check_error(n.api->call("GET", "/api/jobs/status", "", std::nullopt, {"-H", "Authorization: Basic YTpi"}), 401,
              "unauthenticated");
  check_error(n.api->get("/api/jobs/status", "admin.not-the-secret"), 401, "unauthenticated");
  check_error(n.api->get("/api/jobs/status", "nobody.x"), 401, "unauthenticated");
  auto status = n.api->get("/api/jobs/status", n.admin);
  BOOST_TEST(status.status == 200, status.describe());
  BOOST_TEST(parse_as<NodeStatus>(status).accepting());
}

BOOST_AUTO_TEST_CASE(jobs_are_submitted_listed_shown_and_cancelled) {
  http_node n{{"--maxConcurrentJobs", "2"}};  // one slot for the long sleep, one for the rest
  auto alice = n.add_user("alice", "USER");

  // One job: 201, its id, its Location.
  auto one = n.api->post("/api/jobs", alice, R"({"kind":"sleep","payload":{"ms":60000},"batch":"b1"})");
  BOOST_TEST(one.status == 201, one.describe());
  auto first = parse_as<SubmitResponse>(one).ids(0);
  BOOST_TEST(one.header("Location") == "/api/jobs/" + std::to_string(first));

  // An array, and a workflow whose jobs name each other: all or nothing, ids in order.
  auto array = n.submit(alice, R"([{"kind":"noop","batch":"b2"},{"kind":"noop","batch":"b2","priority":"LOW"}])");
  BOOST_TEST(array.size() == 2u);
  auto workflow = n.submit(alice, R"({"jobs":[{"ref":"extract","kind":"noop","batch":"wf"},
                                              {"ref":"load","kind":"noop","after":["extract"],"batch":"wf"}]})");
  BOOST_REQUIRE(workflow.size() == 2u);
  auto load = n.job(alice, workflow[1]);
  BOOST_TEST(load.spec().ref() == "load");
  BOOST_TEST(load.spec().dependencies_size() == 1);
  BOOST_TEST(load.spec().dependencies(0) == workflow[0]);
  // A bad workflow stores nothing.
  check_error(n.api->post("/api/jobs", alice, R"([{"ref":"a","kind":"noop","after":["nope"]}])"), 400,
              "invalid_argument", {"nope"});

  // Show: the record as JSON.
  auto shown = n.job(alice, first);
  BOOST_TEST(shown.id() == first);
  BOOST_TEST(shown.spec().kind() == "sleep");
  BOOST_TEST(shown.spec().user() == "alice");

  // List with filters, then page by page with the cursor.
  auto b2 = parse_as<JobPage>(n.api->get("/api/jobs?batch=b2", alice));
  BOOST_TEST(ids_of(b2) == array);
  auto sleeps = parse_as<JobPage>(n.api->get("/api/jobs?kind=sleep&user=alice", alice));
  BOOST_TEST(ids_of(sleeps) == std::vector<uint64_t>{first});
  wait_until([&] { return n.job(alice, workflow[1]).state() == Job::SUCCEEDED; }, 30s, "the workflow ran");
  auto succeeded = parse_as<JobPage>(n.api->get("/api/jobs?state=succeeded", alice));
  BOOST_TEST(succeeded.jobs_size() == 4);
  std::vector<uint64_t> paged;
  std::string cursor;
  for (int pages = 0; pages < 10; ++pages) {
    auto page = parse_as<JobPage>(n.api->get("/api/jobs?limit=2" + cursor, alice));
    BOOST_TEST(page.jobs_size() <= 2);
    for (auto id : ids_of(page)) paged.push_back(id);
    if (page.next_after_id() == 0) break;
    cursor = "&cursor=" + std::to_string(page.next_after_id());
  }
  BOOST_TEST(paged.size() == 5u);
  check_error(n.api->get("/api/jobs?state=DONE", alice), 400, "invalid_argument", {"state", "DONE"});
  check_error(n.api->get("/api/jobs?colour=red", alice), 400, "invalid_argument", {"colour"});

  // Cancel: the running sleep ends CANCELLED.
  auto cancelled = n.api->call("DELETE", "/api/jobs/" + std::to_string(first), alice);
  BOOST_TEST(cancelled.status == 200, cancelled.describe());
  wait_until([&] { return n.job(alice, first).state() == Job::CANCELLED; }, 30s, "the sleep job is CANCELLED");
}

BOOST_AUTO_TEST_CASE(each_error_has_its_status_and_a_json_error_naming_the_problem) {
  http_node n{{"--maxConcurrentJobs", "1", "--execEnabled", "true", "--maxJobPayloadSizeMB", "1"}};
  auto alice = n.add_user("alice", "USER");
  auto bob = n.add_user("bob", "USER");
  auto reader = n.add_user("reader", "READ_ONLY");

  // 400: malformed JSON and invalid specs name the field; unknown kinds name the kind.
  check_error(n.api->post("/api/jobs", alice, R"({"kindd":"noop"})"), 400, "invalid_argument", {"kindd"});
  check_error(n.api->post("/api/jobs", alice, R"({"kind":"noop","priority":"URGENT"})"), 400, "invalid_argument",
              {"priority"});
  check_error(n.api->post("/api/jobs", alice, R"({"kind":"noop")"), 400, "invalid_argument");
  check_error(n.api->post("/api/jobs", alice, R"({"kind":"nope"})"), 400, "unknown_kind", {"nope"});

  // 403: a read-only user submits; a user submits exec (execRoles = admin).
  check_error(n.api->post("/api/jobs", reader, R"({"kind":"noop"})"), 403, "forbidden");
  check_error(n.api->post("/api/jobs", alice, R"({"kind":"exec","payload":{"argv":["true"]}})"), 403, "forbidden");
  check_error(n.api->get("/api/users", alice), 403, "forbidden");

  // 404: an unknown job, another user's job (as if it did not exist), an unknown path.
  auto sleeper = n.submit(alice, R"({"kind":"sleep","payload":{"ms":60000}})")[0];
  auto queued = n.submit(alice, R"({"kind":"noop"})")[0];
  check_error(n.api->get("/api/jobs/999999", alice), 404, "unknown_job", {"999999"});
  check_error(n.api->get("/api/jobs/" + std::to_string(sleeper), bob), 404, "unknown_job");
  check_error(n.api->call("DELETE", "/api/jobs/" + std::to_string(sleeper), bob), 404, "unknown_job");
  check_error(n.api->get("/api/nothing/here", alice), 404, "not_found");

  // 405 with Allow.
  auto put = n.api->call("PUT", "/api/jobs", alice);
  check_error(put, 405, "method_not_allowed", {"PUT"});
  BOOST_TEST(put.header("Allow") == "GET, POST");

  // 409: retrying a job that is queued (or running) conflicts with its state.
  wait_until([&] { return n.job(alice, sleeper).state() == Job::RUNNING; }, 30s, "the sleep job runs");
  BOOST_TEST(n.job(alice, queued).state() == Job::READY);
  for (auto id : {sleeper, queued})
    check_error(n.api->post("/api/jobs/control", alice,
                            R"({"job":{"action":"RETRY","job":")" + std::to_string(id) + "\"}}"),
                409, "conflict", {std::to_string(id)});

  // 413 from the node: a payload over maxJobPayloadSizeMB (1 MiB) inside a body under the limit (2 MiB).
  std::string big(1'500'000, 'x');
  check_error(n.api->post("/api/jobs", alice, R"({"kind":"noop","payload":")" + big + "\"}"), 413,
              "payload_too_large");
  // 413 from the node: a cron schedule whose job template carries such a payload is refused when it is added.
  auto schedule = R"({"action":"ADD","schedule":{"name":"big","cron":"@hourly","job":{"kind":"noop","payload":")" +
                  big + "\"}}}";
  check_error(n.api->post("/api/jobs/cron", n.admin, schedule), 413, "payload_too_large",
              {"maxJobPayloadSizeMB", "big"});
  BOOST_TEST(parse_as<CronList>(n.api->get("/api/jobs/cron", n.admin)).schedules_size() == 0);
  // 413 from the server: a chunked body over 2 MiB is cut off.
  std::string huge(3 << 20, 'y');
  check_error(n.api->call("POST", "/api/jobs", alice, R"({"kind":"noop","payload":")" + huge + "\"}",
                          {"-H", "Transfer-Encoding: chunked"}),
              413, "payload_too_large");
  // 431: a header block over httpMaxHeaderKB (16).
  check_error(n.api->call("GET", "/api/jobs", alice, std::nullopt, {"-H", "X-Padding: " + std::string(20000, 'p')}),
              431, "invalid_argument", {"header"});

  // Nothing above stored a job, and the node still serves.
  auto all = parse_as<JobPage>(n.api->get("/api/jobs", n.admin));
  BOOST_TEST(all.jobs_size() == 2);
}

BOOST_AUTO_TEST_CASE(a_content_length_over_the_limit_is_answered_413_before_any_body_is_sent) {
  http_node n{{"--maxJobPayloadSizeMB", "1", "--httpReadTimeoutMs", "60000"}};
  raw_connection c{n.node.http_address()};
  auto start = steady::now();
  c.send("POST /api/jobs HTTP/1.1\r\nHost: test\r\nAuthorization: Bearer " + n.admin +
         "\r\nContent-Type: application/json\r\nContent-Length: 1000000000\r\n\r\n");
  // No body follows: the answer can only come from the header. It comes long before the 60 s read timeout.
  wait_until([&] { return c.has_response(); }, 20s, "a 413 arrives without the body");
  BOOST_TEST((steady::now() - start < 20s));
  BOOST_TEST(c.received().rfind("HTTP/1.1 413", 0) == 0, c.received());
  BOOST_TEST(contains(c.received(), "payload_too_large"), c.received());
  BOOST_TEST(contains(c.received(), "1000000000"), c.received());
  wait_until([&] { return c.closed(); }, 20s, "the server closes the connection");
  BOOST_TEST(parse_as<JobPage>(n.api->get("/api/jobs", n.admin)).jobs_size() == 0);
}

BOOST_AUTO_TEST_CASE(a_user_over_max_queued_per_user_is_answered_429) {
  // maxQueuedPerUser is enforced by the node's scheduler (per-user quotas): this needs that work on main.
  http_node n{{"--maxConcurrentJobs", "1", "--maxQueuedPerUser", "1"}};
  auto alice = n.add_user("alice", "USER");
  n.submit(alice, R"({"kind":"sleep","payload":{"ms":60000}})");
  check_error(n.api->post("/api/jobs", alice, R"({"kind":"sleep","payload":{"ms":60000}})"), 429,
              "quota_exceeded");
}

BOOST_AUTO_TEST_CASE(a_slow_client_is_dropped_after_the_read_timeout_and_others_are_served) {
  http_node n{{"--httpReadTimeoutMs", "300"}};
  raw_connection slow{n.node.http_address()};
  slow.send("GET /api/jobs HTTP/1.1\r\nHost: test\r\n");  // and the rest of the header never comes
  raw_connection silent{n.node.http_address()};             // sends nothing at all
  raw_connection idle{n.node.http_address()};
  idle.send(health_request);
  wait_until([&] { return idle.has_response(); }, 10s, "the keep-alive client gets its answer");
  BOOST_TEST(idle.received().rfind("HTTP/1.1 200", 0) == 0, idle.received());

  auto start = steady::now();
  wait_until([&] { return slow.closed() && silent.closed() && idle.closed(); }, 20s,
             "the server drops the slow, the silent and the idle connection");
  BOOST_TEST(slow.received().empty(), slow.received());
  BOOST_TEST((steady::now() - start < 20s));
  BOOST_TEST(n.api->get("/health", "").status == 200);
}

BOOST_AUTO_TEST_CASE(connections_over_the_limit_are_closed_at_once) {
  http_node n{{"--httpMaxConnections", "2", "--httpReadTimeoutMs", "60000"}};
  raw_connection first{n.node.http_address()}, second{n.node.http_address()};
  for (auto* c : {&first, &second}) {
    c->send(health_request);
    wait_until([&] { return c->has_response(); }, 10s, "a connection within the limit is served");
  }
  raw_connection third{n.node.http_address()};
  third.send(health_request);
  wait_until([&] { return third.closed(); }, 10s, "the third connection is closed");
  BOOST_TEST(third.received().empty(), third.received());
  BOOST_TEST(!first.closed());

  first.close();  // frees a connection
  wait_until([&] { return n.api->get("/health", "").status == 200; }, 20s, "a new connection is served");
  second.send(health_request);  // keep-alive: the same connection serves again
  wait_until([&] { return second.received().find("HTTP/1.1 200", 10) != std::string::npos; }, 10s,
             "the second connection is served again");
}

BOOST_AUTO_TEST_CASE(while_the_node_shuts_down_ready_and_every_request_answer_503) {
  http_node n{{"--shutdownGraceMs", "60000", "--maxConcurrentJobs", "1"}};
  auto id = n.submit(n.admin, R"({"kind":"sleep","payload":{"ms":60000}})")[0];
  wait_until([&] { return n.job(n.admin, id).state() == Job::RUNNING; }, 30s, "the sleep job runs");
  BOOST_TEST(n.api->get("/ready", "").status == 200);

  n.node.process().signal(SIGTERM);  // the running job has 60 s to finish: the node stays up, shutting down
  wait_until([&] { return n.api->get("/ready", "").status == 503; }, 20s, "/ready answers 503");
  check_error(n.api->get("/ready", ""), 503, "shutting_down");
  check_error(n.api->post("/api/jobs", n.admin, R"({"kind":"noop"})"), 503, "shutting_down");
  check_error(n.api->get("/api/jobs/" + std::to_string(id), n.admin), 503, "shutting_down");
  BOOST_TEST(n.api->get("/health", "").status == 200);
  BOOST_TEST(n.node.running());
  n.node.kill();
}

BOOST_AUTO_TEST_CASE(a_node_that_cannot_bind_its_http_address_exits_naming_it) {
  http_node first{{}};
  temp_dir dir;
  auto r = run_troupe({"serve", "--data", dir.sub("data"), "--listen", "127.0.0.1:0", "--httpListen",
                       first.node.http_address()},
                      {}, 60s);
  BOOST_TEST(r.exit_code == 5, r.describe());
  BOOST_TEST(contains(r.err, first.node.http_address()), r.err);
  BOOST_TEST(first.api->get("/health", "").status == 200);
}

BOOST_AUTO_TEST_CASE(metrics_are_served_to_prometheus_and_their_history_survives_a_restart) {
  http_node n{{"--metricsIntervalMs", "200", "--maxConcurrentJobs", "4"}};
  auto alice = n.add_user("alice", "USER");
  auto auditor = n.add_user("auditor", "READ_ONLY");
  for (int i = 0; i < 5; ++i)
    n.submit(alice, R"([{"kind":"sleep","payload":{"ms":20}},{"kind":"sleep","payload":{"ms":20}}])");
  auto succeeded = R"(troupe_jobs_total{kind="sleep",user="alice",priority="NORMAL",state="succeeded"} 10)";
  wait_until([&] { return contains(n.api->get("/metrics", auditor).body, succeeded); }, 30s,
             "/metrics counts the 10 jobs");
  auto text = n.api->get("/metrics", n.admin);
  BOOST_TEST(text.status == 200, text.describe());
  BOOST_TEST(text.header("Content-Type") == "text/plain; version=0.0.4; charset=utf-8");
  BOOST_TEST(contains(text.body, "# TYPE troupe_pickup_latency_seconds histogram"));
  auto pickups = R"(troupe_pickup_latency_seconds_count{kind="sleep",user="alice",priority="NORMAL"} 10)";
  BOOST_TEST(contains(text.body, pickups), text.body);
  BOOST_TEST(contains(text.body, "process_resident_memory_bytes "));
  check_error(n.api->get("/metrics", alice), 403, "forbidden", {"metrics"});
  check_error(n.api->get("/metrics", ""), 401, "unauthenticated");
  check_error(n.api->get("/api/jobs/metrics?from=soon", auditor), 400, "invalid_argument", {"from"});

  // The history holds the seconds that passed; after a SIGKILL and a restart the same range still answers.
  auto query = "/api/jobs/metrics?series=throughput_1m,depth_running&from=-30";
  SeriesSet before;
  wait_until(
      [&] {
        before = parse_as<SeriesSet>(n.api->get(query, auditor));
        return before.series_size() == 2 && before.series(0).t_size() >= 5;
      },
      30s, "five samples in the history");
  auto first_t = before.series(0).t(0);
  n.node.restart();
  n.api.emplace(n.node.http_address(), n.dir.path());  // a new port (the node asks for any free one)
  auto after = parse_as<SeriesSet>(n.api->get(query, auditor));
  BOOST_REQUIRE(after.series_size() == 2);
  BOOST_TEST(after.series(0).t_size() >= before.series(0).t_size());
  BOOST_TEST(after.series(0).t(0) == first_t);
  BOOST_TEST(after.series(0).v(0) == before.series(0).v(0));
}
