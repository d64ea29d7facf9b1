#include "api/routes.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <limits>
#include <optional>

#include <google/protobuf/util/time_util.h>

#include "api/dashboard_assets.hpp"
#include "api/submit_request.hpp"
#include "troupe/json.hpp"

namespace troupe::api {

namespace {

using respond = std::function<void(http_response)>;

// What the benchmark endpoints say on a router without benchmark runs (api/bench_api.hpp).
constexpr const char* benchmark_note = "this server runs no benchmarks; run `troupe bench` on the node";
// Most running jobs a drain lists.
constexpr uint32_t drain_listed = 1000;

http_response json_response(unsigned status, const google::protobuf::Message& message) {
  return {status, to_json(message), {}};
}

// --- the target: path and query ------------------------------------------------------------------------------

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Percent-decodes `text` (and '+' as a space in a query); nullopt on a malformed escape.
std::optional<std::string> url_decode(std::string_view text, bool plus_is_space) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (c == '%') {
      int hi = i + 1 < text.size() ? hex_value(text[i + 1]) : -1;
      int lo = i + 2 < text.size() ? hex_value(text[i + 2]) : -1;
      if (hi < 0 || lo < 0) return std::nullopt;
      out.push_back(static_cast<char>(hi * 16 + lo));
      i += 2;
    } else if (c == '+' && plus_is_space) {
      out.push_back(' ');
    } else {
      out.push_back(c);
    }
  }
  return out;
}

using query_list = std::vector<std::pair<std::string, std::string>>;

// The query string's name=value pairs, decoded; an error names a malformed one.
caf::expected<query_list> parse_query(std::string_view query) {
  query_list result;
  while (!query.empty()) {
    auto amp = query.find('&');
    auto pair = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view{} : query.substr(amp + 1);
    if (pair.empty()) continue;
    auto eq = pair.find('=');
    auto name = url_decode(pair.substr(0, eq), true);
    auto value = url_decode(eq == std::string_view::npos ? std::string_view{} : pair.substr(eq + 1), true);
    if (!name || !value)
      return make_error(ec::invalid_argument, "malformed query parameter '" + std::string{pair} + "'");
    result.emplace_back(std::move(*name), std::move(*value));
  }
  return result;
}

// Query parameters a route accepts; any other name is an error naming it, so a typo is not silently ignored.
class query_params {
 public:
  explicit query_params(query_list list) : list_(std::move(list)) {}

  // The first name not in `known`, as an error.
  caf::error check(std::initializer_list<std::string_view> known) const {
    for (const auto& [name, value] : list_)
      if (std::find(known.begin(), known.end(), name) == known.end()) {
        std::string names;
        for (auto k : known) names += (names.empty() ? "" : ", ") + std::string{k};
        return make_error(ec::invalid_argument, "unknown query parameter '" + name + "'" +
                                                    (names.empty() ? " (this endpoint takes none)"
                                                                   : " (this endpoint takes " + names + ")"));
      }
    return caf::none;
  }

  const std::string* get(std::string_view name) const {
    for (const auto& [n, value] : list_)
      if (n == name) return &value;
    return nullptr;
  }

  // A non-negative integer parameter, or an error naming it.
  template <class T>
  caf::error get_number(std::string_view name, T* out) const {
    auto* text = get(name);
    if (text == nullptr) return caf::none;
    T value{};
    auto [end, problem] = std::from_chars(text->data(), text->data() + text->size(), value);
    if (problem != std::errc{} || end != text->data() + text->size() || text->empty())
      return make_error(ec::invalid_argument, std::string{name} + ": '" + *text + "' is not a number from 0 to " +
                                                  std::to_string(std::numeric_limits<T>::max()));
    *out = value;
    return caf::none;
  }

 private:
  query_list list_;
};

// A job id in a path segment; nullopt if the segment is not all digits.
std::optional<uint64_t> parse_id(std::string_view text) {
  uint64_t id = 0;
  auto [end, problem] = std::from_chars(text.data(), text.data() + text.size(), id);
  if (text.empty() || problem != std::errc{} || end != text.data() + text.size()) return std::nullopt;
  return id;
}

std::string upper(std::string text) {
  for (auto& c : text) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return text;
}

std::string lower(std::string text) {
  for (auto& c : text) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return text;
}

// --- routes --------------------------------------------------------------------------------------------------

