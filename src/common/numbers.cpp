// ParseUnsigned, ParseSigned: std::from_chars over the whole text.
#include "common/numbers.h"

#include <charconv>

namespace shoplake {
namespace {

template <typename Number>
std::optional<Number> ParseWholeText(std::string_view text) {
  Number value{};
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || error != std::errc() || end != text.data() + text.size()) {
    return std::nullopt;
  }
  return value;
}

}  // namespace

std::optional<uint64_t> ParseUnsigned(std::string_view text) {
  return ParseWholeText<uint64_t>(text);
}

std::optional<int64_t> ParseSigned(std::string_view text) { return ParseWholeText<int64_t>(text); }

}  // namespace shoplake
