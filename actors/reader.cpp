#include "actors/reader.hpp"

#include "actors/job_errors.hpp"
#include "storage/graph_queries.hpp"

#include <caf/actor_system.hpp>
#include <caf/typed_event_based_actor.hpp>

namespace troupe {

namespace {

// Most jobs in one page.
constexpr uint32_t max_page = 10'000;
// Most finished jobs one cleanup deletes (run it again for more).
constexpr size_t max_cleanup = 1'000'000;

reader_actor::behavior_type reader(reader_actor::pointer self, engine_context_ptr ctx) {
  return {
      [=](get_job_atom, job_id id) -> caf::result<Job> {
        Job job;
        auto s = ctx->store->get(id, &job);
        if (s.is_not_found()) return unknown_job(*ctx->store, id);
        if (!s) return make_error(ec::storage_failure, s.message());
        return job;
      },
      [=](list_atom, JobQuery& query) -> caf::result<JobPage> {
        if (query.limit() > max_page)
          return make_error(ec::invalid_argument,
                            "limit " + std::to_string(query.limit()) + " is over " + std::to_string(max_page));
        if (query.has_state() && !Job::State_IsValid(query.state()))
          return make_error(ec::invalid_argument, "unknown state " + std::to_string(int{query.state()}));
        JobPage page;
        if (auto s = ctx->store->list(query, &page); !s) return make_error(ec::storage_failure, s.message());
        return page;
      },
      [=](plan_atom, job_id id) -> caf::result<ExecutionPlan> {
        ExecutionPlan plan;
        auto s = storage::execution_plan(*ctx->store, id, storage::max_plan_steps, &plan);
        if (s.is_not_found()) return unknown_job(*ctx->store, id);
        if (!s) return make_error(ec::storage_failure, s.message());
        return plan;
      },
      [=](batch_atom, const std::string& batch) -> caf::result<BatchSummary> {
        BatchSummary summary;
        auto s = storage::batch_summary(*ctx->store, batch, &summary);
        if (s.is_not_found()) return make_error(ec::unknown_job, s.message());
        if (!s) return make_error(ec::storage_failure, s.message());
        return summary;
      },
      [=](cleanup_atom, const QueueControl& c) -> caf::result<std::vector<storage::history_entry>, uint64_t> {
        auto cutoff = ctx->wall->now() - to_micros(c.older_than());
        auto matches = [&](const Job& job) {
          return (!c.has_state() || job.state() == c.state()) && (c.kind().empty() || job.spec().kind() == c.kind());
        };
        std::vector<storage::history_entry> entries;
        uint64_t generation = 0;
        if (auto s = ctx->store->finished_before(cutoff, matches, max_cleanup, &entries, &generation); !s)
          return make_error(ec::storage_failure, s.message());
        if (auto s = storage::prepare_expiry(*ctx->store, &entries); !s)
          return make_error(ec::storage_failure, s.message());
        return {std::move(entries), generation};
      },
      [=](load_atom, const std::vector<job_id>& ids) -> caf::result<std::vector<Job>> {
        std::vector<Job> jobs;
        std::vector<bool> found;
        if (auto s = ctx->store->multi_get(ids, &jobs, &found); !s)
          return make_error(ec::storage_failure, s.message());
        for (size_t i = 0; i < ids.size(); ++i)
          if (!found[i]) jobs[i].set_id(ids[i]);
        return jobs;
      },
  };
}

}  // namespace

reader_actor spawn_reader(caf::actor_system& sys, engine_context_ptr ctx, bool detached) {
  if (detached) return sys.spawn<caf::detached>(reader, std::move(ctx));
  return sys.spawn(reader, std::move(ctx));
}

}  // namespace troupe