enum class route_kind {
  health, ready, jobs, job, control, runner, status, cron, history, metrics, prometheus, dashboard, alerts, benchmark,
  benchmark_run, benchmark_plot, users, user_me, user, page, asset, plan, workers,
};

struct route {
  route_kind kind = route_kind::health;
  const char* allow = "GET";  // the methods it takes, for 405's Allow header
  std::string arg = {};       // the job id, user name or asset name in the path
};

std::optional<route> resolve(std::string_view path) {
  if (path.size() > 1 && path.back() == '/') path.remove_suffix(1);
  if (path == "/") return route{route_kind::page, "GET"};
  if (path == "/health") return route{route_kind::health, "GET"};
  if (path == "/ready") return route{route_kind::ready, "GET"};
  if (path == "/metrics") return route{route_kind::prometheus, "GET"};
  if (path == "/api/jobs") return route{route_kind::jobs, "GET, POST"};
  if (path == "/api/users") return route{route_kind::users, "GET, POST"};
  if (path == "/api/users/me") return route{route_kind::user_me, "GET"};
  constexpr std::string_view users_prefix = "/api/users/";
  if (path.substr(0, users_prefix.size()) == users_prefix) {
    auto name = url_decode(path.substr(users_prefix.size()), false);
    if (!name || name->empty() || name->find('/') != std::string::npos) return std::nullopt;
    return route{route_kind::user, "DELETE", *name};
  }
  constexpr std::string_view assets_prefix = "/assets/";
  if (path.substr(0, assets_prefix.size()) == assets_prefix) {
    auto name = url_decode(path.substr(assets_prefix.size()), false);
    if (!name || name->empty()) return std::nullopt;
    return route{route_kind::asset, "GET", *name};
  }
  constexpr std::string_view jobs_prefix = "/api/jobs/";
  if (path.substr(0, jobs_prefix.size()) != jobs_prefix) return std::nullopt;
  auto rest = path.substr(jobs_prefix.size());
  static const std::pair<std::string_view, route> named[] = {
      {"control", {route_kind::control, "GET, POST"}},   {"runner", {route_kind::runner, "GET, POST"}},
      {"status", {route_kind::status, "GET"}},           {"cron", {route_kind::cron, "GET, POST"}},
      {"history", {route_kind::history, "GET"}},         {"metrics", {route_kind::metrics, "GET"}},
      {"dashboard", {route_kind::dashboard, "GET"}},     {"alerts", {route_kind::alerts, "GET, POST"}},
      {"benchmark", {route_kind::benchmark, "GET, POST"}}, {"workers", {route_kind::workers, "GET"}},
  };
  for (const auto& [name, r] : named)
    if (rest == name) return r;
  constexpr std::string_view bench_prefix = "benchmark/", plot_suffix = "/plot.svg";
  if (rest.substr(0, bench_prefix.size()) == bench_prefix) {
    auto id = rest.substr(bench_prefix.size());
    bool plot = id.size() > plot_suffix.size() && id.substr(id.size() - plot_suffix.size()) == plot_suffix;
    if (plot) id.remove_suffix(plot_suffix.size());
    if (id.empty() || id.find('/') != std::string_view::npos) return std::nullopt;
    return route{plot ? route_kind::benchmark_plot : route_kind::benchmark_run, "GET", std::string{id}};
  }
  auto digits = [](std::string_view text) {
    return !text.empty() && std::all_of(text.begin(), text.end(), [](unsigned char c) { return std::isdigit(c); });
  };
  if (digits(rest)) return route{route_kind::job, "GET, DELETE", std::string{rest}};
  constexpr std::string_view plan_suffix = "/plan";
  if (rest.size() > plan_suffix.size() && rest.substr(rest.size() - plan_suffix.size()) == plan_suffix &&
      digits(rest.substr(0, rest.size() - plan_suffix.size())))
    return route{route_kind::plan, "GET", std::string{rest.substr(0, rest.size() - plan_suffix.size())}};
  return std::nullopt;
}

bool allows(const char* allow, const std::string& method) {
  std::string_view list{allow};
  while (!list.empty()) {
    auto comma = list.find(", ");
    if (list.substr(0, comma) == method) return true;
    list = comma == std::string_view::npos ? std::string_view{} : list.substr(comma + 2);
  }
  return false;
}

