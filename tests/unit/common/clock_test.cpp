// The one time module (common/clock.h): every format it writes, read back exactly, and the
// text it must refuse.
#include "common/clock.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <regex>

namespace shoplake {
namespace {

using std::chrono::system_clock;

constexpr int64_t kNov27 = 1795771306250;  // Fri, 27 Nov 2026 09:21:46.250 UTC

TEST(Clock, WritesEachFormatExactly) {
  EXPECT_EQ(ToIso(FromUnixMs(kNov27)), "2026-11-27T09:21:46.250Z");
  EXPECT_EQ(ToIsoSeconds(FromUnixMs(kNov27)), "2026-11-27T09:21:46Z");
  EXPECT_EQ(ToHttpDate(FromUnixMs(kNov27)), "Fri, 27 Nov 2026 09:21:46 GMT");
  EXPECT_EQ(ToAmzDate(FromUnixMs(kNov27)), "20261127T092146Z");
  // RFC 7231's and AWS's own examples.
  EXPECT_EQ(ToHttpDate(FromUnixMs(784111777000)), "Sun, 06 Nov 1994 08:49:37 GMT");
  EXPECT_EQ(ToAmzDate(FromUnixMs(1369353600000)), "20130524T000000Z");
  EXPECT_EQ(ToIso(FromUnixMs(951782400000)), "2000-02-29T00:00:00.000Z");
  EXPECT_EQ(ToIso(FromUnixMs(0)), "1970-01-01T00:00:00.000Z");
  // Before 1970 the milliseconds round down, as the calendar does.
  EXPECT_EQ(ToIso(FromUnixMs(-1)), "1969-12-31T23:59:59.999Z");
  EXPECT_EQ(ToUnixMs(system_clock::time_point(std::chrono::microseconds(-1))), -1);
  EXPECT_EQ(ToUnixMs(system_clock::time_point(std::chrono::microseconds(1999))), 1);
}

TEST(Clock, TheZoneOfTheProcessChangesNothing) {
  const char* before = std::getenv("TZ");
  std::string saved = before ? before : "";
  ::setenv("TZ", "America/St_Johns", 1);  // -03:30: any local-time slip shows
  ::tzset();
  EXPECT_EQ(ToIso(FromUnixMs(kNov27)), "2026-11-27T09:21:46.250Z");
  EXPECT_EQ(ParseIso("2026-11-27T09:21:46.250Z"), FromUnixMs(kNov27));
  if (before) {
    ::setenv("TZ", saved.c_str(), 1);
  } else {
    ::unsetenv("TZ");
  }
  ::tzset();
}

TEST(Clock, ReadsRfc3339WithFractionAndOffset) {
  EXPECT_EQ(ParseIso("2026-11-27T09:21:46.250Z"), FromUnixMs(kNov27));
  EXPECT_EQ(ParseIso("2026-11-27T09:21:46Z"), FromUnixMs(kNov27 - 250));
  EXPECT_EQ(ParseIso("2026-11-27T09:21:46.25Z"), FromUnixMs(kNov27));
  EXPECT_EQ(ParseIso("2026-11-27T10:21:46.250+01:00"), FromUnixMs(kNov27));
  EXPECT_EQ(ParseIso("2026-11-27T05:51:46.250-03:30"), FromUnixMs(kNov27));
  auto nanos = ParseIso("1970-01-01T00:00:00.000000001Z");
  ASSERT_TRUE(nanos.has_value());
  EXPECT_EQ(nanos->time_since_epoch(), std::chrono::nanoseconds(1));
  // Past nine digits the fraction is cut, not refused.
  EXPECT_EQ(ParseIso("1970-01-01T00:00:01.0000000009Z"), FromUnixMs(1000));
  EXPECT_EQ(ParseIso("2024-02-29T23:59:59Z"), FromUnixMs(1709251199000));
}

TEST(Clock, RefusesWhatIsNotExactlyRfc3339) {
  for (const char* bad : {"",
                          "2026-11-27",
                          "2026-11-27T09:21:46",
                          "2026-11-27 09:21:46Z",
                          "2026-11-27t09:21:46Z",
                          "2026-11-27T09:21:46z",
                          "2026-11-27T09:21:46.Z",
                          "2026-11-27T09:21:46+0100",
                          "2026-11-27T09:21:46+24:00",
                          "2026-11-27T09:21:46Z ",
                          " 2026-11-27T09:21:46Z",
                          "2026-02-29T00:00:00Z",
                          "2026-13-01T00:00:00Z",
                          "2026-11-00T00:00:00Z",
                          "2026-11-27T24:00:00Z",
                          "2026-11-27T09:60:00Z",
                          "2026-11-27T09:21:60Z",
                          "+026-11-27T09:21:46Z",
                          "2026-1-27T09:21:46Z",
                          "2026-11-27T9:21:46Z",
                          "2026-11-27T09:21:46.250ZZ"}) {
    EXPECT_EQ(ParseIso(bad), std::nullopt) << bad;
  }
}

TEST(Clock, ReadsHttpDatesAndRefusesOtherForms) {
  EXPECT_EQ(ParseHttpDate("Fri, 27 Nov 2026 09:21:46 GMT"), FromUnixMs(kNov27 - 250));
  EXPECT_EQ(ParseHttpDate("Sun, 06 Nov 1994 08:49:37 GMT"), FromUnixMs(784111777000));
  EXPECT_EQ(ParseHttpDate("Tue, 29 Feb 2000 00:00:00 GMT"), FromUnixMs(951782400000));
  for (const char* bad : {"", "Sunday, 06-Nov-94 08:49:37 GMT", "Sun Nov  6 08:49:37 1994",
                          "Sun, 06 Nov 1994 08:49:37 UTC", "Sun, 06 Nov 1994 08:49:37 +0000",
                          "sun, 06 nov 1994 08:49:37 GMT", "Xyz, 06 Nov 1994 08:49:37 GMT",
                          "Sun, 6 Nov 1994 08:49:37 GMT", "Sun, 06 Nov 94 08:49:37 GMT",
                          "Tue, 29 Feb 2001 00:00:00 GMT", "Sun, 06 Foo 1994 08:49:37 GMT",
                          "Sun, 06 Nov 1994 24:00:00 GMT", "Sun, 06 Nov 1994 08:49:37 GMT ",
                          "2026-11-27T09:21:46Z"}) {
    EXPECT_EQ(ParseHttpDate(bad), std::nullopt) << bad;
  }
}

TEST(Clock, EveryFormatReadsBackToTheTimeItWrote) {
  // Across leap days, year ends, and before 1970: one step is 1 day + 1 h + 1 min + 1.001 s.
  const int64_t step = 86'400'000 + 3'600'000 + 60'000 + 1001;
  for (int64_t ms = -40 * step; ms < 20'000 * step; ms += step) {
    system_clock::time_point time = FromUnixMs(ms);
    ASSERT_EQ(ParseIso(ToIso(time)), time) << ToIso(time);
    system_clock::time_point second = FromUnixMs(ms - (((ms % 1000) + 1000) % 1000));
    ASSERT_EQ(ParseIso(ToIsoSeconds(time)), second) << ToIsoSeconds(time);
    ASSERT_EQ(ParseHttpDate(ToHttpDate(time)), second) << ToHttpDate(time);
    ASSERT_TRUE(IsIsoDate(ToIso(time).substr(0, 10))) << ToIso(time);
  }
}

TEST(Clock, ADayIsWrittenAndReadAsYyyyMmDd) {
  using std::chrono::sys_days;
  using namespace std::chrono_literals;
  EXPECT_EQ(ToIsoDate(sys_days{2024y / 2 / 29}), "2024-02-29");
  EXPECT_EQ(ToIsoDate(sys_days{1969y / 12 / 31}), "1969-12-31");
  EXPECT_EQ(ParseIsoDate("2024-02-29"), sys_days{2024y / 2 / 29});
  EXPECT_EQ(ParseIsoDate("0001-01-01"), sys_days{1y / 1 / 1});
  for (const char* bad : {"2026-02-29", "2026-02-28T00:00:00Z", "+202-01-01", "2026-1-1"}) {
    EXPECT_EQ(ParseIsoDate(bad), std::nullopt) << bad;
  }
  for (int n = -800; n < 80'000; n += 7) {
    sys_days day{std::chrono::days{n}};
    ASSERT_EQ(ParseIsoDate(ToIsoDate(day)), day) << ToIsoDate(day);
  }
}

TEST(Clock, RunIdsStartWithTheAmzStamp) {
  std::string id = NewRunId();
  EXPECT_TRUE(std::regex_match(id, std::regex("[0-9]{8}T[0-9]{6}Z-[0-9a-f]{6}"))) << id;
  EXPECT_EQ(UtcToday().size(), 10u);
  EXPECT_TRUE(IsIsoDate(UtcToday()));
}

}  // namespace
}  // namespace shoplake
