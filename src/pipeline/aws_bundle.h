// The AWS bundle: what `shoplake deploy --render DIR` writes, made without any AWS access
// from the project and a SAM template (infra/aws/template.yaml):
//
//   template.yaml                  the template, completed: DefinitionSubstitutions, the
//                                  Glue database and tables (from the mappings), the Athena
//                                  named queries (from the views), a Lambda error alarm per
//                                  function the state machine invokes
//   statemachine/pipeline.asl.json the project's definition as it runs on Step Functions
//                                  (AwsDefinition)
//   views/*.sql                    the views, as the named queries hold them
//   function/                      the functions' code folder: shoplake.yaml and the files
//                                  it names (mappings, views, dashboard); the bootstrap
//                                  binary is added by the person deploying (docs/aws.md)
//   README.md                      what is there and how to deploy it
//
// Deterministic: the same inputs give byte-identical files. One source definition: the
// AWS variant is derived here, never kept beside pipeline/pipeline.asl.json. The parts are
// made in bundle_definition.cpp, bundle_template.cpp (with bundle_athena.cpp) and
// bundle_readme.cpp; aws_bundle.cpp puts them together.
//
// Thread safety: pure functions of their inputs (and the files they read).
#pragma once

#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <string>

#include "common/project.h"

namespace shoplake::pipeline {

using ordered_json = nlohmann::ordered_json;

//! The substitution variables AwsDefinition adds beside the project's bindings.
inline constexpr const char* kRawBucketVariable = "RawBucketName";
inline constexpr const char* kFailureTopicVariable = "FailureTopicArn";

//! The state machine `definition` (with ${Variable}s that `bindings` map to shoplake task
//! resources) as it runs on AWS:
//!   - a Task bound to shoplake:notify publishes its `message` to the SNS topic
//!     ${FailureTopicArn} (arn:aws:states:::sns:publish) instead of calling a function;
//!   - the top-level Task bound to shoplake:ingest becomes a Distributed Map over the
//!     objects under s3://${RawBucketName}/<source>/ (ItemReader over the S3 listing,
//!     batches of 100), each child running the ingest function on its batch ("objects");
//!   - every Task that runs a function first retries Lambda's own transient errors.
//! Throws Error(kConfig) when the ingest Task has no "source.$" parameter to list by.
ordered_json AwsDefinition(const ordered_json& definition,
                           const std::map<std::string, std::string>& bindings);

//! The bundle's files: path relative to the bundle -> bytes, in path order. Reads
//! `template_file`, the project's definition (paths.workflow), mappings, views and
//! dashboard. Throws Error(kConfig) naming the file and what to fix: a template that is
//! not YAML or lacks the state machine (an AWS::Serverless::StateMachine) or a function a
//! variable names (${IngestFunctionArn} needs IngestFunction with Handler: ingest), a
//! mapping or view that does not load.
std::map<std::string, std::string> RenderAwsBundle(const Project& project,
                                                   const std::filesystem::path& template_file);

}  // namespace shoplake::pipeline
