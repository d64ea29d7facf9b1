#pragma once
// Cron expressions and the times they name, in a time zone. Pure functions of their inputs: no clock, no I/O
// beyond the system's time zone database (/usr/share/zoneinfo, through Howard Hinnant's date library).
//
// An expression is five fields, separated by blanks:
//
//   minute 0-59   hour 0-23   day of month 1-31   month 1-12 or JAN-DEC   day of week 0-7 or SUN-SAT (0 and 7: Sunday)
//
// Each field is `*`, or a comma-separated list of items; an item is `N`, `N-M` or `*`, optionally followed by
// `/STEP` (`N/STEP` means N through the field's maximum). Names are case-insensitive. As in Vixie cron, when both
// the day of month and the day of week are restricted (neither field starts with `*`), a day matches if either
// does. Aliases: @yearly and @annually (0 0 1 1 *), @monthly (0 0 1 * *), @weekly (0 0 * * 0), @daily and
// @midnight (0 0 * * *), @hourly (0 * * * *).
//
// Times are wall-clock times in the schedule's zone. Where daylight saving time skips local times (spring
// forward), an occurrence in the gap fires at the first instant after it; where it repeats them (fall back), an
// occurrence fires once, at its first instance.

#include <bitset>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "schemas/time.hpp"

namespace date {
class time_zone;
}

namespace troupe {

// A time zone of the system's database. A plain handle: copyable, valid for the life of the process.
class cron_zone {
 public:
  // UTC.
  cron_zone() = default;
  // The zone named `name` (IANA, e.g. "Europe/Berlin"; "" and "UTC" are UTC). nullopt, with `error` set to a
  // message naming the zone, if the database has no such zone.
  static std::optional<cron_zone> find(std::string_view name, std::string* error);
  // The zone's name ("UTC" for UTC).
  std::string name() const;
  const date::time_zone* get() const { return zone_; }

 private:
  const date::time_zone* zone_ = nullptr;  // nullptr: UTC
};

// A parsed cron expression.
class cron_expression {
 public:
  // Parses `text` (five fields or an alias). nullopt, with `error` set to a message that names the field and the
  // problem (e.g. "minute: 61 is out of range 0-59"), if it is not a valid expression, or if it can never match
  // (e.g. "0 0 30 2 *").
  static std::optional<cron_expression> parse(std::string_view text, std::string* error);

  // The first occurrence strictly after `after` (microseconds since the epoch), in `zone`; nullopt if there is
  // none within the next 30 years.
  std::optional<micros> next_after(micros after, const cron_zone& zone) const;

  // The expression as given (aliases as given, e.g. "@hourly").
  const std::string& text() const { return text_; }

 private:
  std::string text_;
  std::bitset<60> minutes_;
  std::bitset<24> hours_;
  std::bitset<32> days_;      // 1-31
  std::bitset<13> months_;    // 1-12
  std::bitset<7> weekdays_;   // 0-6, Sunday 0
  bool days_restricted_ = false;      // the day-of-month field does not start with '*'
  bool weekdays_restricted_ = false;  // the day-of-week field does not start with '*'
};

}  // namespace troupe
