#pragma once
// A small SVG line chart: panels stacked vertically over a shared x axis (time), each with its own y scale
// (from 0 to the panel's largest value), its series as polylines and a legend. Standalone SVG 1.1 that any
// browser or image viewer shows; no scripts, no external files.

#include <string>
#include <vector>

namespace troupe::sim {

struct chart_series {
  std::string name;
  std::string color;  // any SVG color
  std::vector<double> values;  // one per x; NaN: no value at that x
};

struct chart_panel {
  std::string title;  // with its unit, e.g. "pickup latency (ms)"
  std::vector<chart_series> series;
};

// `x`: the shared x values (ascending); `x_label`: e.g. "simulated time (s)".
std::string render_svg(const std::string& title, const std::string& x_label, const std::vector<double>& x,
                       const std::vector<chart_panel>& panels);

}  // namespace troupe::sim
