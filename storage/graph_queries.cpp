#include "storage/graph_queries.hpp"

#include <algorithm>
#include <deque>
#include <unordered_map>
#include <vector>

#include "schemas/lifecycle.hpp"

namespace troupe::storage {

namespace {

// Jobs read from the store at once.
constexpr size_t read_chunk = 4096;

// The jobs of a plan as they are found, each once.
struct plan_nodes {
  struct node {
    uint64_t id = 0;
    bool found = false;
    Job job;
  };
  std::vector<node> nodes;
  std::unordered_map<uint64_t, size_t> position;
  size_t limit = 0;
  bool truncated = false;

  // Reads `ids` not seen yet and adds them (up to the limit); `added` receives the new positions.
  status add(const job_store& store, std::vector<uint64_t> ids, std::vector<size_t>* added) {
    std::erase_if(ids, [&](uint64_t id) { return position.count(id) > 0; });
    std::sort(ids.begin(), ids.end());
    ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
    if (nodes.size() + ids.size() > limit) {
      truncated = true;
      ids.resize(limit - std::min(limit, nodes.size()));
    }
    for (size_t from = 0; from < ids.size(); from += read_chunk) {
      std::vector<uint64_t> chunk(ids.begin() + from, ids.begin() + std::min(ids.size(), from + read_chunk));
      std::vector<Job> jobs;
      std::vector<bool> found;
      if (auto s = store.multi_get(chunk, &jobs, &found); !s) return s;
      for (size_t i = 0; i < chunk.size(); ++i) {
        position[chunk[i]] = nodes.size();
        added->push_back(nodes.size());
        nodes.push_back({chunk[i], found[i], std::move(jobs[i])});
      }
    }
    return status::ok();
  }
};

// Breadth first from `start`, following `next` (the parents or the children of a node) until nothing new.
template <class Next>
status explore(const job_store& store, plan_nodes& plan, size_t start, Next next) {
  std::vector<size_t> frontier{start};
  while (!frontier.empty() && !plan.truncated) {
    std::vector<uint64_t> ids;
    for (auto p : frontier)
      if (auto s = next(plan.nodes[p], &ids); !s) return s;
    frontier.clear();
    if (auto s = plan.add(store, std::move(ids), &frontier); !s) return s;
  }
  return status::ok();
}

}  // namespace

status execution_plan(const job_store& store, uint64_t id, size_t limit, ExecutionPlan* out) {
  out->Clear();
  out->set_job(id);
  plan_nodes plan;
  plan.limit = std::max<size_t>(limit, 1);
  Job root;
  if (auto s = store.get(id, &root); !s) return s;
  plan.position[id] = 0;
  plan.nodes.push_back({id, true, std::move(root)});

  auto parents = [](const plan_nodes::node& n, std::vector<uint64_t>* ids) {
    if (n.found) ids->insert(ids->end(), n.job.spec().dependencies().begin(), n.job.spec().dependencies().end());
    return status::ok();
  };
  auto children = [&](const plan_nodes::node& n, std::vector<uint64_t>* ids) {
    return store.children(n.id, [&](uint64_t child) {
      ids->push_back(child);
      return true;
    });
  };
  if (auto s = explore(store, plan, 0, parents); !s) return s;
  size_t ancestors_end = plan.nodes.size();  // positions [1, ancestors_end) are ancestors
  if (auto s = explore(store, plan, 0, children); !s) return s;

  // Edges inside the plan, then Kahn's algorithm: a topological order and each job's level.
  size_t n = plan.nodes.size();
  std::vector<std::vector<size_t>> kids(n);
  std::vector<size_t> waiting(n, 0);
  for (size_t i = 0; i < n; ++i) {
    if (!plan.nodes[i].found) continue;
    for (auto parent : plan.nodes[i].job.spec().dependencies()) {
      auto it = plan.position.find(parent);
      if (it == plan.position.end()) continue;
      kids[it->second].push_back(i);
      ++waiting[i];
    }
  }
  std::vector<uint32_t> level(n, 0);
  std::vector<size_t> best_parent(n, SIZE_MAX);
  std::vector<size_t> order;
  std::deque<size_t> free;
  for (size_t i = 0; i < n; ++i)
    if (waiting[i] == 0) free.push_back(i);
  while (!free.empty()) {
    auto v = free.front();
    free.pop_front();
    order.push_back(v);
    for (auto c : kids[v]) {
      if (best_parent[c] == SIZE_MAX || level[v] + 1 > level[c]) {
        level[c] = level[v] + 1;
        best_parent[c] = v;
      }
      if (--waiting[c] == 0) free.push_back(c);
    }
  }

  // The longest chain below each descendant (and the job), from the bottom of the order up.
  std::vector<uint32_t> below(n, 1);
  std::vector<size_t> best_child(n, SIZE_MAX);
  for (auto it = order.rbegin(); it != order.rend(); ++it) {
    auto v = *it;
    if (v != 0 && v < ancestors_end) continue;
    for (auto c : kids[v]) {
      if (c != 0 && c < ancestors_end) continue;
      if (below[c] + 1 > below[v]) {
        below[v] = below[c] + 1;
        best_child[v] = c;
      }
    }
  }
  std::vector<uint64_t> path;
  for (auto v = best_parent[0]; v != SIZE_MAX; v = best_parent[v]) path.push_back(plan.nodes[v].id);
  std::reverse(path.begin(), path.end());
  for (size_t v = 0; v != SIZE_MAX; v = best_child[v]) path.push_back(plan.nodes[v].id);
  out->set_critical_path_length(static_cast<uint32_t>(path.size()));
  for (auto v : path) out->add_critical_path(v);

  for (auto v : order) {
    const auto& node = plan.nodes[v];
    auto* step = out->add_steps();
    step->set_id(node.id);
    step->set_level(level[v]);
    if (!node.found) {
      step->set_deleted(true);
      continue;
    }
    step->set_ref(node.job.spec().ref());
    step->set_kind(node.job.spec().kind());
    step->set_state(node.job.state());
    *step->mutable_dependencies() = node.job.spec().dependencies();
  }
  out->set_truncated(plan.truncated);
  return status::ok();
}

status has_unfinished_child(const job_store& store, uint64_t parent, bool* out) {
  *out = false;
  return store.records_of([&](const job_store::id_sink& sink) { return store.children(parent, sink); },
                          [&](const Job& child) {
                            *out = !lifecycle::is_terminal(child.state());
                            return !*out;
                          });
}

status prepare_expiry(const job_store& store, std::vector<history_entry>* entries) {
  // Only jobs with relations need their record read; the rest are deleted by id alone.
  std::vector<uint64_t> ids;
  for (const auto& e : *entries)
    if (e.has_relations) ids.push_back(e.id);
  std::vector<Job> jobs;
  std::vector<bool> found;
  if (auto s = store.multi_get(ids, &jobs, &found); !s) return s;
  std::vector<history_entry> kept;
  kept.reserve(entries->size());
  size_t next = 0;
  for (auto& e : *entries) {
    if (e.has_relations) {
      auto i = next++;
      if (found[i]) {
        const auto& spec = jobs[i].spec();
        e.parents.assign(spec.dependencies().begin(), spec.dependencies().end());
        e.batch = spec.batch();
        e.batch_callback = spec.batch_callback();
        e.user = spec.user();
        e.idempotency_key = spec.idempotency_key();
      }
    }
    // Any job can be a parent, whether or not it has relations of its own.
    bool needed = false;
    if (auto s = has_unfinished_child(store, e.id, &needed); !s) return s;
    if (!needed) kept.push_back(std::move(e));
  }
  *entries = std::move(kept);
  return status::ok();
}

status batch_summary(const job_store& store, std::string_view batch, BatchSummary* out) {
  out->Clear();
  out->set_batch(std::string{batch});
  auto members = [&](const job_store::id_sink& sink) { return store.batch_members(batch, sink); };
  auto s = store.records_of(members, [&](const Job& job) {
    out->set_total(out->total() + 1);
    switch (job.state()) {
      case Job::SUCCEEDED: out->set_succeeded(out->succeeded() + 1); break;
      case Job::FAILED:
      case Job::DEAD: out->set_failed(out->failed() + 1); break;
      case Job::CANCELLED: out->set_cancelled(out->cancelled() + 1); break;
      case Job::RUNNING: out->set_running(out->running() + 1); break;
      default: out->set_pending(out->pending() + 1); break;
    }
    return true;
  });
  if (!s) return s;
  if (out->total() == 0) return status::not_found("batch '" + std::string{batch} + "' has no jobs");
  if (out->running() + out->pending() > 0) out->set_state(BatchSummary::ACTIVE);
  else if (out->succeeded() == out->total()) out->set_state(BatchSummary::SUCCEEDED);
  else out->set_state(BatchSummary::COMPLETE);

  auto callbacks = [&](const job_store::id_sink& sink) {
    return store.batch_callbacks(batch, [&](uint64_t id) { sink(id); });
  };
  return store.records_of(callbacks, [&](const Job& job) {
    auto* cb = out->add_callbacks();
    cb->set_id(job.id());
    cb->set_state(job.state());
    return true;
  });
}

}  // namespace troupe::storage
