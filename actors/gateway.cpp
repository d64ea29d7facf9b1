#include "actors/gateway.hpp"

#include <caf/actor_system.hpp>
#include <caf/stateful_actor.hpp>
#include <caf/typed_event_based_actor.hpp>

#include "actors/spec_validation.hpp"
#include "actors/workflow.hpp"

namespace troupe {

namespace {

struct gateway_state {
  static inline const char* name = "troupe.gateway";
  engine_context_ptr ctx;
  scheduler_actor scheduler;
  reader_actor reader;
};

using gateway_self = gateway_internal_actor::stateful_pointer<gateway_state>;

caf::error validate_all(std::vector<JobSpec>& specs, const engine_context& ctx) {
  if (specs.empty()) return make_error(ec::invalid_argument, "no jobs to submit");
  if (specs.size() > max_jobs_per_submit)
    return make_error(ec::invalid_argument, "more than " + std::to_string(max_jobs_per_submit) +
                                                " jobs in one request; split it");
  for (size_t i = 0; i < specs.size(); ++i) {
    if (auto err = validate_spec(specs[i], ctx.options, *ctx.kinds, ctx.worker_kinds.get())) {
      if (specs.size() == 1) return err;
      return make_error(code_of(err), "job " + std::to_string(i + 1) + " of " + std::to_string(specs.size()) +
                                          ": " + describe(err));
    }
  }
  return validate_relations(specs, *ctx.store);
}

gateway_internal_actor::behavior_type gateway(gateway_self self, engine_context_ptr ctx, scheduler_actor scheduler,
                                              reader_actor reader) {
  self->state.ctx = std::move(ctx);
  self->state.scheduler = std::move(scheduler);
  self->state.reader = std::move(reader);
  return {
      [=](submit_atom, std::vector<JobSpec>& specs) -> caf::result<std::vector<job_id>> {
        if (auto err = validate_all(specs, *self->state.ctx)) return err;
        return self->delegate(self->state.scheduler, submit_atom::value, std::move(specs));
      },
      [=](get_job_atom, job_id id) -> caf::result<Job> {
        return self->delegate(self->state.reader, get_job_atom::value, id);
      },
      [=](list_atom, JobQuery& query) -> caf::result<JobPage> {
        return self->delegate(self->state.reader, list_atom::value, std::move(query));
      },
      [=](cancel_atom, job_id id) -> caf::result<Job> {
        return self->delegate(self->state.scheduler, cancel_atom::value, id);
      },
      [=](await_atom, std::vector<job_id>& ids) -> caf::result<std::vector<Job>> {
        if (ids.empty()) return make_error(ec::invalid_argument, "no job ids to wait for");
        return self->delegate(self->state.scheduler, await_atom::value, std::move(ids));
      },
      [=](plan_atom, job_id id) -> caf::result<ExecutionPlan> {
        return self->delegate(self->state.reader, plan_atom::value, id);
      },
      [=](batch_atom, std::string& batch) -> caf::result<BatchSummary> {
        return self->delegate(self->state.reader, batch_atom::value, std::move(batch));
      },
      [=](control_atom, JobControl& control) -> caf::result<Job> {
        return self->delegate(self->state.scheduler, control_atom::value, std::move(control));
      },
      [=](queues_atom, QueueControl& control) -> caf::result<QueueList> {
        return self->delegate(self->state.scheduler, queues_atom::value, std::move(control));
      },
      [=](cron_atom, CronControl& control) -> caf::result<CronList> {
        const auto& ctx = *self->state.ctx;
        if (control.action() == CronControl::ADD)
          if (auto err = validate_cron_schedule(control.schedule(), ctx.options, *ctx.kinds)) return err;
        return self->delegate(self->state.scheduler, cron_atom::value, std::move(control));
      },
      [=](status_atom) -> caf::result<NodeStatus> {
        return self->delegate(self->state.scheduler, status_atom::value);
      },
      [=](usage_atom, std::string& user) -> caf::result<UserUsage> {
        return self->delegate(self->state.scheduler, usage_atom::value, std::move(user));
      },
      [=](metrics_atom) -> caf::result<SchedulerSample> {
        return self->delegate(self->state.scheduler, metrics_atom::value);
      },
      [=](engine_atom, scheduler_actor& scheduler, reader_actor& reader) {
        self->state.scheduler = std::move(scheduler);
        self->state.reader = std::move(reader);
      },
  };
}

}  // namespace

gateway_internal_actor spawn_gateway(caf::actor_system& sys, engine_context_ptr ctx, scheduler_actor scheduler,
                                     reader_actor reader) {
  return sys.spawn(gateway, std::move(ctx), std::move(scheduler), std::move(reader));
}

}  // namespace troupe
