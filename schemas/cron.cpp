// Cron expressions: parsing into bit sets, and the next occurrence by walking local days (schemas/cron.hpp).

#include "schemas/cron.hpp"

#include <array>
#include <cctype>
#include <charconv>
#include <chrono>
#include <exception>
#include <vector>

#include <date/tz.h>

namespace troupe {

std::optional<cron_zone> cron_zone::find(std::string_view name, std::string* error) {
  cron_zone zone;
  if (name.empty() || name == "UTC") return zone;
  try {
    zone.zone_ = date::locate_zone(name);
    // Loads the zone's rules now, so that later lookups cannot throw.
    zone.zone_->get_info(date::sys_seconds{});
  } catch (const std::exception& e) {
    if (error) *error = "unknown time zone '" + std::string(name) + "': " + e.what();
    return std::nullopt;
  }
  return zone;
}

std::string cron_zone::name() const { return zone_ ? std::string(zone_->name()) : "UTC"; }

namespace {

constexpr std::array<const char*, 12> month_names = {"JAN", "FEB", "MAR", "APR", "MAY", "JUN",
                                                      "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"};
constexpr std::array<const char*, 7> day_names = {"SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"};
constexpr std::array<int, 13> max_days_in_month = {0, 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};

struct field_spec {
  const char* name;
  int min, max;
  const char* const* names;  // nullptr, or names for min, min+1, ...
  int name_count;
  const char* name_hint;     // e.g. " or a month name (JAN-DEC)"
};

constexpr field_spec field_specs[5] = {
    {"minute", 0, 59, nullptr, 0, ""},
    {"hour", 0, 23, nullptr, 0, ""},
    {"day-of-month", 1, 31, nullptr, 0, ""},
    {"month", 1, 12, month_names.data(), 12, " or a month name (JAN-DEC)"},
    {"day-of-week", 0, 7, day_names.data(), 7, " or a day name (SUN-SAT)"},
};

bool fail(std::string* error, const field_spec& f, const std::string& message) {
  if (error) *error = std::string(f.name) + ": " + message;
  return false;
}

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (std::toupper(static_cast<unsigned char>(a[i])) != std::toupper(static_cast<unsigned char>(b[i]))) {
      return false;
    }
  }
  return true;
}

// A number (or, where the field has them, a name) in range; `item` is the whole item, for messages.
bool parse_value(std::string_view token, std::string_view item, const field_spec& f, int* out, std::string* error) {
  if (token.empty()) return fail(error, f, "'" + std::string(item) + "' is missing a number");
  for (int i = 0; i < f.name_count; ++i) {
    if (iequals(token, f.names[i])) {
      *out = f.min + i;
      return true;
    }
  }
  int value = 0;
  auto [end, ec] = std::from_chars(token.data(), token.data() + token.size(), value);
  bool digits = end == token.data() + token.size() && std::isdigit(static_cast<unsigned char>(token[0]));
  if (!digits || (ec != std::errc() && ec != std::errc::result_out_of_range)) {
    return fail(error, f, "'" + std::string(token) + "' is not a number" + f.name_hint);
  }
  if (ec == std::errc::result_out_of_range || value < f.min || value > f.max) {
    return fail(error, f, std::string(token) + " is out of range " + std::to_string(f.min) + "-" +
                              std::to_string(f.max));
  }
  *out = value;
  return true;
}

