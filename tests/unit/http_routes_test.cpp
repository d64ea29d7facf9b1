#define BOOST_TEST_MODULE http_routes
#include <boost/test/unit_test.hpp>

// The HTTP API's routes (api/routes.hpp) against a fake node: which node call each method and path makes, with
// which token and arguments, and what status and JSON come back, errors included. No sockets, no actors: the
// fake answers at once, so every response is there when handle() returns.

#include <optional>
#include <string>
#include <vector>

#include "api/routes.hpp"
#include "troupe/json.hpp"

using namespace troupe;
using namespace troupe::api;

namespace {

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

// Records every call and answers with the canned values below, or with `error` when it is set.
struct fake_node : node_api {
  std::vector<std::string> calls;  // "submit", "list", ... in order
  std::vector<std::string> tokens;
  caf::error error;

  std::vector<JobSpec> specs;
  uint64_t id = 0;
  JobQuery query;
  JobControl job_control;
  std::vector<QueueControl> queue_controls;
  CronControl cron_control;
  UserControl user_control;
  MetricsQuery metrics_query;
  AlertControl alert_control;

  std::vector<uint64_t> ids = {7};
  Job job;
  JobPage page;
  NodeStatus node_status;
  QueueList queue_list;
  QueueList history;  // the answer to HISTORY
  CronList cron_list;
  UserList user_list;
  SeriesSet series;
  std::string exposition;
  AlertList alert_list;
  Dashboard board;
  WorkerList worker_list;
  ExecutionPlan execution_plan;

  template <class T>
  void answer(const char* name, const std::string& token, const reply<T>& done, const T& value) {
    calls.emplace_back(name);
    tokens.push_back(token);
    if (error) done(error);
    else done(value);
  }

  void submit(const std::string& token, std::vector<JobSpec> s, reply<std::vector<uint64_t>> done) override {
    specs = std::move(s);
    answer("submit", token, done, ids);
  }
  void get_job(const std::string& token, uint64_t i, reply<Job> done) override {
    id = i;
    answer("get_job", token, done, job);
  }
  void list(const std::string& token, JobQuery q, reply<JobPage> done) override {
    query = std::move(q);
    answer("list", token, done, page);
  }
  void cancel(const std::string& token, uint64_t i, reply<Job> done) override {
    id = i;
    answer("cancel", token, done, job);
  }
  void status(const std::string& token, reply<NodeStatus> done) override {
    answer("status", token, done, node_status);
  }
  void control(const std::string& token, JobControl c, reply<Job> done) override {
    job_control = std::move(c);
    answer("control", token, done, job);
  }
  void queues(const std::string& token, QueueControl c, reply<QueueList> done) override {
    auto action = c.action();
    queue_controls.push_back(std::move(c));
    answer("queues", token, done, action == QueueControl::HISTORY ? history : queue_list);
  }
  void cron(const std::string& token, CronControl c, reply<CronList> done) override {
    cron_control = std::move(c);
    answer("cron", token, done, cron_list);
  }
  void users(const std::string& token, UserControl c, reply<UserList> done) override {
    user_control = std::move(c);
    answer("users", token, done, user_list);
  }
  void metrics(const std::string& token, MetricsQuery q, reply<SeriesSet> done) override {
    metrics_query = std::move(q);
    answer("metrics", token, done, series);
  }
  void prometheus(const std::string& token, reply<std::string> done) override {
    answer("prometheus", token, done, exposition);
  }
  void alerts(const std::string& token, AlertControl c, reply<AlertList> done) override {
    alert_control = std::move(c);
    answer("alerts", token, done, alert_list);
  }
  void dashboard(const std::string& token, reply<Dashboard> done) override {
    answer("dashboard", token, done, board);
  }
  void workers(const std::string& token, reply<WorkerList> done) override {
    answer("workers", token, done, worker_list);
  }
  void plan(const std::string& token, uint64_t i, reply<ExecutionPlan> done) override {
    id = i;
    answer("plan", token, done, execution_plan);
  }
};

struct routes_fixture {
  fake_node* node = new fake_node;
  router routes{std::unique_ptr<node_api>{node}};

