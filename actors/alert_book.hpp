#pragma once
// The alerts' state machine and memory (docs/metrics.md, "Alerts"), pure: no actor, no store, no clock of its
// own. Lives inside the alert actor. Per alert key (rule[:subject]):
//   inactive --firing for alertForMs--> ACTIVE (a new Alert, id "rule[:subject]-<fired_at_us>")
//   ACTIVE   --clear for alertForMs--> RESOLVED (kept in the history; the key is inactive again)
// Times are the samples' `at` (never a wall clock), so a sequence of samples always gives the same alerts. A
// reading inside the hysteresis band restarts the count toward resolving; a reading that is not firing restarts
// the count toward firing; a key with no reading in a sample keeps its state.
// Invariants: at most one ACTIVE alert per key; at most `history_kept` RESOLVED alerts (the oldest go first).

#include <map>
#include <optional>
#include <string>
#include <vector>

#include <caf/expected.hpp>

#include "actors/alert_rules.hpp"
#include "schemas/time.hpp"

namespace troupe {

// What a call changed: alerts that fired or resolved (for the webhook), records to write and ids to delete.
struct alert_changes {
  std::vector<Alert> fired = {};
  std::vector<Alert> resolved = {};
  std::vector<Alert> written = {};
  std::vector<std::string> erased = {};
};

class alert_book {
 public:
  alert_book(micros for_us, uint32_t history_kept);

  // Takes back alerts as stored (any order): the active ones resume (they do not fire again), the resolved ones
  // become history. Returns the ids beyond history_kept (or duplicates of an active key), to delete.
  std::vector<std::string> restore(std::vector<Alert> stored);

  // Applies the readings of the sample taken at `at`.
  alert_changes evaluate(const std::vector<rule_reading>& readings, micros at);

  // ACKNOWLEDGE, SILENCE, UNSILENCE of the active alerts `control.alert` names (an id, a rule or rule:subject) at
  // `now`; ec::invalid_argument naming it when no active alert matches or the minutes are out of range.
  caf::expected<alert_changes> control(const AlertControl& control, micros now);

  // Active alerts, most severe first, then oldest first.
  std::vector<Alert> active() const;
  // The newest `limit` alerts (active and resolved), newest fired first.
  std::vector<Alert> recent(size_t limit) const;

 private:
  // What the book knows of one key between samples.
  struct tracker {
    micros firing_since = -1;  // first sample of the current firing run, -1: not firing
    micros clear_since = -1;   // first sample of the current clear run (while active), -1: not clear
    std::string active_id = {};  // "" : no active alert
  };

  void fire(tracker& t, const rule_reading& r, micros at, alert_changes& out);
  void resolve(tracker& t, micros at, alert_changes& out);
  void trim_history(alert_changes& out);

  micros for_us_;
  uint32_t history_kept_;
  std::map<std::string, tracker> trackers_;  // by alert key
  std::map<std::string, Alert> alerts_;      // by id: active and resolved
};

// True if `alert` is silenced at `now`.
bool is_silenced(const Alert& alert, micros now);

}  // namespace troupe
