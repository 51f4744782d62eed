// The Athena SQL of the AWS bundle: a view written in DuckDB's SQL renders locally, but its
// named query fails on Athena (Trino) when it uses a spelling only DuckDB takes. Deploying
// warns of each, at file:line, with what Athena takes instead. One spelling is rendered
// rather than warned of: the views' exact rounding divides BIGINTs with DuckDB's `//`, which
// Trino spells `/` (docs/query.md, "Rounding").
//
// Thread safety: logs through spdlog; otherwise pure.
#pragma once

#include <string>

namespace shoplake::pipeline {

//! Warns (spdlog) at `file`:line of each DuckDB spelling in the view `text` that Athena
//! would refuse (arg_max, ::, strftime, QUALIFY, ILIKE, * EXCLUDE, list_*, struct_pack),
//! naming what to write instead. Comments ("--" to the line's end) are not read.
void WarnOfSpellingsAthenaLacks(const std::string& file, const std::string& text);

//! The view `text` as Athena's named query holds it: each `//` (DuckDB's integer division)
//! spelt `/`, which divides BIGINTs the same way on Trino (truncating; the views divide
//! only non-negative BIGINTs). A `//` inside a comment, string or quoted name is left alone.
std::string AthenaSql(const std::string& text);

}  // namespace shoplake::pipeline