  http_response call(std::string method, std::string target, std::string body = "",
                     std::string authorization = "Bearer alice.s3cret") {
    std::optional<http_response> response;
    routes.handle({std::move(method), std::move(target), std::move(authorization), std::move(body)},
                  [&](http_response r) {
                    BOOST_REQUIRE_MESSAGE(!response, "answered twice");
                    response = std::move(r);
                  });
    BOOST_REQUIRE_MESSAGE(response, "no answer");
    return *response;
  }

  std::string header(const http_response& r, const std::string& name) {
    for (const auto& [n, v] : r.headers)
      if (n == name) return v;
    return "";
  }
};

ApiError error_of(const http_response& r) {
  ApiError e;
  BOOST_REQUIRE_MESSAGE(!from_json(r.body, &e), "an ApiError: " << r.body);
  return e;
}

template <class T>
T parse(const http_response& r) {
  T message;
  auto err = from_json(r.body, &message);
  BOOST_REQUIRE_MESSAGE(!err, "a " << T::descriptor()->name() << ": " << r.body << " (" << describe(err) << ")");
  return message;
}

}  // namespace

BOOST_FIXTURE_TEST_SUITE(routes, routes_fixture)

BOOST_AUTO_TEST_CASE(health_and_ready_need_no_token_and_ready_says_503_once_shutdown_begins) {
  BOOST_TEST(call("GET", "/health", "", "").status == 200u);
  BOOST_TEST(call("GET", "/ready", "", "").status == 200u);
  routes.begin_shutdown();
  BOOST_TEST(call("GET", "/health", "", "").status == 200u);
  auto ready = call("GET", "/ready", "", "");
  BOOST_TEST(ready.status == 503u);
  BOOST_TEST(error_of(ready).error().code() == "shutting_down");
  auto submit = call("POST", "/api/jobs", R"({"kind":"noop"})");
  BOOST_TEST(submit.status == 503u);
  BOOST_TEST(error_of(submit).error().code() == "shutting_down");
  BOOST_TEST(node->calls.empty());
}

BOOST_AUTO_TEST_CASE(an_unknown_path_is_404_and_a_wrong_method_405_with_allow) {
  auto missing = call("GET", "/api/nothing");
  BOOST_TEST(missing.status == 404u);
  BOOST_TEST(error_of(missing).error().code() == "not_found");
  BOOST_TEST(call("GET", "/api/jobs/12x").status == 404u);
  auto wrong = call("PUT", "/api/jobs");
  BOOST_TEST(wrong.status == 405u);
  BOOST_TEST(error_of(wrong).error().code() == "method_not_allowed");
  BOOST_TEST(header(wrong, "Allow") == "GET, POST");
  BOOST_TEST(header(call("POST", "/api/jobs/3"), "Allow") == "GET, DELETE");
  BOOST_TEST(call("DELETE", "/health", "", "").status == 405u);
  BOOST_TEST(node->calls.empty());
}

BOOST_AUTO_TEST_CASE(a_missing_or_non_bearer_authorization_is_401_without_asking_the_node) {
  for (std::string auth : {"", "Basic YWxpY2U6eA==", "Bearer", "Bearer   "}) {
    auto r = call("GET", "/api/jobs", "", auth);
    BOOST_TEST(r.status == 401u, "'" << auth << "'");
    BOOST_TEST(error_of(r).error().code() == "unauthenticated");
    BOOST_TEST(header(r, "WWW-Authenticate") == "Bearer");
  }
  BOOST_TEST(node->calls.empty());
  BOOST_TEST(call("GET", "/api/jobs", "", "bearer  bob.x ").status == 200u);
  BOOST_TEST(node->tokens.back() == "bob.x");
}

