// The Athena SQL warnings of the AWS bundle: a view written in DuckDB's SQL renders locally,
// but its named query fails on Athena (Trino) when it uses a spelling only DuckDB takes.
// Deploying warns of each, at file:line, with what Athena takes instead.
//
// Thread safety: logs through spdlog; otherwise pure.
#pragma once

#include <string>

namespace shoplake::pipeline {

//! Warns (spdlog) at `file`:line of each DuckDB spelling in the view `text` that Athena
//! would refuse (arg_max, ::, strftime, QUALIFY, ILIKE, * EXCLUDE, list_*, struct_pack),
//! naming what to write instead. Comments ("--" to the line's end) are not read.
void WarnOfSpellingsAthenaLacks(const std::string& file, const std::string& text);

}  // namespace shoplake::pipeline
