// Where the records of a raw CSV file sit: record numbers to physical lines (LineMap), and
// the lines themselves, read straight from the file (ScanLines), which also counts the file's
// records on its own (RecordCounter), so that a record the reader lost is noticed, and the
// text of a last record that runs to the file's end (ReadToEnd). A refused row's line is
// worked out here and confirmed against the file (transform/parse.h).
#pragma once

#include <algorithm>
#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "transform/mapping.h"

namespace shoplake::transform {

//! Where each record of one file starts and ends, in physical lines. DuckDB numbers its
//! rejects by record (header + record index), a parsed row's place in the parse is its
//! index among the good records, and a record can span several lines (a broken quote runs
//! on to the next quote; a good record may hold quoted line breaks), so lines are worked
//! out from the records that span several. A blank line is no record, but DuckDB's numbers
//! count it as one: here too it takes a record index, neither good nor refused, one line
//! long. A value; not synchronized.
class LineMap {
 public:
  // `rejected`: the refused records (1-based record index) with the extra lines each
  // spans; `multi_line_good`: good records (1-based among the good ones) holding line
  // breaks inside quotes, with their extra lines; `blank_lines`: per blank line, the records
  // before it, the header among them (LineScan::blank_lines; one before the header is left
  // out: the lines it adds make ExpectedLines disagree).
  LineMap(bool header, const std::map<uint64_t, uint64_t>& rejected,
          const std::map<uint64_t, uint64_t>& multi_line_good,
          const std::vector<uint64_t>& blank_lines = {})
      : header_(header ? 1 : 0) {
    std::set<uint64_t> not_good;  // record indexes that are no good record
    for (const auto& [record, extra] : rejected) not_good.insert(record);
    for (uint64_t records_before : blank_lines) {
      if (records_before < header_) continue;
      not_good.insert(records_before - header_ + ++blanks_);
    }
    uint64_t j = 0;
    for (uint64_t record : not_good) goods_before_.push_back(record - 1 - j++);  // non-decreasing
    std::map<uint64_t, uint64_t> extra = rejected;
    for (const auto& [good, lines] : multi_line_good) extra[RecordOfGood(good)] += lines;
    uint64_t sum = 0;
    for (const auto& [record, lines] : extra) {
      extra_records_.push_back(record);
      extra_lines_.push_back(lines);
      sum += lines;
      extra_before_and_at_.push_back(sum);
    }
  }

  //! The record index (1-based) of the `good`-th good record (1-based) of the file: it
  //! comes after every refused record with fewer good records before it than `good`.
  uint64_t RecordOfGood(uint64_t good) const {
    auto shift =
        std::lower_bound(goods_before_.begin(), goods_before_.end(), good) - goods_before_.begin();
    return good + static_cast<uint64_t>(shift);
  }
  //! The physical line where record `record` starts.
  uint64_t LineOfRecord(uint64_t record) const {
    auto before = std::lower_bound(extra_records_.begin(), extra_records_.end(), record) -
                  extra_records_.begin();
    return header_ + record +
           (before == 0 ? 0 : extra_before_and_at_[static_cast<size_t>(before) - 1]);
  }
  uint64_t ExtraLines(uint64_t record) const {
    auto it = std::lower_bound(extra_records_.begin(), extra_records_.end(), record);
    return it != extra_records_.end() && *it == record
               ? extra_lines_[static_cast<size_t>(it - extra_records_.begin())]
               : 0;
  }
  //! Lines the file should have: header, records, blank lines and records' extra lines.
  uint64_t ExpectedLines(uint64_t records) const {
    return header_ + records + blanks_ +
           (extra_before_and_at_.empty() ? 0 : extra_before_and_at_.back());
  }

 private:
  uint64_t header_;
  uint64_t blanks_ = 0;                 // blank lines after the header
  std::vector<uint64_t> goods_before_;  // per refused record or blank line: good records before it
  std::vector<uint64_t> extra_records_, extra_lines_, extra_before_and_at_;
};

//! A physical line of a raw file: where it starts (byte offset) and its text (without the
//! line break and a carriage return before it).
struct RawLine {
  uint64_t offset = 0;
  std::string text;
  //! The carriage return that came before its line break, as the file has it ("\r", or
  //! UTF-16's); empty when none did. A record of several lines is its lines joined by
  //! `cr` and the line break.
  std::string cr;
};

//! Counts the records of a CSV file as DuckDB's reader (strict mode) delimits them, from its
//! bytes alone: blank lines are no records; a field opening with a quote (after blanks) runs
//! to its closing quote, line breaks and all (a doubled quote, or the escape character, keeps
//! it open); anything but blanks, a delimiter or a line break after the closing quote makes
//! the record an error that ends at the next line break, where the reader resumes. A quote
//! inside an unquoted field is text. A UTF-8 BOM is skipped; UTF-16 (little-endian, as DuckDB
//! reads it) is counted by code unit. Independent of DuckDB, to check it: every record the
//! file holds must come out of the reader as a row or a reject. A value; not synchronized.
class RecordCounter {
 public:
  explicit RecordCounter(const CsvDialect& csv);
  //! The file's next `size` bytes.
  void Feed(const char* data, size_t size);
  //! After the last Feed: a file shorter than a BOM is counted too.
  void Finish();
  //! Records so far, the header among them; a record the file's end cuts off counts.
  uint64_t records() const { return records_ + (state_ == State::kRecordStart ? 0 : 1); }
  //! The bytes so far end inside a quoted field: the last record never closes its quote.
  bool ends_inside_quote() const { return state_ == State::kQuoted || state_ == State::kEscaped; }
  //! The byte offset in the file (a BOM counted) where the last record so far starts.
  uint64_t last_record_offset() const { return last_record_offset_; }
  //! Per blank line so far (no record, outside any), the records before it, the header
  //! among them.
  const std::vector<uint64_t>& blank_lines() const { return blank_lines_; }

