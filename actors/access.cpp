#include "actors/access.hpp"

#include <set>
#include <sstream>

#include <caf/actor_system.hpp>
#include <caf/stateful_actor.hpp>
#include <caf/typed_event_based_actor.hpp>
#include <spdlog/spdlog.h>

#include "actors/job_errors.hpp"
#include "actors/users.hpp"

namespace troupe {

namespace {

struct access_state {
  static inline const char* name = "troupe.access";
  engine_context_ptr ctx;
  gateway_internal_actor gateway;
  metrics_actor metrics;  // both null with metricsEnabled = false
  alert_actor alerts;
  scaling_actor scaling;  // null when the node takes no workers
  user_map users;
  std::set<User::Role> exec_roles;  // execRoles
};

using access_self = access_actor::stateful_pointer<access_state>;

// The caller of a request: a copy, so that a revoke during an asynchronous step cannot pull it away.
using caller = User;

caf::expected<caller> authenticate(access_self self, const std::string& token) {
  if (token.empty()) return make_error(ec::unauthenticated, "an API token is required (--token, TROUPE_TOKEN or "
                                                            "Authorization: Bearer)");
  const auto* user = find_user_by_token(self->state.users, token);
  if (!user) return make_error(ec::unauthenticated, "the API token is not valid (unknown user or wrong secret)");
  return *user;
}

bool is_admin(const caller& who) { return who.role() == User::ADMIN; }

caf::error forbidden(const caller& who, const std::string& what) {
  return make_error(ec::forbidden, "user " + who.name() + " (" + role_name(who.role()) + ") may not " + what);
}

caf::error require_writer(const caller& who, const std::string& what) {
  if (who.role() == User::READ_ONLY) return forbidden(who, what);
  return caf::none;
}

caf::error require_admin(const caller& who, const std::string& what) {
  if (!is_admin(who)) return forbidden(who, what);
  return caf::none;
}

// Who asks, as recorded with a control: the authenticated name, and what the client said if it said more
// ("admin (alice)": an operator acting with the admin token).
std::string asker(const caller& who, const std::string& said) {
  if (said.empty() || said == who.name()) return who.name();
  return who.name() + " (" + said + ")";
}

// Admins and read-only users see every job; users their own.
bool sees_all(const caller& who) { return who.role() == User::ADMIN || who.role() == User::READ_ONLY; }

bool sees(const caller& who, const JobSpec& spec) { return sees_all(who) || spec.user() == who.name(); }

// A spec the caller submits (or a cron template it adds): the job becomes the caller's unless an admin names
// another user; raw exec only for the roles in execRoles.
caf::error claim_spec(access_self self, const caller& who, JobSpec& spec) {
  if (spec.user().empty()) spec.set_user(who.name());
  if (spec.user() != who.name() && !is_admin(who))
    return forbidden(who, "submit jobs as another user (" + spec.user() + ")");
  if (spec.kind() == "exec" && !self->state.exec_roles.count(who.role()))
    return forbidden(who, "submit raw exec jobs (execRoles); submit a command kind instead");
  return caf::none;
}

// Sends a request to the gateway and answers `rp` with its answer, whatever it is. (A typed promise's own
// delegate() loses the message under CAF 0.17 when the promise was made in the same handler; this does not.)
template <class Result, class Target, class... Ts>
void forward_to(access_self self, const Target& target, caf::typed_response_promise<Result> rp, Ts&&... xs) {
  self->request(target, caf::infinite, std::forward<Ts>(xs)...)
      .then([=](Result& answer) mutable { rp.deliver(std::move(answer)); },
            [=](caf::error& err) mutable { rp.deliver(std::move(err)); });
}

template <class Result, class... Ts>
void forward(access_self self, caf::typed_response_promise<Result> rp, Ts&&... xs) {
  forward_to(self, self->state.gateway, std::move(rp), std::forward<Ts>(xs)...);
}

// Reads job `id` and, if the caller may see it, runs `next` with the promise; otherwise answers the promise with
// the error an unknown job gets.
template <class Result, class Next>
caf::result<Result> with_visible_job(access_self self, const caller& who, job_id id, Next next) {
  auto rp = self->template make_response_promise<Result>();
  self->request(self->state.gateway, caf::infinite, get_job_atom::value, id)
      .then(
          [=](Job& job) mutable {
            if (!sees(who, job.spec())) {
              rp.deliver(unknown_job(*self->state.ctx->store, id));
              return;
            }
            next(rp, std::move(job));
          },
          [=](caf::error& err) mutable { rp.deliver(std::move(err)); });
  return rp;
}

// As with_visible_job, for several jobs: `next` runs once every one is known to be the caller's.
template <class Result, class Next>
caf::result<Result> with_visible_jobs(access_self self, const caller& who, const std::vector<job_id>& ids,
                                      Next next) {
  auto rp = self->template make_response_promise<Result>();
  if (sees_all(who) || ids.empty()) {
    next(rp);
    return rp;
  }
  struct progress {
    size_t remaining = 0;
    bool failed = false;
  };
  auto state = std::make_shared<progress>(progress{ids.size(), false});
  // One `next` shared by the answers: it may hold a whole submit (payloads), which is not copied per parent.
  auto shared_next = std::make_shared<Next>(std::move(next));
  for (auto id : ids) {
    self->request(self->state.gateway, caf::infinite, get_job_atom::value, id)
        .then(
            [=](Job& job) mutable {
              if (state->failed) return;
              if (!sees(who, job.spec())) {
                state->failed = true;
                rp.deliver(unknown_job(*self->state.ctx->store, id));
              } else if (--state->remaining == 0) {
                (*shared_next)(rp);
              }
            },
            [=](caf::error& err) mutable {
              if (state->failed) return;
              state->failed = true;
              rp.deliver(std::move(err));
            });
  }
  return rp;
}

// Jobs named as dependencies must be the caller's too.
std::vector<job_id> dependencies_of(const std::vector<JobSpec>& specs) {
  std::vector<job_id> ids;
  for (const auto& spec : specs) ids.insert(ids.end(), spec.dependencies().begin(), spec.dependencies().end());
  return ids;
}

using status_callback = std::function<void(caf::expected<NodeStatus>)>;

// Calls `done` with `status` and, with metrics on, the health score and the active alerts in it.
void add_alerts(access_self self, NodeStatus status, status_callback done) {
  status.set_metrics_enabled(static_cast<bool>(self->state.alerts));
  if (!self->state.alerts) return done(std::move(status));
  AlertControl list;
  list.set_action(AlertControl::LIST);
  list.set_limit(1);
  self->request(self->state.alerts, caf::infinite, alerts_atom::value, list)
      .then(
          [=](AlertList& alerts) mutable {
            *status.mutable_health() = std::move(*alerts.mutable_health());
            *status.mutable_alerts() = std::move(*alerts.mutable_active());
            done(std::move(status));
          },
          [=](caf::error& err) mutable { done(std::move(err)); });
}

// Adds the caller's usage, then health and alerts, to `out`.
void add_usage(access_self self, const caller& who, NodeStatus out, status_callback done) {
  self->request(self->state.gateway, caf::infinite, usage_atom::value, who.name())
      .then(
          [=](UserUsage& usage) mutable {
            *out.mutable_usage() = std::move(usage);
            add_alerts(self, std::move(out), done);
          },
          [=](caf::error& err) mutable { done(std::move(err)); });
}

// The node's status with the caller's own usage, health and alerts (and, node scope, the workers); for a user
// (scope "user") only the node's identity besides.
void fetch_status(access_self self, const caller& who, status_callback done) {
  self->request(self->state.gateway, caf::infinite, status_atom::value)
      .then(
          [=](NodeStatus& full) mutable {
            NodeStatus out;
            if (sees_all(who) && self->state.scaling) {  // the workers too
              full.set_scope("node");
              self->request(self->state.scaling, caf::infinite, workers_atom::value)
                  .then(
                      [=, full = std::move(full)](WorkerList& workers) mutable {
                        *full.mutable_workers() = std::move(*workers.mutable_workers());
                        *full.mutable_scaling() = std::move(*workers.mutable_scaling());
                        add_usage(self, who, std::move(full), done);
                      },
                      [=](caf::error& err) mutable { done(std::move(err)); });
              return;
            }
            if (sees_all(who)) {
              out = std::move(full);
              out.set_scope("node");
            } else {
              out.set_scope("user");
              out.set_node(full.node());
              out.set_version(full.version());
              *out.mutable_started_at() = full.started_at();
              out.set_slots_total(full.slots_total());
              out.set_accepting(full.accepting());
              out.set_durability(full.durability());
              *out.mutable_kinds() = full.kinds();
            }
            add_usage(self, who, std::move(out), done);
          },
          [=](caf::error& err) mutable { done(std::move(err)); });
}

template <class Result>
std::function<void(caf::expected<Result>)> deliver_to(caf::typed_response_promise<Result> rp) {
  return [rp](caf::expected<Result> result) mutable {
    if (result) rp.deliver(std::move(*result));
    else rp.deliver(std::move(result.error()));
  };
}

caf::result<NodeStatus> status_for(access_self self, const caller& who) {
  auto rp = self->make_response_promise<NodeStatus>();
  fetch_status(self, who, deliver_to(rp));
  return rp;
}

caf::error metrics_off() {
  return make_error(ec::unavailable, "metrics are off on this node (metricsEnabled = false)");
}

// The dashboard's data: the caller's status (with health and alerts) and, for admins and read-only users, the
// charts' series and the newest sample (from the metrics actor).
caf::result<Dashboard> dashboard_for(access_self self, const caller& who) {
  auto rp = self->make_response_promise<Dashboard>();
  fetch_status(self, who, [=](caf::expected<NodeStatus> status) mutable {
    if (!status) {
      rp.deliver(std::move(status.error()));
      return;
    }
    auto finish = [=, status = std::move(*status)](Dashboard board) mutable {
      board.set_user(who.name());
      board.set_role(role_name(who.role()));
      *board.mutable_health() = status.health();
      *board.mutable_alerts() = status.alerts();
      *board.mutable_status() = std::move(status);
      rp.deliver(std::move(board));
    };
    if (!self->state.metrics || !sees_all(who)) {
      finish(Dashboard{});
      return;
    }
    self->request(self->state.metrics, caf::infinite, dashboard_atom::value)
        .then([=](Dashboard& board) mutable { finish(std::move(board)); },
              [=](caf::error& err) mutable { rp.deliver(std::move(err)); });
  });
  return rp;
}

caf::result<CronList> control_cron(access_self self, const caller& who, CronControl& control) {
  control.set_by(asker(who, control.by()));
  switch (control.action()) {
    case CronControl::LIST: {
      if (sees_all(who)) return self->delegate(self->state.gateway, cron_atom::value, std::move(control));
      auto rp = self->make_response_promise<CronList>();
      self->request(self->state.gateway, caf::infinite, cron_atom::value, control)
          .then(
              [=](CronList& all) mutable {
                CronList mine;
                for (auto& s : *all.mutable_schedules())
                  if (s.job().user() == who.name()) *mine.add_schedules() = std::move(s);
                if (!control.name().empty() && mine.schedules().empty())
                  rp.deliver(make_error(ec::unknown_schedule, "no cron schedule named '" + control.name() + "'"));
                else
                  rp.deliver(std::move(mine));
              },
              [=](caf::error& err) mutable { rp.deliver(std::move(err)); });
      return rp;
    }
    case CronControl::ADD:
      if (auto err = require_writer(who, "add cron schedules")) return err;
      if (auto err = claim_spec(self, who, *control.mutable_schedule()->mutable_job())) return err;
      if (control.replace() && !is_admin(who)) break;  // replacing: the schedule must be the caller's (below)
      return self->delegate(self->state.gateway, cron_atom::value, std::move(control));
    default:
      if (auto err = require_writer(who, "change cron schedules")) return err;
      if (is_admin(who)) return self->delegate(self->state.gateway, cron_atom::value, std::move(control));
      break;
  }
  // A non-admin changes (or replaces) a schedule: only its own. Unknown and foreign schedules look the same.
  auto name = control.action() == CronControl::ADD ? control.schedule().name() : control.name();
  CronControl lookup;
  lookup.set_action(CronControl::LIST);
  lookup.set_name(name);
  auto rp = self->make_response_promise<CronList>();
  // Shared by both answers, so that a schedule's job template (its payload) is not copied into each.
  auto held = std::make_shared<CronControl>(std::move(control));
  self->request(self->state.gateway, caf::infinite, cron_atom::value, lookup)
      .then(
          [=](CronList& found) mutable {
            if (!found.schedules().empty() && found.schedules(0).job().user() != who.name()) {
              rp.deliver(make_error(ec::unknown_schedule, "no cron schedule named '" + name + "'"));
              return;
            }
            forward(self, rp, cron_atom::value, std::move(*held));
          },
          [=](caf::error& err) mutable {
            if (code_of(err) == ec::unknown_schedule && held->action() == CronControl::ADD)
              forward(self, rp, cron_atom::value, std::move(*held));  // a new one after all
            else
              rp.deliver(std::move(err));
          });
  return rp;
}

caf::result<UserList> control_users(access_self self, const caller& who, const UserControl& control) {
  auto& st = self->state;
  UserList out;
  if (control.action() == UserControl::WHOAMI) {
    *out.add_users() = public_view(who);
    return out;
  }
  if (auto err = require_admin(who, "manage users")) return err;
  switch (control.action()) {
    case UserControl::LIST:
      for (const auto& [name, user] : st.users) *out.add_users() = public_view(user);
      return out;
    case UserControl::ADD: {
      auto issued = add_user(*st.ctx->store, st.users, control.name(), control.role(), who.name(),
                             st.ctx->wall->now());
      if (!issued) return issued.error();
      spdlog::info("user {} ({}) added by {}", control.name(), role_name(control.role()), who.name());
      *out.add_users() = public_view(issued->user);
      out.set_token(issued->token);
      st.users.emplace(control.name(), std::move(issued->user));
      return out;
    }
    case UserControl::REVOKE: {
      auto it = st.users.find(control.name());
      if (it == st.users.end()) return make_error(ec::invalid_argument, "no user named '" + control.name() + "'");
      if (it->second.role() == User::ADMIN) {
        auto admins = std::count_if(st.users.begin(), st.users.end(),
                                    [](const auto& entry) { return entry.second.role() == User::ADMIN; });
        if (admins == 1)
          return make_error(ec::conflict, "user " + control.name() + " is the last admin; add another admin first");
      }
      if (auto err = erase_user(*st.ctx->store, control.name())) return err;
      spdlog::info("user {} revoked by {}", control.name(), who.name());
      *out.add_users() = public_view(it->second);
      st.users.erase(it);
      return out;
    }
    default:
      return make_error(ec::invalid_argument, "unknown user action " + std::to_string(control.action()));
  }
}

access_actor::behavior_type access(access_self self, engine_context_ptr ctx, gateway_internal_actor gateway,
                                   observers obs, user_map users) {
  auto& st = self->state;
  st.ctx = std::move(ctx);
  st.gateway = std::move(gateway);
  st.metrics = std::move(obs.metrics);
  st.alerts = std::move(obs.alerts);
  st.scaling = std::move(obs.scaling);
  st.users = std::move(users);
  std::istringstream roles{st.ctx->options.execRoles};
  for (std::string role; std::getline(roles, role, ',');)
    if (auto parsed = parse_role(role)) st.exec_roles.insert(*parsed);
  return {
      [=](submit_atom, const std::string& token, std::vector<JobSpec>& specs) -> caf::result<std::vector<job_id>> {
        auto who = authenticate(self, token);
        if (!who) return who.error();
        if (auto err = require_writer(*who, "submit jobs")) return err;
        for (auto& spec : specs)
          if (auto err = claim_spec(self, *who, spec)) return err;
        auto parents = dependencies_of(specs);
        return with_visible_jobs<std::vector<job_id>>(
            self, *who, parents, [=, specs = std::move(specs)](auto& rp) mutable {
              forward(self, rp, submit_atom::value, std::move(specs));
            });
      },
      [=](get_job_atom, const std::string& token, job_id id) -> caf::result<Job> {
        auto who = authenticate(self, token);
        if (!who) return who.error();
        return with_visible_job<Job>(self, *who, id, [](auto& rp, Job job) { rp.deliver(std::move(job)); });
      },
      [=](list_atom, const std::string& token, JobQuery& query) -> caf::result<JobPage> {
        auto who = authenticate(self, token);
        if (!who) return who.error();
        if (!sees_all(*who)) {
          if (query.user().empty()) query.set_user(who->name());
          if (query.user() != who->name())
            return forbidden(*who, "list the jobs of another user (" + query.user() + ")");
        }
        return self->delegate(self->state.gateway, list_atom::value, std::move(query));
      },
      [=](cancel_atom, const std::string& token, job_id id) -> caf::result<Job> {
        auto who = authenticate(self, token);
        if (!who) return who.error();
        if (auto err = require_writer(*who, "cancel jobs")) return err;
        return with_visible_job<Job>(self, *who, id, [=, name = who->name()](auto& rp, Job) {
          JobControl control;
          control.set_action(JobControl::CANCEL);
          control.set_job(id);
          control.set_by(name);
          forward(self, rp, control_atom::value, std::move(control));
        });
      },
      [=](await_atom, const std::string& token, std::vector<job_id>& ids) -> caf::result<std::vector<Job>> {
        auto who = authenticate(self, token);
        if (!who) return who.error();
        return with_visible_jobs<std::vector<Job>>(self, *who, ids, [=](auto& rp) {
          forward(self, rp, await_atom::value, std::move(ids));
        });
      },
      [=](status_atom, const std::string& token) -> caf::result<NodeStatus> {
        auto who = authenticate(self, token);
        if (!who) return who.error();
        return status_for(self, *who);
      },
      [=](plan_atom, const std::string& token, job_id id) -> caf::result<ExecutionPlan> {
        auto who = authenticate(self, token);
        if (!who) return who.error();
        return with_visible_job<ExecutionPlan>(self, *who, id, [=](auto& rp, Job) {
          forward(self, rp, plan_atom::value, id);
        });
      },
      [=](batch_atom, const std::string& token, std::string& batch) -> caf::result<BatchSummary> {
        auto who = authenticate(self, token);
        if (!who) return who.error();
        if (sees_all(*who)) return self->delegate(self->state.gateway, batch_atom::value, std::move(batch));
        // A batch is visible to a user with a job in it (batch names are shared: use unique ones).
        JobQuery query;
        query.set_batch(batch);
        query.set_user(who->name());
        query.set_limit(1);
        auto rp = self->make_response_promise<BatchSummary>();
        self->request(self->state.gateway, caf::infinite, list_atom::value, query)
            .then(
                [=](JobPage& page) mutable {
                  if (page.jobs().empty())
                    rp.deliver(make_error(ec::unknown_job, "no batch '" + batch + "'"));
                  else
                    forward(self, rp, batch_atom::value, batch);
                },
                [=](caf::error& err) mutable { rp.deliver(std::move(err)); });
        return rp;
      },
      [=](control_atom, const std::string& token, JobControl& control) -> caf::result<Job> {
        auto who = authenticate(self, token);
        if (!who) return who.error();
        if (auto err = require_writer(*who, "control jobs")) return err;
        control.set_by(asker(*who, control.by()));
        return with_visible_job<Job>(self, *who, control.job(), [=](auto& rp, Job) {
          forward(self, rp, control_atom::value, std::move(control));
        });
      },
      [=](queues_atom, const std::string& token, QueueControl& control) -> caf::result<QueueList> {
        auto who = authenticate(self, token);
        if (!who) return who.error();
        bool read = control.action() == QueueControl::LIST || control.action() == QueueControl::HISTORY;
        if (!read)
          if (auto err = require_admin(*who, "pause, resume or clean up queues, or stop or start the runner"))
            return err;
        control.set_by(asker(*who, control.by()));
        return self->delegate(self->state.gateway, queues_atom::value, std::move(control));
      },
      [=](cron_atom, const std::string& token, CronControl& control) -> caf::result<CronList> {
        auto who = authenticate(self, token);
        if (!who) return who.error();
        return control_cron(self, *who, control);
      },
      [=](users_atom, const std::string& token, const UserControl& control) -> caf::result<UserList> {
        auto who = authenticate(self, token);
        if (!who) return who.error();
        return control_users(self, *who, control);
      },
      [=](metrics_atom, const std::string& token, MetricsQuery& query) -> caf::result<SeriesSet> {
        auto who = authenticate(self, token);
        if (!who) return who.error();
        if (!sees_all(*who)) return forbidden(*who, "read the node's metrics");
        if (!self->state.metrics) return metrics_off();
        auto rp = self->make_response_promise<SeriesSet>();
        forward_to(self, self->state.metrics, rp, metrics_atom::value, std::move(query));
        return rp;
      },
      [=](prometheus_atom, const std::string& token) -> caf::result<std::string> {
        auto who = authenticate(self, token);
        if (!who) return who.error();
        if (!sees_all(*who)) return forbidden(*who, "read the node's metrics");
        if (!self->state.metrics) return metrics_off();
        auto rp = self->make_response_promise<std::string>();
        forward_to(self, self->state.metrics, rp, prometheus_atom::value);
        return rp;
      },
      [=](alerts_atom, const std::string& token, AlertControl& control) -> caf::result<AlertList> {
        auto who = authenticate(self, token);
        if (!who) return who.error();
        if (control.action() != AlertControl::LIST)
          if (auto err = require_admin(*who, "acknowledge or silence alerts")) return err;
        if (!self->state.alerts) return metrics_off();
        control.set_by(asker(*who, control.by()));
        auto rp = self->make_response_promise<AlertList>();
        forward_to(self, self->state.alerts, rp, alerts_atom::value, std::move(control));
        return rp;
      },
      [=](dashboard_atom, const std::string& token) -> caf::result<Dashboard> {
        auto who = authenticate(self, token);
        if (!who) return who.error();
        return dashboard_for(self, *who);
      },
      [=](workers_atom, const std::string& token) -> caf::result<WorkerList> {
        auto who = authenticate(self, token);
        if (!who) return who.error();
        if (!sees_all(*who)) return forbidden(*who, "list the worker nodes");
        if (!self->state.scaling) return WorkerList{};
        auto rp = self->make_response_promise<WorkerList>();
        forward_to(self, self->state.scaling, rp, workers_atom::value);
        return rp;
      },
      [=](join_atom, WorkerJoin& join, caf::actor& worker) -> caf::result<WorkerWelcome, caf::actor> {
        if (!self->state.scaling) return make_error(ec::unavailable, "this node takes no worker nodes");
        auto rp = self->make_response_promise<WorkerWelcome, caf::actor>();
        self->request(self->state.scaling, caf::infinite, join_atom::value, std::move(join), std::move(worker))
            .then([=](WorkerWelcome& welcome, caf::actor& registry) mutable { rp.deliver(welcome, registry); },
                  [=](caf::error& err) mutable { rp.deliver(std::move(err)); });
        return rp;
      },
  };
}

}  // namespace

caf::expected<access_actor> spawn_access(caf::actor_system& sys, engine_context_ptr ctx,
                                         gateway_internal_actor gateway, observers obs, bool detached) {
  auto users = load_users(*ctx->store);
  if (!users) return users.error();
  if (detached)
    return sys.spawn<caf::detached>(access, std::move(ctx), std::move(gateway), std::move(obs), std::move(*users));
  return sys.spawn(access, std::move(ctx), std::move(gateway), std::move(obs), std::move(*users));
}

}  // namespace troupe
