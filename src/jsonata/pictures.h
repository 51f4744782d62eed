// The integer picture strings of XPath F&O 3.1 (`#,##0`, `i`, `w`, `a`, `;o` ordinals), used by
// $formatInteger, $parseInteger and the date components of $fromMillis.
#pragma once

#include <string>
#include <vector>

namespace shoplake::jsonata {

struct IntegerPicture {
  enum class Primary { kDecimal, kLetters, kRoman, kWords, kSequence } primary = Primary::kDecimal;
  enum class Case { kLower, kUpper, kTitle } letter_case = Case::kLower;
  bool ordinal = false;
  char32_t zero = U'0';
  int mandatory_digits = 0;
  int optional_digits = 0;
  bool regular = false;
  struct Separator {
    int position;
    char32_t character;
  };
  std::vector<Separator> separators;  // when regular: one, with the repeat interval
  std::string token;
};

//! Throws Error D3131 when digits of different families mix.
IntegerPicture AnalyseIntegerPicture(const std::u32string& picture);
std::string FormatIntegerWith(double value, IntegerPicture format);
double ParseIntegerWith(const std::string& text, const IntegerPicture& format);
//! A regular expression matching English number words (for parsing by a picture).
std::string WordsRegex();
std::string NumberToWords(double value, bool ordinal);
std::string ToRoman(double value);
std::string ToLetters(double value, char a);
//! The Unicode decimal digit families (their zero code points).
const std::vector<char32_t>& DecimalGroups();
std::u32string ToU32(const std::string& s);

}  // namespace shoplake::jsonata
