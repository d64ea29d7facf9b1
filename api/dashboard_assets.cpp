#include "api/dashboard_assets.hpp"

#include "api/embedded_files.hpp"

namespace troupe::api {

namespace {

bool ends_with(std::string_view text, std::string_view suffix) {
  return text.size() >= suffix.size() && text.substr(text.size() - suffix.size()) == suffix;
}

std::string_view content_type_of(std::string_view name) {
  if (ends_with(name, ".html")) return "text/html; charset=utf-8";
  if (ends_with(name, ".js")) return "text/javascript; charset=utf-8";
  if (ends_with(name, ".css")) return "text/css; charset=utf-8";
  if (ends_with(name, ".svg")) return "image/svg+xml";
  if (ends_with(name, ".png")) return "image/png";
  if (ends_with(name, ".json")) return "application/json";
  return "application/octet-stream";
}

}  // namespace

std::optional<asset> find_asset(std::string_view name) {
  if (name.empty() || name.find('/') != std::string_view::npos) return std::nullopt;
  for (size_t i = 0; i < embedded_file_count; ++i) {
    const auto& file = embedded_files[i];
    if (name == file.name)
      return asset{{reinterpret_cast<const char*>(file.data), file.size}, content_type_of(name)};
  }
  return std::nullopt;
}

}  // namespace troupe::api