 private:
  enum class State {
    kRecordStart,
    kFieldStart,
    kUnquoted,
    kQuoted,
    kEscaped,
    kQuoteClosed,
    kAfterQuote,
    kError
  };
  void Step(char c);
  // Inside a field, after its text (or at its start): a delimiter starts the next field, a line
  // break ends the record. False, with the state unchanged, for any other byte.
  bool EndsField(char c);
  std::string_view Bom() const;
  // Takes whole lines holding no quote from [p, end) at a record's start; returns where it
  // stopped (a line with a quote, or one the chunk cuts).
  const char* SkipPlainLines(const char* p, const char* end);
  // Inside a record: skips the bytes of [p, end) that leave the state as it is (an unquoted
  // field's text, a quoted field's up to its next quote, an error's up to the line break);
  // returns the first byte Step must take, or `end`.
  const char* SkipInsideField(const char* p, const char* end) const;

  char delimiter_, quote_, escape_;
  bool utf16_;
  State state_ = State::kRecordStart;
  uint64_t records_ = 0;
  bool started_ = false;             // the start is settled: a BOM skipped, or none there
  std::string start_;                // the first bytes, until a BOM is ruled in or out
  int odd_byte_ = -1;                // UTF-16: the first byte of a code unit the chunk cut
  uint64_t position_ = 0;            // the file offset of the next byte to take
  uint64_t last_record_offset_ = 0;  // where the last record started
  std::vector<uint64_t> blank_lines_;
};

//! What ScanLines found in a file.
struct LineScan {
  uint64_t lines = 0;    //!< physical lines (a last line without a line break counts)
  uint64_t records = 0;  //!< CSV records, the header among them (RecordCounter)
  //! The file ends inside a quoted field: its last record, from `last_record_offset`,
  //! never closes its quote.
  bool ends_inside_quote = false;
  uint64_t last_record_offset = 0;
  //! Per blank line, the records before it, the header among them (RecordCounter).
  std::vector<uint64_t> blank_lines;
};

//! Counts the lines and records of the local file `path` (in dialect `csv`), streaming it
//! once, and puts the `wanted` lines (1-based) in `found` (their bytes as the file has them:
//! in UTF-16, lines end at the code unit U+000A). Throws SystemError when the file
//! cannot be read.
LineScan ScanLines(const std::string& path, const CsvDialect& csv, const std::set<uint64_t>& wanted,
                   std::map<uint64_t, RawLine>& found);

//! The end of a file, from a byte offset on (ReadToEnd).
struct FileEnd {
  std::string text;          //!< its bytes, at most the first `most`, a last line break dropped
  uint64_t line_breaks = 0;  //!< in all of it, but a last one: the lines it spans, less one
  uint64_t size = 0;         //!< its bytes, all of them
  bool whole = true;         //!< `text` holds them all (but a last line break)
};

//! The bytes of the local file `path` from `offset` to its end (the text of a record that
//! runs to the end: RecordCounter::ends_inside_quote), keeping at most `most` of them in
//! memory. Throws SystemError when the file cannot be read.
FileEnd ReadToEnd(const std::string& path, uint64_t offset, size_t most);

//! The bytes of a line break in a file of `encoding`: "\n", or in UTF-16 its code unit.
std::string_view LineBreak(const std::string& encoding);

//! A record's raw bytes, in the file's `encoding`, as UTF-8 text for its reject's raw_line:
//! Latin-1 and UTF-16 decoded; then what is not text (bytes that are not UTF-8, control
//! characters but tab and line break) written \xNN, as docs/transform.md says.
std::string RawTextAsUtf8(std::string_view raw, const std::string& encoding);

//! The line breaks in `text`.
uint64_t CountNewlines(const std::string& text);

}  // namespace shoplake::transform
