// YAML <-> JSON: the type of each scalar, decided once for every reader and writer.
#include "common/yaml_json.h"

#include <cctype>
#include <regex>
#include <set>

#include "common/names.h"
#include "common/numbers.h"

namespace shoplake {
namespace {

using ordered_json = nlohmann::ordered_json;

bool FullMatch(const std::string& text, const char* pattern) {
  return std::regex_match(text, std::regex(pattern));
}

ordered_json PlainScalar(const std::string& text) {
  if (text.empty() || text == "~" || text == "null" || text == "Null" || text == "NULL") {
    return nullptr;
  }
  if (text == "true" || text == "True" || text == "TRUE") return true;
  if (text == "false" || text == "False" || text == "FALSE") return false;
  if (FullMatch(text, "[-+]?[0-9]+")) {
    // Past 64 bits it stays text rather than wrapping; ParseSigned takes no '+'.
    auto whole = ParseSigned(std::string_view(text).substr(text[0] == '+' ? 1 : 0));
    if (whole) return *whole;
    return text;
  }
  if (FullMatch(text, "[-+]?(\\.[0-9]+|[0-9]+(\\.[0-9]*)?)([eE][-+]?[0-9]+)?")) {
    return std::stod(text);
  }
  return text;
}

// A string a YAML 1.1 reader would take for a boolean, null, number, date or time.
bool LooksLikeAnotherType(const std::string& text) {
  static const std::set<std::string> kWords = {"y",     "yes",   "n",     "no",   "true",
                                               "false", "on",    "off",   "null", "~",
                                               ".inf",  "-.inf", "+.inf", ".nan"};
  if (text.empty() || kWords.count(Lower(text))) return true;
  bool starts_like_number = std::isdigit(static_cast<unsigned char>(text[0])) || text[0] == '-' ||
                            text[0] == '+' || text[0] == '.';
  return starts_like_number && FullMatch(text, "[0-9A-Za-z_.:+-]+");
}

void Emit(YAML::Emitter& out, const ordered_json& value) {
  if (value.is_object()) {
    if (value.empty()) {
      out << YAML::Flow << YAML::BeginMap << YAML::EndMap;
      return;
    }
    out << YAML::BeginMap;
    for (const auto& [key, member] : value.items()) {
      out << YAML::Key;
      Emit(out, ordered_json(key));
      out << YAML::Value;
      Emit(out, member);
    }
    out << YAML::EndMap;
  } else if (value.is_array()) {
    if (value.empty()) {
      out << YAML::Flow << YAML::BeginSeq << YAML::EndSeq;
      return;
    }
    out << YAML::BeginSeq;
    for (const auto& item : value) Emit(out, item);
    out << YAML::EndSeq;
  } else if (value.is_string()) {
    const std::string& text = value.get_ref<const std::string&>();
    if (text.find('\n') != std::string::npos) {
      out << YAML::Literal << text;
    } else if (LooksLikeAnotherType(text)) {
      out << YAML::DoubleQuoted << text;
    } else {
      out << text;
    }
  } else if (value.is_boolean()) {
    out << value.get<bool>();
  } else if (value.is_null()) {
    out << YAML::Null;
  } else {
    // Numbers as JSON writes them: exact for integers, shortest round trip for the rest.
    out << value.dump();
  }
}

}  // namespace

ordered_json YamlToJson(const YAML::Node& node) {
  switch (node.Type()) {
    case YAML::NodeType::Map: {
      ordered_json out = ordered_json::object();
      for (const auto& pair : node) out[pair.first.Scalar()] = YamlToJson(pair.second);
      return out;
    }
    case YAML::NodeType::Sequence: {
      ordered_json out = ordered_json::array();
      for (const auto& item : node) out.push_back(YamlToJson(item));
      return out;
    }
    case YAML::NodeType::Scalar:
      // yaml-cpp tags a quoted scalar "!" and a plain one "?".
      return node.Tag() == "!" ? ordered_json(node.Scalar()) : PlainScalar(node.Scalar());
    default:
      return nullptr;
  }
}

std::string EmitYaml(const ordered_json& value) {
  YAML::Emitter out;
  out.SetIndent(2);
  out.SetBoolFormat(YAML::TrueFalseBool);
  Emit(out, value);
  return std::string(out.c_str()) + "\n";
}

}  // namespace shoplake