// The token of an `Authorization: Bearer TOKEN` header, or the 401 to answer.
caf::expected<std::string> bearer_token(const std::string& header) {
  if (header.empty())
    return make_error(ec::unauthenticated, "this endpoint needs an 'Authorization: Bearer TOKEN' header");
  auto space = header.find(' ');
  if (space == std::string::npos || lower(header.substr(0, space)) != "bearer")
    return make_error(ec::unauthenticated, "the Authorization header must be 'Bearer TOKEN'");
  auto token = header.substr(space + 1);
  auto first = token.find_first_not_of(' ');
  auto last = token.find_last_not_of(' ');
  if (first == std::string::npos)
    return make_error(ec::unauthenticated, "the Authorization header has no token after 'Bearer'");
  return token.substr(first, last - first + 1);
}

// A reply that answers `done` with the error, or with `ok(value)`.
template <class T, class F>
reply<T> answer(respond done, F ok) {
  return [done = std::move(done), ok = std::move(ok)](caf::expected<T> result) mutable {
    if (!result) done(error_response(result.error()));
    else done(ok(*result));
  };
}

// The body as `message`, or the 400 to answer (the message names the field).
caf::error parse_body(const std::string& body, google::protobuf::Message* message) {
  if (body.find_first_not_of(" \t\r\n") == std::string::npos)
    return make_error(ec::invalid_argument, "the request body is empty: send a " +
                                                message->GetDescriptor()->name() + " as JSON");
  return from_json(body, message);
}

RunnerState runner_state(const QueueList& queues) {
  RunnerState state;
  state.set_runner_stopped(queues.runner_stopped());
  state.set_running(queues.running());
  state.set_queued(queues.queued());
  return state;
}

// One request being answered: what a handler needs.
struct call {
  std::shared_ptr<node_api> node;
  std::string token;
  query_params query;
  std::string body;
  respond done;

  void fail(const caf::error& err) { done(error_response(err)); }
};

void submit_jobs(call& c) {
  if (auto err = c.query.check({})) return c.fail(err);
  auto specs = parse_submit_body(c.body);
  if (!specs) return c.fail(specs.error());
  c.node->submit(c.token, std::move(*specs), answer<std::vector<uint64_t>>(c.done, [](std::vector<uint64_t>& ids) {
    SubmitResponse response;
    for (auto id : ids) response.add_ids(id);
    auto r = json_response(201, response);
    if (ids.size() == 1) r.headers.emplace_back("Location", "/api/jobs/" + std::to_string(ids[0]));
    return r;
  }));
}

void list_jobs(call& c) {
  if (auto err = c.query.check({"state", "kind", "user", "batch", "limit", "cursor"})) return c.fail(err);
  JobQuery query;
  if (auto* state = c.query.get("state")) {
    Job::State value{};
    if (!Job::State_Parse(upper(*state), &value)) {
      std::string names;
      for (int s = Job::BLOCKED; s <= Job::CANCELLED; ++s)
        names += (names.empty() ? "" : ", ") + Job::State_Name(static_cast<Job::State>(s));
      return c.fail(make_error(ec::invalid_argument, "state: '" + *state + "' is not a job state (" + names + ")"));
    }
    query.set_has_state(true);
    query.set_state(value);
  }
  if (auto* kind = c.query.get("kind")) query.set_kind(*kind);
  if (auto* user = c.query.get("user")) query.set_user(*user);
  if (auto* batch = c.query.get("batch")) query.set_batch(*batch);
  uint32_t limit = 0;
  uint64_t cursor = 0;
  if (auto err = c.query.get_number("limit", &limit)) return c.fail(err);
  if (auto err = c.query.get_number("cursor", &cursor)) return c.fail(err);
  query.set_limit(limit);
  query.set_after_id(cursor);
  c.node->list(c.token, std::move(query),
               answer<JobPage>(c.done, [](JobPage& page) { return json_response(200, page); }));
}

// GET /api/jobs/{id}/plan: the job's execution plan (its ancestors and descendants; the dashboard draws it).
void plan(call& c, const std::string& arg) {
  if (auto err = c.query.check({})) return c.fail(err);
  auto id = parse_id(arg);
  if (!id) return c.fail(make_error(ec::invalid_argument, "job id '" + arg + "' is not a number"));
  c.node->plan(c.token, *id, answer<ExecutionPlan>(c.done, [](ExecutionPlan& p) { return json_response(200, p); }));
}

