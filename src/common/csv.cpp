// CsvField quotes only when it must, so plain fields stay byte-identical to their text.
#include "common/csv.h"

namespace shoplake {

std::string CsvField(std::string_view text) {
  if (text.find_first_of(",\"\r\n") == std::string_view::npos) return std::string(text);
  std::string out = "\"";
  for (char c : text) {
    if (c == '"') out += '"';
    out += c;
  }
  out += '"';
  return out;
}

}  // namespace shoplake