BOOST_AUTO_TEST_CASE(the_token_goes_to_the_node_and_its_errors_map_to_statuses) {
  node->error = make_error(ec::unauthenticated, "invalid token");
  auto r = call("GET", "/api/jobs/5");
  BOOST_TEST(node->tokens.back() == "alice.s3cret");
  BOOST_TEST(r.status == 401u);
  BOOST_TEST(error_of(r).error().message() == "invalid token");
  const std::pair<ec, unsigned> cases[] = {
      {ec::invalid_argument, 400}, {ec::unknown_kind, 400},  {ec::unauthenticated, 401}, {ec::forbidden, 403},
      {ec::unknown_job, 404},      {ec::unknown_schedule, 404}, {ec::conflict, 409},    {ec::payload_too_large, 413},
      {ec::quota_exceeded, 429},   {ec::shutting_down, 503},  {ec::unavailable, 503},    {ec::internal, 500},
      {ec::storage_failure, 500},  {ec::timeout, 504},
  };
  for (auto [code, status] : cases) {
    node->error = make_error(code, std::string{"because "} + to_string(code));
    auto answer = call("GET", "/api/jobs/5");
    BOOST_TEST(answer.status == status, to_string(code));
    BOOST_TEST(error_of(answer).error().code() == to_string(code));
    BOOST_TEST(error_of(answer).error().message() == std::string{"because "} + to_string(code));
  }
}

BOOST_AUTO_TEST_CASE(submit_takes_one_job_an_array_or_jobs_and_answers_201_with_ids) {
  auto one = call("POST", "/api/jobs", R"({"kind":"sleep","payload":{"ms":5},"priority":"HIGH"})");
  BOOST_TEST(one.status == 201u, one.body);
  BOOST_TEST(parse<SubmitResponse>(one).ids(0) == 7u);
  BOOST_TEST(header(one, "Location") == "/api/jobs/7");
  BOOST_REQUIRE(node->specs.size() == 1u);
  BOOST_TEST(node->specs[0].kind() == "sleep");
  BOOST_TEST(node->specs[0].priority() == JobSpec::HIGH);

  node->ids = {8, 9};
  auto two = call("POST", "/api/jobs", R"([{"kind":"noop"},{"kind":"noop","ref":"b"}])");
  BOOST_TEST(two.status == 201u);
  BOOST_TEST(parse<SubmitResponse>(two).ids_size() == 2);
  BOOST_TEST(header(two, "Location").empty());
  BOOST_TEST(node->specs.size() == 2u);
  BOOST_TEST(call("POST", "/api/jobs", R"({"jobs":[{"kind":"a"},{"kind":"b","after":["x"]}]})").status == 201u);
  BOOST_TEST(node->specs[1].after(0) == "x");
}

BOOST_AUTO_TEST_CASE(a_malformed_submit_is_400_naming_the_field_and_reaches_no_node) {
  auto typo = call("POST", "/api/jobs", R"({"kindd":"noop"})");
  BOOST_TEST(typo.status == 400u);
  BOOST_TEST(error_of(typo).error().code() == "invalid_argument");
  BOOST_TEST(contains(error_of(typo).error().message(), "kindd"), typo.body);
  auto priority = call("POST", "/api/jobs", R"({"kind":"noop","priority":"URGENT"})");
  BOOST_TEST(priority.status == 400u);
  BOOST_TEST(contains(error_of(priority).error().message(), "priority"), priority.body);
  BOOST_TEST(call("POST", "/api/jobs", "").status == 400u);
  BOOST_TEST(call("POST", "/api/jobs", "{not json").status == 400u);
  BOOST_TEST(node->calls.empty());
}

