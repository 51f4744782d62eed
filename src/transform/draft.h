// Drafting a mapping from a CSV export: what `shoplake init` writes for a person to review.
// The draft reads the start of the first file (DuckDB's sniffer for the dialect and types,
// then SQL over the sample for what the sniffer does not decide: decimal scales, M/D/YYYY
// dates, a key the data shows) and says what it decided and what to check. It adds no rule:
// a rule is a statement about the shop's data that only a person can make.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "transform/sales_draft.h"

namespace shoplake::transform {

struct DraftColumn {
  std::string name;    //!< snake_case of the header
  std::string source;  //!< the header as the file has it
  std::string type;    //!< as a mapping spells it: bigint, decimal(18,4), date, varchar, ...
  std::string format;  //!< date and timestamp: the strptime format, empty for ISO 8601
};

struct DraftMapping {
  std::string dataset;
  std::string database;
  std::string table;
  std::string encoding;  //!< as csv.encoding spells it
  char delimiter = ',';
  char quote = '"';
  char escape = '"';
  bool header = true;
  std::vector<DraftColumn> columns;
  std::vector<std::string> primary_key;  //!< empty: no dedup
  std::string partition_from;            //!< the date column partitioned by year, or empty
  uint64_t sampled_rows = 0;
  bool whole_file = false;          //!< the sample is the whole file
  std::vector<std::string> checks;  //!< what the person should check, one line each
  SalesCandidate sales;             //!< the sales model roles its columns fill
};

//! "Order ID" -> order_id, "InvoiceNo" -> invoice_no, "Sub-Category" -> sub_category.
std::string SnakeCase(std::string_view header);

//! Drafts the mapping of `dataset` (table of the same name in `database`) from the local CSV
//! file `file`. Throws Error(kData) naming the file when it cannot be read as CSV at all.
DraftMapping DraftMappingFor(const std::string& file, const std::string& dataset,
                             const std::string& database);

//! The draft as a mapping file (YAML, with comments saying what was detected).
std::string MappingYaml(const DraftMapping& draft, const std::string& file);

}  // namespace shoplake::transform
