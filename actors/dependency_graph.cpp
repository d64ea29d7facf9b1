#include "actors/dependency_graph.hpp"

#include <deque>
#include <utility>

namespace troupe {

void dependency_graph::add(const blocked_job& job, std::vector<dependency_decision>* out) {
  if (blocked_.count(job.id) > 0) return;
  node n;
  n.pending = static_cast<uint32_t>(job.pending_parents.size());
  n.run_on_parent_failure = job.run_on_parent_failure;
  n.waits_for_batch = !job.callback_of.empty();
  n.callback_of = job.callback_of;
  blocked_.emplace(job.id, n);
  for (auto parent : job.pending_parents) waiting_for_[parent].push_back(job.id);
  if (job.failed_parent != 0 && !job.run_on_parent_failure) {
    blocked_.erase(job.id);
    out->push_back({job.id, false, "parent job " + std::to_string(job.failed_parent) + " " + job.failed_reason});
    cancel_cascade(job.id, job.id, "ended CANCELLED", out);
    return;
  }
  if (!job.callback_of.empty()) {
    auto [it, _] = batches_.try_emplace(job.callback_of);
    it->second.open.insert(job.open_members.begin(), job.open_members.end());
    it->second.callbacks.push_back(job.id);
    if (it->second.open.empty()) finish_batch(it, out);
    return;
  }
  release_if_free(job.id, out);
}

void dependency_graph::on_terminal(uint64_t id, Job::State state, std::string_view batch,
                                   std::vector<dependency_decision>* out) {
  // A BLOCKED job that ended (cancelled by a client) waits for nothing any more.
  if (auto it = blocked_.find(id); it != blocked_.end()) {
    if (auto w = batches_.find(it->second.callback_of); w != batches_.end()) {
      std::erase(w->second.callbacks, id);
      if (w->second.callbacks.empty()) batches_.erase(w);
    }
    blocked_.erase(it);
  }
  if (state == Job::SUCCEEDED) {
    if (auto it = waiting_for_.find(id); it != waiting_for_.end()) {
      auto children = std::move(it->second);
      waiting_for_.erase(it);
      for (auto child : children) satisfy_parent(child, out);
    }
  } else {
    cancel_cascade(id, id, std::string{"ended "} + Job::State_Name(state), out);
  }
  if (batch.empty()) return;
  auto it = batches_.find(std::string{batch});
  if (it == batches_.end()) return;
  it->second.open.erase(id);
  if (it->second.open.empty()) finish_batch(it, out);
}

void dependency_graph::on_member_added(std::string_view batch, uint64_t id) {
  auto it = batches_.find(std::string{batch});
  if (it != batches_.end()) it->second.open.insert(id);
}

void dependency_graph::compact() {
  if (!blocked_.empty()) return;
  waiting_for_.clear();
  batches_.clear();
}

void dependency_graph::satisfy_parent(uint64_t child, std::vector<dependency_decision>* out) {
  auto it = blocked_.find(child);
  if (it == blocked_.end()) return;  // decided already (cancelled through another parent)
  if (it->second.pending > 0) --it->second.pending;
  release_if_free(child, out);
}

void dependency_graph::release_if_free(uint64_t id, std::vector<dependency_decision>* out) {
  auto it = blocked_.find(id);
  if (it == blocked_.end() || it->second.pending > 0 || it->second.waits_for_batch) return;
  blocked_.erase(it);
  out->push_back({id, true, "dependencies done"});
}

void dependency_graph::cancel_cascade(uint64_t root, uint64_t failed, const std::string& how,
                                      std::vector<dependency_decision>* out) {
  // Breadth first over the jobs that wait for a failed one: each is cancelled (or, if it runs on parent
  // failure, counts that parent as done) and, once cancelled, fails the jobs that wait for it in turn.
  std::deque<uint64_t> failed_jobs{failed};
  while (!failed_jobs.empty()) {
    auto current = failed_jobs.front();
    failed_jobs.pop_front();
    auto it = waiting_for_.find(current);
    if (it == waiting_for_.end()) continue;
    auto children = std::move(it->second);
    waiting_for_.erase(it);
    for (auto child : children) {
      auto c = blocked_.find(child);
      if (c == blocked_.end()) continue;
      if (c->second.run_on_parent_failure) {
        satisfy_parent(child, out);
        continue;
      }
      blocked_.erase(c);
      std::string reason = current == root
                               ? "parent job " + std::to_string(root) + " " + how
                               : "ancestor job " + std::to_string(root) + " " + how + " (through job " +
                                     std::to_string(current) + ")";
      out->push_back({child, false, std::move(reason)});
      failed_jobs.push_back(child);
    }
  }
}

void dependency_graph::finish_batch(std::unordered_map<std::string, batch_watch>::iterator it,
                                    std::vector<dependency_decision>* out) {
  auto callbacks = std::move(it->second.callbacks);
  batches_.erase(it);
  for (auto id : callbacks) {
    auto c = blocked_.find(id);
    if (c == blocked_.end()) continue;
    c->second.waits_for_batch = false;
    release_if_free(id, out);
  }
}

}  // namespace troupe
