#pragma once
// A blocking C++ client of a troupe node. It talks to the node's gateway actor (troupe/protocol.hpp) through
// CAF's middleman, exactly as the `troupe` CLI does; or to an in-process node's gateway.
//
//   caf::actor_system_config cfg;
//   troupe::client::prepare(cfg);                 // loads the middleman, registers troupe's types
//   caf::actor_system sys{cfg};
//   auto c = troupe::client::connect(sys, "127.0.0.1", 4242, token);  // token: "NAME.SECRET" (troupe users add)
//   if (!c) { std::cerr << troupe::describe(c.error()); ... }
//   troupe::JobSpec spec;
//   spec.set_kind("sleep");
//   auto id = c->submit(spec);                    // acknowledged once the job is durable on the node
//   auto done = c->wait({*id}, std::chrono::minutes{1});
//
// Every call blocks the calling thread until the node answers or the request timeout passes (then the error is
// ec::timeout; a node that cannot be reached or went away gives ec::unavailable). Errors from the node are troupe
// errors (troupe/error.hpp) naming the problem; a missing or wrong token is ec::unauthenticated, a request the
// user's role does not allow ec::forbidden. A client is cheap to copy; its calls are safe from several threads.

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include <caf/actor_system.hpp>
#include <caf/expected.hpp>

#include "troupe/protocol.hpp"

namespace troupe {

class client {
 public:
  // Prepares a config for a system that will host clients: loads CAF's middleman and registers troupe's types.
  static void prepare(caf::actor_system_config& cfg);

  // Connects to a node's published interface; every request carries `token`. Fails with ec::unavailable naming
  // the address when no node answers (a wrong token fails the first request, not the connect).
  static caf::expected<client> connect(caf::actor_system& sys, const std::string& host, uint16_t port,
                                       std::string token);
  // A client of an in-process node with full rights (troupe::node::gateway(); no token).
  static client local(caf::actor_system& sys, gateway_actor gateway);
  // A client of an in-process node's public interface (troupe::node::access()), as the user of `token`.
  static client local(caf::actor_system& sys, access_actor access, std::string token);

  // How long a call waits for an answer (default 30 s). wait() has its own timeout.
  void set_request_timeout(std::chrono::milliseconds timeout) { timeout_ = timeout; }

  // Submits jobs, all or nothing; the ids in order.
  caf::expected<std::vector<job_id>> submit(std::vector<JobSpec> specs) const;
  caf::expected<job_id> submit(JobSpec spec) const;
  caf::expected<Job> get(job_id id) const;
  caf::expected<JobPage> list(const JobQuery& query) const;
  caf::expected<Job> cancel(job_id id) const;
  // Waits until every job is terminal; their records, in order.
  caf::expected<std::vector<Job>> wait(std::vector<job_id> ids, std::chrono::milliseconds timeout) const;
  caf::expected<NodeStatus> status() const;
  caf::expected<ExecutionPlan> plan(job_id id) const;
  caf::expected<BatchSummary> batch(const std::string& name) const;
  // Operator controls (retry, prioritize, run now); the job once its new state is durable.
  caf::expected<Job> control(const JobControl& control) const;
  // Lists, pauses or resumes queues and the runner.
  caf::expected<QueueList> queues(const QueueControl& control) const;
  // Adds, lists, pauses, resumes or deletes cron schedules.
  caf::expected<CronList> cron(const CronControl& control) const;
  // Adds, lists or revokes users (admins), or tells who the token belongs to (WHOAMI). Not for local(gateway)
  // clients: users are an access matter (ec::invalid_argument).
  caf::expected<UserList> users(const UserControl& control) const;
  // Lists the active and recent alerts with the health score (anyone), or acknowledges, silences or unsilences an
  // active alert (admins). Not for local(gateway) clients: alerts live behind a node's access interface
  // (ec::invalid_argument); a node without metrics answers ec::unavailable.
  caf::expected<AlertList> alerts(const AlertControl& control) const;
  // The worker nodes: joined ones (kinds, slots, running jobs, last heartbeat) and those lost or left recently
  // (admins and read-only users). Not for local(gateway) clients (ec::invalid_argument).
  caf::expected<WorkerList> workers() const;

 private:
  client(caf::actor_system& sys, gateway_actor gateway, access_actor access, std::string token, bool remote)
      : sys_(&sys), gateway_(std::move(gateway)), access_(std::move(access)), token_(std::move(token)),
        remote_(remote) {}

  template <class Result, class Atom, class... Ts>
  caf::expected<Result> ask(Atom atom, Ts... xs) const;

  caf::actor_system* sys_;
  gateway_actor gateway_;  // trusted: set for local(gateway)
  access_actor access_;    // otherwise: requests carry token_
  std::string token_;
  bool remote_;  // the node is another process: watch it while a request is out
  std::chrono::milliseconds timeout_{30'000};
};

// "HOST:PORT" -> host and port; an error naming the text otherwise.
caf::error parse_endpoint(const std::string& text, std::string* host, uint16_t* port);

}  // namespace troupe