// GET / and GET /assets/NAME: the dashboard's embedded files, public (the page asks for a token; its data calls
// send it). `no-cache`: a browser revalidates, so a new binary's page is never mixed with an old script.
http_response static_file(route_kind kind, const std::string& name) {
  auto file = find_asset(kind == route_kind::page ? "index.html" : name);
  if (!file) return error_response(404, "not_found", "no dashboard asset '" + name + "' (see docs/dashboard.md)");
  return {200, std::string{file->bytes}, {{"Cache-Control", "no-cache"}}, std::string{file->content_type}};
}

void job_by_id(call& c, const std::string& method, const std::string& arg) {
  if (auto err = c.query.check({})) return c.fail(err);
  auto id = parse_id(arg);
  if (!id) return c.fail(make_error(ec::invalid_argument, "job id '" + arg + "' is not a number"));
  auto job = answer<Job>(c.done, [](Job& j) { return json_response(200, j); });
  if (method == "DELETE") c.node->cancel(c.token, *id, std::move(job));
  else c.node->get_job(c.token, *id, std::move(job));
}

// GET: the queues (QueueControl LIST) with the latest node-wide controls in `events` (HISTORY, ?limit=N).
// POST: a ControlRequest; a job control answers with the Job, a queue control with the QueueList.
void control(call& c, const std::string& method) {
  if (method == "GET") {
    if (auto err = c.query.check({"limit"})) return c.fail(err);
    uint32_t limit = 0;
    if (auto err = c.query.get_number("limit", &limit)) return c.fail(err);
    QueueControl list;
    list.set_action(QueueControl::LIST);
    auto node = c.node;
    c.node->queues(c.token, list, [node, token = c.token, limit, done = c.done](caf::expected<QueueList> queues) {
      if (!queues) return done(error_response(queues.error()));
      QueueControl history;
      history.set_action(QueueControl::HISTORY);
      history.set_limit(limit);
      node->queues(token, history, answer<QueueList>(done, [queues = std::move(*queues)](QueueList& h) mutable {
        *queues.mutable_events() = std::move(*h.mutable_events());
        return json_response(200, queues);
      }));
    });
    return;
  }
  if (auto err = c.query.check({})) return c.fail(err);
  ControlRequest request;
  if (auto err = parse_body(c.body, &request)) return c.fail(err);
  if (request.has_job() == request.has_queue())
    return c.fail(make_error(ec::invalid_argument, "send exactly one of \"job\" (a JobControl) and \"queue\" "
                                                   "(a QueueControl)"));
  if (request.has_job())
    c.node->control(c.token, std::move(*request.mutable_job()),
                   answer<Job>(c.done, [](Job& job) { return json_response(200, job); }));
  else
    c.node->queues(c.token, std::move(*request.mutable_queue()),
                  answer<QueueList>(c.done, [](QueueList& queues) { return json_response(200, queues); }));
}

// GET: the runner's state. POST {"action": "start" | "stop" | "drain"}: drain stops the runner (nothing new
// starts; running jobs finish) and lists the jobs still running.
void runner(call& c, const std::string& method) {
  if (auto err = c.query.check({})) return c.fail(err);
  QueueControl control;
  std::string action;
  if (method == "POST") {
    RunnerRequest request;
    if (auto err = parse_body(c.body, &request)) return c.fail(err);
    action = request.action();
    if (action == "start") control.set_action(QueueControl::START_RUNNER);
    else if (action == "stop" || action == "drain") control.set_action(QueueControl::STOP_RUNNER);
    else
      return c.fail(make_error(ec::invalid_argument,
                               "action: '" + action + "' is not a runner action (start, stop, drain)"));
  } else {
    control.set_action(QueueControl::LIST);
  }
  if (action != "drain") {
    c.node->queues(c.token, control, answer<QueueList>(c.done, [](QueueList& queues) {
      return json_response(200, runner_state(queues));
    }));
    return;
  }
  auto node = c.node;
  c.node->queues(c.token, control, [node, token = c.token, done = c.done](caf::expected<QueueList> queues) {
    if (!queues) return done(error_response(queues.error()));
    JobQuery running;
    running.set_has_state(true);
    running.set_state(Job::RUNNING);
    running.set_limit(drain_listed);
    node->list(token, running, answer<JobPage>(done, [state = runner_state(*queues)](JobPage& page) mutable {
      state.set_running(std::max<uint64_t>(state.running(), page.jobs_size()));
      for (const auto& job : page.jobs()) state.add_running_jobs(job.id());
      return json_response(200, state);
    }));
  });
}

