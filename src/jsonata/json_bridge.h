// Conversion between JSONata values and nlohmann::ordered_json (key order kept), for callers
// that hold JSON documents: the CLI, the workflow states, the conformance runner.
#pragma once

#include <nlohmann/json.hpp>

#include "jsonata/value.h"

namespace shoplake::jsonata {

Value FromJson(const nlohmann::ordered_json& json);
//! Undefined becomes a discarded json (is_discarded()); functions become "".
nlohmann::ordered_json ToJson(const Value& value);

}  // namespace shoplake::jsonata
