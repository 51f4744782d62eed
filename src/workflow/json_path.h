// The JSONPath subset Amazon States Language uses: "$" (the input) or "$$" (the context
// object), then .name, ['name'], [index] (negative counts from the end), and, outside
// reference paths, [*], .* and slices [start:end:step]. No filters, unions or deep scan.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace shoplake::workflow {

using json = nlohmann::json;

//! A parsed path. Immutable and thread-safe once built.
class JsonPath {
 public:
  //! Parses `text`; throws std::invalid_argument saying what is wrong.
  static JsonPath Parse(std::string_view text);

  const std::string& text() const { return text_; }
  //! True for "$$..." paths, which address the context object.
  bool is_context() const { return context_; }
  //! True when every step names one field or index (a "Reference Path" in the spec).
  bool is_reference() const;

  //! The value at this path in `root`. A reference path yields the one value or nullopt
  //! when it does not exist; other paths yield an array of every match (maybe empty).
  std::optional<json> Find(const json& root) const;

  //! Stores `value` at this reference path in `root`, creating missing objects on the way.
  //! Returns false when a step meets a value of the wrong kind (ResultPath's "match
  //! failure"). REQUIRES: is_reference().
  bool Assign(json& root, json value) const;

 private:
  struct Step {
    enum Kind { kField, kIndex, kWildcard, kSlice } kind = kField;
    std::string name;
    long long index = 0;
    std::optional<long long> start, end;
    long long step = 1;
  };
  static Step Wildcard() {
    Step step;
    step.kind = Step::kWildcard;
    return step;
  }
  std::string text_;
  bool context_ = false;
  std::vector<Step> steps_;
};

//! True when `text` parses as a path (of either kind).
bool IsValidPath(std::string_view text);

}  // namespace shoplake::workflow