BOOST_AUTO_TEST_CASE(list_maps_the_query_to_a_job_query) {
  Job j;
  j.set_id(3);
  *node->page.add_jobs() = j;
  node->page.set_next_after_id(3);
  auto r = call("GET", "/api/jobs?state=dead&kind=exec&user=bob%20b&batch=b+1&limit=2&cursor=40");
  BOOST_TEST(r.status == 200u);
  auto page = parse<JobPage>(r);
  BOOST_TEST(page.jobs_size() == 1);
  BOOST_TEST(page.next_after_id() == 3u);
  BOOST_TEST(node->query.has_state());
  BOOST_TEST(node->query.state() == Job::DEAD);
  BOOST_TEST(node->query.kind() == "exec");
  BOOST_TEST(node->query.user() == "bob b");
  BOOST_TEST(node->query.batch() == "b 1");
  BOOST_TEST(node->query.limit() == 2u);
  BOOST_TEST(node->query.after_id() == 40u);

  BOOST_TEST(call("GET", "/api/jobs").status == 200u);
  BOOST_TEST(!node->query.has_state());
  auto calls = node->calls.size();
  auto state = call("GET", "/api/jobs?state=DONE");
  BOOST_TEST(state.status == 400u);
  BOOST_TEST(contains(error_of(state).error().message(), "state: 'DONE'"), state.body);
  auto unknown = call("GET", "/api/jobs?sate=READY");
  BOOST_TEST(unknown.status == 400u);
  BOOST_TEST(contains(error_of(unknown).error().message(), "'sate'"), unknown.body);
  auto limit = call("GET", "/api/jobs?limit=ten");
  BOOST_TEST(limit.status == 400u);
  BOOST_TEST(contains(error_of(limit).error().message(), "limit"), limit.body);
  BOOST_TEST(call("GET", "/api/jobs?cursor=-1").status == 400u);
  BOOST_TEST(call("GET", "/api/jobs?user=%zz").status == 400u);
  BOOST_TEST(node->calls.size() == calls);
}

BOOST_AUTO_TEST_CASE(a_job_is_shown_by_get_and_cancelled_by_delete) {
  node->job.set_id(12);
  node->job.set_state(Job::CANCELLED);
  auto shown = call("GET", "/api/jobs/12");
  BOOST_TEST(shown.status == 200u);
  BOOST_TEST(parse<Job>(shown).id() == 12u);
  BOOST_TEST(node->calls.back() == "get_job");
  BOOST_TEST(node->id == 12u);
  auto cancelled = call("DELETE", "/api/jobs/12/");
  BOOST_TEST(cancelled.status == 200u);
  BOOST_TEST(node->calls.back() == "cancel");
  BOOST_TEST(parse<Job>(cancelled).state() == Job::CANCELLED);
  BOOST_TEST(call("GET", "/api/jobs/99999999999999999999999").status == 400u);
}

BOOST_AUTO_TEST_CASE(control_posts_a_job_or_a_queue_control_and_get_lists_queues_with_history) {
  auto retry = call("POST", "/api/jobs/control", R"({"job":{"action":"RETRY","job":"4"}})");
  BOOST_TEST(retry.status == 200u, retry.body);
  BOOST_TEST(node->calls.back() == "control");
  BOOST_TEST(node->job_control.action() == JobControl::RETRY);
  BOOST_TEST(node->job_control.job() == 4u);

  node->queue_list.set_runner_stopped(true);
  auto pause = call("POST", "/api/jobs/control", R"({"queue":{"action":"PAUSE","kind":"exec"}})");
  BOOST_TEST(pause.status == 200u);
  BOOST_TEST(node->queue_controls.back().action() == QueueControl::PAUSE);
  BOOST_TEST(parse<QueueList>(pause).runner_stopped());

  BOOST_TEST(call("POST", "/api/jobs/control", R"({})").status == 400u);
  BOOST_TEST(call("POST", "/api/jobs/control", R"({"job":{},"queue":{}})").status == 400u);
  auto typo = call("POST", "/api/jobs/control", R"({"job":{"acton":"RETRY"}})");
  BOOST_TEST(contains(error_of(typo).error().message(), "acton"), typo.body);

  node->queue_controls.clear();
  node->history.add_events()->set_what("paused exec");
  auto listed = call("GET", "/api/jobs/control?limit=5");
  BOOST_TEST(listed.status == 200u);
  BOOST_REQUIRE(node->queue_controls.size() == 2u);
  BOOST_TEST(node->queue_controls[0].action() == QueueControl::LIST);
  BOOST_TEST(node->queue_controls[1].action() == QueueControl::HISTORY);
  BOOST_TEST(node->queue_controls[1].limit() == 5u);
  auto both = parse<QueueList>(listed);
  BOOST_TEST(both.runner_stopped());
  BOOST_TEST(both.events(0).what() == "paused exec");

  node->error = make_error(ec::forbidden, "admins only");
  BOOST_TEST(call("GET", "/api/jobs/control").status == 403u);
}

