#pragma once
// The kinds that worker nodes registered when they joined (actors/scaling.cpp adds them): a submit of such a kind
// is accepted although the scheduling node cannot run it itself. Kept in memory: after a restart of the
// scheduling node, a worker-only kind is accepted again once a worker that runs it has joined. Thread-safe.

#include <mutex>
#include <set>
#include <string>
#include <vector>

namespace troupe {

class cluster_kinds {
 public:
  void add(const std::vector<std::string>& kinds) {
    std::lock_guard lock{mutex_};
    names_.insert(kinds.begin(), kinds.end());
  }
  bool contains(const std::string& kind) const {
    std::lock_guard lock{mutex_};
    return names_.count(kind) > 0;
  }
  std::vector<std::string> names() const {
    std::lock_guard lock{mutex_};
    return {names_.begin(), names_.end()};
  }

 private:
  mutable std::mutex mutex_;
  std::set<std::string> names_;
};

}  // namespace troupe
