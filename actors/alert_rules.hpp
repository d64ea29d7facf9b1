#pragma once
// The alert rules (docs/metrics.md, "Alerts"): a pure reading of one MetricsSample against the options. Each rule
// whose inputs are in the sample yields one reading per subject ("" for the node, a kind's name for per-kind
// rules); a rule with an input missing yields none, so its alerts keep their state. The state machine that turns
// readings into alerts over time is alert_book (actors/alert_book.hpp).

#include <string>
#include <vector>

#include "config/options.hpp"
#include "troupe/protocol.hpp"

namespace troupe {

// One rule's verdict on one sample for one subject.
//   firing: the condition holds (for "greater than" rules: value >= threshold).
//   clear:  the value is out of the hysteresis band (below threshold x (1 - alertHysteresis)), so the time it
//           stays so counts toward resolving. Neither firing nor clear: inside the band (an active alert stays).
struct rule_reading {
  std::string rule = {};
  std::string subject = {};
  Alert::Severity severity = Alert::SEVERITY_UNSPECIFIED;
  double value = 0;
  double threshold = 0;
  bool firing = false;
  bool clear = false;
  std::string message = {};  // what is wrong, with the figures (used while firing)
};

// The readings of every rule on `sample`, node-level rules first, in a fixed order.
std::vector<rule_reading> read_rules(const MetricsSample& sample, const node_options& options);

// The alert key of a reading or alert: rule, or rule ":" subject.
std::string alert_key(const std::string& rule, const std::string& subject);

}  // namespace troupe
