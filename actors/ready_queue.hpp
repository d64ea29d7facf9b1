#pragma once
// The scheduler's in-memory ready queue, shared fairly. What it guarantees:
// - Priority is strict: no job is served from a lane while an eligible job waits in a higher one (lane 0,
//   CRITICAL, first). With strict_priority off, all jobs share one level (sizes still count them by lane).
// - Within a level, users take turns by weighted round robin (unit cost per job: a user of weight w gets w pops
//   per turn), and inside a user's turn its job kinds take turns the same way by kind weight. A user whose first
//   job arrives joins the back of the round at once, so a flood delays it by at most the other users' weights.
//   Within one (user, kind) flow, jobs leave in push order.
// - Limits: pop() counts the job it returns as running for its user and its kind, finished() uncounts it, and a
//   job is eligible only while both are under their limits; the queue never exceeds a limit. A user or kind at
//   its limit is parked (its flows skipped at no further cost) until finished() frees a place, so it never
//   blocks others. Work-conserving: pop() returns a job whenever one is eligible, and nullopt otherwise, even
//   with jobs queued.
// - Aging (strict priority, aging_threshold > 0): a job that has waited longer than the threshold in its lane
//   moves up one lane if its lane is starved: no job of the lane was served for the threshold either. (A lane
//   that is being served orders its own jobs by fair share: if its old jobs moved up, a user who flooded it would
//   jump ahead of every other user's newer jobs.) Checked inside pop() at most every threshold/8; a moved job
//   keeps counting in size() under the lane it was pushed with.
// - Removal is lazy: a removed job's entry is dropped when it reaches the head of its flow, but sizes count only
//   jobs still queued. An entry may carry the job's serialized record, within a byte budget.
// Cost: amortized O(1) per push, pop, remove and finished, whatever the number of users and jobs (a pop that finds
// no eligible job in a level also looks at the kinds that have a free place and parked flows); an aging check
// visits the head of each non-empty flow once. Memory: 64 bytes per queued job (plus its record) in one pool
// that keeps its high-water mark, and a few dozen bytes per user, kind and (user, kind, lane) flow seen. Not
// thread-safe: owned by the scheduler actor. Throws nothing but std::bad_alloc.

#include <array>
#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "schemas/lifecycle.hpp"
#include "schemas/time.hpp"

namespace troupe {

struct fair_share_config {
  bool strict_priority = true;
  size_t cache_bytes = 0;                                   // budget for records kept in entries
  micros aging_threshold = 0;                               // 0: no aging
  std::unordered_map<std::string, uint32_t> user_weights;   // missing (or 0): 1
  std::unordered_map<std::string, uint32_t> kind_weights;   // missing (or 0): 1
  uint32_t default_user_limit = 0;                          // running jobs per user, 0 = unlimited
  std::unordered_map<std::string, uint32_t> user_limits;    // overrides default_user_limit
  std::unordered_map<std::string, uint32_t> kind_limits;    // missing: unlimited
};

class ready_queue {
 public:
  struct entry {
    uint64_t seq = 0;
    uint64_t id = 0;
    std::string record;  // the READY record, or empty when not cached
  };
  // A flow's user and kind, interned by key_of().
  struct flow_key {
    uint32_t user = 0;
    uint32_t kind = 0;
    bool operator==(const flow_key&) const = default;
  };
  struct popped {
    entry job;
    int lane = 0;           // the lane it was served from (its own when strict_priority is off)
    int original_lane = 0;  // the lane it was pushed with
    flow_key key;
  };

  explicit ready_queue(fair_share_config config = {});

  // The key for a user and a job kind; the same strings always give the same key.
  flow_key key_of(std::string_view user, std::string_view kind);

