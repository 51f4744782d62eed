// A SQL function that reads text as a DECIMAL only when that loses nothing: the parse's fast
// way to tell a money value's text holds no more decimals than its column's scale, in the
// same pass that casts it (DuckDB's own cast rounds 1.255 to 1.26 without a word).
#pragma once

#include <string>

#include "db/duckdb.h"

namespace shoplake::db {

//! The widest DECIMAL precision ExactDecimalFunction takes (its values fit in an int64).
constexpr int kExactDecimalMaxPrecision = 18;

//! The name of the function that reads text as DECIMAL(precision, scale), as
//! RegisterExactDecimal registers it on a connection.
std::string ExactDecimalFunction(int precision, int scale);

//! Registers ExactDecimalFunction(precision, scale) on `conn` (once: a second call does
//! nothing). The function takes a VARCHAR and returns its DECIMAL(precision, scale) when the
//! text is plainly written ("-12.5", "0.250": a minus, digits, a point and digits) with at
//! most `scale` decimals that are not zero and at most precision - scale digits before the
//! point; then the value is exactly what TRY_CAST gives. Anything else is NULL (an exponent,
//! spaces, one decimal too many, a number too large, no number, NULL): the caller tells
//! those apart the slow way, for the few values that need it.
//! REQUIRES: 1 <= precision <= kExactDecimalMaxPrecision, 0 <= scale <= precision.
//! On failure throws Error(kInternal).
void RegisterExactDecimal(Connection& conn, int precision, int scale);

}  // namespace shoplake::db
