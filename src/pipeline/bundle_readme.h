// The AWS bundle's README.md (pipeline/aws_bundle.h): the bundle's files, what to add before
// `sam build`, the functions and the template's parameters.
//
// Thread safety: a pure function.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace shoplake::pipeline {

//! The README for the completed template `document` (its Parameters are listed with their
//! defaults) and the `functions` the state machine invokes (BindDefinition's).
std::string BundleReadme(const nlohmann::ordered_json& document,
                         const std::vector<std::string>& functions);

}  // namespace shoplake::pipeline
