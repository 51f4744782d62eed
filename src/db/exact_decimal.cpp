// ExactDecimalFunction: a vectorized DuckDB scalar function over the C API (see the header).
#include "db/exact_decimal.h"

#include <cstdint>
#include <memory>
#include <optional>
#include <string_view>

#include "common/error.h"

namespace shoplake::db {
namespace {

struct DecimalShape {
  int precision;
  int scale;
};

// `text` as an integer of `shape.scale` decimals, when it is plainly written with no
// decimal beyond the scale but zeros and no more digits before the point than fit.
std::optional<int64_t> ExactValue(std::string_view text, const DecimalShape& shape) {
  size_t i = 0;
  const size_t n = text.size();
  bool negative = i < n && text[i] == '-';
  if (negative) ++i;
  int64_t value = 0;
  int whole_digits = 0;  // not counting leading zeros
  size_t digits_start = i;
  for (; i < n && text[i] >= '0' && text[i] <= '9'; ++i) {
    if (value == 0 && text[i] == '0') continue;
    if (++whole_digits > shape.precision - shape.scale) return std::nullopt;
    value = value * 10 + (text[i] - '0');
  }
  if (i == digits_start) return std::nullopt;  // ".5", "-", "": left to the slow way
  int decimals = 0;
  if (i < n && text[i] == '.') {
    size_t point = ++i;
    for (; i < n && text[i] >= '0' && text[i] <= '9'; ++i) {
      if (decimals < shape.scale) {
        value = value * 10 + (text[i] - '0');
        ++decimals;
      } else if (text[i] != '0') {
        return std::nullopt;  // a decimal beyond the scale
      }
    }
    if (i == point) return std::nullopt;  // "5."
  }
  if (i != n) return std::nullopt;  // an exponent, a space, an underscore, no number
  for (; decimals < shape.scale; ++decimals) value *= 10;
  return negative ? -value : value;
}

std::string_view TextOf(duckdb_string_t& s) {
  uint32_t length = s.value.inlined.length;
  return {length <= 12 ? s.value.inlined.inlined : s.value.pointer.ptr, length};
}

// DuckDB keeps a DECIMAL in the narrowest integer its precision fits.
template <typename Stored>
void ReadAll(duckdb_string_t* texts, uint64_t* in_valid, idx_t rows, const DecimalShape& shape,
             duckdb_vector output) {
  auto* out = static_cast<Stored*>(duckdb_vector_get_data(output));
  duckdb_vector_ensure_validity_writable(output);
  uint64_t* out_valid = duckdb_vector_get_validity(output);
  for (idx_t r = 0; r < rows; ++r) {
    std::optional<int64_t> v;
    if (!in_valid || duckdb_validity_row_is_valid(in_valid, r))
      v = ExactValue(TextOf(texts[r]), shape);
    if (v) {
      out[r] = static_cast<Stored>(*v);
    } else {
      duckdb_validity_set_row_invalid(out_valid, r);
    }
  }
}

void ExactDecimal(duckdb_function_info info, duckdb_data_chunk input, duckdb_vector output) {
  const auto& shape = *static_cast<DecimalShape*>(duckdb_scalar_function_get_extra_info(info));
  idx_t rows = duckdb_data_chunk_get_size(input);
  duckdb_vector text_vector = duckdb_data_chunk_get_vector(input, 0);
  auto* texts = static_cast<duckdb_string_t*>(duckdb_vector_get_data(text_vector));
  uint64_t* in_valid = duckdb_vector_get_validity(text_vector);
  if (shape.precision <= 4) {
    ReadAll<int16_t>(texts, in_valid, rows, shape, output);
  } else if (shape.precision <= 9) {
    ReadAll<int32_t>(texts, in_valid, rows, shape, output);
  } else {
    ReadAll<int64_t>(texts, in_valid, rows, shape, output);
  }
}

}  // namespace

std::string ExactDecimalFunction(int precision, int scale) {
  return "shoplake_exact_decimal_" + std::to_string(precision) + "_" + std::to_string(scale);
}

void RegisterExactDecimal(Connection& conn, int precision, int scale) {
  const std::string name = ExactDecimalFunction(precision, scale);
  if (conn.QueryScalar("SELECT count(*) FROM duckdb_functions() WHERE function_name = " +
                       QuoteLiteral(name)) != "0") {
    return;
  }
  duckdb_scalar_function function = duckdb_create_scalar_function();
  duckdb_scalar_function_set_name(function, name.c_str());
  duckdb_logical_type text = duckdb_create_logical_type(DUCKDB_TYPE_VARCHAR);
  duckdb_scalar_function_add_parameter(function, text);
  duckdb_destroy_logical_type(&text);
  duckdb_logical_type decimal =
      duckdb_create_decimal_type(static_cast<uint8_t>(precision), static_cast<uint8_t>(scale));
  duckdb_scalar_function_set_return_type(function, decimal);
  duckdb_destroy_logical_type(&decimal);
  duckdb_scalar_function_set_extra_info(
      function, std::make_unique<DecimalShape>(DecimalShape{precision, scale}).release(),
      [](void* shape) { delete static_cast<DecimalShape*>(shape); });
  duckdb_scalar_function_set_function(function, ExactDecimal);
  duckdb_state state = duckdb_register_scalar_function(conn.handle(), function);
  duckdb_destroy_scalar_function(&function);
  if (state != DuckDBSuccess) {
    throw Error(ErrorCode::kInternal, "DuckDB refused to register a SQL function", name,
                "report this: the transform registers it once per connection");
  }
}

}  // namespace shoplake::db
