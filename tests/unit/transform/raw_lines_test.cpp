// Where records sit in a raw file: LineMap's record -> line arithmetic around records that
// span several lines, and ScanLines' line count, text and byte offsets.
#include "transform/raw_lines.h"

#include <gtest/gtest.h>

#include "common/files.h"
#include "support/temp_folder.h"

namespace shoplake::transform {
namespace {

// header, r1, r2 (refused, runs on 2 more lines), r3, r4 (good, 1 quoted line break), r5
TEST(LineMap, RecordsThatSpanLinesShiftTheLinesAfterThem) {
  LineMap lines(true, {{2, 2}}, {{3, 1}});
  EXPECT_EQ(lines.RecordOfGood(1), 1u);
  EXPECT_EQ(lines.RecordOfGood(2), 3u);  // the refused record 2 comes before it
  EXPECT_EQ(lines.RecordOfGood(3), 4u);
  EXPECT_EQ(lines.LineOfRecord(1), 2u);
  EXPECT_EQ(lines.LineOfRecord(2), 3u);
  EXPECT_EQ(lines.ExtraLines(2), 2u);
  EXPECT_EQ(lines.LineOfRecord(3), 6u);
  EXPECT_EQ(lines.LineOfRecord(4), 7u);
  EXPECT_EQ(lines.ExtraLines(4), 1u);
  EXPECT_EQ(lines.LineOfRecord(5), 9u);
  EXPECT_EQ(lines.ExpectedLines(5), 9u);
}

TEST(LineMap, WithoutHeaderOrLongRecordsALineIsItsRecord) {
  LineMap lines(false, {}, {});
  EXPECT_EQ(lines.RecordOfGood(7), 7u);
  EXPECT_EQ(lines.LineOfRecord(7), 7u);
  EXPECT_EQ(lines.ExtraLines(7), 0u);
  EXPECT_EQ(lines.ExpectedLines(7), 7u);
}

TEST(ScanLines, CountsLinesAndReturnsTheWantedOnesWithWhereTheyStart) {
  ::shoplake::testing::TempFolder folder{"shoplake-raw-lines"};
  auto path = (folder.path() / "f.csv").string();
  WriteFileAtomically(path, "a,b\r\n1,2\r\n\"x\ny\",3\nlast");
  std::map<uint64_t, RawLine> found;
  EXPECT_EQ(ScanLines(path, {1, 3, 4, 5}, found), 5u);
  ASSERT_EQ(found.size(), 4u);
  EXPECT_EQ(found[1].offset, 0u);
  EXPECT_EQ(found[1].text, "a,b");
  EXPECT_EQ(found[3].offset, 10u);
  EXPECT_EQ(found[3].text, "\"x");
  EXPECT_EQ(found[4].offset, 13u);
  EXPECT_EQ(found[4].text, "y\",3");
  EXPECT_EQ(found[5].offset, 18u);
  EXPECT_EQ(found[5].text, "last");

  WriteFileAtomically(path, "");
  found.clear();
  EXPECT_EQ(ScanLines(path, {1}, found), 0u);
  EXPECT_TRUE(found.empty());
}

TEST(CountNewlines, CountsLineBreaks) {
  EXPECT_EQ(CountNewlines("a\nb\nc"), 2u);
  EXPECT_EQ(CountNewlines(""), 0u);
}

}  // namespace
}  // namespace shoplake::transform