void cron(call& c, const std::string& method) {
  auto list = answer<CronList>(c.done, [](CronList& schedules) { return json_response(200, schedules); });
  if (method == "GET") {
    if (auto err = c.query.check({"name"})) return c.fail(err);
    CronControl control;
    control.set_action(CronControl::LIST);
    if (auto* name = c.query.get("name")) control.set_name(*name);
    return c.node->cron(c.token, std::move(control), std::move(list));
  }
  if (auto err = c.query.check({})) return c.fail(err);
  CronControl control;
  if (auto err = parse_body(c.body, &control)) return c.fail(err);
  c.node->cron(c.token, std::move(control), std::move(list));
}

void history(call& c) {
  if (auto err = c.query.check({"limit"})) return c.fail(err);
  QueueControl control;
  control.set_action(QueueControl::HISTORY);
  uint32_t limit = 0;
  if (auto err = c.query.get_number("limit", &limit)) return c.fail(err);
  control.set_limit(limit);
  c.node->queues(c.token, std::move(control), answer<QueueList>(c.done, [](QueueList& queues) {
    ControlHistory h;
    *h.mutable_events() = std::move(*queues.mutable_events());
    return json_response(200, h);
  }));
}

// GET: active and recent alerts (?limit=N); POST: an AlertControl (acknowledge, silence, unsilence).
void alerts(call& c, const std::string& method) {
  AlertControl control;
  if (method == "POST") {
    if (auto err = c.query.check({})) return c.fail(err);
    if (auto err = parse_body(c.body, &control)) return c.fail(err);
    if (control.action() == AlertControl::LIST)
      return c.fail(make_error(ec::invalid_argument, "POST /api/jobs/alerts needs an action: ACKNOWLEDGE, SILENCE "
                                                     "or UNSILENCE (GET lists)"));
  } else {
    if (auto err = c.query.check({"limit"})) return c.fail(err);
    uint32_t limit = 0;
    if (auto err = c.query.get_number("limit", &limit)) return c.fail(err);
    control.set_limit(limit);
  }
  c.node->alerts(c.token, std::move(control),
                 answer<AlertList>(c.done, [](AlertList& list) { return json_response(200, list); }));
}

// A time parameter of the metrics history: RFC 3339 ("2026-11-29T12:00:00Z"), or seconds relative to now when
// negative ("-3600": an hour ago). Absent: `out` is left as it is.
caf::error parse_time(const query_params& q, std::string_view name, google::protobuf::Timestamp* out) {
  auto* text = q.get(name);
  if (text == nullptr) return caf::none;
  if (!text->empty() && text->front() == '-') {
    int64_t seconds = 0;
    auto [end, problem] = std::from_chars(text->data() + 1, text->data() + text->size(), seconds);
    if (problem != std::errc{} || end != text->data() + text->size() || text->size() == 1)
      return make_error(ec::invalid_argument, std::string{name} + ": '" + *text +
                                                  "' is neither an RFC 3339 time nor -SECONDS (before now)");
    auto now = google::protobuf::util::TimeUtil::GetCurrentTime();
    *out = now - google::protobuf::util::TimeUtil::SecondsToDuration(seconds);
    return caf::none;
  }
  if (!google::protobuf::util::TimeUtil::FromString(*text, out))
    return make_error(ec::invalid_argument, std::string{name} + ": '" + *text +
                                                "' is neither an RFC 3339 time nor -SECONDS (before now)");
  return caf::none;
}

