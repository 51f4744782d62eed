// UTC formatting through gmtime_r; run ids from the time plus random bits.
#include "common/clock.h"

#include <cctype>
#include <cstdio>
#include <ctime>
#include <random>

namespace shoplake {

int64_t UnixMsNow() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string ToIso(std::chrono::system_clock::time_point time) {
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(time.time_since_epoch()).count();
  std::time_t seconds = static_cast<std::time_t>(ms / 1000);
  std::tm utc{};
  gmtime_r(&seconds, &utc);
  char text[96];  // sized for any int fields, so the compiler can prove no truncation
  std::snprintf(text, sizeof text, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", utc.tm_year + 1900,
                utc.tm_mon + 1, utc.tm_mday, utc.tm_hour, utc.tm_min, utc.tm_sec,
                static_cast<int>(ms % 1000));
  return text;
}

std::string UtcNowIso() { return ToIso(std::chrono::system_clock::now()); }

std::string UtcToday() { return UtcNowIso().substr(0, 10); }

std::string NewRunId() {
  std::string now = UtcNowIso();  // 2026-11-25T00:41:07.123Z
  std::string compact = now.substr(0, 4) + now.substr(5, 2) + now.substr(8, 2) + "T" +
                        now.substr(11, 2) + now.substr(14, 2) + now.substr(17, 2) + "Z";
  static thread_local std::mt19937_64 random{std::random_device{}()};
  char suffix[8];
  std::snprintf(suffix, sizeof suffix, "%06x", static_cast<unsigned>(random() & 0xFFFFFF));
  return compact + "-" + suffix;
}

bool IsIsoDate(const std::string& text) {
  int year, month, day;
  char tail;
  // sscanf's %4d would take "+202" or " 202" as a year: every digit is checked first.
  for (size_t i : {0, 1, 2, 3, 5, 6, 8, 9}) {
    if (i >= text.size() || !std::isdigit(static_cast<unsigned char>(text[i]))) return false;
  }
  if (text.size() != 10 ||
      std::sscanf(text.c_str(), "%4d-%2d-%2d%c", &year, &month, &day, &tail) != 3) {
    return false;
  }
  if (text[4] != '-' || text[7] != '-' || month < 1 || month > 12 || day < 1) return false;
  static const int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
  return day <= kDays[month - 1] + (month == 2 && leap ? 1 : 0);
}

}  // namespace shoplake
