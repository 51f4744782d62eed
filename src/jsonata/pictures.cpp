// XPath F&O picture strings for integers: $formatInteger and $parseInteger (decimal digit
// patterns in any Unicode digit family, grouping separators, ordinals, roman numerals,
// letters and English words), as the reference implements them.
#include "jsonata/pictures.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <numeric>

#include "jsonata/functions.h"

namespace shoplake::jsonata {
namespace {

const char* kFew[] = {"Zero",    "One",     "Two",       "Three",    "Four",
                      "Five",    "Six",     "Seven",     "Eight",    "Nine",
                      "Ten",     "Eleven",  "Twelve",    "Thirteen", "Fourteen",
                      "Fifteen", "Sixteen", "Seventeen", "Eighteen", "Nineteen"};
const char* kOrdinals[] = {"Zeroth",    "First",     "Second",      "Third",      "Fourth",
                           "Fifth",     "Sixth",     "Seventh",     "Eighth",     "Ninth",
                           "Tenth",     "Eleventh",  "Twelfth",     "Thirteenth", "Fourteenth",
                           "Fifteenth", "Sixteenth", "Seventeenth", "Eighteenth", "Nineteenth"};
const char* kDecades[] = {"Twenty",  "Thirty", "Forty",  "Fifty",  "Sixty",
                          "Seventy", "Eighty", "Ninety", "Hundred"};
const char* kMagnitudes[] = {"Thousand", "Million", "Billion", "Trillion"};

std::string Lookup(double num, bool prev, bool ord) {
  std::string words;
  if (num <= 19) {
    words = std::string(prev ? " and " : "") +
            (ord ? kOrdinals[static_cast<int>(num)] : kFew[static_cast<int>(num)]);
  } else if (num < 100) {
    int tens = static_cast<int>(num / 10);
    double remainder = std::fmod(num, 10);
    words = std::string(prev ? " and " : "") + kDecades[tens - 2];
    if (remainder > 0) {
      words += "-" + Lookup(remainder, false, ord);
    } else if (ord) {
      words = words.substr(0, words.size() - 1) + "ieth";
    }
  } else if (num < 1000) {
    int hundreds = static_cast<int>(num / 100);
    double remainder = std::fmod(num, 100);
    words = std::string(prev ? ", " : "") + kFew[hundreds] + " Hundred";
    if (remainder > 0) {
      words += Lookup(remainder, true, ord);
    } else if (ord) {
      words += "th";
    }
  } else {
    int mag = static_cast<int>(std::floor(std::log10(num) / 3));
    if (mag > 4) mag = 4;
    double factor = std::pow(10, mag * 3);
    double mant = std::floor(num / factor);
    double remainder = num - mant * factor;
    words = std::string(prev ? ", " : "") + Lookup(mant, false, false) + " " + kMagnitudes[mag - 1];
    if (remainder > 0) {
      words += Lookup(remainder, true, ord);
    } else if (ord) {
      words += "th";
    }
  }
  return words;
}

int Gcd(int a, int b) { return b == 0 ? a : Gcd(b, a % b); }

int RegularRepeat(const std::vector<IntegerPicture::Separator>& separators) {
  if (separators.empty()) return 0;
  for (const auto& s : separators) {
    if (s.character != separators[0].character) return 0;
  }
  int factor = separators[0].position;
  for (const auto& s : separators) factor = Gcd(factor, s.position);
  for (size_t index = 1; index <= separators.size(); ++index) {
    bool found = false;
    for (const auto& s : separators)
      found = found || s.position == static_cast<int>(index) * factor;
    if (!found) return 0;
  }
  return factor;
}

std::string U8(const std::u32string& s) { return FromCodePoints(s.data(), s.data() + s.size()); }

std::string Lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}
std::string Upper(std::string s) {
  for (char& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return s;
}

std::string FormatDecimal(double value, const IntegerPicture& format) {
  std::u32string digits = ToU32(NumberToString(value));
  int pad = format.mandatory_digits - static_cast<int>(digits.size());
  if (pad > 0) digits = std::u32string(static_cast<size_t>(pad), U'0') + digits;
  if (format.zero != U'0') {
    for (char32_t& c : digits) c = c + format.zero - U'0';
  }
  if (format.regular) {
    int every = format.separators[0].position;
    int n = (static_cast<int>(digits.size()) - 1) / every;
    for (int i = n; i > 0; --i) {
      size_t pos = digits.size() - static_cast<size_t>(i * every);
      digits.insert(pos, 1, format.separators[0].character);
    }
  } else {
    auto separators = format.separators;
    std::reverse(separators.begin(), separators.end());
    for (const auto& s : separators) {
      long pos = static_cast<long>(digits.size()) - s.position;
      if (pos < 0) pos = 0;
      digits.insert(static_cast<size_t>(pos), 1, s.character);
    }
  }
  std::string out = U8(digits);
  if (format.ordinal) {
    char last = out.back();
    std::string suffix = last == '1' ? "st" : last == '2' ? "nd" : last == '3' ? "rd" : "th";
    if (out.size() > 1 && out[out.size() - 2] == '1') suffix = "th";
    out += suffix;
  }
  return out;
}

const std::map<std::string, double>& WordValues() {
  static const std::map<std::string, double> values = [] {
    std::map<std::string, double> v;
    for (int i = 0; i < 20; ++i) {
      v[Lower(kFew[i])] = i;
      v[Lower(kOrdinals[i])] = i;
    }
    for (int i = 0; i < 9; ++i) {
      std::string w = Lower(kDecades[i]);
      v[w] = (i + 2) * 10;
      v[w.substr(0, w.size() - 1) + "ieth"] = (i + 2) * 10;
    }
    v["hundred"] = 100;
    v["hundredth"] = 100;
    for (int i = 0; i < 4; ++i) {
      std::string w = Lower(kMagnitudes[i]);
      v[w] = std::pow(10, (i + 1) * 3);
      v[w + "th"] = std::pow(10, (i + 1) * 3);
    }
    return v;
  }();
  return values;
}

double WordsToNumber(const std::string& text) {
  // Split on ", ", " and ", whitespace and '-'.
  std::vector<std::string> parts;
  std::string cur;
  for (size_t i = 0; i < text.size(); ++i) {
    if (text.compare(i, 2, ", ") == 0) {
      parts.push_back(cur);
      cur.clear();
      ++i;
    } else if (text.compare(i, 5, " and ") == 0) {
      parts.push_back(cur);
      cur.clear();
      i += 4;
    } else if (text[i] == ' ' || text[i] == '-' || text[i] == '\t') {
      parts.push_back(cur);
      cur.clear();
    } else {
      cur += text[i];
    }
  }
  parts.push_back(cur);
  std::vector<double> segs{0};
  for (const std::string& part : parts) {
    auto it = WordValues().find(part);
    double value = it == WordValues().end() ? NAN : it->second;
    if (value < 100) {
      double top = segs.back();
      segs.pop_back();
      if (top >= 1000) {
        segs.push_back(top);
        top = 0;
      }
      segs.push_back(top + value);
    } else {
      double top = segs.back();
      segs.pop_back();
      segs.push_back(top * value);
    }
  }
  return std::accumulate(segs.begin(), segs.end(), 0.0);
}

double RomanToDecimal(const std::string& roman) {
  static const std::map<char, double> kValues = {{'M', 1000}, {'D', 500}, {'C', 100}, {'L', 50},
                                                 {'X', 10},   {'V', 5},   {'I', 1}};
  double decimal = 0, max = 1;
  for (size_t i = roman.size(); i-- > 0;) {
    auto it = kValues.find(roman[i]);
    double value = it == kValues.end() ? NAN : it->second;
    if (value < max) {
      decimal -= value;
    } else {
      max = value;
      decimal += value;
    }
  }
  return decimal;
}

}  // namespace

std::u32string ToU32(const std::string& s) {
  auto cps = ToCodePoints(s);
  return std::u32string(cps.begin(), cps.end());
}

const std::vector<char32_t>& DecimalGroups() {
  static const std::vector<char32_t> groups = {
      0x30,   0x0660, 0x06F0, 0x07C0, 0x0966, 0x09E6, 0x0A66, 0x0AE6, 0x0B66, 0x0BE6,
      0x0C66, 0x0CE6, 0x0D66, 0x0DE6, 0x0E50, 0x0ED0, 0x0F20, 0x1040, 0x1090, 0x17E0,
      0x1810, 0x1946, 0x19D0, 0x1A80, 0x1A90, 0x1B50, 0x1BB0, 0x1C40, 0x1C50, 0xA620,
      0xA8D0, 0xA900, 0xA9D0, 0xA9F0, 0xAA50, 0xABF0, 0xFF10};
  return groups;
}

std::string WordsRegex() {
  std::string out = "(?:";
  for (const auto& [word, value] : WordValues()) out += word + "|";
  return out + "and|[\\-, ])+";
}

std::string NumberToWords(double value, bool ordinal) { return Lookup(value, false, ordinal); }

std::string ToRoman(double value) {
  // One 'm' per thousand: past this the text alone would exhaust memory.
  if (value > 1e7) Throw("D3130", -1, "I");
  static const std::pair<int, const char*> kNumerals[] = {
      {1000, "m"}, {900, "cm"}, {500, "d"}, {400, "cd"}, {100, "c"}, {90, "xc"}, {50, "l"},
      {40, "xl"},  {10, "x"},   {9, "ix"},  {5, "v"},    {4, "iv"},  {1, "i"}};
  std::string out;
  for (const auto& [v, letters] : kNumerals) {
    while (value >= v) {
      out += letters;
      value -= v;
    }
  }
  return out;
}

std::string ToLetters(double value, char a) {
  std::string letters;
  while (value > 0) {
    letters.insert(letters.begin(), static_cast<char>(std::fmod(value - 1, 26) + a));
    value = std::floor((value - 1) / 26);
  }
  return letters;
}

IntegerPicture AnalyseIntegerPicture(const std::u32string& picture) {
  IntegerPicture format;
  std::u32string primary = picture;
  size_t semicolon = picture.rfind(U';');
  if (semicolon != std::u32string::npos) {
    primary = picture.substr(0, semicolon);
    std::u32string modifier = picture.substr(semicolon + 1);
    if (!modifier.empty() && modifier[0] == U'o') format.ordinal = true;
  }
  using P = IntegerPicture::Primary;
  using C = IntegerPicture::Case;
  if (primary == U"A" || primary == U"a") {
    format.primary = P::kLetters;
    format.letter_case = primary == U"A" ? C::kUpper : C::kLower;
    return format;
  }
  if (primary == U"I" || primary == U"i") {
    format.primary = P::kRoman;
    format.letter_case = primary == U"I" ? C::kUpper : C::kLower;
    return format;
  }
  if (primary == U"W" || primary == U"Ww" || primary == U"w") {
    format.primary = P::kWords;
    format.letter_case = primary == U"W" ? C::kUpper : primary == U"Ww" ? C::kTitle : C::kLower;
    return format;
  }
  char32_t zero = 0;
  int position = 0;
  std::vector<IntegerPicture::Separator> separators;
  for (auto it = primary.rbegin(); it != primary.rend(); ++it) {
    char32_t cp = *it;
    bool digit = false;
    for (char32_t group : DecimalGroups()) {
      if (cp >= group && cp <= group + 9) {
        digit = true;
        ++format.mandatory_digits;
        ++position;
        if (zero == 0) {
          zero = group;
        } else if (group != zero) {
          Throw("D3131");
        }
        break;
      }
    }
    if (digit) continue;
    if (cp == U'#') {
      ++position;
      ++format.optional_digits;
    } else {
      separators.push_back({position, cp});
    }
  }
  if (format.mandatory_digits == 0) {
    format.primary = P::kSequence;
    format.token = U8(primary);
    return format;
  }
  format.zero = zero;
  int regular = RegularRepeat(separators);
  if (regular > 0) {
    format.regular = true;
    format.separators = {{regular, separators[0].character}};
  } else {
    format.separators = separators;
  }
  return format;
}

std::string FormatIntegerWith(double value, IntegerPicture format) {
  bool negative = value < 0;
  value = std::fabs(value);
  std::string out;
  using P = IntegerPicture::Primary;
  using C = IntegerPicture::Case;
  switch (format.primary) {
    case P::kLetters:
      out = ToLetters(value, format.letter_case == C::kUpper ? 'A' : 'a');
      break;
    case P::kRoman:
      out = ToRoman(value);
      if (format.letter_case == C::kUpper) out = Upper(out);
      break;
    case P::kWords:
      out = NumberToWords(value, format.ordinal);
      if (format.letter_case == C::kUpper) out = Upper(out);
      if (format.letter_case == C::kLower) out = Lower(out);
      break;
    case P::kDecimal:
      out = FormatDecimal(value, format);
      break;
    case P::kSequence:
      Throw("D3130", -1, format.token);
  }
  return negative ? "-" + out : out;
}

Value FormatInteger(Evaluator&, std::vector<Value>& a, const Value&) {
  if (a.empty() || a[0].IsUndefined()) return Value();
  IntegerPicture format = AnalyseIntegerPicture(ToU32(a.size() > 1 ? a[1].Str() : ""));
  return Value::String(FormatIntegerWith(std::floor(a[0].number), format));
}

Value ParseInteger(Evaluator&, std::vector<Value>& a, const Value&) {
  if (a.empty() || a[0].IsUndefined()) return Value();
  IntegerPicture format = AnalyseIntegerPicture(ToU32(a.size() > 1 ? a[1].Str() : ""));
  return Value::Number(ParseIntegerWith(a[0].Str(), format));
}

double ParseIntegerWith(const std::string& text, const IntegerPicture& format) {
  using P = IntegerPicture::Primary;
  switch (format.primary) {
    case P::kLetters: {
      char base = format.letter_case == IntegerPicture::Case::kUpper ? 'A' : 'a';
      double decimal = 0;
      for (size_t i = 0; i < text.size(); ++i) {
        decimal += (text[text.size() - 1 - i] - base + 1) * std::pow(26, static_cast<double>(i));
      }
      return decimal;
    }
    case P::kRoman:
      return RomanToDecimal(Upper(text));
    case P::kWords:
      return WordsToNumber(Lower(text));
    case P::kSequence:
      Throw("D3130", -1, format.token);
    case P::kDecimal:
      break;
  }
  std::u32string digits = ToU32(text);
  if (format.ordinal && digits.size() >= 2) digits.resize(digits.size() - 2);
  std::u32string kept;
  for (char32_t c : digits) {
    bool separator = false;
    if (format.regular) {
      separator = c == U',';
    } else {
      for (const auto& s : format.separators) separator = separator || s.character == c;
    }
    if (!separator) kept += format.zero != U'0' ? c - format.zero + U'0' : c;
  }
  std::string ascii = U8(kept);
  return std::strtod(ascii.c_str(), nullptr);
}

}  // namespace shoplake::jsonata
