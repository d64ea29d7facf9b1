#include "troupe/client.hpp"

#include <caf/actor_system_config.hpp>
#include <caf/io/middleman.hpp>
#include <caf/scoped_actor.hpp>

namespace troupe {

void client::prepare(caf::actor_system_config& cfg) {
  cfg.load<caf::io::middleman>();
  register_types(cfg);
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

caf::expected<client> client::connect(caf::actor_system& sys, const std::string& host, uint16_t port) {
  auto gateway = sys.middleman().remote_actor<gateway_actor>(host, port);
  if (!gateway)
    return make_error(ec::unavailable, "cannot reach a troupe node at " + host + ":" + std::to_string(port) +
                                           " (" + sys.render(gateway.error()) + ")");
  return client{sys, std::move(*gateway)};
}

client client::local(caf::actor_system& sys, gateway_actor gateway) { return client{sys, std::move(gateway)}; }

namespace {

// Sends one request and waits for its answer; a timeout or a lost node becomes ec::unavailable.
template <class Result, class... Ts>
caf::expected<Result> ask(caf::actor_system& sys, const gateway_actor& gateway, std::chrono::milliseconds timeout,
                          Ts&&... xs) {
  caf::scoped_actor self{sys};
  caf::expected<Result> result{caf::error{}};
  self->request(gateway, timeout, std::forward<Ts>(xs)...)
      .receive([&](Result& value) { result = std::move(value); },
               [&](caf::error& err) {
                 if (err.category() == error_category) result = std::move(err);
                 else if (err == caf::sec::request_timeout)
                   result = make_error(ec::timeout, "no answer within " + std::to_string(timeout.count()) + " ms");
                 else result = make_error(ec::unavailable, "the node is gone (" + sys.render(err) + ")");
               });
  return result;
}

}  // namespace

caf::expected<std::vector<job_id>> client::submit(std::vector<JobSpec> specs) const {
  return ask<std::vector<job_id>>(*sys_, gateway_, timeout_, submit_atom::value, std::move(specs));
}

caf::expected<job_id> client::submit(JobSpec spec) const {
  std::vector<JobSpec> specs;
  specs.push_back(std::move(spec));
  auto ids = submit(std::move(specs));
  if (!ids) return ids.error();
  return ids->at(0);
}

caf::expected<Job> client::get(job_id id) const { return ask<Job>(*sys_, gateway_, timeout_, get_job_atom::value, id); }

caf::expected<JobPage> client::list(const JobQuery& query) const {
  return ask<JobPage>(*sys_, gateway_, timeout_, list_atom::value, query);
}

caf::expected<Job> client::cancel(job_id id) const {
  return ask<Job>(*sys_, gateway_, timeout_, cancel_atom::value, id);
}

caf::expected<std::vector<Job>> client::wait(std::vector<job_id> ids, std::chrono::milliseconds timeout) const {
  return ask<std::vector<Job>>(*sys_, gateway_, timeout, await_atom::value, std::move(ids));
}

caf::expected<NodeStatus> client::status() const {
  return ask<NodeStatus>(*sys_, gateway_, timeout_, status_atom::value);
}

}  // namespace troupe
