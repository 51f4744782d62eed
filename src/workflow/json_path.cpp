// JSONPath parsing and evaluation for ASL paths.
#include "workflow/json_path.h"

#include <cctype>
#include <stdexcept>

namespace shoplake::workflow {
namespace {

[[noreturn]] void Bad(std::string_view text, const std::string& what) {
  throw std::invalid_argument("invalid path '" + std::string(text) + "': " + what);
}

long long ParseInteger(std::string_view text, std::string_view all) {
  if (text.empty()) Bad(all, "expected a number");
  size_t i = 0;
  if (text[0] == '-') i = 1;
  if (i == text.size()) Bad(all, "expected a number");
  for (size_t j = i; j < text.size(); ++j) {
    if (!std::isdigit(static_cast<unsigned char>(text[j]))) {
      Bad(all, "'" + std::string(text) + "' is not an integer");
    }
  }
  return std::stoll(std::string(text));
}

}  // namespace

JsonPath JsonPath::Parse(std::string_view text) {
  JsonPath path;
  path.text_ = std::string(text);
  if (text.empty() || text[0] != '$') Bad(text, "a path starts with '$'");
  size_t pos = 1;
  if (pos < text.size() && text[pos] == '$') {
    path.context_ = true;
    ++pos;
  }
  while (pos < text.size()) {
    char c = text[pos];
    if (c == '.') {
      ++pos;
      if (pos < text.size() && text[pos] == '.') Bad(text, "deep scan '..' is not supported");
      if (pos < text.size() && text[pos] == '*') {
        path.steps_.push_back(Wildcard());
        ++pos;
        continue;
      }
      size_t start = pos;
      while (pos < text.size() && text[pos] != '.' && text[pos] != '[') ++pos;
      if (pos == start) Bad(text, "empty field name after '.'");
      Step step;
      step.name = std::string(text.substr(start, pos - start));
      path.steps_.push_back(step);
    } else if (c == '[') {
      ++pos;
      if (pos < text.size() && (text[pos] == '\'' || text[pos] == '"')) {
        char quote = text[pos++];
        std::string name;
        while (pos < text.size() && text[pos] != quote) {
          if (text[pos] == '\\' && pos + 1 < text.size()) ++pos;
          name += text[pos++];
        }
        if (pos >= text.size()) Bad(text, "unterminated quoted name");
        ++pos;
        if (pos >= text.size() || text[pos] != ']') Bad(text, "expected ']' after quoted name");
        ++pos;
        Step step;
        step.name = std::move(name);
        path.steps_.push_back(step);
        continue;
      }
      size_t close = text.find(']', pos);
      if (close == std::string_view::npos) Bad(text, "missing ']'");
      std::string_view inside = text.substr(pos, close - pos);
      pos = close + 1;
      if (inside == "*") {
        path.steps_.push_back(Wildcard());
      } else if (!inside.empty() && inside[0] == '?') {
        Bad(text, "filter expressions are not supported");
      } else if (inside.find(',') != std::string_view::npos) {
        Bad(text, "unions are not supported");
      } else if (inside.find(':') != std::string_view::npos) {
        Step step;
        step.kind = Step::kSlice;
        size_t c1 = inside.find(':');
        size_t c2 = inside.find(':', c1 + 1);
        std::string_view a = inside.substr(0, c1);
        std::string_view b = inside.substr(c1 + 1, c2 == std::string_view::npos ? c2 : c2 - c1 - 1);
        if (!a.empty()) step.start = ParseInteger(a, text);
        if (!b.empty()) step.end = ParseInteger(b, text);
        if (c2 != std::string_view::npos && c2 + 1 < inside.size()) {
          step.step = ParseInteger(inside.substr(c2 + 1), text);
          if (step.step == 0) Bad(text, "slice step 0");
        }
        path.steps_.push_back(step);
      } else {
        Step step;
        step.kind = Step::kIndex;
        step.index = ParseInteger(inside, text);
        path.steps_.push_back(step);
      }
    } else {
      Bad(text, std::string("unexpected '") + c + "'");
    }
  }
  return path;
}

bool JsonPath::is_reference() const {
  for (const auto& step : steps_) {
    if (step.kind != Step::kField && step.kind != Step::kIndex) return false;
  }
  return true;
}

std::optional<json> JsonPath::Find(const json& root) const {
  std::vector<const json*> nodes{&root};
  for (const auto& step : steps_) {
    std::vector<const json*> next;
    for (const json* node : nodes) {
      switch (step.kind) {
        case Step::kField:
          if (node->is_object()) {
            auto it = node->find(step.name);
            if (it != node->end()) next.push_back(&*it);
          }
          break;
        case Step::kIndex:
          if (node->is_array()) {
            long long size = static_cast<long long>(node->size());
            long long i = step.index < 0 ? size + step.index : step.index;
            if (i >= 0 && i < size) next.push_back(&(*node)[static_cast<size_t>(i)]);
          }
          break;
        case Step::kWildcard:
          if (node->is_array() || node->is_object()) {
            for (const auto& child : *node) next.push_back(&child);
          }
          break;
        case Step::kSlice:
          if (node->is_array()) {
            long long size = static_cast<long long>(node->size());
            auto clamp = [size](long long v) {
              if (v < 0) v += size;
              return v < 0 ? 0 : (v > size ? size : v);
            };
            if (step.step > 0) {
              long long b = step.start ? clamp(*step.start) : 0;
              long long e = step.end ? clamp(*step.end) : size;
              for (long long i = b; i < e; i += step.step) {
                next.push_back(&(*node)[static_cast<size_t>(i)]);
              }
            } else {
              long long b = step.start ? std::min(clamp(*step.start), size - 1) : size - 1;
              long long e = step.end ? clamp(*step.end) : -1;
              for (long long i = b; i > e; i += step.step) {
                next.push_back(&(*node)[static_cast<size_t>(i)]);
              }
            }
          }
          break;
      }
    }
    nodes = std::move(next);
  }
  if (is_reference()) {
    if (nodes.empty()) return std::nullopt;
    return *nodes.front();
  }
  json all = json::array();
  for (const json* node : nodes) all.push_back(*node);
  return all;
}

bool JsonPath::Assign(json& root, json value) const {
  json* node = &root;
  for (const auto& step : steps_) {
    if (step.kind == Step::kField) {
      if (node->is_null()) *node = json::object();
      if (!node->is_object()) return false;
      node = &(*node)[step.name];
    } else if (step.kind == Step::kIndex) {
      if (!node->is_array()) return false;
      long long size = static_cast<long long>(node->size());
      long long i = step.index < 0 ? size + step.index : step.index;
      if (i < 0 || i >= size) return false;
      node = &(*node)[static_cast<size_t>(i)];
    } else {
      return false;
    }
  }
  *node = std::move(value);
  return true;
}

bool IsValidPath(std::string_view text) {
  try {
    JsonPath::Parse(text);
    return true;
  } catch (const std::invalid_argument&) {
    return false;
  }
}

}  // namespace shoplake::workflow
