// Cron expressions (schemas/cron.hpp): parsing and its errors, aliases, steps and names, the Vixie day rule,
// next occurrences in UTC and in zones across daylight-saving changes, and a seeded comparison with a brute-force
// minute-by-minute scan (TROUPE_TEST_SEED repeats a run).

#define BOOST_TEST_MODULE cron
#include <boost/test/unit_test.hpp>

#include <bitset>
#include <cctype>
#include <chrono>
#include <cstdlib>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include <date/date.h>

#include "schemas/cron.hpp"

using troupe::cron_expression;
using troupe::cron_zone;
using troupe::micros;

namespace {

constexpr micros kMinute = 60'000'000;

// Microseconds since the epoch of a UTC time.
micros utc(int y, unsigned mo, unsigned d, int h = 0, int mi = 0, int s = 0, micros us = 0) {
  using namespace std::chrono;
  auto t = date::sys_days{date::year{y} / mo / d} + hours{h} + minutes{mi} + seconds{s};
  return duration_cast<microseconds>(t.time_since_epoch()).count() + us;
}

// "2026-03-08T07:00:00Z" (with microseconds when there are any), or "none".
std::string show(std::optional<micros> t) {
  if (!t) return "none";
  auto tp = date::sys_time<std::chrono::microseconds>{std::chrono::microseconds{*t}};
  if (*t % 1'000'000 == 0) return date::format("%FT%TZ", date::floor<std::chrono::seconds>(tp));
  return date::format("%FT%TZ", tp);
}

cron_expression must_parse(std::string_view text) {
  std::string error;
  auto e = cron_expression::parse(text, &error);
  BOOST_REQUIRE_MESSAGE(e, "'" << text << "' should parse: " << error);
  BOOST_TEST(error.empty());
  return *e;
}

std::string parse_error(std::string_view text) {
  std::string error;
  auto e = cron_expression::parse(text, &error);
  BOOST_TEST(!e, "'" << text << "' should not parse");
  BOOST_TEST(!error.empty());
  return error;
}

cron_zone must_find(std::string_view name) {
  std::string error;
  auto z = cron_zone::find(name, &error);
  BOOST_REQUIRE_MESSAGE(z, "zone " << name << ": " << error);
  return *z;
}

// The first `n` occurrences after `after` (fewer if the schedule ends).
std::vector<std::string> run(const cron_expression& e, micros after, int n, const cron_zone& zone = {}) {
  std::vector<std::string> out;
  std::optional<micros> t = after;
  for (int i = 0; i < n; ++i) {
    t = e.next_after(*t, zone);
    if (!t) break;
    out.push_back(show(t));
  }
  return out;
}

std::string next(std::string_view text, micros after, const cron_zone& zone = {}) {
  return show(must_parse(text).next_after(after, zone));
}

}  // namespace

