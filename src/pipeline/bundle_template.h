// The SAM template as the AWS bundle completes it (pipeline/aws_bundle.h): the state
// machine bound to the functions, an error alarm per function, the Glue database and tables
// of the mappings, the Athena named queries of the views. Each part checks that the
// template has the resources it refers to, and fails naming the template file and the fix.
//
// Thread safety: a SamTemplate is used by one thread; the functions are pure apart from the
// files they read and the warnings they log.
#pragma once

#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "common/project.h"

namespace shoplake::pipeline {

//! The bundle's state machine file; the template's DefinitionUri names it.
inline constexpr const char* kDefinitionFile = "statemachine/pipeline.asl.json";
//! The template's bucket of processed files, which the Glue tables' locations name.
inline constexpr const char* kProcessedBucket = "ProcessedBucket";

//! The renderer's view of the template: its file (for errors) and its Resources.
class SamTemplate {
 public:
  //! Throws Error(kConfig) when `document` has no Resources mapping.
  SamTemplate(std::filesystem::path file, nlohmann::ordered_json document);

  nlohmann::ordered_json& resources() { return document_["Resources"]; }
  nlohmann::ordered_json& document() { return document_; }

  //! The resource `name`, which must exist with `type` (`why` says who needs it).
  nlohmann::ordered_json& Resource(const std::string& name, const std::string& type,
                                   const std::string& why);
  //! The one resource of `type`, by name.
  std::string OnlyOf(const std::string& type);
  //! Adds a generated resource; fails when the template already has one of that name.
  void Add(const std::string& name, nlohmann::ordered_json resource);
  //! Throws Error(kConfig) "the SAM template <message>" naming the file, with `hint`.
  [[noreturn]] void Fail(const std::string& message, const std::string& hint) const;

 private:
  std::filesystem::path file_;
  nlohmann::ordered_json document_;
};

//! Points the template's one state machine at kDefinitionFile and binds each ${Variable} of
//! `aws_definition` (AwsDefinition's) in its DefinitionSubstitutions: the raw bucket, the
//! failure topic, and each function a shoplake task is bound to (${XFunctionArn} ->
//! XFunction, whose Handler must be the task). Returns the functions, in variable order.
std::vector<std::string> BindDefinition(SamTemplate& tmpl,
                                        const nlohmann::ordered_json& aws_definition,
                                        const std::map<std::string, std::string>& bindings);

//! A CloudWatch alarm on each of `functions`' errors, published to the failure topic.
void AddErrorAlarms(SamTemplate& tmpl, const std::vector<std::string>& functions);

//! The Glue database and table of each dataset, partitions found by projection; copies each
//! mapping into `files` (function/<its path>). Returns database name -> resource name.
std::map<std::string, std::string> AddGlueTables(SamTemplate& tmpl, const Project& project,
                                                 std::map<std::string, std::string>& files);

//! An Athena named query per view of the project, in the order the views are defined, each
//! in a database of `databases` (AddGlueTables'); copies each view into `files` (views/ and
//! function/) and warns of the DuckDB spellings Athena lacks (bundle_athena.h).
void AddNamedQueries(SamTemplate& tmpl, const Project& project,
                     const std::map<std::string, std::string>& databases,
                     std::map<std::string, std::string>& files);

}  // namespace shoplake::pipeline
