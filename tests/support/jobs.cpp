#include "support/jobs.hpp"

#include "schemas/lifecycle.hpp"

namespace troupe::test {

Job make_job(uint64_t id, Job::State state, const job_fields& fields) {
  Job job;
  job.set_id(id);
  auto* spec = job.mutable_spec();
  spec->set_kind(fields.kind);
  spec->set_user(fields.user);
  spec->set_batch(fields.batch);
  spec->set_priority(fields.priority);
  spec->set_max_attempts(fields.max_attempts);
  if (fields.run_at != 0) set_timestamp(spec->mutable_run_at(), fields.run_at);
  job.set_state(state);
  job.set_attempts(fields.attempts);
  job.set_ready_seq(fields.ready_seq);
  set_timestamp(job.mutable_created_at(), fields.created_at);
  auto* created = job.add_transitions();
  created->set_state(state);
  set_timestamp(created->mutable_at(), fields.created_at);
  created->set_attempt(fields.attempts);
  if (state == Job::RUNNING) {
    job.mutable_lease()->set_node(fields.node);
    job.mutable_lease()->set_attempt(fields.attempts);
  }
  if (lifecycle::is_terminal(state))
    set_timestamp(job.mutable_finished_at(),
                  fields.finished_at != 0 ? fields.finished_at : fields.created_at);
  return job;
}

}  // namespace troupe::test
