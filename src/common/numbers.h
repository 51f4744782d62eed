// Whole numbers read from text that a person or a server wrote: all of the text or nothing,
// so "12abc", "-1" for a size, or a number past 64 bits is refused rather than cut or wrapped.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace shoplake {

//! `text` as an unsigned decimal number when it is one (digits only, no sign, no blanks,
//! within 64 bits); nullopt otherwise.
std::optional<uint64_t> ParseUnsigned(std::string_view text);

//! `text` as a signed decimal number when it is one (an optional '-', then digits, within
//! 64 bits); nullopt otherwise.
std::optional<int64_t> ParseSigned(std::string_view text);

}  // namespace shoplake