// GET /api/jobs/metrics?series=a,b&from=&to=&step=: the metrics history.
void metrics_history(call& c) {
  if (auto err = c.query.check({"series", "from", "to", "step"})) return c.fail(err);
  MetricsQuery query;
  if (auto* series = c.query.get("series")) {
    std::string_view list{*series};
    while (!list.empty()) {
      auto comma = list.find(',');
      auto name = list.substr(0, comma);
      if (!name.empty()) query.add_series(std::string{name});
      list = comma == std::string_view::npos ? std::string_view{} : list.substr(comma + 1);
    }
  }
  // Only the times given are set: an unset one takes the history's default.
  using time_field = google::protobuf::Timestamp* (MetricsQuery::*)();
  for (auto [name, field] : {std::pair<const char*, time_field>{"from", &MetricsQuery::mutable_from},
                             std::pair<const char*, time_field>{"to", &MetricsQuery::mutable_to}}) {
    if (c.query.get(name) == nullptr) continue;
    if (auto err = parse_time(c.query, name, (query.*field)())) return c.fail(err);
  }
  uint32_t step = 0;
  if (auto err = c.query.get_number("step", &step)) return c.fail(err);
  query.set_step_seconds(step);
  c.node->metrics(c.token, std::move(query),
                  answer<SeriesSet>(c.done, [](SeriesSet& set) { return json_response(200, set); }));
}

// Benchmark runs (api/bench_api.hpp): the caller is authenticated (WHOAMI) first; starting a run takes an admin,
// reading them an admin or a read-only user (as the node's metrics). Without a runner: no runs, POST 501.
void benchmark(call& c, route_kind kind, const std::string& method, const std::string& id,
               std::shared_ptr<bench_api> bench) {
  if (auto err = c.query.check({})) return c.fail(err);
  BenchmarkRequest request;
  if (bench && method == "POST" && c.body.find_first_not_of(" \t\r\n") != std::string::npos)
    if (auto err = from_json(c.body, &request)) return c.fail(err);
  UserControl whoami;
  whoami.set_action(UserControl::WHOAMI);
  auto respond_to = [kind, method, id, bench, request](UserList& me) -> http_response {
    if (!bench) {
      if (method == "POST") return error_response(501, "not_implemented", benchmark_note);
      BenchmarkRuns runs;
      runs.set_available(false);
      runs.set_note(benchmark_note);
      return json_response(200, runs);
    }
    const auto& who = me.users(0);
    auto role = User::Role_Name(who.role());
    std::transform(role.begin(), role.end(), role.begin(), [](char ch) { return ch == '_' ? '-' : std::tolower(ch); });
    auto refuse = [&](const char* what) {
      return error_response(make_error(ec::forbidden, "user " + who.name() + " (" + role + ") may not " + what));
    };
    if (method == "POST") {
      if (who.role() != User::ADMIN) return refuse("start benchmark runs");
      auto run = bench->start(request, who.name());
      if (!run) return error_response(run.error());
      auto response = json_response(202, *run);
      response.headers.emplace_back("Location", "/api/jobs/benchmark/" + run->id());
      return response;
    }
    if (who.role() == User::USER) return refuse("read benchmark runs");
    if (kind == route_kind::benchmark) {
      auto runs = bench->list();
      return runs ? json_response(200, *runs) : error_response(runs.error());
    }
    if (kind == route_kind::benchmark_run) {
      auto run = bench->get(id);
      return run ? json_response(200, *run) : error_response(run.error());
    }
    auto svg = bench->plot(id);
    return svg ? http_response{200, std::move(*svg), {}, "image/svg+xml"} : error_response(svg.error());
  };
  c.node->users(c.token, whoami, answer<UserList>(c.done, std::move(respond_to)));
}

void users(call& c, route_kind kind, const std::string& method, const std::string& name) {
  if (auto err = c.query.check({})) return c.fail(err);
  UserControl control;
  if (kind == route_kind::user_me) {
    control.set_action(UserControl::WHOAMI);
  } else if (kind == route_kind::user) {
    control.set_action(UserControl::REVOKE);
    control.set_name(name);
  } else if (method == "POST") {
    if (auto err = parse_body(c.body, &control)) return c.fail(err);
  } else {
    control.set_action(UserControl::LIST);
  }
  unsigned status = control.action() == UserControl::ADD ? 201 : 200;
  c.node->users(c.token, std::move(control),
               answer<UserList>(c.done, [status](UserList& list) { return json_response(status, list); }));
}

}  // namespace

