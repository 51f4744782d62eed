// Text a person or a server wrote, read strictly: whole numbers, ISO dates, and error text
// made safe for a terminal.
#include <gtest/gtest.h>

#include "common/clock.h"
#include "common/log.h"
#include "common/numbers.h"

namespace shoplake {
namespace {

TEST(Numbers, AWholeNumberIsAllOfTheTextWithin64Bits) {
  EXPECT_EQ(ParseUnsigned("0"), 0u);
  EXPECT_EQ(ParseUnsigned("18446744073709551615"), UINT64_MAX);
  for (const char* bad : {"", "-1", "+1", "12abc", " 12", "12 ", "18446744073709551616", "1e3"}) {
    EXPECT_EQ(ParseUnsigned(bad), std::nullopt) << bad;
  }
  EXPECT_EQ(ParseSigned("-42"), -42);
  EXPECT_EQ(ParseSigned("9223372036854775807"), INT64_MAX);
  for (const char* bad : {"", "9223372036854775808", "99999999999999999999", "--1", "4x"}) {
    EXPECT_EQ(ParseSigned(bad), std::nullopt) << bad;
  }
}

TEST(Clock, AnIsoDateHasDigitsWhereDigitsBelong) {
  EXPECT_TRUE(IsIsoDate("2026-02-28"));
  EXPECT_TRUE(IsIsoDate("2024-02-29"));
  for (const char* bad : {"+202-01-01", " 202-01-01", "2026-1-01", "2026-01-1 ", "2026-02-29",
                          "2026-13-01", "2026-00-10", "2026/01/01", "20260101", ""}) {
    EXPECT_FALSE(IsIsoDate(bad)) << bad;
  }
}

TEST(Log, TerminalSafeEscapesControlsAndBrokenUtf8) {
  EXPECT_EQ(TerminalSafe("plain text, caf\xC3\xA9, \xE2\x82\xAC 5\n\tnext"),
            "plain text, caf\xC3\xA9, \xE2\x82\xAC 5\n\tnext");
  EXPECT_EQ(TerminalSafe("\x1B[2Jcleared\x07"), "\\x1B[2Jcleared\\x07");
  EXPECT_EQ(TerminalSafe(std::string("nul\0byte", 8)), "nul\\x00byte");
  EXPECT_EQ(TerminalSafe("latin-1 caf\xE9 and \x93quotes\x94"),
            "latin-1 caf\\xE9 and \\x93quotes\\x94");
  EXPECT_EQ(TerminalSafe("cut \xE2\x82"), "cut \\xE2\\x82");
}

TEST(Log, EscapeUndecodableKeepsControlsAndEscapesWhatDuckDbRefuses) {
  // A raw CSV line keeps its CR and tabs; only bytes that are no UTF-8 character change.
  EXPECT_EQ(EscapeUndecodable("1,caf\xE9,\x93q\x94\r\n"), "1,caf\\xE9,\\x93q\\x94\r\n");
  EXPECT_EQ(EscapeUndecodable("caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80\t"),
            "caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80\t");
  // Overlong forms, a surrogate, past U+10FFFF: well-shaped, yet not UTF-8.
  EXPECT_EQ(EscapeUndecodable("\xC0\xAF \xE0\x80\xAF \xED\xA0\x80 \xF4\x90\x80\x80"),
            "\\xC0\\xAF \\xE0\\x80\\xAF \\xED\\xA0\\x80 \\xF4\\x90\\x80\\x80");
  EXPECT_TRUE(IsUtf8("caf\xC3\xA9\r\n\x01"));
  EXPECT_TRUE(IsUtf8(""));
  EXPECT_FALSE(IsUtf8("caf\xE9"));
  EXPECT_FALSE(IsUtf8("\xED\xA0\x80"));
  EXPECT_FALSE(IsUtf8("cut \xE2\x82"));
}

}  // namespace
}  // namespace shoplake
