// The parse of a transform run: every raw file read by DuckDB's CSV reader in one parallel
// statement, the reader casting the columns itself (its rejects tables take the records
// that do not parse or cast, with their positions), each row checked against the mapping's
// rules, into a work file that keeps the files' order, so that a row's place in it tells
// where the row stood. Then the physical line of every refused record, each confirmed by
// reading the record back from the raw file (docs/decisions/0006-exact-reject-lines.md).
//
// Thread safety: a Parse is used by one thread at a time, with one connection.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "db/duckdb.h"
#include "transform/encoding.h"
#include "transform/mapping.h"
#include "transform/transform.h"

namespace shoplake::transform {

//! One raw file of a run, in ingest order (priority rises with it: the latest wins).
struct InputFile {
  std::string raw_key;
  std::string path;  //!< the local file the parse reads: the raw file, or its UTF-8 copy
  int64_t priority = 0;
  //! When `path` is a UTF-8 copy (a raw file in another encoding: transform/encoding.h):
  //! the raw file's local path, and the bytes of it that do not decode, by line.
  std::string raw_path;
  std::map<uint64_t, UndecodableByte> undecodable;
  //! The names the reader gives the file's columns, in its header's order: the mapping's source
  //! where a column reads one, UnmappedColumn(i) where none does (not read into the table);
  //! empty: the mapping's sources in order (no header).
  std::vector<std::string> columns;
};

//! The name the reader gives the header's `i`-th column (from 0) when no mapping column reads
//! it.
std::string UnmappedColumn(size_t i);

//! What the parse made of one raw file.
struct ParsedFile {
  uint64_t rows_read = 0;      //!< records: those the reader took and those it refused
  uint64_t rows_parsed = 0;    //!< records the reader took (the file's rows in `parsed`)
  uint64_t rows_refused = 0;   //!< of those, the rows a rule or a reference refuses
  uint64_t rows_rejected = 0;  //!< records the reader refused, plus rows_refused
  //! Of the records the reader refused, those holding bytes that do not decode in the
  //! file's encoding (rule `encoding`), and the first such byte.
  uint64_t rows_undecodable = 0;
  uint64_t first_undecodable_line = 0;
  UndecodableByte first_undecodable;
};

//! Inserts `values` (rows of `width` values, one after the other) into the DuckDB table
//! `table`, many rows per statement (a statement per row costs more than its row), in one
//! transaction. Throws as Connection::Query does.
void InsertRows(db::Connection& conn, const std::string& table, size_t width,
                const std::vector<db::Parameter>& values);

//! The column of `parsed` that tells whether a row's value of `c` (a decimal with `round:
//! true`) was rounded.
std::string RoundedColumn(const ColumnSpec& c);

class Parse {
 public:
  //! `files` in ingest order; `reference_tables`: per column with `references`, the temp
  //! table of the keys it may take (column k), made before Run. The work file goes in
  //! `work_folder`. `csv_buffer_size` is read_csv's buffer_size (0: DuckDB's default).
  Parse(const Mapping& mapping, std::vector<InputFile> files,
        std::map<std::string, std::string> reference_tables, std::string work_folder,
        int64_t csv_buffer_size);
  Parse(const Parse&) = delete;
  Parse& operator=(const Parse&) = delete;

  //! The statements the parse runs first, for --dry-run.
  std::vector<std::string> Plan() const;

  //! Runs the parse on `conn` (which runs `threads` threads). Afterwards `conn` has
  //!  - the view `parsed`: every row the reader took: __file_index (its file's place in
  //!    `files`, from 0), the mapping's columns typed and named as targets, __ok (no rule
  //!    but references broken), __rid (its place: rows of one file are contiguous, in the
  //!    file's order), and per column with `round: true` its RoundedColumn;
  //!  - the table `refused` (__file_index, __rid, ...): the rows a rule or a reference
  //!    refuses.
  //! Appends a Reject per broken rule of every refused row or record to `rejects`; returns
  //! what each file gave, by local path. Calls `step` with a name after each step.
  //! When a line cannot be confirmed against its file, parses again with one thread per
  //! file; if even that does not confirm it, warns that line numbers may be off (and
  //! lines_confirmed() says false).
  std::map<std::string, ParsedFile> Run(db::Connection& conn, int threads,
                                        std::vector<Reject>& rejects,
                                        const std::function<void(const char*)>& step);

  //! After Run: every refused row's line was confirmed against its file.
  bool lines_confirmed() const { return lines_confirmed_; }

 private:
  struct RereadRecord;