BOOST_AUTO_TEST_CASE(parse_errors_name_the_field_and_the_problem) {
  struct bad {
    const char* text;
    const char* message;  // a substring of the error
  };
  const bad cases[] = {
      {"61 * * * *", "minute: 61 is out of range 0-59"},
      {"* 24 * * *", "hour: 24 is out of range 0-23"},
      {"* * 0 * *", "day-of-month: 0 is out of range 1-31"},
      {"* * 32 * *", "day-of-month: 32 is out of range 1-31"},
      {"* * * 13 *", "month: 13 is out of range 1-12"},
      {"* * * * 8", "day-of-week: 8 is out of range 0-7"},
      {"99999999999 * * * *", "minute: 99999999999 is out of range 0-59"},
      {"* 1-30 * * *", "hour: 30 is out of range 0-23"},
      {"* x * * *", "hour: 'x' is not a number"},
      {"* * * FOO *", "month: 'FOO' is not a number or a month name (JAN-DEC)"},
      {"* * * * MO", "day-of-week: 'MO' is not a number or a day name (SUN-SAT)"},
      {"* * * * MON-x", "day-of-week: 'x' is not a number"},
      {"1.5 * * * *", "minute: '1.5' is not a number"},
      {"* 5-2 * * *", "hour: range 5-2 is reversed"},
      {"* * * * FRI-MON", "day-of-week: range FRI-MON is reversed"},
      {"* * * DEC-JAN *", "month: range DEC-JAN is reversed"},
      {"*/0 * * * *", "minute: step 0"},
      {"* * * * */0", "day-of-week: step 0"},
      {"* 1-5/0 * * *", "hour: step 0"},
      {"*/x * * * *", "minute: step 'x' is not a number"},
      {"*/ * * * *", "minute: step '' is not a number"},
      {"1,,2 * * * *", "minute: empty item"},
      {"1, * * * *", "minute: empty item"},
      {"1- * * * *", "minute: '1-' is missing a number"},
      {"-5 * * * *", "minute: '-5' is missing a number"},
      {"0 0 * *", "expected 5 fields (minute hour day-of-month month day-of-week), got 4"},
      {"0 0 * * * *", "expected 5 fields (minute hour day-of-month month day-of-week), got 6"},
      {"", "expected 5 fields (minute hour day-of-month month day-of-week), got 0"},
      {"   ", "got 0"},
      {"@reboot", "unknown alias '@reboot'"},
      {"@every 5m", "unknown alias '@every'"},
      {"@", "unknown alias '@'"},
      {"@hourly 5", "alias '@hourly' must stand alone"},
      {"0 0 30 2 *", "day-of-month: no selected day occurs in the selected months"},
      {"0 0 31 4,6,9,11 *", "day-of-month: no selected day occurs in the selected months"},
      {"0 0 30,31 FEB *", "never matches"},
  };
  for (const bad& c : cases) {
    BOOST_TEST_CONTEXT("'" << c.text << "'") {
      std::string error = parse_error(c.text);
      BOOST_TEST(error.find(c.message) != std::string::npos, "error '" << error << "' lacks '" << c.message << "'");
    }
  }
  // A null error pointer is allowed.
  BOOST_TEST(!cron_expression::parse("61 * * * *", nullptr));
  BOOST_TEST(cron_expression::parse("* * * * *", nullptr).has_value());
}

BOOST_AUTO_TEST_CASE(valid_forms_parse_and_keep_their_text) {
  for (const char* text : {"* * * * *", "0 0 29 2 *", "0 0 31 * *", "*/5 1-3 1,15 jan-Mar mon-fri", "0 0 * * 7",
                           "0 0 30 2 MON", "  0\t0 * * *  ", "5-20/5,50/5 */6 1-31/10 */3 SUN,sat", "0 0 */31 2 *",
                           "@daily", "@HOURLY", "@Yearly"}) {
    BOOST_TEST_CONTEXT("'" << text << "'") { BOOST_TEST(must_parse(text).text() == text); }
  }
}

BOOST_AUTO_TEST_CASE(aliases_equal_their_expansions) {
  const std::pair<const char*, const char*> pairs[] = {
      {"@yearly", "0 0 1 1 *"}, {"@annually", "0 0 1 1 *"}, {"@monthly", "0 0 1 * *"}, {"@weekly", "0 0 * * 0"},
      {"@daily", "0 0 * * *"},  {"@midnight", "0 0 * * *"}, {"@hourly", "0 * * * *"},  {"@WeeKLY", "0 0 * * SUN"},
  };
  const micros start = utc(2026, 3, 1, 12, 34, 56, 789);
  for (const cron_zone& zone : {cron_zone{}, must_find("America/New_York")}) {
    for (auto [alias, expansion] : pairs) {
      BOOST_TEST_CONTEXT(alias << " in " << zone.name()) {
        auto a = run(must_parse(alias), start, 1000, zone);
        auto b = run(must_parse(expansion), start, 1000, zone);
        BOOST_TEST(!a.empty());
        BOOST_TEST(a == b, boost::test_tools::per_element());
      }
    }
  }
}