// One field: a comma-separated list of `*`, `N`, `N-M`, each optionally with `/STEP`. Sets the bits of `bits`.
bool parse_field(std::string_view text, const field_spec& f, uint64_t* bits, std::string* error) {
  while (true) {
    size_t comma = text.find(',');
    std::string_view item = text.substr(0, comma);
    if (item.empty()) return fail(error, f, "empty item in list '" + std::string(text) + "'");
    size_t slash = item.find('/');
    std::string_view base = item.substr(0, slash);
    int lo = f.min, hi = f.max, step = 1;
    if (base != "*") {
      size_t dash = base.find('-');
      if (!parse_value(base.substr(0, dash), item, f, &lo, error)) return false;
      if (dash != std::string_view::npos) {
        if (!parse_value(base.substr(dash + 1), item, f, &hi, error)) return false;
        if (lo > hi) return fail(error, f, "range " + std::string(base) + " is reversed");
      } else if (slash == std::string_view::npos) {
        hi = lo;
      }
    }
    if (slash != std::string_view::npos) {
      std::string_view s = item.substr(slash + 1);
      auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), step);
      if (s.empty() || end != s.data() + s.size() || !std::isdigit(static_cast<unsigned char>(s[0])) ||
          (ec != std::errc() && ec != std::errc::result_out_of_range)) {
        return fail(error, f, "step '" + std::string(s) + "' is not a number");
      }
      if (ec == std::errc::result_out_of_range) step = f.max + 1;  // any step past the range: one value
      if (step == 0) return fail(error, f, "step 0 (a step must be at least 1)");
    }
    for (int v = lo; v <= hi; v += step) *bits |= uint64_t{1} << v;
    if (comma == std::string_view::npos) return true;
    text.remove_prefix(comma + 1);
  }
}

struct alias {
  const char* name;
  const char* expansion;
};
constexpr alias aliases[] = {{"@yearly", "0 0 1 1 *"},  {"@annually", "0 0 1 1 *"}, {"@monthly", "0 0 1 * *"},
                              {"@weekly", "0 0 * * 0"},  {"@daily", "0 0 * * *"},    {"@midnight", "0 0 * * *"},
                              {"@hourly", "0 * * * *"}};

bool blank(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

std::vector<std::string_view> split_blanks(std::string_view text) {
  std::vector<std::string_view> out;
  size_t i = 0;
  while (i < text.size()) {
    while (i < text.size() && blank(text[i])) ++i;
    size_t start = i;
    while (i < text.size() && !blank(text[i])) ++i;
    if (i > start) out.push_back(text.substr(start, i - start));
  }
  return out;
}

template <size_t N>
void copy_bits(uint64_t bits, std::bitset<N>* out) {
  for (size_t i = 0; i < N; ++i) (*out)[i] = (bits >> i) & 1;
}

// The first instant at local time `local` in `tz` (nullptr: UTC), as microseconds since the epoch: in a gap, the
// gap's end; in a repeated span, the first instance.
micros to_sys(date::local_seconds local, const date::time_zone* tz) {
  using std::chrono::microseconds;
  if (!tz) return std::chrono::duration_cast<microseconds>(local.time_since_epoch()).count();
  date::local_info info = tz->get_info(local);
  date::sys_seconds sys;
  if (info.result == date::local_info::nonexistent) {
    sys = info.second.begin;
  } else {
    sys = date::sys_seconds{local.time_since_epoch() - info.first.offset};
  }
  return std::chrono::duration_cast<microseconds>(sys.time_since_epoch()).count();
}

}  // namespace

