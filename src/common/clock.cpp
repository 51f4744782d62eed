// Calendar arithmetic by <chrono>'s civil types (year_month_day, hh_mm_ss), not gmtime_r,
// strftime or strptime: those read the process's locale and time zone, and timegm is not
// standard. Parsing is by fixed positions, so nothing but the exact form is accepted.
#include "common/clock.h"

#include <array>
#include <cstdio>
#include <random>

namespace shoplake {
namespace {

namespace chr = std::chrono;

constexpr std::array<std::string_view, 7> kDayNames = {"Sun", "Mon", "Tue", "Wed",
                                                       "Thu", "Fri", "Sat"};
constexpr std::array<std::string_view, 12> kMonthNames = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                                          "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

//! A time broken into the fields the formats print.
struct Civil {
  int year;
  unsigned month, day, weekday;  // weekday: 0 is Sunday
  long hour, minute, second, millis;
};

Civil ToCivil(chr::system_clock::time_point time) {
  auto ms = chr::floor<chr::milliseconds>(time);
  auto day = chr::floor<chr::days>(ms);
  chr::year_month_day date{day};
  chr::hh_mm_ss<chr::milliseconds> clock{ms - day};
  return {static_cast<int>(date.year()),
          static_cast<unsigned>(date.month()),
          static_cast<unsigned>(date.day()),
          chr::weekday{day}.c_encoding(),
          static_cast<long>(clock.hours().count()),
          static_cast<long>(clock.minutes().count()),
          static_cast<long>(clock.seconds().count()),
          static_cast<long>(clock.subseconds().count())};
}

//! `count` decimal digits at text[pos...] as `value`; false when any is not a digit.
bool Digits(std::string_view text, size_t pos, size_t count, int& value) {
  if (pos + count > text.size()) return false;
  value = 0;
  for (size_t i = pos; i < pos + count; ++i) {
    if (text[i] < '0' || text[i] > '9') return false;
    value = value * 10 + (text[i] - '0');
  }
  return true;
}

//! The day `year`-`month`-`day` when the calendar has it.
std::optional<chr::sys_days> Date(int year, int month, int day) {
  chr::year_month_day date{chr::year{year}, chr::month{static_cast<unsigned>(month)},
                           chr::day{static_cast<unsigned>(day)}};
  if (!date.ok()) return std::nullopt;
  return chr::sys_days{date};
}

//! "HH:MM:SS" at text[pos...] as seconds into the day; nullopt past 23:59:59.
std::optional<chr::seconds> TimeOfDay(std::string_view text, size_t pos) {
  int hour, minute, second;
  if (!Digits(text, pos, 2, hour) || pos + 2 >= text.size() || text[pos + 2] != ':' ||
      !Digits(text, pos + 3, 2, minute) || pos + 5 >= text.size() || text[pos + 5] != ':' ||
      !Digits(text, pos + 6, 2, second) || hour > 23 || minute > 59 || second > 59) {
    return std::nullopt;
  }
  return chr::hours(hour) + chr::minutes(minute) + chr::seconds(second);
}

//! "YYYY-MM-DD" at the start of `text`.
std::optional<chr::sys_days> IsoDay(std::string_view text) {
  int year, month, day;
  if (!Digits(text, 0, 4, year) || text.size() < 10 || text[4] != '-' ||
      !Digits(text, 5, 2, month) || text[7] != '-' || !Digits(text, 8, 2, day)) {
    return std::nullopt;
  }
  return Date(year, month, day);
}

//! Where `name` is in `names`, or -1.
int IndexOf(std::string_view name, auto const& names) {
  for (size_t i = 0; i < names.size(); ++i) {
    if (names[i] == name) return static_cast<int>(i);
  }
  return -1;
}

}  // namespace

int64_t UnixMsNow() { return ToUnixMs(chr::system_clock::now()); }

int64_t ToUnixMs(chr::system_clock::time_point time) {
  return chr::floor<chr::milliseconds>(time).time_since_epoch().count();
}

chr::system_clock::time_point FromUnixMs(int64_t unix_ms) {
  return chr::system_clock::time_point(chr::milliseconds(unix_ms));
}

// Buffers are sized for any int fields, so the compiler can prove no truncation.
std::string ToIso(chr::system_clock::time_point time) {
  Civil c = ToCivil(time);
  char text[128];
  std::snprintf(text, sizeof text, "%04d-%02u-%02uT%02ld:%02ld:%02ld.%03ldZ", c.year, c.month,
                c.day, c.hour, c.minute, c.second, c.millis);
  return text;
}

std::string ToIsoSeconds(chr::system_clock::time_point time) {
  Civil c = ToCivil(time);
  char text[128];
  std::snprintf(text, sizeof text, "%04d-%02u-%02uT%02ld:%02ld:%02ldZ", c.year, c.month, c.day,
                c.hour, c.minute, c.second);
  return text;
}

std::string ToHttpDate(chr::system_clock::time_point time) {
  Civil c = ToCivil(time);
  char text[128];
  std::snprintf(text, sizeof text, "%s, %02u %s %04d %02ld:%02ld:%02ld GMT",
                kDayNames[c.weekday].data(), c.day, kMonthNames[c.month - 1].data(), c.year, c.hour,
                c.minute, c.second);
  return text;
}

std::string ToAmzDate(chr::system_clock::time_point time) {
  Civil c = ToCivil(time);
  char text[128];
  std::snprintf(text, sizeof text, "%04d%02u%02uT%02ld%02ld%02ldZ", c.year, c.month, c.day, c.hour,
                c.minute, c.second);
  return text;
}

std::optional<chr::system_clock::time_point> ParseIso(std::string_view text) {
  auto day = IsoDay(text);
  if (!day || text.size() < 20 || text[10] != 'T') return std::nullopt;
  auto time_of_day = TimeOfDay(text, 11);
  if (!time_of_day) return std::nullopt;
  size_t pos = 19;
  int64_t nanos = 0;
  if (text[pos] == '.') {
    size_t digits = 0;
    for (++pos; pos < text.size() && text[pos] >= '0' && text[pos] <= '9'; ++pos, ++digits) {
      if (digits < 9) nanos = nanos * 10 + (text[pos] - '0');
    }
    if (digits == 0) return std::nullopt;
    for (size_t i = digits; i < 9; ++i) nanos *= 10;
  }
  chr::minutes offset{0};
  if (pos < text.size() && text[pos] == 'Z') {
    ++pos;
  } else if (pos < text.size() && (text[pos] == '+' || text[pos] == '-')) {
    int hours, minutes;
    if (!Digits(text, pos + 1, 2, hours) || pos + 3 >= text.size() || text[pos + 3] != ':' ||
        !Digits(text, pos + 4, 2, minutes) || hours > 23 || minutes > 59) {
      return std::nullopt;
    }
    offset = chr::minutes((text[pos] == '+' ? 1 : -1) * (hours * 60 + minutes));
    pos += 6;
  } else {
    return std::nullopt;
  }
  if (pos != text.size()) return std::nullopt;
  auto since_epoch = day->time_since_epoch() + *time_of_day - offset + chr::nanoseconds(nanos);
  return chr::system_clock::time_point(
      chr::duration_cast<chr::system_clock::duration>(since_epoch));
}

std::optional<chr::system_clock::time_point> ParseHttpDate(std::string_view text) {
  // "Fri, 27 Nov 2026 09:21:46 GMT": every field at a fixed place.
  int day, year;
  if (text.size() != 29 || IndexOf(text.substr(0, 3), kDayNames) < 0 || text.substr(3, 2) != ", " ||
      !Digits(text, 5, 2, day) || text[7] != ' ' || text[11] != ' ' || !Digits(text, 12, 4, year) ||
      text[16] != ' ' || text.substr(25) != " GMT") {
    return std::nullopt;
  }
  int month = IndexOf(text.substr(8, 3), kMonthNames) + 1;
  auto date = Date(year, month, day);
  auto time_of_day = TimeOfDay(text, 17);
  if (month == 0 || !date || !time_of_day) return std::nullopt;
  return chr::system_clock::time_point(*date) + *time_of_day;
}

std::string UtcNowIso() { return ToIso(chr::system_clock::now()); }

std::string UtcToday() { return ToIsoDate(chr::floor<chr::days>(chr::system_clock::now())); }

std::string ToIsoDate(chr::sys_days day) { return ToIso(day).substr(0, 10); }

std::optional<chr::sys_days> ParseIsoDate(std::string_view text) {
  if (text.size() != 10) return std::nullopt;
  return IsoDay(text);
}

std::string NewRunId() {
  static thread_local std::mt19937_64 random{std::random_device{}()};
  char suffix[8];
  std::snprintf(suffix, sizeof suffix, "%06x", static_cast<unsigned>(random() & 0xFFFFFF));
  return ToAmzDate(chr::system_clock::now()) + "-" + suffix;
}

bool IsIsoDate(std::string_view text) { return ParseIsoDate(text).has_value(); }

}  // namespace shoplake
