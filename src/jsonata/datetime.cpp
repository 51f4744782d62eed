// Dates: $fromMillis/$now (XPath F&O 9.8 picture strings, timezones) and $toMillis (ISO 8601,
// or parsing by a picture), following the reference's datetime module.
#include <cmath>
#include <map>
#include <optional>
#include <regex>

#include "jsonata/functions.h"
#include "jsonata/pictures.h"

namespace shoplake::jsonata {
namespace {

constexpr double kDay = 86400000.0;
const char* kDays[] = {"",         "Monday", "Tuesday",  "Wednesday",
                       "Thursday", "Friday", "Saturday", "Sunday"};
const char* kMonths[] = {"January", "February", "March",     "April",   "May",      "June",
                         "July",    "August",   "September", "October", "November", "December"};

// Days since 1970-01-01 of a proleptic Gregorian date (month 1..12).
double DaysFromCivil(double y, double m, double d) {
  y -= m <= 2 ? 1 : 0;
  double era = std::floor(y / 400);
  double yoe = y - era * 400;
  double doy = std::floor((153 * (m + (m > 2 ? -3 : 9)) + 2) / 5) + d - 1;
  double doe = yoe * 365 + std::floor(yoe / 4) - std::floor(yoe / 100) + doy;
  return era * 146097 + doe - 719468;
}

// JavaScript's Date.UTC: months 0-based, every field may overflow.
double DateUtc(double y, double mon, double d = 1, double h = 0, double mi = 0, double s = 0,
               double ms = 0) {
  y += std::floor(mon / 12);
  mon = mon - std::floor(mon / 12) * 12;
  double days = DaysFromCivil(y, mon + 1, 1) + d - 1;
  return days * kDay + h * 3600000 + mi * 60000 + s * 1000 + ms;
}

struct Civil {
  double year, month, day, hours, minutes, seconds, millis, weekday;  // month 0-based, Sunday 0
};

Civil ToCivil(double t) {
  double days = std::floor(t / kDay);
  double ms = t - days * kDay;
  double z = days + 719468;
  double era = std::floor(z / 146097);
  double doe = z - era * 146097;
  double yoe = std::floor(
      (doe - std::floor(doe / 1460) + std::floor(doe / 36524) - std::floor(doe / 146096)) / 365);
  double y = yoe + era * 400;
  double doy = doe - (365 * yoe + std::floor(yoe / 4) - std::floor(yoe / 100));
  double mp = std::floor((5 * doy + 2) / 153);
  double d = doy - std::floor((153 * mp + 2) / 5) + 1;
  double m = mp < 10 ? mp + 3 : mp - 9;
  Civil c;
  c.year = m <= 2 ? y + 1 : y;
  c.month = m - 1;
  c.day = d;
  c.hours = std::floor(ms / 3600000);
  c.minutes = std::floor(std::fmod(ms, 3600000) / 60000);
  c.seconds = std::floor(std::fmod(ms, 60000) / 1000);
  c.millis = std::fmod(ms, 1000);
  double wd = std::fmod(days + 4, 7);
  c.weekday = wd < 0 ? wd + 7 : wd;
  return c;
}

double StartOfFirstWeek(double year, double month) {
  double first = DateUtc(year, month);
  double dow = ToCivil(first).weekday;
  if (dow == 0) dow = 7;
  return dow > 4 ? first + (8 - dow) * kDay : first - (dow - 1) * kDay;
}

double DeltaWeeks(double start, double end) { return (end - start) / (kDay * 7) + 1; }

struct Marker {
  bool literal = false;
  std::string text;  // literal text
  char component = 0;
  std::string presentation1, presentation2;
  bool has_width = false;
  std::optional<int> min_width, max_width;
  enum class Names { kNone, kLower, kUpper, kTitle } names = Names::kNone;
  bool has_integer = false;
  IntegerPicture integer;
  int n = -1;
};

const std::map<char, std::string>& DefaultModifiers() {
  static const std::map<char, std::string> m = {
      {'Y', "1"}, {'M', "1"},     {'D', "1"},     {'d', "1"}, {'F', "n"}, {'W', "1"},  {'w', "1"},
      {'X', "1"}, {'x', "1"},     {'H', "1"},     {'h', "1"}, {'P', "n"}, {'m', "01"}, {'s', "01"},
      {'f', "1"}, {'Z', "01:01"}, {'z', "01:01"}, {'C', "n"}, {'E', "n"}};
  return m;
}

void AnalyseMarkerPresentation(Marker& def) {
  if (!def.presentation1.empty() && def.presentation1[0] == 'n') {
    def.names = Marker::Names::kLower;
  } else if (!def.presentation1.empty() && def.presentation1[0] == 'N') {
    def.names = def.presentation1.size() > 1 && def.presentation1[1] == 'n' ? Marker::Names::kTitle
                                                                            : Marker::Names::kUpper;
  } else if (std::string("YMDdFWwXxHhmsf").find(def.component) != std::string::npos) {
    std::string pattern = def.presentation1;
    if (!def.presentation2.empty()) pattern += ";" + def.presentation2;
    def.integer = AnalyseIntegerPicture(ToU32(pattern));
    def.has_integer = true;
    if (def.min_width && def.integer.mandatory_digits < *def.min_width) {
      def.integer.mandatory_digits = *def.min_width;
    }
    if (std::string("YMD").find(def.component) != std::string::npos) {
      def.n = -1;
      if (def.max_width) {
        def.n = *def.max_width;
        def.integer.mandatory_digits = def.n;
      } else {
        int w = def.integer.mandatory_digits + def.integer.optional_digits;
        if (w >= 2) def.n = w;
      }
    }
  }
  if (def.component == 'Z' || def.component == 'z') {
    def.integer = AnalyseIntegerPicture(ToU32(def.presentation1));
    def.has_integer = true;
  }
}

Marker ParseMarker(std::string marker) {
  std::string compact;
  for (char c : marker) {
    if (!std::isspace(static_cast<unsigned char>(c))) compact += c;
  }
  marker = compact;
  Marker def;
  def.component = marker.empty() ? 0 : marker[0];
  size_t comma = marker.rfind(',');
  std::string pres;
  if (comma != std::string::npos) {
    std::string width = marker.substr(comma + 1);
    size_t dash = width.find('-');
    auto parse = [](const std::string& w) -> std::optional<int> {
      if (w.empty() || w == "*") return std::nullopt;
      if (!std::isdigit(static_cast<unsigned char>(w[0]))) return std::nullopt;
      return std::stoi(w);
    };
    def.has_width = true;
    def.min_width = parse(dash == std::string::npos ? width : width.substr(0, dash));
    if (dash != std::string::npos) def.max_width = parse(width.substr(dash + 1));
    pres = marker.substr(1, comma - 1);
  } else {
    pres = marker.size() > 1 ? marker.substr(1) : "";
  }
  if (pres.size() == 1) {
    def.presentation1 = pres;
  } else if (pres.size() > 1) {
    char last = pres.back();
    if (std::string("atco").find(last) != std::string::npos) {
      def.presentation2 = std::string(1, last);
      def.presentation1 = pres.substr(0, pres.size() - 1);
    } else {
      def.presentation1 = pres;
    }
  } else {
    auto it = DefaultModifiers().find(def.component);
    if (it == DefaultModifiers().end()) Throw("D3132", -1, std::string(1, def.component));
    def.presentation1 = it->second;
  }
  AnalyseMarkerPresentation(def);
  return def;
}

void AddLiteral(std::vector<Marker>& spec, const std::string& picture, size_t start, size_t end) {
  if (end <= start) return;
  std::string literal = picture.substr(start, end - start);
  std::string out;
  for (size_t i = 0; i < literal.size(); ++i) {
    out += literal[i];
    if (literal[i] == ']' && i + 1 < literal.size() && literal[i + 1] == ']') ++i;
  }
  Marker m;
  m.literal = true;
  m.text = out;
  spec.push_back(m);
}

std::vector<Marker> AnalyseDateTimePicture(const std::string& picture) {
  std::vector<Marker> spec;
  size_t start = 0, pos = 0;
  while (pos < picture.size()) {
    if (picture[pos] == '[') {
      if (pos + 1 < picture.size() && picture[pos + 1] == '[') {
        AddLiteral(spec, picture, start, pos);
        Marker m;
        m.literal = true;
        m.text = "[";
        spec.push_back(m);
        pos += 2;
        start = pos;
        continue;
      }
      AddLiteral(spec, picture, start, pos);
      start = pos;
      pos = picture.find(']', start);
      if (pos == std::string::npos) Throw("D3135");
      spec.push_back(ParseMarker(picture.substr(start + 1, pos - start - 1)));
      start = pos + 1;
    }
    ++pos;
  }
  AddLiteral(spec, picture, start, pos);
  return spec;
}

double Fragment(double t, char component) {
  Civil c = ToCivil(t);
  switch (component) {
    case 'Y':
      return c.year;
    case 'M':
      return c.month + 1;
    case 'D':
      return c.day;
    case 'd':
      return (DateUtc(c.year, c.month, c.day) - DateUtc(c.year, 0)) / kDay + 1;
    case 'F':
      return c.weekday == 0 ? 7 : c.weekday;
    case 'W': {
      double start = StartOfFirstWeek(c.year, 0);
      double today = DateUtc(c.year, c.month, c.day);
      double week = DeltaWeeks(start, today);
      if (week > 52) {
        if (today >= StartOfFirstWeek(c.year + 1, 0)) week = 1;
      } else if (week < 1) {
        week = DeltaWeeks(StartOfFirstWeek(c.year - 1, 0), today);
      }
      return std::floor(week);
    }
    case 'w': {
      double start = StartOfFirstWeek(c.year, c.month);
      double today = DateUtc(c.year, c.month, c.day);
      double week = DeltaWeeks(start, today);
      if (week > 4) {
        if (today >= StartOfFirstWeek(c.year, c.month + 1)) week = 1;
      } else if (week < 1) {
        week = DeltaWeeks(StartOfFirstWeek(c.year, c.month - 1), today);
      }
      return std::floor(week);
    }
    case 'X': {
      if (t < StartOfFirstWeek(c.year, 0)) return c.year - 1;
      if (t >= StartOfFirstWeek(c.year + 1, 0)) return c.year + 1;
      return c.year;
    }
    case 'x': {
      if (t < StartOfFirstWeek(c.year, c.month)) return c.month == 0 ? 12 : c.month;
      if (t >= StartOfFirstWeek(c.year, c.month + 1)) return c.month == 11 ? 1 : c.month + 2;
      return c.month + 1;
    }
    case 'H':
      return c.hours;
    case 'h': {
      double h = std::fmod(c.hours, 12);
      return h == 0 ? 12 : h;
    }
    case 'P':
      return c.hours >= 12 ? 1 : 0;
    case 'm':
      return c.minutes;
    case 's':
      return c.seconds;
    case 'f':
      return c.millis;
    default:
      return 0;
  }
}

std::string ApplyCase(std::string s, Marker::Names names) {
  for (char& ch : s) {
    if (names == Marker::Names::kUpper)
      ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
    if (names == Marker::Names::kLower)
      ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  }
  return s;
}

std::string FormatTimezone(const Marker& m, int offset_hours, int offset_minutes) {
  int offset = offset_hours * 100 + offset_minutes;
  std::string out;
  if (m.integer.regular) {
    out = FormatIntegerWith(offset, m.integer);
  } else {
    int digits = m.integer.mandatory_digits;
    if (digits == 1 || digits == 2) {
      out = FormatIntegerWith(offset_hours, m.integer);
      if (offset_minutes != 0) {
        IntegerPicture two = AnalyseIntegerPicture(U"00");
        out += ":" + FormatIntegerWith(offset_minutes, two);
      }
    } else if (digits == 3 || digits == 4) {
      out = FormatIntegerWith(offset, m.integer);
    } else {
      Throw("D3134", -1, std::to_string(digits));
    }
  }
  if (offset >= 0) out = "+" + out;
  if (m.component == 'z') out = "GMT" + out;
  if (offset == 0 && m.presentation2 == "t") out = "Z";
  return out;
}

std::string FormatComponent(double t, const Marker& m, int oh, int om) {
  char c = m.component;
  if (std::string("YMDdFWwXxHhms").find(c) != std::string::npos) {
    double value = Fragment(t, c);
    if (c == 'Y' && m.n != -1) value = std::fmod(value, std::pow(10, m.n));
    if (m.names != Marker::Names::kNone) {
      std::string name;
      if (c == 'M' || c == 'x') {
        name = kMonths[static_cast<int>(value) - 1];
      } else if (c == 'F') {
        name = kDays[static_cast<int>(value)];
      } else {
        Throw("D3133", -1, std::string(1, c));
      }
      name = ApplyCase(name, m.names);
      if (m.max_width && static_cast<int>(name.size()) > *m.max_width)
        name = name.substr(0, *m.max_width);
      return name;
    }
    return FormatIntegerWith(value, m.integer);
  }
  if (c == 'f') return FormatIntegerWith(Fragment(t, c), m.integer);
  if (c == 'Z' || c == 'z') return FormatTimezone(m, oh, om);
  if (c == 'P') {
    std::string s = Fragment(t, 'P') ? "pm" : "am";
    return m.names == Marker::Names::kUpper ? ApplyCase(s, m.names) : s;
  }
  if (c == 'C' || c == 'E') return "ISO";
  return "";
}

std::string FormatDateTime(double millis, const std::string* picture, const std::string* timezone) {
  int oh = 0, om = 0;
  if (timezone) {
    int offset = std::atoi(timezone->c_str());
    oh = static_cast<int>(std::floor(offset / 100.0));
    om = offset % 100;
  }
  static const std::vector<Marker> kIso =
      AnalyseDateTimePicture("[Y0001]-[M01]-[D01]T[H01]:[m01]:[s01].[f001][Z01:01t]");
  std::vector<Marker> spec = picture ? AnalyseDateTimePicture(*picture) : kIso;
  double t = millis + (60.0 * oh + om) * 60000;
  std::string out;
  for (const Marker& m : spec) out += m.literal ? m.text : FormatComponent(t, m, oh, om);
  return out;
}

}  // namespace

Value FromMillis(Evaluator&, std::vector<Value>& a, const Value&) {
  if (a.empty() || a[0].IsUndefined()) return Value();
  const std::string* picture = a.size() > 1 && a[1].IsString() ? &a[1].Str() : nullptr;
  const std::string* tz = a.size() > 2 && a[2].IsString() ? &a[2].Str() : nullptr;
  return Value::String(FormatDateTime(a[0].number, picture, tz));
}

Value Now(Evaluator& ev, std::vector<Value>& a, const Value&) {
  const std::string* picture = !a.empty() && a[0].IsString() ? &a[0].Str() : nullptr;
  const std::string* tz = a.size() > 1 && a[1].IsString() ? &a[1].Str() : nullptr;
  return Value::String(FormatDateTime(ev.now_millis(), picture, tz));
}

Value ParseDateTime(double now, const std::string& timestamp, const std::string& picture);

Value ToMillis(Evaluator& ev, std::vector<Value>& a, const Value&) {
  if (a.empty() || a[0].IsUndefined()) return Value();
  const std::string& ts = a[0].Str();
  if (a.size() > 1 && a[1].IsString()) return ParseDateTime(ev.now_millis(), ts, a[1].Str());
  static const std::regex kIso(
      R"(^(\d{4})(-([01]\d))?(-([0-3]\d))?(T([0-2]\d):([0-5]\d):([0-5]\d)(\.(\d+))?)?(([+-])([0-2]\d):?([0-5]\d)|Z)?$)");
  std::smatch m;
  if (!std::regex_match(ts, m, kIso)) ThrowValue("D3110", a[0]);
  auto num = [&](int i, double dflt) { return m[i].matched ? std::stod(m[i].str()) : dflt; };
  double ms = 0;
  if (m[11].matched) ms = std::stod("0." + m[11].str()) * 1000;
  double t = DateUtc(num(1, 1970), num(3, 1) - 1, num(5, 1), num(7, 0), num(8, 0), num(9, 0),
                     std::round(ms));
  if (m[13].matched) {
    double offset = num(14, 0) * 60 + num(15, 0);
    t -= (m[13].str() == "-" ? -offset : offset) * 60000;
  }
  return Value::Number(t);
}

// --- parsing by picture -------------------------------------------------------------------

namespace {

struct PartMatcher {
  std::string regex;
  char component = 0;
  std::function<double(const std::string&)> parse;
};

std::string EscapeRegex(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (std::string(".*+?^${}()|[]\\/").find(c) != std::string::npos) out += '\\';
    out += c;
  }
  return out;
}

// `fixed`: a decimal field directly followed by another field has exactly its mandatory digits.
PartMatcher IntegerMatcher(const IntegerPicture& f, bool fixed) {
  PartMatcher pm;
  using P = IntegerPicture::Primary;
  bool upper = f.letter_case == IntegerPicture::Case::kUpper;
  switch (f.primary) {
    case P::kLetters:
      pm.regex = upper ? "[A-Z]+" : "[a-z]+";
      break;
    case P::kRoman:
      pm.regex = upper ? "[MDCLXVI]+" : "[mdclxvi]+";
      break;
    case P::kWords:
      pm.regex = WordsRegex();
      break;
    case P::kDecimal:
      pm.regex = fixed && f.mandatory_digits > 0
                     ? "[0-9]{" + std::to_string(f.mandatory_digits) + "}"
                     : "[0-9]+";
      if (f.ordinal) pm.regex += "(?:th|st|nd|rd)";
      break;
    case P::kSequence:
      Throw("D3130", -1, f.token);
  }
  pm.parse = [f](const std::string& text) -> double {
    if (f.primary == IntegerPicture::Primary::kDecimal) {
      std::string digits;
      for (char c : text) {
        if (std::isdigit(static_cast<unsigned char>(c))) digits += c;
      }
      return digits.empty() ? std::nan("") : std::stod(digits);
    }
    return ParseIntegerWith(text, f);
  };
  return pm;
}

PartMatcher NameMatcher(const Marker& part) {
  PartMatcher pm;
  pm.regex = "[a-zA-Z]+";
  std::map<std::string, double> lookup;
  auto cut = [&](const std::string& name) {
    return part.max_width ? name.substr(0, *part.max_width) : name;
  };
  if (part.component == 'M' || part.component == 'x') {
    for (int i = 0; i < 12; ++i) lookup[cut(kMonths[i])] = i + 1;
  } else if (part.component == 'F') {
    for (int i = 1; i < 8; ++i) lookup[cut(kDays[i])] = i;
  } else if (part.component == 'P') {
    lookup = {{"am", 0}, {"AM", 0}, {"pm", 1}, {"PM", 1}};
  } else {
    Throw("D3133", -1, std::string(1, part.component));
  }
  pm.parse = [lookup](const std::string& value) -> double {
    for (const auto& [k, v] : lookup) {
      if (k.size() == value.size() &&
          std::equal(k.begin(), k.end(), value.begin(), [](char x, char y) {
            return std::tolower(static_cast<unsigned char>(x)) ==
                   std::tolower(static_cast<unsigned char>(y));
          })) {
        return v;
      }
    }
    return std::nan("");
  };
  return pm;
}

PartMatcher TimezoneMatcher(const Marker& part) {
  PartMatcher pm;
  std::optional<char> separator;
  if (part.integer.regular && !part.integer.separators.empty()) {
    separator = static_cast<char>(part.integer.separators[0].character);
  }
  pm.regex = part.component == 'z' ? "GMT" : "";
  pm.regex += "[-+][0-9]+";
  if (separator) pm.regex += EscapeRegex(std::string(1, *separator)) + "[0-9]+";
  bool gmt = part.component == 'z';
  pm.parse = [separator, gmt](std::string value) -> double {
    if (gmt) value = value.substr(3);
    double hours = 0, minutes = 0;
    if (separator) {
      size_t s = value.find(*separator);
      hours = std::stod(value.substr(0, s));
      minutes = std::stod(value.substr(s + 1));
    } else if (value.size() - 1 <= 2) {
      hours = std::stod(value);
    } else {
      hours = std::stod(value.substr(0, 3));
      minutes = std::stod(value.substr(3));
    }
    return hours * 60 + (hours < 0 || value[0] == '-' ? -minutes : minutes);
  };
  return pm;
}

// A picture compiled for parsing: the regular expression and how to read each group.
struct DateMatcher {
  std::regex regex;
  std::vector<PartMatcher> parts;
};

std::shared_ptr<const DateMatcher> CompileDateMatcher(const std::string& picture) {
  std::vector<Marker> spec = AnalyseDateTimePicture(picture);
  auto matcher = std::make_shared<DateMatcher>();
  std::string regex = "^";
  for (size_t i = 0; i < spec.size(); ++i) {
    const Marker& part = spec[i];
    bool fixed = i + 1 < spec.size() && !spec[i + 1].literal;
    PartMatcher pm;
    if (part.literal) {
      pm.regex = EscapeRegex(part.text);
    } else if (part.component == 'Z' || part.component == 'z') {
      pm = TimezoneMatcher(part);
    } else if (part.has_integer) {
      pm = IntegerMatcher(part.integer, fixed);
    } else {
      pm = NameMatcher(part);
    }
    pm.component = part.literal ? 0 : part.component;
    regex += "(" + pm.regex + ")";
    matcher->parts.push_back(pm);
  }
  matcher->regex = std::regex(regex + "$", std::regex::ECMAScript | std::regex::icase);
  return matcher;
}

// Building a std::regex costs far more than matching one: pictures are compiled once per
// thread (a bounded cache: expressions reuse a handful of pictures).
std::shared_ptr<const DateMatcher> DateMatcherFor(const std::string& picture) {
  static thread_local std::map<std::string, std::shared_ptr<const DateMatcher>> cache;
  auto it = cache.find(picture);
  if (it != cache.end()) return it->second;
  if (cache.size() >= 256) cache.clear();
  auto matcher = CompileDateMatcher(picture);
  cache.emplace(picture, matcher);
  return matcher;
}

}  // namespace