BOOST_AUTO_TEST_CASE(the_runner_starts_stops_and_drains) {
  node->queue_list.set_running(2);
  node->queue_list.set_queued(5);
  auto state = parse<RunnerState>(call("GET", "/api/jobs/runner"));
  BOOST_TEST(state.running() == 2u);
  BOOST_TEST(state.queued() == 5u);
  BOOST_TEST(node->queue_controls.back().action() == QueueControl::LIST);
  call("POST", "/api/jobs/runner", R"({"action":"stop"})");
  BOOST_TEST(node->queue_controls.back().action() == QueueControl::STOP_RUNNER);
  call("POST", "/api/jobs/runner", R"({"action":"start"})");
  BOOST_TEST(node->queue_controls.back().action() == QueueControl::START_RUNNER);

  node->queue_list.set_runner_stopped(true);
  node->page.add_jobs()->set_id(31);
  node->page.add_jobs()->set_id(32);
  auto drained = call("POST", "/api/jobs/runner", R"({"action":"drain"})");
  BOOST_TEST(drained.status == 200u);
  BOOST_TEST(node->queue_controls.back().action() == QueueControl::STOP_RUNNER);
  BOOST_TEST(node->calls.back() == "list");
  BOOST_TEST(node->query.state() == Job::RUNNING);
  auto after = parse<RunnerState>(drained);
  BOOST_TEST(after.runner_stopped());
  BOOST_TEST(after.running_jobs_size() == 2);

  auto bad = call("POST", "/api/jobs/runner", R"({"action":"pause"})");
  BOOST_TEST(bad.status == 400u);
  BOOST_TEST(contains(error_of(bad).error().message(), "'pause'"), bad.body);
}

BOOST_AUTO_TEST_CASE(status_history_and_cron_answer_their_messages) {
  node->node_status.set_node("n1");
  BOOST_TEST(parse<NodeStatus>(call("GET", "/api/jobs/status")).node() == "n1");
  node->history.add_events()->set_by("ops");
  auto h = parse<ControlHistory>(call("GET", "/api/jobs/history?limit=3"));
  BOOST_TEST(h.events(0).by() == "ops");
  BOOST_TEST(node->queue_controls.back().limit() == 3u);

  node->cron_list.add_schedules()->set_name("nightly");
  auto listed = parse<CronList>(call("GET", "/api/jobs/cron?name=nightly"));
  BOOST_TEST(listed.schedules(0).name() == "nightly");
  BOOST_TEST(node->cron_control.action() == CronControl::LIST);
  BOOST_TEST(node->cron_control.name() == "nightly");
  auto added = call("POST", "/api/jobs/cron",
                    R"({"action":"ADD","schedule":{"name":"n","cron":"@hourly","job":{"kind":"noop"}}})");
  BOOST_TEST(added.status == 200u, added.body);
  BOOST_TEST(node->cron_control.action() == CronControl::ADD);
  BOOST_TEST(node->cron_control.schedule().cron() == "@hourly");
  node->error = make_error(ec::unknown_schedule, "no schedule 'x'");
  BOOST_TEST(call("POST", "/api/jobs/cron", R"({"action":"PAUSE","name":"x"})").status == 404u);
}

BOOST_AUTO_TEST_CASE(metrics_history_queries_name_their_series_and_times_and_prometheus_is_text) {
  auto r = call("GET", "/api/jobs/metrics?series=throughput_1m,depth_ready&from=2026-11-29T12:00:00Z&to=-60&step=60");
  BOOST_TEST(r.status == 200u, r.body);
  BOOST_TEST(node->metrics_query.series_size() == 2);
  BOOST_TEST(node->metrics_query.series(1) == "depth_ready");
  BOOST_TEST(node->metrics_query.from().seconds() == 1795953600);
  BOOST_TEST(node->metrics_query.to().seconds() > 1795953600);
  BOOST_TEST(node->metrics_query.step_seconds() == 60u);
  call("GET", "/api/jobs/metrics?series=backlog&from=-60");
  BOOST_TEST(node->metrics_query.has_from());
  BOOST_TEST(!node->metrics_query.has_to());  // unset: the history's default (now)
  auto bad = call("GET", "/api/jobs/metrics?from=yesterday");
  BOOST_TEST(bad.status == 400u);
  BOOST_TEST(error_of(bad).error().message().find("from: 'yesterday'") != std::string::npos);
  BOOST_TEST(call("GET", "/api/jobs/metrics?step=-1").status == 400u);
  BOOST_TEST(call("GET", "/api/jobs/metrics?window=1").status == 400u);
  node->exposition = "# TYPE troupe_up gauge\ntroupe_up 1\n";
  auto text = call("GET", "/metrics");
  BOOST_TEST(text.status == 200u);
  BOOST_TEST(text.content_type == "text/plain; version=0.0.4; charset=utf-8");
  BOOST_TEST(text.body == node->exposition);
}