unsigned status_of(ec code) {
  switch (code) {
    case ec::invalid_argument:
    case ec::unknown_kind: return 400;
    case ec::unauthenticated: return 401;
    case ec::forbidden: return 403;
    case ec::unknown_job:
    case ec::unknown_schedule: return 404;
    case ec::conflict: return 409;
    case ec::payload_too_large: return 413;
    case ec::quota_exceeded: return 429;
    case ec::shutting_down:
    case ec::unavailable: return 503;
    case ec::timeout: return 504;
    case ec::none:
    case ec::storage_failure:
    case ec::internal: return 500;
  }
  return 500;
}

http_response error_response(unsigned status, std::string_view code, std::string_view message) {
  ApiError error;
  error.mutable_error()->set_code(std::string{code});
  error.mutable_error()->set_message(std::string{message});
  http_response r{status, to_json(error), {}};
  if (status == 401) r.headers.emplace_back("WWW-Authenticate", "Bearer");
  return r;
}

http_response error_response(const caf::error& err) {
  auto code = code_of(err);
  return error_response(status_of(code), to_string(code), describe(err));
}

router::router(std::unique_ptr<node_api> node, std::shared_ptr<bench_api> bench)
    : node_(std::move(node)), bench_(std::move(bench)) {}

void router::handle(http_request request, std::function<void(http_response)> done) {
  auto question = request.target.find('?');
  std::string_view target{request.target};
  auto path = target.substr(0, question);
  auto r = resolve(path);
  if (!r) return done(error_response(404, "not_found", "no endpoint " + std::string{path} + " (see docs/api.md)"));
  if (!allows(r->allow, request.method)) {
    auto response = error_response(405, "method_not_allowed",
                                   request.method + " is not allowed on " + std::string{path} + " (allowed: " +
                                       r->allow + ")");
    response.headers.emplace_back("Allow", r->allow);
    return done(std::move(response));
  }
  if (r->kind == route_kind::health) return done({200, R"({"status":"ok"})", {}});
  if (shutting_down_) return done(error_response(503, "shutting_down", "the node is shutting down"));
  if (r->kind == route_kind::ready) return done({200, R"({"status":"ready"})", {}});
  if (r->kind == route_kind::page || r->kind == route_kind::asset) return done(static_file(r->kind, r->arg));

  auto token = bearer_token(request.authorization);
  if (!token) return done(error_response(token.error()));
  auto query = parse_query(question == std::string_view::npos ? std::string_view{} : target.substr(question + 1));
  if (!query) return done(error_response(query.error()));
  call c{node_, std::move(*token), query_params{std::move(*query)}, std::move(request.body), std::move(done)};
  const auto& method = request.method;
  switch (r->kind) {
    case route_kind::health:
    case route_kind::ready:
    case route_kind::page:
    case route_kind::asset: break;  // answered above
    case route_kind::jobs: return method == "POST" ? submit_jobs(c) : list_jobs(c);
    case route_kind::job: return job_by_id(c, method, r->arg);
    case route_kind::plan: return plan(c, r->arg);
    case route_kind::control: return control(c, method);
    case route_kind::runner: return runner(c, method);
    case route_kind::status:
      if (auto err = c.query.check({})) return c.fail(err);
      return c.node->status(c.token, answer<NodeStatus>(c.done, [](NodeStatus& s) { return json_response(200, s); }));
    case route_kind::cron: return cron(c, method);
    case route_kind::history: return history(c);
    case route_kind::metrics: return metrics_history(c);
    case route_kind::prometheus:
      if (auto err = c.query.check({})) return c.fail(err);
      return c.node->prometheus(c.token, answer<std::string>(c.done, [](std::string& text) {
        return http_response{200, std::move(text), {}, "text/plain; version=0.0.4; charset=utf-8"};
      }));
    case route_kind::dashboard:
      if (auto err = c.query.check({})) return c.fail(err);
      return c.node->dashboard(c.token, answer<Dashboard>(c.done, [](Dashboard& d) { return json_response(200, d); }));
    case route_kind::alerts: return alerts(c, method);
    case route_kind::workers:
      if (auto err = c.query.check({})) return c.fail(err);
      return c.node->workers(c.token, answer<WorkerList>(c.done, [](WorkerList& w) { return json_response(200, w); }));
    case route_kind::benchmark:
    case route_kind::benchmark_run:
    case route_kind::benchmark_plot: return benchmark(c, r->kind, method, r->arg, bench_);
    case route_kind::users:
    case route_kind::user_me:
    case route_kind::user: return users(c, r->kind, method, r->arg);
  }
}

}  // namespace troupe::api
