#include "actors/ready_queue.hpp"

#include <algorithm>

namespace troupe {

namespace {

// The index FIFOs (ready_queue::index_fifo) over a vector of items with a `next` field.
template <class Fifo, class Items>
void push_back(Fifo& q, Items& items, uint32_t i) {
  items[i].next = UINT32_MAX;
  if (q.empty()) {
    q.head = i;
  } else {
    items[q.tail].next = i;
  }
  q.tail = i;
}

template <class Fifo, class Items>
uint32_t pop_front(Fifo& q, Items& items) {
  uint32_t i = q.head;
  q.head = items[i].next;
  if (q.empty()) q.tail = UINT32_MAX;
  return i;
}

template <class Fifo, class Items>
void rotate(Fifo& q, Items& items) {
  push_back(q, items, pop_front(q, items));
}

// The id of `name`; a name seen for the first time gets the next one (the number of names before it).
template <class Names>
uint32_t intern(Names& ids, std::string_view name) {
  if (auto it = ids.find(name); it != ids.end()) return it->second;
  auto id = static_cast<uint32_t>(ids.size());
  ids.emplace(std::string{name}, id);
  return id;
}

// A user's or kind's weight and limit from the configuration.
template <class Party>
Party party_of(std::string_view name, const std::unordered_map<std::string, uint32_t>& weights,
               const std::unordered_map<std::string, uint32_t>& limits, uint32_t default_limit) {
  Party p;
  std::string key{name};
  if (auto it = weights.find(key); it != weights.end()) p.weight = std::max(it->second, uint32_t{1});
  auto it = limits.find(key);
  p.limit = it != limits.end() ? it->second : default_limit;
  return p;
}

}  // namespace

ready_queue::ready_queue(fair_share_config config)
    : config_(std::move(config)), level_count_(config_.strict_priority ? lane_count : 1) {}

bool ready_queue::kind_state::has_parked() const {
  return std::any_of(parked.begin(), parked.end(), [](const index_fifo& q) { return !q.empty(); });
}

ready_queue::flow_key ready_queue::key_of(std::string_view user, std::string_view kind) {
  flow_key key{intern(user_ids_, user), intern(kind_ids_, kind)};
  if (key.user == users_.size()) {
    users_.push_back(party_of<user_state>(user, config_.user_weights, config_.user_limits,
                                          config_.default_user_limit));
    shares_.resize(shares_.size() + level_count_);
  }
  if (key.kind == kinds_.size()) {
    kinds_.push_back(party_of<kind_state>(kind, config_.kind_weights, config_.kind_limits, 0));
  }
  return key;
}

uint32_t ready_queue::flow_of(flow_key key, int level) {
  auto [it, added] = flows_of_.try_emplace(uint64_t{key.user} << 32 | key.kind);
  if (added) it->second.fill(none);
  uint32_t& f = it->second[level];
  if (f == none) {
    f = static_cast<uint32_t>(flows_.size());
    flows_.emplace_back();
    flows_.back().key = key;
    flows_.back().level = level;
  }
  return f;
}

void ready_queue::push(int lane, uint64_t seq, uint64_t id, flow_key key, micros enqueued_at,
                       std::string record) {
  if (!caching_ || cached_bytes_ + record.size() > config_.cache_bytes) record = std::string{};
  append(flow_of(key, level_of(lane)), new_entry(queued{seq, id, enqueued_at, lane, none, std::move(record)}));
  ++kinds_[key.kind].queued;
}

size_t ready_queue::set_caching(bool on) {
  caching_ = on;
  if (on) return 0;
  size_t freed = cached_bytes_;
  for (auto& e : entries_) std::string{}.swap(e.record);
  cached_bytes_ = 0;
  return freed;
}

void ready_queue::remove(uint64_t id, int lane, uint64_t seq, flow_key key) {
  if (!removed_.emplace(id, seq).second) return;
  ++removed_in_lane_[lane];
  --kinds_[key.kind].queued;
}

void ready_queue::set_kind_paused(std::string_view name, bool paused) {
  auto k = key_of({}, name).kind;
  if (kinds_[k].paused == paused) return;
  kinds_[k].paused = paused;
  if (!paused) release_kind(k);
}

void ready_queue::set_kind_throttled(uint32_t k, bool throttled) {
  if (kinds_[k].throttled == throttled) return;
  kinds_[k].throttled = throttled;
  if (!throttled) release_kind(k);
}

void ready_queue::set_kind_unplaceable(uint32_t k, bool unplaceable) {
  if (kinds_[k].unplaceable == unplaceable) return;
  kinds_[k].unplaceable = unplaceable;
  if (!unplaceable) release_kind(k);
}

void ready_queue::set_user_throttled(uint32_t u, bool throttled) {
  if (users_[u].throttled == throttled) return;
  users_[u].throttled = throttled;
  if (!throttled) release_user(u);
}

void ready_queue::release_kind(uint32_t k) {
  auto& kind = kinds_[k];
  if (kind.at_limit()) return;  // parked flows stay until a place frees (finished)
  for (int level = 0; level < level_count_; ++level) {
    auto& parked = kind.parked[level];
    while (!parked.empty()) {
      uint32_t f = pop_front(parked, flows_);
      flows_[f].where = place::idle;
      if (drop_removed_heads(f)) activate_flow(f);
    }
  }
}

void ready_queue::release_user(uint32_t u) {
  auto& user = users_[u];
  if (user.at_limit()) return;
  for (int level = 0; user.parked_levels != 0; ++level) {
    if ((user.parked_levels & (1u << level)) == 0) continue;
    user.parked_levels &= uint8_t(~(1u << level));
    uint32_t s = u * level_count_ + level;
    shares_[s].where = place::idle;
    activate_share(s);
  }
}

namespace {

template <class Names>
const uint32_t* find_id(const Names& names, std::string_view name) {
  auto it = names.find(name);
  return it == names.end() ? nullptr : &it->second;
}

}  // namespace

bool ready_queue::kind_paused(std::string_view kind) const {
  auto* k = find_id(kind_ids_, kind);
  return k != nullptr && kinds_[*k].paused;
}

size_t ready_queue::queued_of_kind(std::string_view kind) const {
  auto* k = find_id(kind_ids_, kind);
  return k == nullptr ? 0 : kinds_[*k].queued;
}

size_t ready_queue::running_of_kind(std::string_view kind) const {
  auto* k = find_id(kind_ids_, kind);
  return k == nullptr ? 0 : kinds_[*k].running;
}

size_t ready_queue::running_of_user(std::string_view user) const {
  auto* u = find_id(user_ids_, user);
  return u == nullptr ? 0 : users_[*u].running;
}

std::vector<std::string> ready_queue::kinds() const {
  std::vector<std::string> out;
  for (const auto& [name, id] : kind_ids_) out.push_back(name);
  std::sort(out.begin(), out.end());
  return out;
}

size_t ready_queue::size() const {
  size_t n = 0;
  for (int lane = 0; lane < lane_count; ++lane) n += size(lane);
  return n;
}

// --- entries -------------------------------------------------------------------------------------------------

// An entry for a job: an unused one, or a new one at the end of the pool.
uint32_t ready_queue::new_entry(queued job) {
  if (free_ == none) {
    entries_.push_back(std::move(job));
    return static_cast<uint32_t>(entries_.size() - 1);
  }
  uint32_t e = free_;
  free_ = entries_[e].next;
  entries_[e] = std::move(job);
  return e;
}

void ready_queue::free_entry(uint32_t e) {
  entries_[e].record = std::string{};
  entries_[e].next = free_;
  free_ = e;
}

// Links an entry at the back of a flow (pushed, or moved up by aging); an idle flow joins its round.
void ready_queue::append(uint32_t f, uint32_t e) {
  const auto& job = entries_[e];
  cached_bytes_ += job.record.size();
  ++queued_[job.original_lane];
  auto& fl = flows_[f];
  if (fl.jobs.empty() && aging()) {
    auto& nonempty = levels_[fl.level].nonempty;
    fl.nonempty_at = static_cast<uint32_t>(nonempty.size());
    nonempty.push_back(f);
  }
  push_back(fl.jobs, entries_, e);
  if (fl.where == place::idle) activate_flow(f);
}

// Unlinks the head entry of a flow. The flow stays where it is: rounds and parked FIFOs drop empty flows when
// they reach them.
uint32_t ready_queue::take_front(uint32_t f) {
  auto& fl = flows_[f];
  uint32_t e = pop_front(fl.jobs, entries_);
  cached_bytes_ -= entries_[e].record.size();
  --queued_[entries_[e].original_lane];
  if (fl.jobs.empty() && aging()) {
    auto& nonempty = levels_[fl.level].nonempty;
    nonempty[fl.nonempty_at] = nonempty.back();
    flows_[nonempty.back()].nonempty_at = fl.nonempty_at;
    nonempty.pop_back();
    fl.nonempty_at = none;
  }
  return e;
}

// Drops the removed entries at the head of a flow; returns whether an entry is left.
bool ready_queue::drop_removed_heads(uint32_t f) {
  auto& jobs = flows_[f].jobs;
  while (!jobs.empty() && !removed_.empty() &&
         removed_.contains({entries_[jobs.head].id, entries_[jobs.head].seq})) {
    uint32_t e = take_front(f);
    removed_.erase({entries_[e].id, entries_[e].seq});
    --removed_in_lane_[entries_[e].original_lane];
    free_entry(e);
  }
  return !jobs.empty();
}

// --- rounds and parking --------------------------------------------------------------------------------------

// An idle flow joins its share's round with a fresh turn, or its kind's parked FIFO if the kind is at its limit.
void ready_queue::activate_flow(uint32_t f) {
  auto& fl = flows_[f];
  auto& kind = kinds_[fl.key.kind];
  if (kind.at_limit()) {
    fl.where = place::parked;
    push_back(kind.parked[fl.level], flows_, f);
    return;
  }
  fl.where = place::ready;
  fl.credit = kind.weight;
  uint32_t s = share_of(fl);
  push_back(shares_[s].flows, flows_, f);
  if (shares_[s].where == place::idle) activate_share(s);
}

// An idle share joins its level's round with a fresh turn, or is parked if its user is at its limit.
void ready_queue::activate_share(uint32_t s) {
  auto& user = users_[s / level_count_];
  int level = static_cast<int>(s % level_count_);
  if (user.at_limit()) {
    shares_[s].where = place::parked;
    user.parked_levels |= uint8_t(1u << level);
    return;
  }
  shares_[s].where = place::ready;
  shares_[s].credit = user.weight;
  push_back(levels_[level].shares, shares_, s);
}

// The share's first flow with an eligible entry; flows found empty leave the round, flows of a kind at its limit
// are parked. `none` when the round runs out.
uint32_t ready_queue::front_flow(share& s) {
  while (!s.flows.empty()) {
    uint32_t f = s.flows.head;
    bool kind_at_limit = kinds_[flows_[f].key.kind].at_limit();
    if (drop_removed_heads(f) && !kind_at_limit) return f;
    pop_front(s.flows, flows_);
    flows_[f].where = place::idle;
    if (!flows_[f].jobs.empty()) activate_flow(f);  // parks it
  }
  return none;
}

// Serves the next eligible job of a level: the first share of the round whose user is under its limit, and in it
// the first flow whose kind is; each passes its turn on once its credit is spent.
std::optional<ready_queue::popped> ready_queue::serve(int level) {
  auto& round = levels_[level].shares;
  while (!round.empty()) {
    uint32_t s = round.head;
    auto& sh = shares_[s];
    auto& user = users_[s / level_count_];
    if (user.at_limit()) {
      pop_front(round, shares_);
      activate_share(s);  // parks it
      continue;
    }
    uint32_t f = front_flow(sh);
    if (f == none) {
      pop_front(round, shares_);
      sh.where = place::idle;
      continue;
    }
    auto& fl = flows_[f];
    uint32_t e = take_front(f);
    auto& job = entries_[e];
    ++user.running;
    ++kinds_[fl.key.kind].running;
    --kinds_[fl.key.kind].queued;
    if (fl.jobs.empty()) {
      pop_front(sh.flows, flows_);
      fl.where = place::idle;
    } else if (--fl.credit == 0) {
      fl.credit = kinds_[fl.key.kind].weight;
      rotate(sh.flows, flows_);
    }
    if (sh.flows.empty()) {
      pop_front(round, shares_);
      sh.where = place::idle;
    } else if (--sh.credit == 0) {
      sh.credit = user.weight;
      rotate(round, shares_);
    }
    int lane = config_.strict_priority ? level : job.original_lane;
    popped out{entry{job.seq, job.id, std::move(job.record)}, lane, job.original_lane, fl.key};
    free_entry(e);
    return out;
  }
  return std::nullopt;
}

// Moves a kind's parked flows of a level back into their rounds, until one whose user is under its limit has
// moved; returns whether one did.
bool ready_queue::unpark(uint32_t kind, int level) {
  auto& parked = kinds_[kind].parked[level];
  while (!parked.empty()) {
    uint32_t f = pop_front(parked, flows_);
    flows_[f].where = place::idle;
    if (!drop_removed_heads(f)) continue;
    activate_flow(f);
    if (!users_[flows_[f].key.user].at_limit()) return true;
  }
  return false;
}

// When a level's round has run out: each kind with a free place and parked flows unparks one of the level's, in
// case the flow unparked for that place by finished() has since been parked with its user. Returns whether any
// flow was unparked.
bool ready_queue::feed_hungry(int level) {
  bool fed = false;
  for (size_t i = 0; i < hungry_.size();) {
    auto& kind = kinds_[hungry_[i]];
    if (kind.at_limit() || !kind.has_parked()) {
      kind.hungry = false;
      hungry_[i] = hungry_.back();
      hungry_.pop_back();
      continue;
    }
    fed = unpark(hungry_[i], level) || fed;
    ++i;
  }
  return fed;
}

bool ready_queue::may_start(flow_key key) const {
  return !users_[key.user].at_limit() && !kinds_[key.kind].at_limit();
}

void ready_queue::started(flow_key key) {
  ++users_[key.user].running;
  ++kinds_[key.kind].running;
}

void ready_queue::finished(flow_key key) {
  auto& user = users_[key.user];
  if (user.running > 0) --user.running;
  release_user(key.user);
  auto& kind = kinds_[key.kind];
  if (kind.running > 0) --kind.running;
  if (kind.at_limit() || !kind.has_parked()) return;
  // The place goes to the flow parked first in the highest level.
  for (int level = 0; level < level_count_; ++level) {
    if (unpark(key.kind, level)) break;
  }
  if (kind.has_parked() && !kind.hungry) {
    kind.hungry = true;
    hungry_.push_back(key.kind);
  }
}

// --- pop and aging -------------------------------------------------------------------------------------------

std::optional<ready_queue::popped> ready_queue::pop(micros now) {
  age(now);
  for (int level = 0; level < level_count_; ++level) {
    do {
      if (auto job = serve(level)) {
        levels_[level].served_at = now;
        return job;
      }
    } while (feed_hungry(level));
  }
  return std::nullopt;
}

// Moves up one level every entry that has been in its level longer than the threshold, unless the level was
// served within the threshold; at most every threshold/8. Entries enter a flow in time order (as long as the times
// given to push and pop do not go back), so each flow's head is its oldest.
void ready_queue::age(micros now) {
  micros threshold = config_.aging_threshold;
  if (!aging() || now < next_aging_) return;
  next_aging_ = now + std::max<micros>(threshold / 8, 1);
  for (int level = 1; level < level_count_; ++level) {
    if (levels_[level].served_at != INT64_MIN && now - levels_[level].served_at <= threshold) continue;
    auto& nonempty = levels_[level].nonempty;
    // Backwards: taking a flow's last entry moves the list's last flow, already visited, into its place.
    for (size_t i = nonempty.size(); i-- > 0;) {
      uint32_t f = nonempty[i];
      while (drop_removed_heads(f) && now - entries_[flows_[f].jobs.head].since > threshold) {
        uint32_t e = take_front(f);
        entries_[e].since = now;
        append(flow_of(flows_[f].key, level - 1), e);
        ++aged_;
      }
    }
  }
}

}  // namespace troupe
