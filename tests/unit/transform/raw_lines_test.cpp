// Where records sit in a raw file: LineMap's record -> line arithmetic around records that
// span several lines, ScanLines' line count, text and byte offsets, and RecordCounter's
// records, judged by DuckDB's own reader on the same bytes.
#include "transform/raw_lines.h"

#include <gtest/gtest.h>

#include <array>

#include "common/files.h"
#include "db/duckdb.h"
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

// header, blank, r1, blank, r2 (refused), r3 (good, 1 quoted line break), blank, r4: DuckDB
// numbers the blank lines as records (1, 3 and 6), so the refused record is its record 4.
TEST(LineMap, BlankLinesAreNumberedAsRecordsAndTakeALineEach) {
  LineMap lines(true, {{4, 0}}, {{2, 1}}, {1, 2, 4});
  // good record -> its record index -> its line
  const std::vector<std::array<uint64_t, 3>> goods = {{1, 2, 3}, {2, 5, 6}, {3, 7, 9}};
  for (const auto& [good, record, line] : goods) {
    EXPECT_EQ(lines.RecordOfGood(good), record) << good;
    EXPECT_EQ(lines.LineOfRecord(record), line) << record;
  }
  EXPECT_EQ(lines.LineOfRecord(4), 5u);  // the refused record
  EXPECT_EQ(lines.ExtraLines(5), 1u);
  EXPECT_EQ(lines.ExpectedLines(4), 9u);
}

TEST(ScanLines, CountsLinesAndReturnsTheWantedOnesWithWhereTheyStart) {
  ::shoplake::testing::TempFolder folder{"shoplake-raw-lines"};
  auto path = (folder.path() / "f.csv").string();
  WriteFileAtomically(path, "a,b\r\n1,2\r\n\"x\ny\",3\nlast");
  std::map<uint64_t, RawLine> found;
  LineScan scan = ScanLines(path, CsvDialect{}, {1, 3, 4, 5}, found);
  EXPECT_EQ(scan.lines, 5u);
  EXPECT_EQ(scan.records, 4u);  // the quoted line break is inside a record
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
  scan = ScanLines(path, CsvDialect{}, {1}, found);
  EXPECT_EQ(scan.lines, 0u);
  EXPECT_EQ(scan.records, 0u);
  EXPECT_TRUE(found.empty());
}

TEST(ScanLines, SplitsUtf16AtTheLineBreakCodeUnitOnly) {
  ::shoplake::testing::TempFolder folder{"shoplake-raw-lines"};
  auto path = (folder.path() / "f.csv").string();
  // BOM, "a\r\n", "\u010A" (its first byte is 0x0A, no line break), "\n", "b": 3 lines.
  const std::string bytes(
      "\xFF\xFE"
      "a\0\r\0\n\0"
      "\x0A\x01\n\0"
      "b\0",
      14);
  WriteFileAtomically(path, bytes);
  CsvDialect utf16;
  utf16.encoding = "utf-16";
  std::map<uint64_t, RawLine> found;
  LineScan scan = ScanLines(path, utf16, {1, 2, 3}, found);
  EXPECT_EQ(scan.lines, 3u);
  EXPECT_EQ(scan.records, 3u);
  ASSERT_EQ(found.size(), 3u);
  EXPECT_EQ(found[1].offset, 0u);
  EXPECT_EQ(found[1].text, std::string("\xFF\xFE"
                                       "a\0",
                                       4));  // the CR dropped, as in UTF-8
  EXPECT_EQ(found[2].offset, 8u);
  EXPECT_EQ(found[2].text, std::string("\x0A\x01", 2));
  EXPECT_EQ(found[3].offset, 12u);
  EXPECT_EQ(found[3].text, std::string("b\0", 2));
  EXPECT_EQ(
      RawTextAsUtf8(found[1].text + std::string(LineBreak("utf-16")) + found[2].text, "utf-16"),
      "a\n\u010A");
}

// Records a RecordCounter finds in `bytes`, fed `chunk` bytes at a time.
uint64_t CountRecords(const std::string& bytes, size_t chunk, const CsvDialect& csv = {}) {
  RecordCounter counter(csv);
  for (size_t at = 0; at < bytes.size(); at += chunk) {
    counter.Feed(bytes.data() + at, std::min(chunk, bytes.size() - at));
  }
  counter.Finish();
  return counter.records();
}

