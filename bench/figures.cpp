#include "bench/figures.hpp"

#include <fmt/format.h>

#include <charconv>
#include <cmath>

namespace troupe::bench {

namespace {

bool ends_with(std::string_view text, std::string_view suffix) {
  return text.size() >= suffix.size() && text.substr(text.size() - suffix.size()) == suffix;
}

// A number as a figure prints it: whole numbers in full (33853), others in 6 significant digits (0.031, 2.5).
std::string number_text(double v) {
  return v == std::floor(v) && std::abs(v) < 1e15 ? fmt::format("{:.0f}", v) : fmt::format("{:.6g}", v);
}

}  // namespace

figures parse_figures(std::string_view line) {
  figures out;
  size_t i = 0;
  while (i < line.size()) {
    while (i < line.size() && line[i] == ' ') ++i;
    size_t start = i;
    bool quoted = false;
    for (; i < line.size() && (quoted || line[i] != ' '); ++i)
      if (line[i] == '"') quoted = !quoted;
    auto token = line.substr(start, i - start);
    auto eq = token.find('=');
    if (eq == std::string_view::npos || eq == 0) continue;
    auto value = token.substr(eq + 1);
    if (value.size() >= 2 && value.front() == '"' && value.back() == '"') value = value.substr(1, value.size() - 2);
    out.emplace_back(std::string{token.substr(0, eq)}, std::string{value});
  }
  return out;
}

std::optional<double> number_of(const figures& f, std::string_view key) {
  for (const auto& [k, v] : f) {
    if (k != key) continue;
    double out = 0;
    auto [end, problem] = std::from_chars(v.data(), v.data() + v.size(), out);
    if (problem != std::errc{} || end != v.data() + v.size() || !std::isfinite(out)) return std::nullopt;
    return out;
  }
  return std::nullopt;
}

std::string last_figures_line(std::string_view text) {
  std::string_view found;
  while (!text.empty()) {
    auto newline = text.find('\n');
    auto line = text.substr(0, newline);
    if (line.find('=') != std::string_view::npos) found = line;
    text = newline == std::string_view::npos ? std::string_view{} : text.substr(newline + 1);
  }
  return std::string{found};
}

direction direction_of(std::string_view key) {
  if (key.rfind("limit_", 0) == 0 || ends_with(key, "_per_s")) return direction::higher_is_better;
  if (ends_with(key, "_ms") || ends_with(key, "_ns") || ends_with(key, "_mb") || ends_with(key, "_bytes_per_job") ||
      key == "cpu_s_per_1000_jobs")
    return direction::lower_is_better;
  return direction::none;
}

std::vector<comparison> compare(const figures& baseline, const figures& now, double threshold_pct) {
  std::vector<comparison> out;
  for (const auto& [key, text] : now) {
    auto dir = direction_of(key);
    if (dir == direction::none) continue;
    auto before = number_of(baseline, key);
    auto current = number_of(now, key);
    if (!before || !current || *before == 0) continue;
    comparison c{key, *before, *current, (*current - *before) / std::abs(*before) * 100.0, false};
    double worse_pct = dir == direction::higher_is_better ? -c.change_pct : c.change_pct;
    c.regressed = worse_pct > threshold_pct;
    out.push_back(std::move(c));
  }
  return out;
}

std::string describe_regression(const comparison& c, double threshold_pct) {
  return fmt::format("regression: {} {} -> {} ({:+.1f}%, threshold {}%)", c.key, number_text(c.before),
                     number_text(c.now), c.change_pct, number_text(threshold_pct));
}

}  // namespace troupe::bench
