// $formatNumber: the XPath F&O 3.1 decimal-format picture (prefix/suffix, grouping,
// mandatory and optional digits, percent and per-mille, exponents, a second sub-picture for
// negatives, and the decimal-format properties of the options object), as the reference.
#include <cmath>
#include <cstdio>
#include <functional>
#include <numeric>

#include "jsonata/functions.h"
#include "jsonata/pictures.h"

namespace shoplake::jsonata {
namespace {

using U32 = std::u32string;

struct Properties {
  char32_t decimal = U'.', grouping = U',', exponent = U'e', percent = U'%', permille = U'\u2030',
           zero = U'0', digit = U'#', pattern = U';';
  U32 minus = U"-";
  U32 family;  // the ten digits from zero
  U32 active;
  bool IsDigit(char32_t c) const { return family.find(c) != U32::npos; }
  bool IsActive(char32_t c) const { return active.find(c) != U32::npos; }
};

struct Parts {
  U32 subpicture, prefix, suffix, active, mantissa, integer, fractional, exponent;
  bool has_exponent = false;
};

struct Picture {
  std::vector<int> integer_grouping, fractional_grouping;
  int regular_grouping = 0, minimum_integer = 0, scaling = 0, minimum_fraction = 0,
      maximum_fraction = 0, minimum_exponent = 0;
  U32 prefix, suffix, picture;
};

size_t Count(const U32& s, const std::function<bool(char32_t)>& pred) {
  size_t n = 0;
  for (char32_t c : s) n += pred(c) ? 1 : 0;
  return n;
}

Parts SplitParts(const U32& sub, const Properties& p) {
  Parts parts;
  parts.subpicture = sub;
  size_t first = U32::npos, last = U32::npos;
  for (size_t i = 0; i < sub.size(); ++i) {
    if (p.IsActive(sub[i]) && sub[i] != p.exponent) {
      if (first == U32::npos) first = i;
      last = i;
    }
  }
  parts.prefix = first == U32::npos ? sub : sub.substr(0, first);
  parts.suffix = last == U32::npos ? U32() : sub.substr(last + 1);
  size_t active_len = sub.size() - parts.prefix.size() - parts.suffix.size();
  if (first == U32::npos) active_len = 0;
  parts.active = sub.substr(parts.prefix.size(), active_len);
  size_t exp_pos = sub.find(p.exponent, parts.prefix.size());
  if (exp_pos == U32::npos || exp_pos > sub.size() - parts.suffix.size()) {
    parts.mantissa = parts.active;
  } else {
    parts.mantissa = parts.active.substr(0, exp_pos - parts.prefix.size());
    // As JavaScript's substring: a start past the end gives "".
    size_t from = exp_pos - parts.prefix.size() + 1;
    parts.exponent = from <= parts.active.size() ? parts.active.substr(from) : U32();
    parts.has_exponent = true;
  }
  size_t dec = parts.mantissa.find(p.decimal);
  if (dec == U32::npos) {
    parts.integer = parts.mantissa;
    parts.fractional = parts.suffix;
  } else {
    parts.integer = parts.mantissa.substr(0, dec);
    parts.fractional = parts.mantissa.substr(dec + 1);
  }
  return parts;
}

void Validate(const Parts& parts, const Properties& p) {
  const U32& sub = parts.subpicture;
  auto occurrences = [&](char32_t c) { return Count(sub, [c](char32_t x) { return x == c; }); };
  const char* error = nullptr;
  if (occurrences(p.decimal) > 1) error = "D3081";
  if (occurrences(p.percent) > 1) error = "D3082";
  if (occurrences(p.permille) > 1) error = "D3083";
  if (occurrences(p.percent) > 0 && occurrences(p.permille) > 0) error = "D3084";
  if (Count(parts.mantissa, [&](char32_t c) { return p.IsDigit(c) || c == p.digit; }) == 0) {
    error = "D3085";
  }
  if (Count(parts.active, [&](char32_t c) { return !p.IsActive(c); }) > 0) error = "D3086";
  size_t dec = sub.find(p.decimal);
  if (dec != U32::npos) {
    if ((dec > 0 && sub[dec - 1] == p.grouping) ||
        (dec + 1 < sub.size() && sub[dec + 1] == p.grouping)) {
      error = "D3087";
    }
  } else if (!parts.integer.empty() && parts.integer.back() == p.grouping) {
    error = "D3088";
  }
  if (sub.find(U32{p.grouping, p.grouping}) != U32::npos) error = "D3089";
  size_t opt = parts.integer.find(p.digit);
  if (opt != U32::npos &&
      Count(parts.integer.substr(0, opt), [&](char32_t c) { return p.IsDigit(c); }) > 0) {
    error = "D3090";
  }
  opt = parts.fractional.rfind(p.digit);
  if (opt != U32::npos &&
      Count(parts.fractional.substr(opt), [&](char32_t c) { return p.IsDigit(c); }) > 0) {
    error = "D3091";
  }
  if (parts.has_exponent && !parts.exponent.empty() &&
      (occurrences(p.percent) > 0 || occurrences(p.permille) > 0)) {
    error = "D3092";
  }
  if (parts.has_exponent && (parts.exponent.empty() || Count(parts.exponent, [&](char32_t c) {
                                                         return !p.IsDigit(c);
                                                       }) > 0)) {
    error = "D3093";
  }
  if (error) Throw(error);
}

std::vector<int> GroupingPositions(const U32& part, bool to_left, const Properties& p) {
  std::vector<int> positions;
  size_t pos = part.find(p.grouping);
  while (pos != U32::npos) {
    U32 side = to_left ? part.substr(0, pos) : part.substr(pos);
    positions.push_back(
        static_cast<int>(Count(side, [&](char32_t c) { return p.IsDigit(c) || c == p.digit; })));
    pos = part.find(p.grouping, pos + 1);
  }
  return positions;
}

int Regular(const std::vector<int>& indexes) {
  if (indexes.empty()) return 0;
  int factor = std::accumulate(indexes.begin(), indexes.end(), indexes[0],
                               [](int a, int b) { return std::gcd(a, b); });
  for (size_t i = 1; i <= indexes.size(); ++i) {
    if (std::find(indexes.begin(), indexes.end(), static_cast<int>(i) * factor) == indexes.end())
      return 0;
  }
  return factor;
}

Picture Analyse(const Parts& parts, const Properties& p) {
  Picture pic;
  pic.integer_grouping = GroupingPositions(parts.integer, false, p);
  pic.regular_grouping = Regular(pic.integer_grouping);
  pic.fractional_grouping = GroupingPositions(parts.fractional, true, p);
  auto digits = [&](const U32& s) {
    return static_cast<int>(Count(s, [&](char32_t c) { return p.IsDigit(c); }));
  };
  pic.minimum_integer = digits(parts.integer);
  pic.scaling = pic.minimum_integer;
  pic.minimum_fraction = digits(parts.fractional);
  pic.maximum_fraction = static_cast<int>(
      Count(parts.fractional, [&](char32_t c) { return p.IsDigit(c) || c == p.digit; }));
  if (pic.minimum_integer == 0 && pic.maximum_fraction == 0) {
    if (parts.has_exponent) {
      pic.minimum_fraction = pic.maximum_fraction = 1;
    } else {
      pic.minimum_integer = 1;
    }
  }
  if (parts.has_exponent && pic.minimum_integer == 0 && parts.integer.find(p.digit) != U32::npos) {
    pic.minimum_integer = 1;
  }
  if (pic.minimum_integer == 0 && pic.minimum_fraction == 0) pic.minimum_fraction = 1;
  if (parts.has_exponent) pic.minimum_exponent = digits(parts.exponent);
  pic.prefix = parts.prefix;
  pic.suffix = parts.suffix;
  pic.picture = parts.subpicture;
  return pic;
}

Properties ReadProperties(const Value& options) {
  Properties p;
  if (options.IsObject()) {
    for (const auto& [k, v] : options.Obj().entries) {
      if (!v.IsString()) continue;
      U32 s = ToU32(v.Str());
      char32_t c = s.empty() ? 0 : s[0];
      if (k == "decimal-separator") p.decimal = c;
      if (k == "grouping-separator") p.grouping = c;
      if (k == "exponent-separator") p.exponent = c;
      if (k == "percent") p.percent = c;
      if (k == "per-mille") p.permille = c;
      if (k == "zero-digit") p.zero = c;
      if (k == "digit") p.digit = c;
      if (k == "pattern-separator") p.pattern = c;
      if (k == "minus-sign") p.minus = s;
    }
  }
  for (int i = 0; i < 10; ++i) p.family += static_cast<char32_t>(p.zero + i);
  p.active = p.family + U32{p.decimal, p.exponent, p.grouping, p.digit, p.pattern};
  return p;
}

double BankersRound(double value, int precision) { return RoundNumber(value, precision).number; }

U32 MakeString(double value, int dp, const Properties& p) {
  char buf[512];
  std::snprintf(buf, sizeof buf, "%.*f", dp, std::fabs(value));
  U32 out = ToU32(buf);
  if (p.zero != U'0') {
    for (char32_t& c : out) {
      if (c >= U'0' && c <= U'9') c = p.family[c - U'0'];
    }
  }
  return out;
}

U32 Render(double value, const Picture& pic, const Properties& p) {
  double adjusted = value;
  if (pic.picture.find(p.percent) != U32::npos) {
    adjusted = value * 100;
  } else if (pic.picture.find(p.permille) != U32::npos) {
    adjusted = value * 1000;
  }
  double mantissa = adjusted;
  bool has_exponent = pic.minimum_exponent != 0;
  int exponent = 0;
  if (has_exponent) {
    double max = std::pow(10, pic.scaling), min = std::pow(10, pic.scaling - 1);
    while (mantissa < min) {
      mantissa *= 10;
      exponent -= 1;
    }
    while (mantissa > max) {
      mantissa /= 10;
      exponent += 1;
    }
  }
  double rounded = BankersRound(mantissa, pic.maximum_fraction);
  U32 s = MakeString(rounded, pic.maximum_fraction, p);
  size_t dot = s.find(U'.');
  if (dot == U32::npos) {
    s += p.decimal;
  } else {
    s[dot] = p.decimal;
  }
  while (!s.empty() && s[0] == p.zero) s.erase(0, 1);
  while (!s.empty() && s.back() == p.zero) s.pop_back();
  long dec = static_cast<long>(s.find(p.decimal));
  long pad_left = pic.minimum_integer - dec;
  long pad_right = pic.minimum_fraction - (static_cast<long>(s.size()) - dec - 1);
  if (pad_left > 0) s = U32(static_cast<size_t>(pad_left), p.zero) + s;
  if (pad_right > 0) s += U32(static_cast<size_t>(pad_right), p.zero);
  dec = static_cast<long>(s.find(p.decimal));
  if (pic.regular_grouping > 0) {
    long groups = (dec - 1) / pic.regular_grouping;
    for (long g = 1; g <= groups; ++g)
      s.insert(static_cast<size_t>(dec - g * pic.regular_grouping), 1, p.grouping);
  } else {
    for (int pos : pic.integer_grouping) {
      s.insert(static_cast<size_t>(std::max(0L, dec - pos)), 1, p.grouping);
      ++dec;
    }
  }
  dec = static_cast<long>(s.find(p.decimal));
  for (int pos : pic.fractional_grouping)
    s.insert(static_cast<size_t>(pos + dec + 1), 1, p.grouping);
  dec = static_cast<long>(s.find(p.decimal));
  if (dec == static_cast<long>(s.size()) - 1) s.pop_back();
  if (has_exponent) {
    U32 e = MakeString(exponent, 0, p);
    long pad = pic.minimum_exponent - static_cast<long>(e.size());
    if (pad > 0) e = U32(static_cast<size_t>(pad), p.zero) + e;
    s += p.exponent;
    if (exponent < 0) s += p.minus;
    s += e;
  }
  return pic.prefix + s + pic.suffix;
}

}  // namespace

Value FormatNumber(Evaluator&, std::vector<Value>& a, const Value&) {
  if (a.empty() || a[0].IsUndefined()) return Value();
  Properties p = ReadProperties(a.size() > 2 ? a[2] : Value());
  U32 picture = ToU32(a.size() > 1 && a[1].IsString() ? a[1].Str() : "");
  std::vector<U32> subs;
  size_t start = 0;
  for (;;) {
    size_t pos = picture.find(p.pattern, start);
    subs.push_back(picture.substr(start, pos == U32::npos ? U32::npos : pos - start));
    if (pos == U32::npos) break;
    start = pos + 1;
  }
  if (subs.size() > 2) Throw("D3080");
  std::vector<Picture> pics;
  for (const U32& sub : subs) {
    Parts parts = SplitParts(sub, p);
    Validate(parts, p);
    pics.push_back(Analyse(parts, p));
  }
  if (pics.size() == 1) {
    pics.push_back(pics[0]);
    pics[1].prefix = p.minus + pics[1].prefix;
  }
  double value = a[0].number;
  U32 out = Render(value, value >= 0 ? pics[0] : pics[1], p);
  return Value::String(FromCodePoints(out.data(), out.data() + out.size()));
}

}  // namespace shoplake::jsonata
