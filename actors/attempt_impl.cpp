#include "actors/attempt_impl.hpp"

#include <exception>

#include <caf/actor_cast.hpp>
#include <caf/send.hpp>

namespace troupe {

attempt_impl::attempt_impl(Job job, uint64_t token, caf::weak_actor_ptr slot, std::shared_ptr<worker_pool> workers)
    : job_(std::move(job)), token_(token), slot_(std::move(slot)), workers_(std::move(workers)) {}

void attempt_impl::send_to_slot(outcome result) {
  auto slot = caf::actor_cast<slot_actor>(caf::actor_cast<caf::strong_actor_ptr>(slot_));
  if (slot) caf::anon_send(slot, finished_atom::value, token_, std::move(result));
}

void attempt_impl::finish(outcome result) {
  if (claimed_.exchange(true) || stopped()) return;
  int expected = starting;
  inline_outcome_ = std::move(result);
  if (phase_.compare_exchange_strong(expected, finished_in_start)) return;  // the slot picks it up
  send_to_slot(std::move(inline_outcome_));
}

void attempt_impl::finish_after(std::chrono::microseconds delay, outcome result) {
  if (claimed_.exchange(true) || stopped()) return;
  auto slot = caf::actor_cast<slot_actor>(caf::actor_cast<caf::strong_actor_ptr>(slot_));
  if (slot) caf::delayed_anon_send(slot, delay, finished_atom::value, token_, std::move(result));
}

void attempt_impl::run_blocking(std::function<outcome(const attempt&)> work) {
  workers_->post([self = shared_from_this(), work = std::move(work)] {
    if (self->stopped()) return;
    outcome result;
    try {
      result = work(*self);
    } catch (const std::exception& e) {
      result = outcome::failure(std::string{"the kind threw: "} + e.what());
    } catch (...) {
      result = outcome::failure("the kind threw an unknown exception");
    }
    self->finish(std::move(result));
  });
}

std::optional<outcome> attempt_impl::take_inline_outcome() {
  int expected = starting;
  if (phase_.compare_exchange_strong(expected, running)) return std::nullopt;
  return std::move(inline_outcome_);
}

}  // namespace troupe
