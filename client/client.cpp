#include "troupe/client.hpp"

#include <future>

#include <caf/actor_system_config.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/io/middleman.hpp>
#include <caf/openssl/remote_actor.hpp>
#include <caf/scoped_actor.hpp>

namespace troupe {

void client::prepare(caf::actor_system_config& cfg) {
  cfg.load<caf::io::middleman>();
  register_types(cfg);
  // Nodes drop a connection that carries nothing for their peerTimeoutMs: a client that waits (troupe wait)
  // keeps its connection alive with CAF's heartbeat.
  cfg.set("middleman.heartbeat-interval", caf::timespan{std::chrono::milliseconds{500}});
}

caf::error parse_endpoint(const std::string& text, std::string* host, uint16_t* port) {
  auto colon = text.rfind(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 == text.size())
    return make_error(ec::invalid_argument, "'" + text + "' is not HOST:PORT");
  *host = text.substr(0, colon);
  if (host->size() > 2 && host->front() == '[' && host->back() == ']') *host = host->substr(1, host->size() - 2);
  try {
    size_t used = 0;
    auto value = std::stoul(text.substr(colon + 1), &used);
    if (used != text.size() - colon - 1 || value > 65535) throw std::out_of_range{"port"};
    *port = static_cast<uint16_t>(value);
  } catch (const std::exception&) {
    return make_error(ec::invalid_argument, "'" + text + "': the port must be a number from 0 to 65535");
  }
  return caf::none;
}

caf::expected<client> client::connect(caf::actor_system& sys, const std::string& host, uint16_t port,
                                      std::string token) {
  // Over TLS when the system has CAF's openssl module (the node runs with tlsEnabled).
  auto access = sys.has_openssl_manager() ? caf::openssl::remote_actor<access_actor>(sys, host, port)
                                          : sys.middleman().remote_actor<access_actor>(host, port);
  if (!access)
    return make_error(ec::unavailable, "cannot reach a troupe node at " + host + ":" + std::to_string(port) +
                                           " (" + sys.render(access.error()) + ")");
  return client{sys, gateway_actor{}, std::move(*access), std::move(token), /*remote=*/true};
}

client client::local(caf::actor_system& sys, gateway_actor gateway) {
  return client{sys, std::move(gateway), access_actor{}, {}, /*remote=*/false};
}

client client::local(caf::actor_system& sys, access_actor access, std::string token) {
  return client{sys, gateway_actor{}, std::move(access), std::move(token), /*remote=*/false};
}

namespace {

caf::error translate(caf::actor_system& sys, const caf::error& err, std::chrono::milliseconds timeout) {
  if (err.category() == error_category) return err;
  if (err == caf::sec::request_timeout)
    return make_error(ec::timeout, "no answer within " + std::to_string(timeout.count()) + " ms");
  return make_error(ec::unavailable, "the node is gone (" + sys.render(err) + ")");
}

// A request to a node in another process. It goes out from a short-lived actor that monitors the gateway, so that
// a node that dies or drops the connection mid-request ends the wait at once with ec::unavailable: a blocking
// receive in CAF 0.17 matches only the answer's message id and never sees the node going away.
template <class Result, class Handle, class... Ts>
caf::expected<Result> ask_watched(caf::actor_system& sys, const Handle& gateway,
                                  std::chrono::milliseconds timeout, Ts... xs) {
  auto answer = std::make_shared<std::promise<caf::expected<Result>>>();
  auto future = answer->get_future();
  // The arguments (a submit's specs and their payloads) move into the actor and on into the request.
  sys.spawn([=, &sys, ... xs = std::move(xs)](caf::event_based_actor* self) mutable -> caf::behavior {
    auto settle = [=](caf::expected<Result> value) {
      answer->set_value(std::move(value));
      self->quit();
    };
    self->set_down_handler([=, &sys](caf::down_msg& msg) {
      settle(make_error(ec::unavailable, "the node went away (" + sys.render(msg.reason) + ")"));
    });
    self->monitor(gateway);
    self->request(gateway, timeout, std::move(xs)...)
        .then([=](Result& value) { settle(std::move(value)); },
              [=, &sys](caf::error& err) { settle(translate(sys, err, timeout)); });
    return {[](caf::unit_t) {}};  // only the answer or the down message end this actor
  });
  return future.get();
}

// A request to a node in this process: straight from a blocking actor on the calling thread (a local node cannot
// vanish without the process), so in-process callers such as the benchmark add no work to CAF's workers.
template <class Result, class Handle, class... Ts>
caf::expected<Result> ask_local(caf::actor_system& sys, const Handle& gateway,
                                std::chrono::milliseconds timeout, Ts... xs) {
  caf::scoped_actor self{sys};
  caf::expected<Result> result{caf::error{}};
  self->request(gateway, timeout, std::move(xs)...)
      .receive([&](Result& value) { result = std::move(value); },
               [&](caf::error& err) { result = translate(sys, err, timeout); });
  return result;
}

}  // namespace

// Sends one request and blocks until its answer; a timeout becomes ec::timeout, a node that is gone
// ec::unavailable. REQUIRES: not called from inside an actor (it blocks the calling thread).
template <class Result, class Atom, class... Ts>
caf::expected<Result> client::ask(Atom atom, Ts... xs) const {
  // xs are this call's own copies: they move on (a submit's payloads are not copied again).
  if (gateway_) return ask_local<Result>(*sys_, gateway_, timeout_, atom, std::move(xs)...);
  if (remote_) return ask_watched<Result>(*sys_, access_, timeout_, atom, token_, std::move(xs)...);
  return ask_local<Result>(*sys_, access_, timeout_, atom, token_, std::move(xs)...);
}

caf::expected<std::vector<job_id>> client::submit(std::vector<JobSpec> specs) const {
  return ask<std::vector<job_id>>(submit_atom::value, std::move(specs));
}

caf::expected<job_id> client::submit(JobSpec spec) const {
  std::vector<JobSpec> specs;
  specs.push_back(std::move(spec));
  auto ids = submit(std::move(specs));
  if (!ids) return ids.error();
  return ids->at(0);
}

caf::expected<Job> client::get(job_id id) const { return ask<Job>(get_job_atom::value, id); }

caf::expected<ExecutionPlan> client::plan(job_id id) const { return ask<ExecutionPlan>(plan_atom::value, id); }

caf::expected<Job> client::control(const JobControl& control) const {
  return ask<Job>(control_atom::value, control);
}

caf::expected<QueueList> client::queues(const QueueControl& control) const {
  return ask<QueueList>(queues_atom::value, control);
}

caf::expected<CronList> client::cron(const CronControl& control) const {
  return ask<CronList>(cron_atom::value, control);
}

caf::expected<BatchSummary> client::batch(const std::string& name) const {
  return ask<BatchSummary>(batch_atom::value, name);
}

caf::expected<JobPage> client::list(const JobQuery& query) const {
  return ask<JobPage>(list_atom::value, query);
}

caf::expected<Job> client::cancel(job_id id) const {
  return ask<Job>(cancel_atom::value, id);
}

caf::expected<std::vector<Job>> client::wait(std::vector<job_id> ids, std::chrono::milliseconds timeout) const {
  auto waiting = *this;
  waiting.timeout_ = timeout;
  return waiting.ask<std::vector<Job>>(await_atom::value, std::move(ids));
}

caf::expected<UserList> client::users(const UserControl& control) const {
  if (gateway_) return make_error(ec::invalid_argument, "users are managed through a node's access interface");
  if (remote_) return ask_watched<UserList>(*sys_, access_, timeout_, users_atom::value, token_, control);
  return ask_local<UserList>(*sys_, access_, timeout_, users_atom::value, token_, control);
}

caf::expected<AlertList> client::alerts(const AlertControl& control) const {
  if (gateway_) return make_error(ec::invalid_argument, "alerts are read through a node's access interface");
  if (remote_) return ask_watched<AlertList>(*sys_, access_, timeout_, alerts_atom::value, token_, control);
  return ask_local<AlertList>(*sys_, access_, timeout_, alerts_atom::value, token_, control);
}

caf::expected<WorkerList> client::workers() const {
  if (gateway_) return make_error(ec::invalid_argument, "workers are listed through a node's access interface");
  if (remote_) return ask_watched<WorkerList>(*sys_, access_, timeout_, workers_atom::value, token_);
  return ask_local<WorkerList>(*sys_, access_, timeout_, workers_atom::value, token_);
}

caf::expected<NodeStatus> client::status() const {
  return ask<NodeStatus>(status_atom::value);
}

}  // namespace troupe
