#include "actors/dependency.hpp"

#include <algorithm>
#include <unordered_map>

#include <caf/actor_system.hpp>
#include <caf/stateful_actor.hpp>
#include <caf/typed_event_based_actor.hpp>

#include "schemas/lifecycle.hpp"

namespace troupe {

namespace {

// BLOCKED jobs read from the store at once.
constexpr size_t register_chunk = 4096;

struct dependency_state {
  static inline const char* name = "troupe.dependency";
  engine_context_ptr ctx;
  dependency_graph graph;
};

using dependency_self = dependency_actor::stateful_pointer<dependency_state>;

caf::error storage_error(const storage::status& s) { return make_error(ec::storage_failure, s.message()); }

// The states of `ids` (found[i] false: the job does not exist).
storage::status read_states(const storage::job_store& store, const std::vector<job_id>& ids,
                            std::unordered_map<job_id, std::optional<Job::State>>* out) {
  std::vector<Job> jobs;
  std::vector<bool> found;
  if (auto s = store.multi_get(ids, &jobs, &found); !s) return s;
  for (size_t i = 0; i < ids.size(); ++i)
    (*out)[ids[i]] = found[i] ? std::optional{jobs[i].state()} : std::nullopt;
  return storage::status::ok();
}

// The batch's jobs that are not terminal, other than `self_id`.
storage::status open_members(const storage::job_store& store, const std::string& batch, job_id self_id,
                             std::vector<job_id>* out) {
  auto members = [&](const storage::job_store::id_sink& sink) { return store.batch_members(batch, sink); };
  return store.records_of(members, [&](const Job& job) {
    if (job.id() != self_id && !lifecycle::is_terminal(job.state())) out->push_back(job.id());
    return true;
  });
}

// Reads BLOCKED jobs and what they wait for, and adds them to the graph.
caf::error register_blocked(dependency_state& st, const std::vector<job_id>& ids,
                            std::vector<dependency_decision>* out) {
  const auto& store = *st.ctx->store;
  std::vector<Job> jobs;
  std::vector<bool> found;
  if (auto s = store.multi_get(ids, &jobs, &found); !s) return storage_error(s);
  std::vector<job_id> parents;
  for (size_t i = 0; i < ids.size(); ++i)
    if (found[i] && jobs[i].state() == Job::BLOCKED)
      parents.insert(parents.end(), jobs[i].spec().dependencies().begin(), jobs[i].spec().dependencies().end());
  std::sort(parents.begin(), parents.end());
  parents.erase(std::unique(parents.begin(), parents.end()), parents.end());
  std::unordered_map<job_id, std::optional<Job::State>> states;
  if (auto s = read_states(store, parents, &states); !s) return storage_error(s);
  for (size_t i = 0; i < ids.size(); ++i) {
    if (!found[i] || jobs[i].state() != Job::BLOCKED) continue;  // no longer waiting (cancelled meanwhile)
    const auto& spec = jobs[i].spec();
    dependency_graph::blocked_job b;
    b.id = ids[i];
    b.run_on_parent_failure = spec.on_parent_failure() == JobSpec::RUN;
    for (auto parent : spec.dependencies()) {
      const auto& state = states[parent];
      if (state && !lifecycle::is_terminal(*state)) {
        b.pending_parents.push_back(parent);
      } else if (!state || *state != Job::SUCCEEDED) {
        if (b.failed_parent == 0) {
          b.failed_parent = parent;
          b.failed_reason = state ? std::string{"ended "} + Job::State_Name(*state) : "no longer exists";
        }
      }
    }
    if (!spec.batch_callback().empty()) {
      b.callback_of = spec.batch_callback();
      if (auto s = open_members(store, b.callback_of, b.id, &b.open_members); !s) return storage_error(s);
    }
    st.graph.add(b, out);
  }
  return caf::none;
}

caf::result<std::vector<dependency_decision>> on_report(dependency_self self, std::vector<dependency_event>& events) {
  auto& st = self->state;
  std::vector<dependency_decision> out;
  std::vector<job_id> to_register;
  auto flush_registrations = [&]() -> caf::error {
    if (to_register.empty()) return caf::none;
    auto err = register_blocked(st, to_register, &out);
    to_register.clear();
    return err;
  };
  // In report order: a registration reads the store as it is after every earlier event of the report.
  for (auto& e : events) {
    // A job of a batch that was stored (BLOCKED or not): a callback of that batch waits for it too.
    if (!e.batch.empty() && !lifecycle::is_terminal(e.state)) st.graph.on_member_added(e.batch, e.id);
    if (e.state == Job::BLOCKED) {
      to_register.push_back(e.id);
      if (to_register.size() < register_chunk) continue;
    }
    if (auto err = flush_registrations()) return err;
    if (e.state == Job::BLOCKED) continue;
    if (lifecycle::is_terminal(e.state)) st.graph.on_terminal(e.id, e.state, e.batch, &out);
  }
  if (auto err = flush_registrations()) return err;
  st.graph.compact();
  return out;
}

dependency_actor::behavior_type dependency_manager(dependency_self self, engine_context_ptr ctx) {
  self->state.ctx = std::move(ctx);
  return {
      [=](deps_atom, std::vector<dependency_event>& events) { return on_report(self, events); },
  };
}

}  // namespace

dependency_actor spawn_dependency_manager(caf::actor_system& sys, engine_context_ptr ctx, bool detached) {
  if (detached) return sys.spawn<caf::detached>(dependency_manager, std::move(ctx));
  return sys.spawn(dependency_manager, std::move(ctx));
}

}  // namespace troupe