  // After the parse: per file (local path), its rows' first __rid and their count.
  std::map<std::string, std::pair<uint64_t, uint64_t>> GoodRanges(db::Connection& conn) const;
  // Throws Error(kData) naming `file` when the reader's records (`rows_read`: rows and
  // rejects) are not the `file_records` the file holds (header included): a lost record.
  void CheckEveryRecordRead(const InputFile& file, uint64_t file_records, uint64_t rows_read) const;
  // The file's parsed rows (the `file_index`-th file, its first row `first_rid`) that hold
  // line breaks inside quotes: by place among its good records (1-based), their line breaks.
  std::map<uint64_t, uint64_t> MultiLineRows(db::Connection& conn, size_t file_index,
                                             uint64_t first_rid) const;
  // The local path of the file a parsed row's __file_index names.
  const std::string& PathOf(const std::optional<std::string>& file_index) const;

  // The names the reader gives `file`'s columns (InputFile::columns, or the sources in order).
  std::vector<std::string> ReadNamesOf(const InputFile& file) const;
  // The read (groups_) file `file` (its index in files_) is in.
  size_t GroupOf(std::ptrdiff_t file) const;
  // The rejects table of read `group`: `rejects` itself when there is one read.
  std::string GroupRejects(const std::string& rejects, size_t group) const;
  // read_csv over `from` with the mapping's dialect, its columns named `names` (a header's
  // columns), each source read as `types` (per mapping column) says, the others as text;
  // refused records go to the rejects tables `rejects` and `rejects`_scans.
  std::string ReadCsv(const std::string& from, const std::vector<std::string>& names,
                      const std::vector<std::string>& types, bool parallel,
                      const std::string& rejects) const;
  // `relation` with the value of each derived column as text (its source, DerivedSource),
  // from the read columns' typed values as `typed(i)` (i indexes mapping.columns) gives them.
  std::string WithDerived(const std::string& relation,
                          const std::function<std::string(size_t)>& typed) const;
  // The statements that create the derived columns' macros (DerivedMacroSql).
  std::vector<std::string> DerivedMacros() const;
  // Every file read, one read_csv per group, as a subquery: the sources and __file_index.
  std::string Read(bool parallel, const std::string& rejects) const;
  // The parse itself: a COPY into the work file.
  std::string CopySql(bool parallel, const std::string& rejects) const;
  // Runs `copy` (CopySql) on `conn`, on one thread when DuckDB would not keep the rows'
  // order on `threads`, and makes the view `parsed` over the work file.
  void WriteParsed(db::Connection& conn, int threads, const std::string& copy) const;
  // One parse and the lines of what it refused; false when a line was not confirmed.
  bool RunOnce(db::Connection& conn, int threads, bool parallel,
               std::map<std::string, ParsedFile>& files, std::vector<Reject>& rejects,
               const std::function<void(const char*)>& step);
  // The rejects table of each read (GroupRejects).
  std::vector<std::string> RejectsTables(const std::string& rejects) const;
  // Reread, one read (groups_) at a time, with its header line (by read).
  bool RereadByRead(db::Connection& conn, std::vector<RereadRecord> reread,
                    std::map<size_t, std::string>& header_lines, const std::string& errors_table,
                    std::vector<Reject>& rejects) const;
  // Reads `records` back from their raw text (see parse.cpp); false when a violator does
  // not come back as the row the parse refused.
  bool Reread(db::Connection& conn, std::vector<RereadRecord> records, size_t group,
              const std::string& header_line, const std::string& suffix,
              std::vector<Reject>& rejects) const;

  const Mapping& mapping_;
  // The dialect the files are read in: the mapping's, in UTF-8 (a raw file in another
  // encoding is read from its UTF-8 copy).
  CsvDialect read_csv_;
  std::vector<InputFile> files_;
  // The files read together (by their index in files_): those whose headers put the sources in
  // the same places (ReadNamesOf), in the order of their first file.
  std::vector<std::vector<size_t>> groups_;
  bool unread_columns_ = false;  // a file has columns the mapping does not read
  std::map<std::string, std::string> reference_tables_;
  std::string work_folder_;
  std::string parsed_path_;  // the work file
  int64_t csv_buffer_size_;
  // How each column is read: typed by the reader, or as text cast in SQL.
  std::vector<bool> by_reader_;
  std::string timestamp_format_, date_format_;  // read_csv's, when a column takes one
  std::vector<std::string> reader_types_;       // per column, what read_csv reads it as
  // Per column, its typed value from the read, AS the column's name (for the read back: the
  // parse's own statement casts each column once, CopySql).
  std::vector<std::string> typed_columns_;
  std::string refused_sql_, violations_sql_;
  bool lines_confirmed_ = false;
};

}  // namespace shoplake::transform