std::optional<cron_expression> cron_expression::parse(std::string_view text, std::string* error) {
  std::vector<std::string_view> fields = split_blanks(text);
  std::string_view expansion;
  if (!fields.empty() && fields[0][0] == '@') {
    for (const alias& a : aliases) {
      if (iequals(fields[0], a.name)) expansion = a.expansion;
    }
    if (expansion.empty()) {
      if (error) {
        *error = "unknown alias '" + std::string(fields[0]) +
                 "' (expected @yearly, @annually, @monthly, @weekly, @daily, @midnight or @hourly)";
      }
      return std::nullopt;
    }
    if (fields.size() > 1) {
      if (error) *error = "alias '" + std::string(fields[0]) + "' must stand alone";
      return std::nullopt;
    }
    fields = split_blanks(expansion);
  }
  if (fields.size() != 5) {
    if (error) {
      *error = "expected 5 fields (minute hour day-of-month month day-of-week), got " + std::to_string(fields.size());
    }
    return std::nullopt;
  }
  uint64_t bits[5] = {};
  for (int i = 0; i < 5; ++i) {
    if (!parse_field(fields[i], field_specs[i], &bits[i], error)) return std::nullopt;
  }
  if (bits[4] & (uint64_t{1} << 7)) bits[4] = (bits[4] | 1) & 0x7f;  // 7 is Sunday, as 0
  cron_expression e;
  e.text_ = std::string(text);
  copy_bits(bits[0], &e.minutes_);
  copy_bits(bits[1], &e.hours_);
  copy_bits(bits[2], &e.days_);
  copy_bits(bits[3], &e.months_);
  copy_bits(bits[4], &e.weekdays_);
  e.days_restricted_ = fields[2][0] != '*';
  e.weekdays_restricted_ = fields[4][0] != '*';
  // Unless the day of week alone can match, some selected month must have a selected day (Feb 29 counts). A
  // (month, day) pair falls on each weekday every 28 years or so; a rarer one has no occurrence past the horizon.
  if (!(e.days_restricted_ && e.weekdays_restricted_)) {
    bool possible = false;
    for (int m = 1; m <= 12; ++m) {
      for (int d = 1; d <= max_days_in_month[m]; ++d) possible |= e.months_[m] && e.days_[d];
    }
    if (!possible) {
      if (error) *error = "day-of-month: no selected day occurs in the selected months, so '" + e.text_ +
                          "' never matches";
      return std::nullopt;
    }
  }
  return e;
}

std::optional<micros> cron_expression::next_after(micros after, const cron_zone& zone) const {
  using namespace std::chrono;
  // Years 1-9999 keep every computation below in range; nothing is scheduled outside them.
  constexpr micros earliest = -62'135'596'800'000'000;  // 0001-01-01T00:00:00Z
  constexpr micros latest = 253'402'300'799'000'000;  // 9999-12-31T23:59:59Z
  if (after < earliest || after > latest - duration_cast<microseconds>(date::years{31}).count()) return std::nullopt;
  const micros horizon = after + duration_cast<microseconds>(date::years{30}).count();
  const date::time_zone* tz = zone.get();

  auto sys = date::floor<seconds>(date::sys_time<microseconds>{microseconds{after}});
  date::local_seconds local = tz ? tz->to_local(sys) : date::local_seconds{sys.time_since_epoch()};
  // The local minute containing `after`: it and everything later are candidates (those not after it are skipped).
  auto start = date::floor<minutes>(local);
  const date::local_days first_day = date::floor<date::days>(start);
  const int first_minute = static_cast<int>((start - first_day).count());
  const date::local_days last_day = first_day + date::days{11'000};  // past 30 years, whatever the offsets

  for (date::local_days day = first_day; day <= last_day; day += date::days{1}) {
    date::year_month_day ymd{day};
    unsigned month = static_cast<unsigned>(ymd.month());
    if (!months_[month]) {  // jump to the first of the next month
      day = date::local_days{date::year_month_day{ymd.year() / ymd.month() / 1} + date::months{1}} - date::days{1};
      continue;
    }
    bool dom = days_[static_cast<unsigned>(ymd.day())];
    bool dow = weekdays_[date::weekday{day}.c_encoding()];
    if (!((days_restricted_ && weekdays_restricted_) ? dom || dow : dom && dow)) continue;
    int from = day == first_day ? first_minute : 0;
    for (int h = from / 60; h < 24; ++h) {
      if (!hours_[h]) continue;
      for (int m = h == from / 60 ? from % 60 : 0; m < 60; ++m) {
        if (!minutes_[m]) continue;
        micros t = to_sys(day + hours{h} + minutes{m}, tz);
        if (t <= after) continue;
        if (t > horizon) return std::nullopt;
        return t;
      }
    }
  }
  return std::nullopt;
}

}  // namespace troupe
