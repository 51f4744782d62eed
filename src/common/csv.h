// Writing CSV as RFC 4180 spells it, for the files shoplake makes (the simulated shop's
// exports, saved query results): one field writer, so every CSV quotes the same way.
// Reading CSV is DuckDB's job (read_csv), not this file's.
#pragma once

#include <string>
#include <string_view>

namespace shoplake {

//! `text` as one CSV field: as is, or in double quotes (inner quotes doubled) when it holds
//! a comma, a double quote or a line break. "" stays an empty field.
std::string CsvField(std::string_view text);

}  // namespace shoplake
