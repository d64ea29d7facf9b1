#include "actors/process_usage.hpp"

#include <unistd.h>

#include <fstream>
#include <sstream>
#include <string>

namespace troupe {

namespace {

// Seconds since boot at which the kernel booted, as Unix time (from /proc/stat's btime).
std::optional<double> boot_time() {
  std::ifstream stat{"/proc/stat"};
  for (std::string line; std::getline(stat, line);)
    if (line.rfind("btime ", 0) == 0) return std::stod(line.substr(6));
  return std::nullopt;
}

}  // namespace

std::optional<process_usage> read_process_usage() {
  static const long page = sysconf(_SC_PAGESIZE);
  static const long ticks = sysconf(_SC_CLK_TCK);
  static const std::optional<double> booted = boot_time();
  process_usage out;
  std::ifstream statm{"/proc/self/statm"};
  uint64_t size = 0, resident = 0;
  if (!(statm >> size >> resident)) return std::nullopt;
  out.rss_bytes = resident * static_cast<uint64_t>(page);
  std::ifstream stat_file{"/proc/self/stat"};
  std::string stat;
  if (!std::getline(stat_file, stat)) return std::nullopt;
  // Fields after the command name (in parentheses, which may itself hold spaces): state is field 3.
  auto close = stat.rfind(')');
  if (close == std::string::npos) return std::nullopt;
  std::istringstream fields{stat.substr(close + 2)};
  std::string field;
  uint64_t utime = 0, stime = 0, start = 0;
  for (int i = 3; fields >> field; ++i) {
    if (i == 14) utime = std::stoull(field);
    if (i == 15) stime = std::stoull(field);
    if (i == 22) {
      start = std::stoull(field);
      break;
    }
  }
  out.cpu_seconds = static_cast<double>(utime + stime) / static_cast<double>(ticks);
  if (booted) out.start_time = *booted + static_cast<double>(start) / static_cast<double>(ticks);
  return out;
}

}  // namespace troupe
