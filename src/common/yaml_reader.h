// YamlReader: reads one YAML document (shoplake.yaml, a mapping spec) with errors that point
// into the file. Every mistake becomes Error(kConfig) whose input is "file:line:column" and
// whose message names the key by its dotted path, with a did-you-mean for unknown keys.
#pragma once

#include <yaml-cpp/yaml.h>

#include <filesystem>
#include <string>
#include <vector>

namespace shoplake {

//! Checks nodes of a YAML document read from `file`. Stateless apart from the file name;
//! safe to use from several threads on different documents.
class YamlReader {
 public:
  explicit YamlReader(std::filesystem::path file);

  const std::filesystem::path& file() const { return file_; }

  //! Parses `text` as read from file(). Throws Error(kConfig) "not valid YAML: ..." at the
  //! syntax error's line and column.
  YAML::Node Parse(const std::string& text) const;

  //! "file:line:column" of `node`, or just "file" when the node has no position (a key
  //! that is absent, an empty document).
  std::string Where(const YAML::Node& node) const;

  //! Throws Error(kConfig) with `message` and `hint` at Where(node).
  [[noreturn]] void Fail(const YAML::Node& node, const std::string& message,
                         const std::string& hint = {}) const;

  //! Every key of `map` must be one of `known`; `path` is the dotted key path for messages
  //! ("" for the document's top level). Fails when `map` is not a mapping, and at the first
  //! unknown key with the nearest known one.
  void ExpectMap(const YAML::Node& map, const std::string& path,
                 const std::vector<std::string>& known) const;

  //! The scalar `node` as text; fails "'path' must be a string" for a list or a mapping.
  std::string String(const YAML::Node& node, const std::string& path) const;

  //! The scalar `node` as a Number (or bool); fails "'path' must be <kind>, not '...'"
  //! when it does not convert.
  template <typename Number>
  Number Get(const YAML::Node& node, const std::string& path, const char* kind) const {
    try {
      if (!node.IsScalar()) throw YAML::Exception(node.Mark(), "not a scalar");
      return node.as<Number>();
    } catch (const YAML::Exception&) {
      Fail(node, Quoted(path) + " must be " + kind + ", not '" + Dump(node) + "'");
    }
  }

  //! `path` + "." + `key`, or `key` at the top level.
  static std::string Join(const std::string& path, const std::string& key);
  //! 'path', as messages quote keys and values.
  static std::string Quoted(const std::string& path);
  //! `node` as one line of flow-style YAML, for quoting a bad value in a message.
  static std::string Dump(const YAML::Node& node);
  //! "a, b, c".
  static std::string JoinAll(const std::vector<std::string>& names);

 private:
  std::filesystem::path file_;
};

}  // namespace shoplake