BOOST_AUTO_TEST_CASE(without_a_benchmark_runner_there_are_no_runs_and_post_is_501) {
  auto runs = parse<BenchmarkRuns>(call("GET", "/api/jobs/benchmark"));
  BOOST_TEST(!runs.available());
  auto posted = call("POST", "/api/jobs/benchmark", R"({"workload":"burn"})");
  BOOST_TEST(posted.status == 501u);
  BOOST_TEST(error_of(posted).error().code() == "not_implemented");
  // They still authenticate the caller.
  BOOST_TEST(node->calls.back() == "users");
  BOOST_TEST(node->user_control.action() == UserControl::WHOAMI);
  node->error = make_error(ec::unauthenticated, "invalid token");
  BOOST_TEST(call("POST", "/api/jobs/benchmark", "{}").status == 401u);
}

BOOST_AUTO_TEST_CASE(benchmark_runs_start_for_admins_one_at_a_time_and_are_listed_with_their_plot) {
  struct fake_bench : bench_api {
    std::vector<BenchmarkRequest> started;
    std::vector<std::string> by;
    bool running = false;
    caf::expected<BenchmarkRun> start(const BenchmarkRequest& request, const std::string& who) override {
      if (running) return make_error(ec::conflict, "benchmark run bench-1 is in progress");
      running = true;
      started.push_back(request);
      by.push_back(who);
      BenchmarkRun run;
      run.set_id("bench-1");
      return run;
    }
    caf::expected<BenchmarkRuns> list() const override {
      BenchmarkRuns runs;
      runs.set_available(true);
      runs.add_runs()->set_id("bench-1");
      return runs;
    }
    caf::expected<BenchmarkRun> get(const std::string& id) const override {
      if (id != "bench-1") return make_error(ec::unknown_job, "no benchmark run '" + id + "'");
      BenchmarkRun run;
      run.set_id(id);
      return run;
    }
    caf::expected<std::string> plot(const std::string& id) const override {
      if (auto run = get(id); !run) return run.error();
      return std::string{"<svg xmlns=\"http://www.w3.org/2000/svg\"/>"};
    }
  };
  auto bench = std::make_shared<fake_bench>();
  auto* fake = new fake_node;
  router with_bench{std::unique_ptr<node_api>{fake}, bench};
  auto as = [&](User::Role role) {
    fake->user_list.clear_users();
    auto* me = fake->user_list.add_users();
    me->set_name(role == User::ADMIN ? "root" : "bob");
    me->set_role(role);
  };
  auto call_on = [&](std::string method, std::string target, std::string body = "") {
    std::optional<http_response> response;
    with_bench.handle({std::move(method), std::move(target), "Bearer x.y", std::move(body)},
                      [&](http_response r) { response = std::move(r); });
    BOOST_REQUIRE(response);
    return *response;
  };
  as(User::USER);
  auto refused = call_on("POST", "/api/jobs/benchmark", R"({"mode":"quick"})");
  BOOST_TEST(refused.status == 403u);
  BOOST_TEST(error_of(refused).error().message() == "user bob (user) may not start benchmark runs");
  BOOST_TEST(call_on("GET", "/api/jobs/benchmark").status == 403u);
  BOOST_TEST(bench->started.empty());

  as(User::ADMIN);
  auto started = call_on("POST", "/api/jobs/benchmark", R"({"mode":"comprehensive","jobs":"200","seconds":0.5})");
  BOOST_TEST(started.status == 202u, started.body);
  BOOST_TEST(header(started, "Location") == "/api/jobs/benchmark/bench-1");
  BOOST_TEST(parse<BenchmarkRun>(started).id() == "bench-1");
  BOOST_REQUIRE_EQUAL(bench->started.size(), 1u);
  BOOST_TEST(bench->started[0].mode() == "comprehensive");
  BOOST_TEST(bench->started[0].jobs() == 200u);
  BOOST_TEST(bench->by[0] == "root");
  auto again = call_on("POST", "/api/jobs/benchmark", "");
  BOOST_TEST(again.status == 409u);
  BOOST_TEST(error_of(again).error().code() == "conflict");
  BOOST_TEST(call_on("POST", "/api/jobs/benchmark", R"({"mood":"quick"})").status == 400u);

  as(User::READ_ONLY);
  auto listed = call_on("GET", "/api/jobs/benchmark");
  BOOST_TEST(listed.status == 200u);
  BOOST_TEST(parse<BenchmarkRuns>(listed).runs(0).id() == "bench-1");
  BOOST_TEST(parse<BenchmarkRun>(call_on("GET", "/api/jobs/benchmark/bench-1")).id() == "bench-1");
  auto svg = call_on("GET", "/api/jobs/benchmark/bench-1/plot.svg");
  BOOST_TEST(svg.status == 200u);
  BOOST_TEST(svg.content_type == "image/svg+xml");
  BOOST_TEST(svg.body.rfind("<svg", 0) == 0u);
  BOOST_TEST(call_on("GET", "/api/jobs/benchmark/bench-2/plot.svg").status == 404u);
  BOOST_TEST(call_on("POST", "/api/jobs/benchmark/bench-1").status == 405u);
}

