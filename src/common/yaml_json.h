// YAML <-> JSON: a YAML document (a SAM template, a dashboard's Vega-Lite encoding) read as
// JSON without changing any value's type, and JSON written back as YAML that every YAML
// reader, YAML 1.1's included (CloudFormation's), reads as the same JSON. yaml-cpp reads and
// writes; this file only decides the types. YamlReader (common/yaml_reader.h) parses a file
// with errors that point into it; these functions take what it parsed.
//
// Thread safety: pure functions.
#pragma once

#include <yaml-cpp/yaml.h>

#include <nlohmann/json.hpp>
#include <string>

namespace shoplake {

//! A YAML document as JSON: mappings keep their order; a plain scalar becomes null, a
//! boolean or a number when YAML 1.2's core schema reads it so, a quoted one stays a string.
nlohmann::ordered_json YamlToJson(const YAML::Node& node);

//! `value` as a block-style YAML document. Strings a YAML 1.1 reader (CloudFormation's)
//! could take for another type ("true", "2012-10-17", "1") are double-quoted; multi-line
//! strings are literal blocks. Deterministic.
std::string EmitYaml(const nlohmann::ordered_json& value);

}  // namespace shoplake