  // Queues a job; `enqueued_at` starts its aging. `record` is kept if the cache budget allows, dropped otherwise.
  // REQUIRES: 0 <= lane < lifecycle::lane_count; `key` from key_of(); the job is not queued already.
  void push(int lane, uint64_t seq, uint64_t id, flow_key key, micros enqueued_at, std::string record = {});
  // Whether a record of `bytes` would be kept if it were pushed now: a caller skips copying one that would not.
  bool would_cache(size_t bytes) const { return caching_ && cached_bytes_ + bytes <= config_.cache_bytes; }
  // Marks a queued job as removed; its entry is dropped when it reaches the head of its flow. The entry is the
  // one pushed with `seq`: a job queued again later (a new seq) is not affected.
  // REQUIRES: the job is queued, was pushed with `lane`, `seq` and `key`, and is not removed already.
  void remove(uint64_t id, int lane, uint64_t seq, flow_key key);

  // Pauses or resumes a kind: while paused, none of its jobs is popped (or may start), as if it were at a limit
  // of 0; resuming lets its queued jobs back into their rounds.
  void set_kind_paused(std::string_view kind, bool paused);
  bool kind_paused(std::string_view kind) const;
  // Throttles a kind or a user (a rate limit's bucket is empty) or lets it go again; like a pause, but kept apart
  // from the operator's.
  void set_kind_throttled(uint32_t kind, bool throttled);
  void set_user_throttled(uint32_t user, bool throttled);
  // Marks a kind as having no free slot that runs it (no pool with a free slot runs it), or lets it go again;
  // like a throttle, but kept apart from it. The scheduler's placement (actors/scheduler_pools.cpp) keeps it.
  void set_kind_unplaceable(uint32_t kind, bool unplaceable);
  // The number of kinds interned so far (kind keys are 0 .. kind_count() - 1).
  size_t kind_count() const { return kinds_.size(); }
  // Queued (not removed) and running jobs of a kind, by name; 0 for a kind never seen.
  size_t queued_of_kind(std::string_view kind) const;
  size_t running_of_kind(std::string_view kind) const;
  // Running jobs of a user, by name; 0 for a user never seen.
  size_t running_of_user(std::string_view user) const;
  // The kinds seen so far.
  std::vector<std::string> kinds() const;
  // The next eligible job, skipping removed ones, counted as running for its user and kind until finished().
  // `now` drives aging.
  std::optional<popped> pop(micros now);

  // Whether a job of `key` is under both limits (for jobs dispatched without the queue).
  bool may_start(flow_key key) const;
  // Counts a job dispatched without the queue as running.
  void started(flow_key key);
  // A running job (popped or started) ended: frees its place under both limits.
  void finished(flow_key key);

  // Jobs queued by the lane they were pushed with, or in all lanes (removed ones not counted).
  size_t size(int lane) const { return queued_[lane] - removed_in_lane_[lane]; }
  size_t size() const;
  bool empty() const { return size() == 0; }
  size_t cached_bytes() const { return cached_bytes_; }
  // Memory pressure (admission held): off drops every record kept in entries (their jobs' records are read back
  // from the store when claimed) and keeps no new ones until it is on again. Returns the bytes it freed.
  size_t set_caching(bool on);
  // Jobs moved up a lane by aging, since construction (a job moved twice counts twice).
  uint64_t aged() const { return aged_; }

 private:
  static constexpr int lane_count = lifecycle::lane_count;
  static constexpr uint32_t none = UINT32_MAX;

  // A FIFO of indices into a vector whose items link it through their `next` field: no allocation.
  struct index_fifo {
    uint32_t head = none;
    uint32_t tail = none;
    bool empty() const { return head == none; }
  };
  // Where a flow or share is: in no FIFO, in its round, or parked because of a limit.
  enum class place : uint8_t { idle, ready, parked };

