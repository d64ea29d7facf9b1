#include "actors/job_slot.hpp"

#include <exception>
#include <optional>
#include <set>

#include <caf/actor_clock.hpp>
#include <caf/actor_system.hpp>
#include <caf/stateful_actor.hpp>
#include <caf/typed_event_based_actor.hpp>

#include "actors/attempt_impl.hpp"
#include "actors/spec_validation.hpp"

namespace troupe {

namespace {

using time_point = caf::actor_clock::time_point;

struct running_attempt {
  std::shared_ptr<attempt_impl> run;
  job_kind* kind = nullptr;
  caf::typed_response_promise<Job, outcome, int64_t> rp;
  time_point started;
  time_point deadline;
  micros timeout = 0;
};

// What the slot is running, shared with the slot's exit hook so that a slot that is killed (its pool stopped, the
// engine restarted) still stops the attempt: no process outlives the slot that started it.
struct slot_guard {
  std::shared_ptr<attempt_impl> run;
  job_kind* kind = nullptr;
  void stop() {
    if (!run) return;
    run->stop();
    try {
      kind->stop(*run);
    } catch (...) {  // a kind's failure to stop must not take the slot down
    }
    run.reset();
  }
};

struct slot_state {
  static inline const char* name = "troupe.slot";

  engine_context_ptr ctx;
  uint32_t index = 0;
  uint64_t next_token = 1;
  std::optional<running_attempt> current;
  std::shared_ptr<slot_guard> guard = std::make_shared<slot_guard>();
  std::multiset<time_point> timer_checks;  // when each pending timeout message fires
};

using slot_self = slot_actor::stateful_pointer<slot_state>;

void complete(slot_self self, outcome result) {
  auto& cur = *self->state.current;
  auto duration = std::chrono::duration_cast<std::chrono::microseconds>(self->clock().now() - cur.started);
  self->state.guard->run.reset();
  // The record goes back to the scheduler; it is moved unless a kind still holds the attempt (and may read it).
  auto job = cur.run.use_count() == 1 ? cur.run->release_job() : Job{cur.run->job()};
  cur.rp.deliver(std::move(job), std::move(result), static_cast<int64_t>(duration.count()));
  self->state.current.reset();
}

// Ensures a timeout check fires no later than `deadline`.
void arm_timer(slot_self self, time_point deadline) {
  auto& checks = self->state.timer_checks;
  if (!checks.empty() && *checks.begin() <= deadline) return;
  checks.insert(deadline);
  auto delay = deadline - self->clock().now();
  if (delay < caf::actor_clock::duration_type::zero()) delay = caf::actor_clock::duration_type::zero();
  self->delayed_send(self, delay, timeout_atom::value);
}

void stop_current(slot_self self, outcome result) {
  self->state.guard->stop();
  complete(self, std::move(result));
}

slot_actor::behavior_type slot(slot_self self, engine_context_ptr ctx, uint32_t index) {
  self->state.ctx = ctx;
  self->state.index = index;
  self->attach_functor([guard = self->state.guard] { guard->stop(); });
  return {
      [=](run_atom, Job& job) -> caf::result<Job, outcome, int64_t> {
        auto& st = self->state;
        if (st.current)
          return make_error(ec::internal, "slot " + std::to_string(st.index) + " is busy with job " +
                                              std::to_string(st.current->run->job().id()));
        auto* kind = st.ctx->kinds->find(job.spec().kind());
        if (kind == nullptr) {
          auto failure = outcome::failure("no kind '" + job.spec().kind() + "' on this node", /*permanent=*/true);
          return caf::result<Job, outcome, int64_t>{std::move(job), std::move(failure), int64_t{0}};
        }
        auto timeout = attempt_timeout(job.spec(), *kind, st.ctx->options);
        auto token = st.next_token++;
        auto now = self->clock().now();
        running_attempt cur;
        cur.run = std::make_shared<attempt_impl>(std::move(job), token, caf::actor_cast<caf::weak_actor_ptr>(self),
                                                 st.ctx->workers);
        cur.kind = kind;
        cur.rp = self->make_response_promise<Job, outcome, int64_t>();
        cur.started = now;
        cur.timeout = timeout;
        cur.deadline = now + std::chrono::microseconds{timeout};
        auto rp = cur.rp;
        auto run = cur.run;
        st.current = std::move(cur);
        st.guard->run = run;
        st.guard->kind = kind;
        arm_timer(self, st.current->deadline);
        try {
          kind->start(run);
        } catch (const std::exception& e) {
          run->finish(outcome::failure(std::string{"the kind threw: "} + e.what()));
        } catch (...) {
          run->finish(outcome::failure("the kind threw an unknown exception"));
        }
        if (auto result = run->take_inline_outcome()) complete(self, std::move(*result));
        return rp;
      },
      [=](stop_atom, job_id id, uint32_t attempt) {
        auto& cur = self->state.current;
        if (!cur || cur->run->job().id() != id || cur->run->number() != attempt) return;
        outcome o;
        o.code = outcome::status::cancelled;
        o.error = "stopped";
        stop_current(self, std::move(o));
      },
      [=](finished_atom, uint64_t token, outcome& result) {
        auto& cur = self->state.current;
        if (!cur || cur->run->token() != token || cur->run->stopped()) return;
        complete(self, std::move(result));
      },
      [=](timeout_atom) {
        auto& st = self->state;
        auto now = self->clock().now();
        if (!st.timer_checks.empty()) st.timer_checks.erase(st.timer_checks.begin());
        if (!st.current) return;
        if (now >= st.current->deadline) {
          outcome o;
          o.code = outcome::status::timed_out;
          o.exit_code = -1;
          o.error = "timed out after " + std::to_string(st.current->timeout / 1000) + " ms";
          stop_current(self, std::move(o));
          return;
        }
        arm_timer(self, st.current->deadline);
      },
  };
}

}  // namespace

slot_actor spawn_slot(caf::actor_system& sys, engine_context_ptr ctx, uint32_t index) {
  return sys.spawn(slot, std::move(ctx), index);
}

}  // namespace troupe
