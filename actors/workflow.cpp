#include "actors/workflow.hpp"

#include <algorithm>
#include <deque>
#include <string_view>
#include <unordered_map>
#include <unordered_set>

#include <fmt/format.h>

#include "troupe/error.hpp"

namespace troupe {

namespace {

constexpr size_t max_ref_bytes = 256;

// "job 3 of 5 (ref 'load')", or for a request of one job "ref 'load'" or nothing.
std::string label(const std::vector<JobSpec>& specs, size_t i) {
  std::string out = specs.size() == 1 ? std::string{} : fmt::format("job {} of {}", i + 1, specs.size());
  if (!specs[i].ref().empty()) out += fmt::format("{}ref '{}'", out.empty() ? "" : ", ", specs[i].ref());
  return out;
}

caf::error invalid(const std::vector<JobSpec>& specs, size_t i, const std::string& message) {
  auto where = label(specs, i);
  return make_error(ec::invalid_argument, where.empty() ? message : where + ": " + message);
}

// Removes repeated values, keeping the first of each.
template <class Repeated>
void drop_repeats(Repeated* values) {
  std::unordered_set<typename Repeated::value_type> seen;
  int kept = 0;
  for (int i = 0; i < values->size(); ++i)
    if (seen.insert(values->Get(i)).second) values->SwapElements(kept++, i);
  values->Truncate(kept);
}

template <>
void drop_repeats(google::protobuf::RepeatedPtrField<std::string>* values) {
  std::unordered_set<std::string> seen;
  int kept = 0;
  for (int i = 0; i < values->size(); ++i)
    if (seen.insert(values->Get(i)).second) values->SwapElements(kept++, i);
  while (values->size() > kept) values->RemoveLast();
}

// A cycle among jobs that wait for each other (`after[i]`: the jobs i waits for), or empty. Iterative: Kahn's
// algorithm peels off every job not on or behind a cycle; from any job left, following what it waits for among
// the jobs left must come back to a job already seen.
std::vector<size_t> find_cycle(const std::vector<std::vector<size_t>>& after) {
  size_t n = after.size();
  std::vector<size_t> waits(n);
  std::vector<std::vector<size_t>> waited_by(n);
  for (size_t i = 0; i < n; ++i) {
    waits[i] = after[i].size();
    for (auto parent : after[i]) waited_by[parent].push_back(i);
  }
  std::deque<size_t> free;
  for (size_t i = 0; i < n; ++i)
    if (waits[i] == 0) free.push_back(i);
  size_t done = 0;
  while (!free.empty()) {
    auto v = free.front();
    free.pop_front();
    ++done;
    for (auto u : waited_by[v])
      if (--waits[u] == 0) free.push_back(u);
  }
  if (done == n) return {};
  size_t start = 0;
  while (waits[start] == 0) ++start;
  std::unordered_map<size_t, size_t> position;
  std::vector<size_t> path;
  for (auto x = start; position.count(x) == 0;) {
    position[x] = path.size();
    path.push_back(x);
    x = *std::find_if(after[x].begin(), after[x].end(), [&](size_t p) { return waits[p] > 0; });
    if (position.count(x) > 0) {
      std::vector<size_t> cycle(path.begin() + position[x], path.end());
      cycle.push_back(x);
      return cycle;
    }
  }
  return {};
}

std::string describe_cycle(const std::vector<JobSpec>& specs, const std::vector<size_t>& cycle) {
  std::string out;
  for (auto i : cycle) out += fmt::format("{}'{}'", out.empty() ? "" : " -> ", specs[i].ref());
  return out;
}

caf::error check_refs(std::vector<JobSpec>& specs, std::vector<std::vector<size_t>>* after) {
  std::unordered_map<std::string, size_t> by_ref;
  for (size_t i = 0; i < specs.size(); ++i) {
    const auto& ref = specs[i].ref();
    if (ref.empty()) continue;
    if (ref.size() > max_ref_bytes) return invalid(specs, i, "ref is longer than 256 bytes");
    auto [it, added] = by_ref.emplace(ref, i);
    if (!added)
      return invalid(specs, i, fmt::format("ref '{}' is already used by job {} of this request", ref, it->second + 1));
  }
  after->assign(specs.size(), {});
  for (size_t i = 0; i < specs.size(); ++i) {
    drop_repeats(specs[i].mutable_after());
    for (const auto& name : specs[i].after()) {
      auto it = by_ref.find(name);
      if (it == by_ref.end())
        return invalid(specs, i, fmt::format("after names '{}', which is not the ref of a job in this request", name));
      if (it->second == i) return invalid(specs, i, fmt::format("after names the job's own ref '{}'", name));
      (*after)[i].push_back(it->second);
    }
  }
  if (auto cycle = find_cycle(*after); !cycle.empty())
    return make_error(ec::invalid_argument,
                      "dependency cycle: " + describe_cycle(specs, cycle) + " (each waits for the next)");
  return caf::none;
}

caf::error check_stored_dependencies(std::vector<JobSpec>& specs, const storage::job_store& store) {
  std::vector<uint64_t> ids;
  std::unordered_map<uint64_t, size_t> first_user;  // dependency -> the first job naming it
  for (size_t i = 0; i < specs.size(); ++i) {
    drop_repeats(specs[i].mutable_dependencies());
    if (static_cast<size_t>(specs[i].dependencies_size()) + specs[i].after_size() > max_dependencies_per_job)
      return invalid(specs, i, fmt::format("more than {} dependencies", max_dependencies_per_job));
    for (auto id : specs[i].dependencies())
      if (first_user.emplace(id, i).second) ids.push_back(id);
  }
  std::vector<Job> jobs;
  std::vector<bool> found;
  if (auto s = store.multi_get(ids, &jobs, &found); !s) return make_error(ec::storage_failure, s.message());
  for (size_t k = 0; k < ids.size(); ++k) {
    if (found[k]) continue;
    auto why = store.issued(ids[k]) ? "was deleted (finished jobs are deleted by retention)"
                                    : "is not a job on this node";
    return invalid(specs, first_user[ids[k]], fmt::format("dependency {} {}", ids[k], why));
  }
  return caf::none;
}

caf::error check_batches(const std::vector<JobSpec>& specs, const storage::job_store& store) {
  std::unordered_set<std::string> in_request;
  for (size_t i = 0; i < specs.size(); ++i) {
    for (const auto* name : {&specs[i].batch(), &specs[i].batch_callback()})
      if (name->find('\0') != std::string::npos) return invalid(specs, i, "a batch name contains a NUL byte");
    if (specs[i].batch_callback().size() > 256) return invalid(specs, i, "batch_callback is longer than 256 bytes");
    if (!specs[i].batch().empty()) in_request.insert(specs[i].batch());
  }
  for (size_t i = 0; i < specs.size(); ++i) {
    const auto& batch = specs[i].batch_callback();
    if (batch.empty()) continue;
    if (batch == specs[i].batch())
      return invalid(specs, i, fmt::format("a batch callback cannot belong to the batch it waits for ('{}')", batch));
    if (in_request.count(batch) > 0) continue;
    bool any = false;
    if (auto s = store.batch_members(batch, [&](uint64_t) { return !(any = true); }); !s)
      return make_error(ec::storage_failure, s.message());
    if (!any) return invalid(specs, i, fmt::format("batch_callback: batch '{}' has no jobs", batch));
  }
  return caf::none;
}

}  // namespace

caf::error validate_relations(std::vector<JobSpec>& specs, const storage::job_store& store) {
  // Most requests name no relations: then only the batch names need a look.
  bool refs = std::any_of(specs.begin(), specs.end(),
                          [](const JobSpec& s) { return !s.ref().empty() || s.after_size() > 0; });
  bool stored =
      std::any_of(specs.begin(), specs.end(), [](const JobSpec& s) { return s.dependencies_size() > 0; });
  std::vector<std::vector<size_t>> after;
  if (refs)
    if (auto err = check_refs(specs, &after)) return err;
  if (stored)
    if (auto err = check_stored_dependencies(specs, store)) return err;
  return check_batches(specs, store);
}

bool waits_for_something(const JobSpec& spec) {
  return spec.dependencies_size() > 0 || spec.after_size() > 0 || !spec.batch_callback().empty();
}

void resolve_refs(std::vector<JobSpec>& specs, const std::vector<uint64_t>& ids) {
  std::unordered_map<std::string_view, uint64_t> id_of;
  for (size_t i = 0; i < specs.size(); ++i)
    if (!specs[i].ref().empty()) id_of.emplace(specs[i].ref(), ids[i]);
  for (auto& spec : specs) {
    for (const auto& name : spec.after()) spec.add_dependencies(id_of.at(name));
    spec.clear_after();
  }
}

}  // namespace troupe
