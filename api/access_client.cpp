#include "api/access_client.hpp"

#include <tuple>
#include <utility>

#include <caf/actor_system.hpp>
#include <caf/event_based_actor.hpp>

namespace troupe::api {

namespace {

caf::error translate(caf::actor_system& sys, const caf::error& err, std::chrono::milliseconds timeout) {
  if (err.category() == error_category) return err;
  if (err == caf::sec::request_timeout)
    return make_error(ec::timeout, "the node did not answer within " + std::to_string(timeout.count()) + " ms");
  return make_error(ec::unavailable, "the node is not available (" + sys.render(err) + ")");
}

class access_client final : public node_api {
 public:
  access_client(caf::actor_system& sys, access_actor access, std::chrono::milliseconds timeout)
      : sys_(sys), access_(std::move(access)), timeout_(timeout) {}

  void submit(const std::string& token, std::vector<JobSpec> specs, reply<std::vector<uint64_t>> done) override {
    ask<std::vector<job_id>>(std::move(done), submit_atom::value, token, std::move(specs));
  }
  void get_job(const std::string& token, uint64_t id, reply<Job> done) override {
    ask<Job>(std::move(done), get_job_atom::value, token, id);
  }
  void list(const std::string& token, JobQuery query, reply<JobPage> done) override {
    ask<JobPage>(std::move(done), list_atom::value, token, std::move(query));
  }
  void cancel(const std::string& token, uint64_t id, reply<Job> done) override {
    ask<Job>(std::move(done), cancel_atom::value, token, id);
  }
  void status(const std::string& token, reply<NodeStatus> done) override {
    ask<NodeStatus>(std::move(done), status_atom::value, token);
  }
  void control(const std::string& token, JobControl control, reply<Job> done) override {
    ask<Job>(std::move(done), control_atom::value, token, std::move(control));
  }
  void queues(const std::string& token, QueueControl control, reply<QueueList> done) override {
    ask<QueueList>(std::move(done), queues_atom::value, token, std::move(control));
  }
  void cron(const std::string& token, CronControl control, reply<CronList> done) override {
    ask<CronList>(std::move(done), cron_atom::value, token, std::move(control));
  }
  void users(const std::string& token, UserControl control, reply<UserList> done) override {
    ask<UserList>(std::move(done), users_atom::value, token, std::move(control));
  }
  void metrics(const std::string& token, MetricsQuery query, reply<SeriesSet> done) override {
    ask<SeriesSet>(std::move(done), metrics_atom::value, token, std::move(query));
  }
  void prometheus(const std::string& token, reply<std::string> done) override {
    ask<std::string>(std::move(done), prometheus_atom::value, token);
  }
  void alerts(const std::string& token, AlertControl control, reply<AlertList> done) override {
    ask<AlertList>(std::move(done), alerts_atom::value, token, std::move(control));
  }
  void dashboard(const std::string& token, reply<Dashboard> done) override {
    ask<Dashboard>(std::move(done), dashboard_atom::value, token);
  }
  void workers(const std::string& token, reply<WorkerList> done) override {
    ask<WorkerList>(std::move(done), workers_atom::value, token);
  }
  void plan(const std::string& token, uint64_t id, reply<ExecutionPlan> done) override {
    ask<ExecutionPlan>(std::move(done), plan_atom::value, token, job_id{id});
  }

 private:
  // One request from a fresh actor; the actor ends once the answer (or the error) has been handed to `done`:
  // it has no behavior of its own, so it lives exactly as long as its pending request.
  template <class Result, class... Ts>
  void ask(reply<Result> done, Ts&&... xs) {
    auto* sys = &sys_;
    auto timeout = timeout_;
    sys_.spawn([sys, timeout, target = access_, done = std::move(done),
                args = std::make_tuple(std::forward<Ts>(xs)...)](caf::event_based_actor* self) mutable {
      std::apply(
          [&](auto&... a) {
            self->request(target, timeout, std::move(a)...)
                .then([done](Result& value) { done(std::move(value)); },
                      [done, sys, timeout](caf::error& err) { done(translate(*sys, err, timeout)); });
          },
          args);
    });
  }

  caf::actor_system& sys_;
  access_actor access_;
  std::chrono::milliseconds timeout_;
};

}  // namespace

std::unique_ptr<node_api> make_access_client(caf::actor_system& sys, access_actor access,
                                             std::chrono::milliseconds timeout) {
  return std::make_unique<access_client>(sys, std::move(access), timeout);
}

}  // namespace troupe::api