BOOST_AUTO_TEST_CASE(alerts_are_listed_acknowledged_and_silenced_and_the_dashboard_answers) {
  node->alert_list.mutable_health()->set_score(87);
  auto listed = call("GET", "/api/jobs/alerts?limit=5");
  BOOST_TEST(listed.status == 200u, listed.body);
  BOOST_TEST(parse<AlertList>(listed).health().score() == 87u);
  BOOST_TEST(node->alert_control.action() == AlertControl::LIST);
  BOOST_TEST(node->alert_control.limit() == 5u);
  auto silenced = call("POST", "/api/jobs/alerts", R"({"action":"SILENCE","alert":"dead_jobs","silenceMinutes":30})");
  BOOST_TEST(silenced.status == 200u, silenced.body);
  BOOST_TEST(node->alert_control.action() == AlertControl::SILENCE);
  BOOST_TEST(node->alert_control.alert() == "dead_jobs");
  BOOST_TEST(node->alert_control.silence_minutes() == 30u);
  auto no_action = call("POST", "/api/jobs/alerts", R"({"alert":"dead_jobs"})");
  BOOST_TEST(no_action.status == 400u);
  BOOST_TEST(error_of(no_action).error().message().find("ACKNOWLEDGE") != std::string::npos);
  BOOST_TEST(call("GET", "/api/jobs/alerts?limit=many").status == 400u);
  node->board.set_role("read-only");
  auto board = call("GET", "/api/jobs/dashboard");
  BOOST_TEST(board.status == 200u, board.body);
  BOOST_TEST(parse<Dashboard>(board).role() == "read-only");
  node->error = make_error(ec::forbidden, "user bob (user) may not acknowledge or silence alerts");
  BOOST_TEST(call("POST", "/api/jobs/alerts", R"({"action":"ACKNOWLEDGE","alert":"x"})").status == 403u);
}

BOOST_AUTO_TEST_CASE(the_workers_are_listed) {
  auto* w = node->worker_list.add_workers();
  w->set_name("w1");
  w->set_state(WorkerInfo::LOST);
  w->set_slots(8);
  auto listed = call("GET", "/api/jobs/workers");
  BOOST_TEST(listed.status == 200u, listed.body);
  auto list = parse<WorkerList>(listed);
  BOOST_REQUIRE(list.workers_size() == 1);
  BOOST_TEST(list.workers(0).name() == "w1");
  BOOST_TEST(list.workers(0).state() == WorkerInfo::LOST);
  BOOST_TEST(call("POST", "/api/jobs/workers").status == 405u);
  node->error = make_error(ec::forbidden, "user bob (user) may not list the worker nodes");
  BOOST_TEST(call("GET", "/api/jobs/workers").status == 403u);
}