double AssembleMillis(double now, std::map<char, double>& components);

Value ParseDateTime(double now, const std::string& timestamp, const std::string& picture) {
  auto matcher = DateMatcherFor(picture);
  std::smatch info;
  if (!std::regex_match(timestamp, info, matcher->regex)) return Value();
  std::map<char, double> components;
  for (size_t i = 1; i < info.size(); ++i) {
    const PartMatcher& pm = matcher->parts[i - 1];
    if (pm.parse) components[pm.component] = pm.parse(info[i].str());
  }
  if (components.empty()) return Value();
  return Value::Number(AssembleMillis(now, components));
}

double AssembleMillis(double now, std::map<char, double>& components) {
  int mask = 0;
  auto shift = [&](char part) { mask = (mask << 1) + (components.count(part) ? 1 : 0); };
  auto is_type = [&](int type) { return !(~type & mask) && (type & mask); };
  for (char c : std::string("YXMxWwdD")) shift(c);
  bool date_a = is_type(161);
  bool date_b = !date_a && is_type(130);
  bool date_c = is_type(84);
  bool date_d = !date_c && is_type(72);
  mask = 0;
  for (char c : std::string("PHhmsf")) shift(c);
  bool time_a = is_type(23);
  bool time_b = !time_a && is_type(47);
  std::string comps = std::string(date_b   ? "YD"
                                  : date_c ? "XxwF"
                                  : date_d ? "XWF"
                                           : "YMD") +
                      (time_b ? "Phmsf" : "Hmsf");
  bool start_specified = false, end_specified = false;
  for (char part : comps) {
    if (!components.count(part)) {
      if (start_specified) {
        components[part] = std::string("MDd").find(part) != std::string::npos ? 1 : 0;
        end_specified = true;
      } else {
        components[part] = Fragment(now, part);
      }
    } else {
      start_specified = true;
      if (end_specified) Throw("D3136");
    }
  }
  components['M'] = components['M'] > 0 ? components['M'] - 1 : 0;
  if (date_b) {
    Civil c = ToCivil(DateUtc(components['Y'], 0) + (components['d'] - 1) * kDay);
    components['M'] = c.month;
    components['D'] = c.day;
  }
  if (date_c || date_d) Throw("D3136");
  if (time_b) {
    components['H'] = components['h'] == 12 ? 0 : components['h'];
    if (components['P'] == 1) components['H'] += 12;
  }
  double millis = DateUtc(components['Y'], components['M'], components['D'], components['H'],
                          components['m'], components['s'], components['f']);
  double tz = components.count('Z') ? components['Z'] : components.count('z') ? components['z'] : 0;
  return millis - tz * 60000;
}

}  // namespace shoplake::jsonata
