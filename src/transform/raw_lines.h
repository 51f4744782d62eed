// Where the records of a raw CSV file sit: record numbers to physical lines (LineMap), and
// the lines themselves, read straight from the file (ScanLines). A refused row's line is
// worked out here and confirmed against the file (transform/parse.h).
#pragma once

#include <algorithm>
#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <vector>

namespace shoplake::transform {

//! Where each record of one file starts and ends, in physical lines. DuckDB numbers its
//! rejects by record (header + record index), a parsed row's place in the parse is its
//! index among the good records, and a record can span several lines (a broken quote runs
//! on to the next quote; a good record may hold quoted line breaks), so lines are worked
//! out from the records that span several. A value; not synchronized.
class LineMap {
 public:
  // `rejected`: the refused records (1-based record index) with the extra lines each
  // spans; `multi_line_good`: good records (1-based among the good ones) holding line
  // breaks inside quotes, with their extra lines.
  LineMap(bool header, const std::map<uint64_t, uint64_t>& rejected,
          const std::map<uint64_t, uint64_t>& multi_line_good)
      : header_(header ? 1 : 0) {
    uint64_t j = 0;
    for (const auto& [record, extra] : rejected) {
      goods_before_.push_back(record - 1 - j++);  // non-decreasing
    }
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
  //! Lines the file should have: header, records and their extra lines.
  uint64_t ExpectedLines(uint64_t records) const {
    return header_ + records + (extra_before_and_at_.empty() ? 0 : extra_before_and_at_.back());
  }

 private:
  uint64_t header_;
  std::vector<uint64_t> goods_before_;  // per refused record: good records before it
  std::vector<uint64_t> extra_records_, extra_lines_, extra_before_and_at_;
};

//! A physical line of a raw file: where it starts (byte offset) and its text (without the
//! line break and a carriage return before it).
struct RawLine {
  uint64_t offset = 0;
  std::string text;
};

//! Counts the lines of the local file `path`, streaming it, and puts the `wanted` ones
//! (1-based) in `found`. Returns the number of lines (a last line without a line break
//! counts). Throws SystemError when the file cannot be read.
uint64_t ScanLines(const std::string& path, const std::set<uint64_t>& wanted,
                   std::map<uint64_t, RawLine>& found);

//! The line breaks in `text`.
uint64_t CountNewlines(const std::string& text);

}  // namespace shoplake::transform