BOOST_AUTO_TEST_CASE(steps_and_boundaries) {
  BOOST_TEST(next("*/15 * * * *", utc(2026, 5, 4, 10, 7, 30)) == "2026-05-04T10:15:00Z");
  // Strictly after: an occurrence exactly at `after` is not returned, one microsecond before it is.
  BOOST_TEST(next("0 * * * *", utc(2026, 5, 4, 10, 0, 0)) == "2026-05-04T11:00:00Z");
  BOOST_TEST(next("0 * * * *", utc(2026, 5, 4, 10, 0, 0) - 1) == "2026-05-04T10:00:00Z");
  BOOST_TEST(next("0 * * * *", utc(2026, 5, 4, 10, 0, 0, 1)) == "2026-05-04T11:00:00Z");
  BOOST_TEST(next("* * * * *", utc(2026, 5, 4, 10, 0, 59, 999'999)) == "2026-05-04T10:01:00Z");

  const micros start = utc(2026, 5, 4, 10, 0, 0);
  BOOST_TEST(run(must_parse("5-20/5 * * * *"), start, 5) ==
                 (std::vector<std::string>{"2026-05-04T10:05:00Z", "2026-05-04T10:10:00Z", "2026-05-04T10:15:00Z",
                                           "2026-05-04T10:20:00Z", "2026-05-04T11:05:00Z"}),
             boost::test_tools::per_element());
  BOOST_TEST(run(must_parse("50/5 * * * *"), start, 3) ==
                 (std::vector<std::string>{"2026-05-04T10:50:00Z", "2026-05-04T10:55:00Z", "2026-05-04T11:50:00Z"}),
             boost::test_tools::per_element());
  BOOST_TEST(run(must_parse("*/25 * * * *"), start, 4) ==
                 (std::vector<std::string>{"2026-05-04T10:25:00Z", "2026-05-04T10:50:00Z", "2026-05-04T11:00:00Z",
                                           "2026-05-04T11:25:00Z"}),
             boost::test_tools::per_element());
  BOOST_TEST(run(must_parse("0 22/1 * * *"), start, 3) ==
                 (std::vector<std::string>{"2026-05-04T22:00:00Z", "2026-05-04T23:00:00Z", "2026-05-05T22:00:00Z"}),
             boost::test_tools::per_element());
  BOOST_TEST(next("*/100 * * * *", start) == "2026-05-04T11:00:00Z");  // a step past the range: the start only
}

BOOST_AUTO_TEST_CASE(month_and_day_names) {
  BOOST_REQUIRE(date::weekday{date::sys_days{date::year{2026} / 3 / 7}} == date::Saturday);
  BOOST_TEST(next("0 12 * JUN *", utc(2026, 1, 10)) == "2026-06-01T12:00:00Z");
  BOOST_TEST(next("0 12 * jun-aug *", utc(2026, 9, 1)) == "2027-06-01T12:00:00Z");
  BOOST_TEST(next("0 12 1 Jan,Jul *", utc(2026, 2, 1)) == "2026-07-01T12:00:00Z");
  BOOST_TEST(next("0 12 * * mon", utc(2026, 3, 7)) == "2026-03-09T12:00:00Z");
  BOOST_TEST(run(must_parse("0 0 * * MON-FRI"), utc(2026, 3, 5, 12), 3) ==
                 (std::vector<std::string>{"2026-03-06T00:00:00Z", "2026-03-09T00:00:00Z", "2026-03-10T00:00:00Z"}),
             boost::test_tools::per_element());
  // Names and numbers mix.
  BOOST_TEST(next("0 0 * 3-MAY SAT-6", utc(2026, 1, 1)) == "2026-03-07T00:00:00Z");
}

BOOST_AUTO_TEST_CASE(day_of_week_7_is_sunday) {
  const micros start = utc(2026, 1, 1);
  auto sundays = run(must_parse("0 0 * * 0"), start, 60);
  BOOST_TEST(sundays.front() == "2026-01-04T00:00:00Z");
  BOOST_TEST(run(must_parse("0 0 * * 7"), start, 60) == sundays, boost::test_tools::per_element());
  BOOST_TEST(run(must_parse("0 0 * * sun"), start, 60) == sundays, boost::test_tools::per_element());
  BOOST_TEST(run(must_parse("0 0 * * 0,7"), start, 60) == sundays, boost::test_tools::per_element());
  // 5-7: Friday, Saturday, Sunday.
  BOOST_TEST(run(must_parse("0 0 * * 5-7"), start, 4) ==
                 (std::vector<std::string>{"2026-01-02T00:00:00Z", "2026-01-03T00:00:00Z", "2026-01-04T00:00:00Z",
                                           "2026-01-09T00:00:00Z"}),
             boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(day_of_month_or_day_of_week) {
  // Over 2026, compare with the days of the year that qualify.
  const micros start = utc(2025, 12, 31, 12);
  auto days_where = [](auto pred) {
    std::vector<std::string> out;
    for (auto d = date::sys_days{date::year{2026} / 1 / 1}; d < date::sys_days{date::year{2027} / 1 / 1};
         d += date::days{1}) {
      date::year_month_day ymd{d};
      if (pred(unsigned(ymd.day()), date::weekday{d})) out.push_back(date::format("%FT%TZ", date::sys_seconds{d}));
    }
    return out;
  };
  auto in_2026 = [&](const char* text) {
    auto all = run(must_parse(text), start, 400);
    std::vector<std::string> out;
    for (auto& s : all) {
      if (s < "2027") out.push_back(s);
    }
    return out;
  };
  auto or_rule = days_where([](unsigned d, date::weekday w) { return d == 13 || w == date::Friday; });
  BOOST_TEST(or_rule.size() == 52u + 12u - 3u);  // Fridays, 13ths, minus Friday the 13ths (Feb, Mar, Nov)
  BOOST_TEST(in_2026("0 0 13 * FRI") == or_rule, boost::test_tools::per_element());
  BOOST_TEST(in_2026("0 0 13 * *") == days_where([](unsigned d, date::weekday) { return d == 13; }),
             boost::test_tools::per_element());
  BOOST_TEST(in_2026("0 0 * * FRI") == days_where([](unsigned, date::weekday w) { return w == date::Friday; }),
             boost::test_tools::per_element());
  // A field starting with '*' is not restricted: "*/2" with FRI means odd days that are Fridays (both must match).
  BOOST_TEST(in_2026("0 0 */2 * FRI") ==
                 days_where([](unsigned d, date::weekday w) { return d % 2 == 1 && w == date::Friday; }),
             boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(rare_days) {
  BOOST_TEST(run(must_parse("0 0 29 2 *"), utc(2026, 1, 1), 3) ==
                 (std::vector<std::string>{"2028-02-29T00:00:00Z", "2032-02-29T00:00:00Z", "2036-02-29T00:00:00Z"}),
             boost::test_tools::per_element());
  // 2100 is not a leap year.
  BOOST_TEST(next("0 0 29 2 *", utc(2097, 1, 1)) == "2104-02-29T00:00:00Z");
  BOOST_TEST(run(must_parse("0 0 31 * *"), utc(2026, 1, 31), 6) ==
                 (std::vector<std::string>{"2026-03-31T00:00:00Z", "2026-05-31T00:00:00Z", "2026-07-31T00:00:00Z",
                                           "2026-08-31T00:00:00Z", "2026-10-31T00:00:00Z", "2026-12-31T00:00:00Z"}),
             boost::test_tools::per_element());
  BOOST_TEST(next("@yearly", utc(2026, 12, 31, 23, 59, 59)) == "2027-01-01T00:00:00Z");
  BOOST_TEST(next("59 23 31 12 *", utc(2026, 12, 31, 23, 59, 0)) == "2027-12-31T23:59:00Z");
}

BOOST_AUTO_TEST_CASE(nothing_past_the_30_year_horizon) {
  // Feb 29 that is a Sunday ("*/7" is 0 and 7; starting with '*', both day fields must match): 2060, 2088, then
  // 2128, as 2100 is not a leap year.
  auto e = must_parse("0 0 29 2 */7");
  BOOST_TEST(show(e.next_after(utc(2061, 1, 1), {})) == "2088-02-29T00:00:00Z");
  BOOST_TEST(show(e.next_after(utc(2088, 3, 1), {})) == "none");
  BOOST_TEST(show(e.next_after(utc(2098, 3, 1), {})) == "2128-02-29T00:00:00Z");
  BOOST_TEST(show(e.next_after(utc(2098, 2, 27), {})) == "none");  // just over 30 years
}

BOOST_AUTO_TEST_CASE(out_of_range_times_have_no_occurrence) {
  auto e = must_parse("* * * * *");
  BOOST_TEST(show(e.next_after(std::numeric_limits<micros>::max(), {})) == "none");
  BOOST_TEST(show(e.next_after(std::numeric_limits<micros>::min(), {})) == "none");
  BOOST_TEST(show(e.next_after(-1, {})) == "1970-01-01T00:00:00Z");
  BOOST_TEST(show(e.next_after(utc(1900, 1, 1), must_find("Europe/Berlin"))) != "none");
}

BOOST_AUTO_TEST_CASE(zones_are_found_by_name) {
  std::string error;
  BOOST_TEST(!cron_zone::find("Mars/Olympus", &error));
  BOOST_TEST(error.find("Mars/Olympus") != std::string::npos, error);
  BOOST_TEST(!cron_zone::find("Mars/Olympus", nullptr));
  for (const char* utc_name : {"", "UTC"}) {
    auto z = must_find(utc_name);
    BOOST_TEST(z.name() == "UTC");
    BOOST_TEST(z.get() == nullptr);
  }
  BOOST_TEST(cron_zone{}.name() == "UTC");
  BOOST_TEST(must_find("America/New_York").name() == "America/New_York");
  BOOST_TEST(must_find("America/New_York").get() == must_find("America/New_York").get());
}

BOOST_AUTO_TEST_CASE(wall_clock_times_in_a_zone) {
  const cron_zone ny = must_find("America/New_York");
  BOOST_TEST(next("0 9 * * *", utc(2026, 7, 1), ny) == "2026-07-01T13:00:00Z");   // EDT, UTC-4
  BOOST_TEST(next("0 9 * * *", utc(2026, 1, 15), ny) == "2026-01-15T14:00:00Z");  // EST, UTC-5
  // The local date decides: 23:30Z on Jan 15 is 18:30 EST, still Jan 15, so the next 9:00 is Jan 16.
  BOOST_TEST(next("0 9 * * *", utc(2026, 1, 15, 23, 30), ny) == "2026-01-16T14:00:00Z");
  BOOST_TEST(next("0 0 1 * *", utc(2026, 2, 1, 3), ny) == "2026-02-01T05:00:00Z");
  // Half-hour offset: midnight in Kolkata (UTC+5:30) is 18:30Z the day before.
  const cron_zone kolkata = must_find("Asia/Kolkata");
  BOOST_TEST(next("0 0 * * *", utc(2026, 3, 10), kolkata) == "2026-03-10T18:30:00Z");
  BOOST_TEST(next("0 0 * * *", utc(2026, 3, 10, 18, 30), kolkata) == "2026-03-11T18:30:00Z");
  BOOST_TEST(next("*/15 * * * *", utc(2026, 3, 10, 18, 31), kolkata) == "2026-03-10T18:45:00Z");
}

BOOST_AUTO_TEST_CASE(spring_forward_fires_at_the_end_of_the_gap) {
  // America/New_York, 2026-03-08: 02:00 EST (07:00Z) becomes 03:00 EDT; 02:00-02:59 local do not exist.
  const cron_zone ny = must_find("America/New_York");
  BOOST_TEST(run(must_parse("30 2 * * *"), utc(2026, 3, 8), 3, ny) ==
                 (std::vector<std::string>{"2026-03-08T07:00:00Z", "2026-03-09T06:30:00Z", "2026-03-10T06:30:00Z"}),
             boost::test_tools::per_element());
  BOOST_TEST(next("0 2 * * *", utc(2026, 3, 8), ny) == "2026-03-08T07:00:00Z");
  // Every half hour: 01:30 EST, then 02:00 and 02:30 (both at the gap's end, once), then 03:30 EDT.
  BOOST_TEST(run(must_parse("*/30 * * * *"), utc(2026, 3, 8, 6), 4, ny) ==
                 (std::vector<std::string>{"2026-03-08T06:30:00Z", "2026-03-08T07:00:00Z", "2026-03-08T07:30:00Z",
                                           "2026-03-08T08:00:00Z"}),
             boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(fall_back_fires_once_at_the_first_instance) {
  // America/New_York, 2026-11-01: 02:00 EDT (06:00Z) becomes 01:00 EST; 01:00-01:59 local happen twice.
  const cron_zone ny = must_find("America/New_York");
  BOOST_TEST(run(must_parse("30 1 * * *"), utc(2026, 11, 1), 2, ny) ==
                 (std::vector<std::string>{"2026-11-01T05:30:00Z", "2026-11-02T06:30:00Z"}),
             boost::test_tools::per_element());
  // From inside the repeated hour (01:10 EST, the second instance), 01:30 has already fired.
  BOOST_TEST(next("30 1 * * *", utc(2026, 11, 1, 6, 10), ny) == "2026-11-02T06:30:00Z");
  BOOST_TEST(run(must_parse("*/30 * * * *"), utc(2026, 11, 1, 3, 45), 7, ny) ==
                 (std::vector<std::string>{"2026-11-01T04:00:00Z", "2026-11-01T04:30:00Z", "2026-11-01T05:00:00Z",
                                           "2026-11-01T05:30:00Z", "2026-11-01T07:00:00Z", "2026-11-01T07:30:00Z",
                                           "2026-11-01T08:00:00Z"}),
             boost::test_tools::per_element());
  // Over both transitions of a year, every half hour: strictly increasing, no duplicates, and at most an hour apart.
  auto e = must_parse("*/30 * * * *");
  micros t = utc(2026, 1, 1);
  int count = 0;
  while (t < utc(2027, 1, 1)) {
    auto n = e.next_after(t, ny);
    BOOST_REQUIRE(n);
    BOOST_REQUIRE_MESSAGE(*n > t, show(*n) << " after " << show(t));
    BOOST_REQUIRE_MESSAGE(*n - t <= 90 * kMinute, show(*n) << " after " << show(t));
    t = *n;
    ++count;
  }
  // Every half hour of the year in UTC but the two inside the repeated hour (06:00Z and 06:30Z on Nov 1); spring
  // forward loses none (07:00Z is 02:00 EST, moved to the gap's end, and 02:30 and 03:00 fall on it too).
  BOOST_TEST(count == 365 * 48 - 2);
}

// --- a randomized comparison with a brute-force scan, in UTC --------------------------------------------------

namespace {

struct random_field {
  std::string text;
  std::bitset<64> values;
};

const char* const kMonths[] = {"jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"};
const char* const kDays[] = {"sun", "mon", "tue", "wed", "thu", "fri", "sat"};

// A random valid field over min-max; `names` (if any) name min, min+1, ...
random_field make_field(std::mt19937_64& rng, int min, int max, const char* const* names, int name_count) {
  auto pick = [&](int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng); };
  auto value = [&](int v) {
    if (names && v - min < name_count && pick(0, 2) == 0) {
      std::string s = names[v - min];
      for (char& c : s) {
        if (pick(0, 1)) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
      }
      return s;
    }
    return std::to_string(v);
  };
  random_field f;
  auto add = [&](int lo, int hi, int step) {
    for (int v = lo; v <= hi; v += step) f.values.set(v);
  };
  int kind = pick(0, 9);
  if (kind == 0) {
    f.text = "*";
    add(min, max, 1);
  } else if (kind == 1) {
    int step = pick(1, max - min + 2);
    f.text = "*/" + std::to_string(step);
    add(min, max, step);
  } else {
    int items = pick(1, 3);
    for (int i = 0; i < items; ++i) {
      if (i) f.text += ",";
      int lo = pick(min, max), hi = pick(lo, max), step = pick(1, 4);
      switch (pick(0, 4)) {
        case 0: f.text += value(lo); add(lo, lo, 1); break;
        case 1: f.text += value(lo) + "-" + value(hi); add(lo, hi, 1); break;
        case 2: f.text += value(lo) + "-" + value(hi) + "/" + std::to_string(step); add(lo, hi, step); break;
        case 3: f.text += value(lo) + "/" + std::to_string(step); add(lo, max, step); break;
        default: f.text += "*/" + std::to_string(step); add(min, max, step); break;
      }
    }
  }
  return f;
}

struct random_expression {
  std::string text;
  random_field minute, hour, dom, month, dow;
};

// The first minute strictly after `after` that matches, within `window` minutes of it (after >= 0).
std::optional<micros> brute_next(const random_expression& e, micros after, int64_t window) {
  bool dom_restricted = e.dom.text[0] != '*', dow_restricted = e.dow.text[0] != '*';
  std::bitset<64> dow = e.dow.values;
  if (dow[7]) dow.set(0);
  const int64_t first = after / kMinute + 1;
  int64_t day = -1;
  bool day_ok = false;
  for (int64_t m = first; m < first + window; ++m) {
    if (m / 1440 != day) {
      day = m / 1440;
      date::sys_days d{date::days{day}};
      date::year_month_day ymd{d};
      bool by_dom = e.dom.values[unsigned(ymd.day())], by_dow = dow[date::weekday{d}.c_encoding()];
      day_ok = e.month.values[unsigned(ymd.month())] &&
               (dom_restricted && dow_restricted ? by_dom || by_dow : by_dom && by_dow);
    }
    if (day_ok && e.hour.values[m % 1440 / 60] && e.minute.values[m % 60]) return m * kMinute;
  }
  return std::nullopt;
}

}  // namespace

BOOST_AUTO_TEST_CASE(random_expressions_agree_with_a_brute_force_scan) {
  uint64_t seed = std::random_device{}();
  if (const char* s = std::getenv("TROUPE_TEST_SEED")) seed = std::strtoull(s, nullptr, 10);
  BOOST_TEST_MESSAGE("cron random test seed " << seed << " (set TROUPE_TEST_SEED to repeat)");
  std::mt19937_64 rng(seed);
  const int64_t window = 400 * 1440;  // minutes
  int compared = 0, rejected = 0;
  for (int i = 0; i < 400; ++i) {
    random_expression e;
    e.minute = make_field(rng, 0, 59, nullptr, 0);
    e.hour = make_field(rng, 0, 23, nullptr, 0);
    e.dom = make_field(rng, 1, 31, nullptr, 0);
    // Mostly every month, so that most schedules fire within the window; sometimes a random set.
    e.month = rng() % 4 ? random_field{"*", std::bitset<64>(0x1ffe)} : make_field(rng, 1, 12, kMonths, 12);
    e.dow = make_field(rng, 0, 7, kDays, 7);
    e.text = e.minute.text + " " + e.hour.text + " " + e.dom.text + " " + e.month.text + " " + e.dow.text;
    BOOST_TEST_CONTEXT("seed " << seed << ", expression '" << e.text << "'") {
      std::string error;
      auto parsed = cron_expression::parse(e.text, &error);
      if (!parsed) {
        // Only a day of month that no selected month has is refused.
        BOOST_TEST(error.find("never matches") != std::string::npos, error);
        ++rejected;
        continue;
      }
      micros t = std::uniform_int_distribution<micros>(utc(1972, 1, 1), utc(2090, 1, 1))(rng);
      for (int step = 0; step < 10; ++step) {
        auto expected = brute_next(e, t, window);
        auto actual = parsed->next_after(t, {});
        ++compared;
        if (!expected) {
          BOOST_TEST((!actual || *actual >= (t / kMinute + 1 + window) * kMinute), "after " << show(t) << ": "
                                                                                         << show(actual));
          break;
        }
        BOOST_TEST_REQUIRE(show(actual) == show(expected), "after " << show(t));
        BOOST_TEST_REQUIRE(*actual > t);
        t = *actual;
      }
    }
  }
  BOOST_TEST_MESSAGE("compared " << compared << " occurrences; " << rejected << " expressions never match");
  BOOST_TEST(compared > 1000);
}
