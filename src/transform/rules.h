// The mapping's rules as SQL: each column's cast from text, the condition that breaks each
// rule, and what the rejects say about it. The parse checks the rules on the columns as it
// reads them (typed by DuckDB's CSV reader where it can), and a refused record read back
// from its raw text is checked on its text (transform/parse.h): both come from here, so they
// cannot disagree about a rule.
#pragma once

#include <functional>
#include <map>
#include <string>
#include <vector>

#include "transform/mapping.h"

namespace shoplake::transform {

//! `parts` joined with `separator` between them.
std::string Join(const std::vector<std::string>& parts, const std::string& separator);

//! The typed value of column `c` from its text as read_csv names it (its source):
//! TRY_CAST, or TRY_STRPTIME with the column's format. NULL when the text does not cast.
std::string CastExpr(const ColumnSpec& c);

//! What the rejects say of a value that is not of its column's type.
std::string TypeMessage(const ColumnSpec& c);
//! What the rejects say of a value the referenced table does not know. REQUIRES: c.references.
std::string ReferenceMessage(const ColumnSpec& c);

//! One column's values as the rules see them, as SQL.
struct ColumnExprs {
  std::string source;  //!< the column as read (NULL exactly when its text is)
  std::string text;    //!< its text, for the rejects
  std::string typed;   //!< its typed value
  bool cast_in_sql;    //!< a failed cast is a rule of its own ("type")
  //! A decimal's value where its text is proved to hold no more decimals than the scale
  //! (db::ExactDecimalFunction), else NULL; empty when the parse reads no such value.
  std::string exact = {};
};

//! The column as read_csv reads it when every column is text.
ColumnExprs TextExprs(const ColumnSpec& c);
//! The column as the parse reads it: typed by the reader (`by_reader`), or as text.
ColumnExprs ParseExprs(const ColumnSpec& c, bool by_reader);

//! True when the text of decimal column `c` (as `e` gives it) holds more decimals than its
//! scale (1.255 in a DECIMAL(12,2); not 1.2500), as SQL; false for NULL and for text that
//! does not cast. What the rule "scale" refuses, and what `round: true` rounds and counts.
std::string ExtraDecimalsExpr(const ColumnSpec& c, const ColumnExprs& e);

//! One rule of one column: the condition that breaks it, and what to say.
struct Check {
  std::string condition;  //!< true when the row breaks the rule (NULL counts as not broken)
  std::string violation;  //!< struct_pack(column, rule, message, value)
};

//! Every rule of `mapping`, over each column's values as `exprs(i)` gives them (i indexes
//! mapping.columns). `reference_tables` names, per column with `references`, a table of
//! the known keys (column k); `with_references` false leaves those rules out.
std::vector<Check> Checks(const Mapping& mapping, const std::function<ColumnExprs(size_t)>& exprs,
                          const std::map<std::string, std::string>& reference_tables,
                          bool with_references);

//! True when a row breaks none of `checks`: cheap enough to evaluate on every row.
std::string OkExpr(const std::vector<Check>& checks);
//! The list of what a row breaks (struct_pack values), for the few rows that break some.
std::string ViolationsExpr(const std::vector<Check>& checks);

}  // namespace shoplake::transform