BOOST_AUTO_TEST_CASE(users_are_listed_added_revoked_and_asked_who_they_are) {
  call("GET", "/api/users");
  BOOST_TEST(node->user_control.action() == UserControl::LIST);
  call("GET", "/api/users/me");
  BOOST_TEST(node->user_control.action() == UserControl::WHOAMI);
  node->user_list.set_token("bob.abc");
  auto added = call("POST", "/api/users", R"({"action":"ADD","name":"bob","role":"READ_ONLY"})");
  BOOST_TEST(added.status == 201u);
  BOOST_TEST(parse<UserList>(added).token() == "bob.abc");
  BOOST_TEST(node->user_control.role() == User::READ_ONLY);
  BOOST_TEST(call("DELETE", "/api/users/bob").status == 200u);
  BOOST_TEST(node->user_control.action() == UserControl::REVOKE);
  BOOST_TEST(node->user_control.name() == "bob");
}

BOOST_AUTO_TEST_CASE(the_dashboard_page_and_its_assets_need_no_token_and_carry_their_content_types) {
  auto page = call("GET", "/", "", "");
  BOOST_TEST(page.status == 200u);
  BOOST_TEST(page.content_type == "text/html; charset=utf-8");
  BOOST_TEST(contains(page.body, "<script src=\"/assets/chart.min.js\""), page.body.substr(0, 400));
  BOOST_TEST(header(page, "Cache-Control") == "no-cache");
  auto chart = call("GET", "/assets/chart.min.js", "", "");
  BOOST_TEST(chart.status == 200u);
  BOOST_TEST(chart.content_type == "text/javascript; charset=utf-8");
  BOOST_TEST(contains(chart.body, "Chart.js v3"));
  BOOST_TEST(call("GET", "/assets/app.js?v=2", "", "").status == 200u);
  BOOST_TEST(call("GET", "/assets/style.css", "", "").content_type == "text/css; charset=utf-8");
  auto missing = call("GET", "/assets/nothing.js", "", "");
  BOOST_TEST(missing.status == 404u);
  BOOST_TEST(error_of(missing).error().code() == "not_found");
  BOOST_TEST(call("GET", "/assets/..%2Fapp.js", "", "").status == 404u);
  auto post = call("POST", "/", "", "");
  BOOST_TEST(post.status == 405u);
  BOOST_TEST(header(post, "Allow") == "GET");
  BOOST_TEST(node->calls.empty());
  routes.begin_shutdown();
  BOOST_TEST(call("GET", "/", "", "").status == 503u);
}

BOOST_AUTO_TEST_CASE(a_jobs_plan_is_asked_of_the_node_with_the_token) {
  node->execution_plan.set_job(12);
  node->execution_plan.add_steps()->set_id(12);
  auto r = call("GET", "/api/jobs/12/plan");
  BOOST_TEST(r.status == 200u, r.body);
  BOOST_TEST(parse<ExecutionPlan>(r).steps(0).id() == 12u);
  BOOST_TEST(node->calls.back() == "plan");
  BOOST_TEST(node->id == 12u);
  BOOST_TEST(node->tokens.back() == "alice.s3cret");
  BOOST_TEST(call("GET", "/api/jobs/12/plan", "", "").status == 401u);
  BOOST_TEST(header(call("DELETE", "/api/jobs/12/plan"), "Allow") == "GET");
  BOOST_TEST(call("GET", "/api/jobs/x/plan").status == 404u);
  BOOST_TEST(call("GET", "/api/jobs/12/plan?depth=2").status == 400u);
  node->error = make_error(ec::unknown_job, "unknown job id 12");
  BOOST_TEST(call("GET", "/api/jobs/12/plan").status == 404u);
}

BOOST_AUTO_TEST_SUITE_END()
