#pragma once
// What the dependency manager knows about BLOCKED jobs, in memory: for each, how many of its parents are not
// terminal yet and whether it waits for a batch (a batch callback); for each unfinished parent, which jobs wait
// for it; for each batch with a waiting callback, which of its jobs are not terminal yet. Pure bookkeeping: the
// dependency actor feeds it what it read from the store and what the scheduler reports, and sends the decisions
// it returns to the scheduler, which carries them out only for jobs still BLOCKED in the store.
//
// Decisions are made once: a released or cancelled job leaves the graph at once. A cancellation cascades through
// the graph in one call (breadth first, no recursion), so a failed root cancels a chain of any depth in one
// commit. Every operation costs O(1) per edge or member it touches.

#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "schemas/troupe.pb.h"

namespace troupe {

struct dependency_decision {
  uint64_t id = 0;
  bool release = false;  // true: BLOCKED -> READY; false: BLOCKED -> CANCELLED
  std::string reason;
};

class dependency_graph {
 public:
  // A BLOCKED job as read from the store when it was registered.
  struct blocked_job {
    uint64_t id = 0;
    std::vector<uint64_t> pending_parents;  // parents not terminal at the time of the read
    uint64_t failed_parent = 0;             // a parent already terminal without success (0: none)
    std::string failed_reason;              // how it ended ("ended DEAD", "no longer exists")
    bool run_on_parent_failure = false;
    std::string callback_of;                // the batch it is the callback of, or empty
    std::vector<uint64_t> open_members;     // callback: the batch's jobs not terminal at the time of the read
  };

  // Adds a BLOCKED job; decides at once if nothing holds it. A job already known is ignored.
  void add(const blocked_job& job, std::vector<dependency_decision>* out);
  // Job `id` ended in `state` (terminal); `batch` is its batch. Releases or cancels the jobs that waited for it.
  void on_terminal(uint64_t id, Job::State state, std::string_view batch, std::vector<dependency_decision>* out);
  // A job of `batch` was stored while a callback of that batch waits: the callback waits for it too.
  void on_member_added(std::string_view batch, uint64_t id);
  // Drops what only BLOCKED jobs need (who waits for whom, watched batches) once no job is BLOCKED.
  void compact();

  // BLOCKED jobs the graph holds, and batches with a waiting callback.
  size_t blocked() const { return blocked_.size(); }
  size_t watched_batches() const { return batches_.size(); }
  bool knows(uint64_t id) const { return blocked_.count(id) > 0; }

 private:
  struct node {
    uint32_t pending = 0;  // parents not terminal
    bool run_on_parent_failure = false;
    bool waits_for_batch = false;
    std::string callback_of;  // the batch this job is the callback of
  };
  struct batch_watch {
    std::unordered_set<uint64_t> open;
    std::vector<uint64_t> callbacks;
  };

  // One parent of `child` is done (succeeded, or failed and the child runs anyway).
  void satisfy_parent(uint64_t child, std::vector<dependency_decision>* out);
  void release_if_free(uint64_t id, std::vector<dependency_decision>* out);
  // Job `failed` ended without success: cancels everything that waits for it, transitively, naming `root` (which
  // `how` describes) as the cause; jobs that run on parent failure count it as done instead.
  void cancel_cascade(uint64_t root, uint64_t failed, const std::string& how, std::vector<dependency_decision>* out);
  void finish_batch(std::unordered_map<std::string, batch_watch>::iterator it, std::vector<dependency_decision>* out);

  std::unordered_map<uint64_t, node> blocked_;
  std::unordered_map<uint64_t, std::vector<uint64_t>> waiting_for_;  // parent -> children that count it pending
  std::unordered_map<std::string, batch_watch> batches_;
};

}  // namespace troupe
