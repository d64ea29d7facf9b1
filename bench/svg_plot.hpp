#pragma once
// A small SVG line-chart writer for benchmark results (throughput vs slot count, pickup latency vs offered
// load): no dependency, no script, a standalone document a browser or an <img> shows. Charts are stacked
// vertically in one document. Kept self-contained so it can later merge with the simulation harness's plot
// writer.
//
// Output: one <svg> element (xmlns set) holding, per chart, a <g class="chart"> with its title, axes, tick
// labels, one <polyline class="series"> with a <title> per series (points in x order) and a legend. Text is
// XML-escaped. Non-finite points are dropped.

#include <string>
#include <utility>
#include <vector>

namespace troupe::bench {

struct plot_series {
  std::string name;
  std::vector<std::pair<double, double>> points;  // (x, y)
};

struct plot_chart {
  std::string title;
  std::string x_label;
  std::string y_label;
  bool log2_x = false;  // slot counts 1, 2, 4, ...: evenly spaced
  std::vector<plot_series> series;
};

// The document. Each chart is `width` x `height` pixels.
std::string render_svg(const std::vector<plot_chart>& charts, int width = 640, int height = 360);

// `text` with &, <, >, " and ' escaped for XML.
std::string xml_escape(const std::string& text);

}  // namespace troupe::bench