// The judge: DuckDB's reader as the transform runs it (strict, explicit dialect, rejects
// stored), its rows and refused records, plus the header.
uint64_t DuckDbRecords(const std::filesystem::path& file, const std::string& encoding) {
  db::Database db;
  db::Connection conn(db);
  std::string rows =
      conn.QueryScalar("SELECT count(*) FROM read_csv(" + db::QuoteLiteral(file.string()) +
                       ", columns = {'a': 'VARCHAR', 'b': 'VARCHAR', 'c': 'VARCHAR'},"
                       " header = true, auto_detect = false, strict_mode = true,"
                       " null_padding = false, delim = ',', quote = '\"', escape = '\"',"
                       " encoding = " +
                       db::QuoteLiteral(encoding) + ", store_rejects = true)")
          .value();
  std::string refused =
      conn.QueryScalar("SELECT count(DISTINCT line) FROM reject_errors").value_or("0");
  return std::stoull(rows) + std::stoull(refused) + 1;
}

TEST(RecordCounter, CountsTheRecordsDuckDbsReaderDelimits) {
  ::shoplake::testing::TempFolder folder{"shoplake-record-counter"};
  const std::vector<std::string> cases = {
      "a,b,c\n1,2,3\n4,5,6\n",
      "a,b,c\n1,2,3\n4,5,6",                          // no line break at the end
      "a,b,c\r\n1,2,3\r\n\r\n4,\"5\r\n6\",7\r\n",     // CRLF, a blank line, a quoted break
      "a,b,c\n1,x,3\n\n2,x,4\n\n",                    // blank lines are no records
      "a,b,c\n1,\"abc,3\n2,x,4\n3,\"y\",5\n4,z,6\n",  // an unterminated quote runs on
      "a,b,c\n1,ab\"c,3\n2,x,4\n",                    // a quote inside an unquoted field
      "a,b,c\n1,\"ab\"c,3\n2,x,4\n",                  // text after a closing quote
      "a,b,c\nlong unquoted text,\"a quoted, long\ttext\",3\n2,x,4\n",  // skipped at once
      "a,b,c\n1,\"Mug \"\"B\"\" x,3\n2,x,4\n3,\"Mug \"\"Barista\"\"\",5\n4,x,5\n",
      "a,b,c\nx, \"y\nz\",3\n4,5,6\n",         // blanks before an opening quote
      "a,b,c\n\"x\" ,\"y\nz\",3\n",            // blanks after a closing quote
      "a,b,c\n1,2\n1,2,3,4\n1,\"x\n",          // wrong counts; a quote to the end
      "\xEF\xBB\xBF\"a\",b,c\n1,\"2\n\",3\n",  // a BOM before a quoted name
      "a,b,c\n",
      "",
  };
  for (size_t i = 0; i < cases.size(); ++i) {
    auto file = folder.path() / ("case-" + std::to_string(i) + ".csv");
    WriteFileAtomically(file, cases[i]);
    uint64_t expected = cases[i].empty() ? 0 : DuckDbRecords(file, "utf-8");
    EXPECT_EQ(CountRecords(cases[i], 1 << 20), expected) << "case " << i << ": " << cases[i];
    EXPECT_EQ(CountRecords(cases[i], 1), expected) << "case " << i << " byte by byte";
  }
}

TEST(RecordCounter, SaysWhereTheBlankLinesAreByTheRecordsBeforeThem) {
  // Blank lines after the header, two after a record, one inside quotes (no blank line: it is
  // the record's), one at the end.
  const std::string bytes = "a,b,c\r\n\r\n1,2,3\r\n\r\n\r\n4,\"5\r\n\r\n6\",7\r\n\r\n";
  for (size_t chunk : {size_t{1} << 20, size_t{1}, size_t{3}}) {
    RecordCounter counter{CsvDialect{}};
    for (size_t at = 0; at < bytes.size(); at += chunk) {
      counter.Feed(bytes.data() + at, std::min(chunk, bytes.size() - at));
    }
    counter.Finish();
    EXPECT_EQ(counter.blank_lines(), (std::vector<uint64_t>{1, 2, 2, 3})) << "by " << chunk;
  }
}

TEST(RecordCounter, CountsUtf16ByCodeUnit) {
  ::shoplake::testing::TempFolder folder{"shoplake-record-counter"};
  // "naïve,b,c\n1,\"x\ny\",3\n\u010a,5,6\n" in UTF-16LE with a BOM: U+010A's low byte is a
  // line break in UTF-8's eyes, not in UTF-16's.
  std::u16string text = u"\uFEFFna\u00efve,b,c\n1,\"x\ny\",3\n\u010a,5,6\n";
  std::string bytes;
  for (char16_t unit : text) {
    bytes += static_cast<char>(unit & 0xFF);
    bytes += static_cast<char>(unit >> 8);
  }
  auto file = folder.path() / "utf16.csv";
  WriteFileAtomically(file, bytes);
  CsvDialect csv;
  csv.encoding = "utf-16";
  EXPECT_EQ(DuckDbRecords(file, "utf-16"), 3u);
  EXPECT_EQ(CountRecords(bytes, 1 << 20, csv), 3u);
  EXPECT_EQ(CountRecords(bytes, 1, csv), 3u);
}

