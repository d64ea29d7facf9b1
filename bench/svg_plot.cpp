#include "bench/svg_plot.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <limits>

namespace troupe::bench {

namespace {

constexpr const char* palette[] = {"#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b"};

// Margins around the plot area: left for the y tick labels, bottom for the x ticks and label.
constexpr int margin_left = 70, margin_right = 36, margin_top = 36, margin_bottom = 50;

std::string tick_text(double v) {
  if (std::abs(v) >= 1e6) return fmt::format("{:.4g}M", v / 1e6);
  if (std::abs(v) >= 10'000) return fmt::format("{:.4g}k", v / 1000);
  return fmt::format("{:.4g}", v);
}

// The smallest round step (1, 2, 2.5 or 5 x 10^k) of which 4 cover `top`: y ticks at round values.
double round_step(double top) {
  double raw = top / 4;
  double scale = std::pow(10, std::floor(std::log10(raw)));
  for (double m : {1.0, 2.0, 2.5, 5.0, 10.0})
    if (m * scale >= raw) return m * scale;
  return 10 * scale;
}

// Maps data to pixels within one chart.
struct frame {
  double x0, x1, y0, y1;  // data range (x already transformed for log2)
  int left, top, w, h;
  double px(double x) const { return left + (x1 == x0 ? w / 2.0 : (x - x0) / (x1 - x0) * w); }
  double py(double y) const { return top + h - (y1 == y0 ? h / 2.0 : (y - y0) / (y1 - y0) * h); }
};

void render_chart(std::string& out, const plot_chart& chart, int top, int width, int height) {
  auto tx = [&](double x) { return chart.log2_x ? std::log2(x) : x; };
  double x0 = std::numeric_limits<double>::infinity(), x1 = -x0, y1 = 0;
  std::vector<std::vector<std::pair<double, double>>> kept;
  for (const auto& s : chart.series) {
    auto& pts = kept.emplace_back();
    for (auto [x, y] : s.points) {
      if (!std::isfinite(x) || !std::isfinite(y) || (chart.log2_x && x <= 0)) continue;
      pts.emplace_back(tx(x), y);
    }
    std::sort(pts.begin(), pts.end());
    for (auto [x, y] : pts) x0 = std::min(x0, x), x1 = std::max(x1, x), y1 = std::max(y1, y);
  }
  if (!std::isfinite(x0)) x0 = 0, x1 = 1;
  if (y1 <= 0) y1 = 1;
  y1 = 4 * round_step(y1 * 1.05);
  frame f{x0, x1, 0, y1, margin_left, top + margin_top, width - margin_left - margin_right,
          height - margin_top - margin_bottom};
  out += fmt::format("<g class=\"chart\">\n<text x=\"{}\" y=\"{}\" font-size=\"15\" font-weight=\"bold\">{}</text>\n",
                     margin_left, top + 22, xml_escape(chart.title));
  out += fmt::format("<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" fill=\"none\" stroke=\"#888\"/>\n", f.left,
                     f.top, f.w, f.h);
  for (int i = 0; i <= 4; ++i) {  // y ticks and grid
    double v = f.y0 + (f.y1 - f.y0) * i / 4;
    out += fmt::format("<line x1=\"{}\" y1=\"{:.1f}\" x2=\"{}\" y2=\"{:.1f}\" stroke=\"#ddd\"/>"
                       "<text x=\"{}\" y=\"{:.1f}\" font-size=\"11\" text-anchor=\"end\">{}</text>\n",
                       f.left, f.py(v), f.left + f.w, f.py(v), f.left - 6, f.py(v) + 4, tick_text(v));
  }
  std::vector<double> xticks;  // the points' x values (at most 12), else 5 even steps
  for (const auto& pts : kept)
    for (auto [x, y] : pts) xticks.push_back(x);
  std::sort(xticks.begin(), xticks.end());
  xticks.erase(std::unique(xticks.begin(), xticks.end()), xticks.end());
  if (xticks.size() > 12 || xticks.size() < 2) {
    xticks.clear();
    for (int i = 0; i <= 4; ++i) xticks.push_back(f.x0 + (f.x1 - f.x0) * i / 4);
  }
  for (double x : xticks)
    out += fmt::format("<text x=\"{:.1f}\" y=\"{}\" font-size=\"11\" text-anchor=\"middle\">{}</text>\n", f.px(x),
                       f.top + f.h + 16, tick_text(chart.log2_x ? std::exp2(x) : x));
  out += fmt::format("<text x=\"{}\" y=\"{}\" font-size=\"12\" text-anchor=\"middle\">{}</text>\n", f.left + f.w / 2,
                     f.top + f.h + 38, xml_escape(chart.x_label));
  out += fmt::format("<text x=\"14\" y=\"{}\" font-size=\"12\" text-anchor=\"middle\" "
                     "transform=\"rotate(-90 14 {})\">{}</text>\n",
                     f.top + f.h / 2, f.top + f.h / 2, xml_escape(chart.y_label));
  for (size_t i = 0; i < chart.series.size(); ++i) {
    const char* color = palette[i % std::size(palette)];
    std::string points;
    for (auto [x, y] : kept[i]) points += fmt::format("{}{:.1f},{:.1f}", points.empty() ? "" : " ", f.px(x), f.py(y));
    out += fmt::format("<polyline class=\"series\" fill=\"none\" stroke=\"{}\" stroke-width=\"2\" points=\"{}\">"
                       "<title>{}</title></polyline>\n",
                       color, points, xml_escape(chart.series[i].name));
    for (auto [x, y] : kept[i])
      out += fmt::format("<circle cx=\"{:.1f}\" cy=\"{:.1f}\" r=\"3\" fill=\"{}\"/>\n", f.px(x), f.py(y), color);
    int ly = f.top + 14 + static_cast<int>(i) * 16;
    out += fmt::format("<rect x=\"{}\" y=\"{}\" width=\"10\" height=\"10\" fill=\"{}\"/>"
                       "<text x=\"{}\" y=\"{}\" font-size=\"11\">{}</text>\n",
                       f.left + 10, ly - 9, color, f.left + 24, ly, xml_escape(chart.series[i].name));
  }
  out += "</g>\n";
}

}  // namespace

std::string xml_escape(const std::string& text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&apos;"; break;
      default: out += c;
    }
  }
  return out;
}

std::string render_svg(const std::vector<plot_chart>& charts, int width, int height) {
  int total = height * static_cast<int>(std::max<size_t>(1, charts.size()));
  std::string out = fmt::format("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<svg xmlns=\"http://www.w3.org/2000/svg\" "
                                "width=\"{0}\" height=\"{1}\" viewBox=\"0 0 {0} {1}\" font-family=\"sans-serif\">\n"
                                "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n",
                                width, total);
  for (size_t i = 0; i < charts.size(); ++i) render_chart(out, charts[i], static_cast<int>(i) * height, width, height);
  out += "</svg>\n";
  return out;
}

}  // namespace troupe::bench
