// YamlReader: the checks shared by every YAML file shoplake reads.
#include "common/yaml_reader.h"

#include <algorithm>
#include <map>

#include "common/error.h"
#include "common/names.h"

namespace shoplake {

YamlReader::YamlReader(std::filesystem::path file) : file_(std::move(file)) {}

namespace {

// Fails at the first key that a mapping in `node` (or below it) holds twice: yaml-cpp keeps
// both and lookups find the first, so the second would be ignored without a word.
void RefuseDuplicateKeys(const YamlReader& reader, const YAML::Node& node) {
  if (node.IsSequence()) {
    for (const auto& item : node) RefuseDuplicateKeys(reader, item);
    return;
  }
  if (!node.IsMap()) return;
  std::map<std::string, YAML::Node> seen;
  for (const auto& entry : node) {
    if (entry.first.IsScalar()) {
      auto key = entry.first.Scalar();
      auto [at, added] = seen.emplace(key, entry.first);
      if (!added) {
        reader.Fail(entry.first, "duplicate key '" + key + "'",
                    "it is also at line " + std::to_string(at->second.Mark().line + 1) +
                        "; keep one (which one you meant cannot be guessed)");
      }
    }
    RefuseDuplicateKeys(reader, entry.second);
  }
}

}  // namespace

YAML::Node YamlReader::Parse(const std::string& text) const {
  try {
    auto doc = YAML::Load(text);
    RefuseDuplicateKeys(*this, doc);
    return doc;
  } catch (const YAML::ParserException& e) {
    throw Error(ErrorCode::kConfig, "not valid YAML: " + e.msg,
                file_.string() + ":" + std::to_string(e.mark.line + 1) + ":" +
                    std::to_string(e.mark.column + 1),
                "fix the YAML syntax at that line");
  }
}

std::string YamlReader::Where(const YAML::Node& node) const {
  std::string where = file_.string();
  if (node.IsDefined() && node.Mark().line >= 0) {
    where +=
        ":" + std::to_string(node.Mark().line + 1) + ":" + std::to_string(node.Mark().column + 1);
  }
  return where;
}

void YamlReader::Fail(const YAML::Node& node, const std::string& message,
                      const std::string& hint) const {
  throw Error(ErrorCode::kConfig, message, Where(node), hint);
}

void YamlReader::ExpectMap(const YAML::Node& map, const std::string& path,
                           const std::vector<std::string>& known) const {
  if (!map.IsMap()) Fail(map, Quoted(path) + " must be a mapping of keys to values");
  for (const auto& entry : map) {
    auto key = entry.first.as<std::string>();
    if (std::find(known.begin(), known.end(), key) == known.end()) {
      Fail(entry.first, "unknown key " + Quoted(Join(path, key)) + DidYouMean(key, known),
           "known keys here: " + JoinAll(known));
    }
  }
}

std::string YamlReader::String(const YAML::Node& node, const std::string& path) const {
  if (!node.IsScalar()) Fail(node, Quoted(path) + " must be a string");
  return node.as<std::string>();
}

std::string YamlReader::Join(const std::string& path, const std::string& key) {
  return path.empty() ? key : path + "." + key;
}

std::string YamlReader::Quoted(const std::string& path) { return "'" + path + "'"; }

std::string YamlReader::Dump(const YAML::Node& node) {
  YAML::Emitter out;
  out << YAML::Flow << node;
  return out.c_str();
}

std::string YamlReader::JoinAll(const std::vector<std::string>& names) {
  std::string out;
  for (const auto& name : names) out += (out.empty() ? "" : ", ") + name;
  return out;
}

}  // namespace shoplake