TEST(RecordCounter, SaysWhereALastRecordWhoseQuoteNeverClosesStarts) {
  struct Case {
    std::string bytes;
    bool inside_quote;
    uint64_t last_record_offset;
  };
  const std::vector<Case> cases = {
      {"a,b,c\n1,2,3\n4,\"5,6\n", true, 12},
      {"a,b,c\r\n1,\"2\n\",3\r\n4,5,\"6\nx\"\"y\n\n", true, 17},  // a doubled quote stays inside
      {"\xEF\xBB\xBF"
       "a,b,c\n\"1",
       true, 9},  // a BOM counts
      {"a,b,c\n1,\"x\"\n", false, 6},
      {"a,b,c\n1,\"x\ny\",3\n", false, 6},
  };
  for (const auto& c : cases) {
    for (size_t chunk : {size_t{1} << 20, size_t{1}, size_t{2}}) {
      RecordCounter counter{CsvDialect{}};
      for (size_t at = 0; at < c.bytes.size(); at += chunk) {
        counter.Feed(c.bytes.data() + at, std::min(chunk, c.bytes.size() - at));
      }
      counter.Finish();
      EXPECT_EQ(counter.ends_inside_quote(), c.inside_quote) << c.bytes << " by " << chunk;
      EXPECT_EQ(counter.last_record_offset(), c.last_record_offset) << c.bytes << " by " << chunk;
    }
  }
}

TEST(ReadToEnd, KeepsTheFirstBytesAndCountsTheLinesOfAll) {
  ::shoplake::testing::TempFolder folder{"shoplake-read-to-end"};
  auto file = folder.path() / "tail.csv";
  WriteFileAtomically(file, "a,b\n1,\"x\r\ny\nz\r\n");
  FileEnd all = ReadToEnd(file.string(), 4, 100);
  EXPECT_EQ(all.text, "1,\"x\r\ny\nz");
  EXPECT_EQ(all.line_breaks, 2u);
  EXPECT_EQ(all.size, 11u);
  EXPECT_TRUE(all.whole);
  FileEnd cut = ReadToEnd(file.string(), 4, 5);
  EXPECT_EQ(cut.text, "1,\"x\r");
  EXPECT_EQ(cut.line_breaks, 2u);
  EXPECT_EQ(cut.size, 11u);
  EXPECT_FALSE(cut.whole);
}

TEST(CountNewlines, CountsLineBreaks) {
  EXPECT_EQ(CountNewlines("a\nb\nc"), 2u);
  EXPECT_EQ(CountNewlines(""), 0u);
}

TEST(RawTextAsUtf8, DecodesLatin1AndEscapesWhatIsNoText) {
  // Latin-1: every byte is a character (0xFC is ü, 0xFF ÿ), so nothing is lost.
  EXPECT_EQ(RawTextAsUtf8("x,M\xFCller\n\xFF", "latin-1"), "x,M\u00FCller\n\u00FF");
  // UTF-8 text stays as it is; a byte that is not UTF-8, or a control character, is \xNN.
  EXPECT_EQ(RawTextAsUtf8("1,Caf\u00E9\tok", "utf-8"), "1,Caf\u00E9\tok");
  EXPECT_EQ(RawTextAsUtf8("1,Caf\xE9\x01", "utf-8"), "1,Caf\\xE9\\x01");
  EXPECT_EQ(RawTextAsUtf8("\x01", "latin-1"), "\\x01");
  // UTF-16 (little-endian): a BOM dropped, a surrogate pair one character, half of one \xNN.
  EXPECT_EQ(RawTextAsUtf8(std::string("\xFF\xFEx\0\x3D\xD8\x00\xDE", 8), "utf-16"), "x\U0001F600");
  EXPECT_EQ(RawTextAsUtf8(std::string("x\0\x3D\xD8", 4), "utf-16"), "x\\x3D\\xD8");
  EXPECT_EQ(RawTextAsUtf8(std::string("x\0y", 3), "utf-16"), "x\\x79");
}

}  // namespace
}  // namespace shoplake::transform
