#include "simulations/svg_chart.hpp"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

#include "bench/svg_plot.hpp"

namespace troupe::sim {

namespace {

constexpr double width = 960, panel_height = 170, left = 80, right = 40, top = 40, gap = 40, bottom = 40;

// A round number at or above `v` (1, 2, 5 x 10^n), so the axis reads well.
double nice_ceiling(double v) {
  if (v <= 0) return 1;
  double magnitude = std::pow(10, std::floor(std::log10(v)));
  for (double m : {1.0, 2.0, 5.0, 10.0})
    if (m * magnitude >= v) return m * magnitude;
  return 10 * magnitude;
}

std::string number(double v) {
  if (v >= 1e6) return fmt::format("{:.1f}M", v / 1e6);
  if (v >= 1e4) return fmt::format("{:.0f}k", v / 1e3);
  if (v == std::floor(v)) return fmt::format("{:.0f}", v);
  return fmt::format("{:.2g}", v);
}

}  // namespace

std::string render_svg(const std::string& title, const std::string& x_label, const std::vector<double>& x,
                       const std::vector<chart_panel>& panels) {
  double height = top + static_cast<double>(panels.size()) * (panel_height + gap) + bottom;
  double plot_w = width - left - right;
  double x0 = x.empty() ? 0 : x.front(), x1 = x.empty() ? 1 : std::max(x.back(), x.front() + 1e-9);
  auto px = [&](double v) { return left + (v - x0) / (x1 - x0) * plot_w; };
  std::string out = fmt::format(
      "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{0}\" height=\"{1}\" viewBox=\"0 0 {0} {1}\" "
      "font-family=\"sans-serif\" font-size=\"12\">\n<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n"
      "<text x=\"{2}\" y=\"24\" font-size=\"16\" font-weight=\"bold\">{3}</text>\n",
      width, height, left, bench::xml_escape(title));
  for (size_t p = 0; p < panels.size(); ++p) {
    const auto& panel = panels[p];
    double y_top = top + static_cast<double>(p) * (panel_height + gap) + 16;
    double y_bottom = y_top + panel_height - 16;
    double peak = 0;
    for (const auto& s : panel.series)
      for (double v : s.values)
        if (std::isfinite(v)) peak = std::max(peak, v);
    double y_max = nice_ceiling(peak);
    auto py = [&](double v) { return y_bottom - v / y_max * (y_bottom - y_top); };
    out += fmt::format("<text x=\"{}\" y=\"{}\" font-weight=\"bold\">{}</text>\n", left, y_top - 6,
                       bench::xml_escape(panel.title));
    for (int i = 0; i <= 4; ++i) {
      double v = y_max * i / 4, y = py(v);
      out += fmt::format("<line x1=\"{}\" y1=\"{:.1f}\" x2=\"{}\" y2=\"{:.1f}\" stroke=\"#ddd\"/>\n", left, y,
                         width - right, y);
      out += fmt::format("<text x=\"{}\" y=\"{:.1f}\" text-anchor=\"end\">{}</text>\n", left - 6, y + 4,
                         number(v));
    }
    double legend_x = width - right;
    for (auto it = panel.series.rbegin(); it != panel.series.rend(); ++it) {
      legend_x -= 14 + 7.0 * static_cast<double>(it->name.size()) + 16;
      out += fmt::format("<rect x=\"{:.1f}\" y=\"{}\" width=\"12\" height=\"3\" fill=\"{}\"/>", legend_x,
                         y_top - 12, it->color);
      out += fmt::format("<text x=\"{:.1f}\" y=\"{}\">{}</text>\n", legend_x + 16, y_top - 6,
                         bench::xml_escape(it->name));
    }
    for (const auto& s : panel.series) {
      std::string points;
      auto flush = [&] {
        if (points.empty()) return;
        out += fmt::format("<polyline fill=\"none\" stroke=\"{}\" stroke-width=\"1.5\" points=\"{}\"/>\n",
                           s.color, points);
        points.clear();
      };
      for (size_t i = 0; i < x.size() && i < s.values.size(); ++i) {
        if (!std::isfinite(s.values[i])) {
          flush();
          continue;
        }
        points += fmt::format("{:.1f},{:.1f} ", px(x[i]), py(s.values[i]));
      }
      flush();
    }
    out += fmt::format("<line x1=\"{}\" y1=\"{}\" x2=\"{}\" y2=\"{}\" stroke=\"#888\"/>\n", left, y_bottom,
                       width - right, y_bottom);
    for (int i = 0; i <= 6; ++i) {
      double v = x0 + (x1 - x0) * i / 6;
      out += fmt::format("<text x=\"{:.1f}\" y=\"{}\" text-anchor=\"middle\" fill=\"#555\">{}</text>\n", px(v),
                         y_bottom + 14, number(v));
    }
  }
  out += fmt::format("<text x=\"{}\" y=\"{}\" text-anchor=\"middle\">{}</text>\n</svg>\n", left + plot_w / 2,
                     height - 8, bench::xml_escape(x_label));
  return out;
}

}  // namespace troupe::sim