  // A queued job, in the pool entries_, linked to the next one of its flow (or of the free list).
  struct queued {
    uint64_t seq = 0;
    uint64_t id = 0;
    micros since = 0;  // when it entered the lane it is in
    int original_lane = 0;
    uint32_t next = none;
    std::string record;
  };
  // The jobs of one (user, kind) in one level. Ready: in its share's round; parked: in its kind's parked FIFO.
  struct flow {
    index_fifo jobs;  // entries, oldest first
    flow_key key;
    int level = 0;
    uint32_t credit = 0;  // pops left in its turn
    uint32_t next = none;
    place where = place::idle;
    uint32_t nonempty_at = none;  // position in its level's nonempty list, when aging is on
  };
  // One user in one level: a round of its flows. Ready: in the level's round; parked: its user is at its limit.
  struct share {
    index_fifo flows;
    uint32_t credit = 0;
    uint32_t next = none;
    place where = place::idle;
  };
  struct party {
    uint32_t weight = 1;
    uint32_t limit = 0;  // 0: unlimited
    uint32_t running = 0;
    bool paused = false;     // kinds only: set_kind_paused
    bool throttled = false;  // a rate limit's bucket is empty
    bool unplaceable = false;  // kinds only: no free slot runs it
    size_t queued = 0;       // kinds only: queued, not removed
    bool at_limit() const { return paused || throttled || unplaceable || (limit != 0 && running >= limit); }
  };
  struct user_state : party {
    uint8_t parked_levels = 0;  // bit per level whose share is parked
  };
  struct kind_state : party {
    std::array<index_fifo, lane_count> parked;  // per level, flows parked while the kind was at its limit
    bool hungry = false;                         // in hungry_
    bool has_parked() const;
  };
  struct level_state {
    index_fifo shares;              // the round of users
    std::vector<uint32_t> nonempty;  // flows holding entries, kept when aging is on
    micros served_at = INT64_MIN;    // when pop() last returned a job of this level
  };
  struct string_hash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  using names = std::unordered_map<std::string, uint32_t, string_hash, std::equal_to<>>;

  int level_of(int lane) const { return config_.strict_priority ? lane : 0; }
  bool aging() const { return config_.aging_threshold > 0 && level_count_ > 1; }
  uint32_t share_of(const flow& f) const { return f.key.user * level_count_ + f.level; }
  uint32_t flow_of(flow_key key, int level);

  uint32_t new_entry(queued job);
  void free_entry(uint32_t e);
  void append(uint32_t f, uint32_t e);
  uint32_t take_front(uint32_t f);
  bool drop_removed_heads(uint32_t f);
  void activate_flow(uint32_t f);
  void activate_share(uint32_t s);
  uint32_t front_flow(share& s);
  std::optional<popped> serve(int level);
  bool unpark(uint32_t kind, int level);
  // A kind or user no longer at a limit (resumed, unthrottled): its parked flows or shares back into the rounds.
  void release_kind(uint32_t kind);
  void release_user(uint32_t user);
  bool feed_hungry(int level);
  void age(micros now);

  fair_share_config config_;
  int level_count_;
  names user_ids_;
  names kind_ids_;
  std::vector<user_state> users_;
  std::vector<kind_state> kinds_;
  std::vector<share> shares_;  // user * level_count_ + level
  std::vector<flow> flows_;
  std::deque<queued> entries_;  // queued jobs and unused entries (linked from free_); grows without copying
  uint32_t free_ = none;
  std::unordered_map<uint64_t, std::array<uint32_t, lane_count>> flows_of_;  // (user, kind) -> flow per level
  std::array<level_state, lane_count> levels_;
  std::vector<uint32_t> hungry_;  // kinds that got a free place while flows of theirs were parked
  struct removed_hash {
    size_t operator()(const std::pair<uint64_t, uint64_t>& x) const {
      return std::hash<uint64_t>{}(x.first * 0x9e3779b97f4a7c15ULL ^ x.second);
    }
  };
  std::unordered_set<std::pair<uint64_t, uint64_t>, removed_hash> removed_;  // (id, seq) of removed entries
  std::array<size_t, lane_count> queued_{};  // entries held, by original lane, removed ones included
  std::array<size_t, lane_count> removed_in_lane_{};
  size_t cached_bytes_ = 0;
  bool caching_ = true;
  uint64_t aged_ = 0;
  micros next_aging_ = INT64_MIN;
};

}  // namespace troupe
