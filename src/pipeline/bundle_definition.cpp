// The definition for AWS (AwsDefinition): the project's state machine rewritten as Step
// Functions runs it. The ingest becomes a Distributed Map over the raw bucket, the failure
// notice an SNS publish, and every function's Task retries Lambda's own transient errors.
#include <regex>

#include "common/error.h"
#include "pipeline/aws_bundle.h"

namespace shoplake::pipeline {
namespace {

constexpr const char* kNotifyResource = "shoplake:notify";
constexpr const char* kIngestResource = "shoplake:ingest";
// Objects per Distributed Map child: a child is one Lambda invocation, which must copy its
// batch within Lambda's 15 minutes; 100 daily exports of a few MB each take a minute or two.
constexpr int kIngestBatch = 100;
constexpr int kIngestChildren = 10;

// "${Name}" when `value` is exactly one variable, else "".
std::string WholeVariable(const ordered_json& value) {
  if (!value.is_string()) return "";
  const std::string& text = value.get_ref<const std::string&>();
  if (text.size() < 4 || !text.starts_with("${") || text.back() != '}') return "";
  std::string name = text.substr(2, text.size() - 3);
  return std::regex_match(name, std::regex("[A-Za-z0-9_]+")) ? name : "";
}

// The task resource a Task state's Resource stands for through `bindings`, or "".
std::string BoundResource(const ordered_json& state,
                          const std::map<std::string, std::string>& bindings) {
  if (!state.is_object() || state.value("Type", "") != "Task" || !state.contains("Resource")) {
    return "";
  }
  auto bound = bindings.find(WholeVariable(state["Resource"]));
  return bound == bindings.end() ? "" : bound->second;
}

// Calls `visit(state)` for every state of `machine`, nested Parallel branches and Map
// processors included.
template <typename Visit>
void ForEachState(ordered_json& machine, const Visit& visit) {
  if (!machine.is_object() || !machine.contains("States") || !machine["States"].is_object()) {
    return;
  }
  for (auto& [name, state] : machine["States"].items()) {
    if (!state.is_object()) continue;
    visit(state);
    if (state.contains("Branches") && state["Branches"].is_array()) {
      for (auto& branch : state["Branches"]) ForEachState(branch, visit);
    }
    for (const char* processor : {"ItemProcessor", "Iterator"}) {
      if (state.contains(processor)) ForEachState(state[processor], visit);
    }
  }
}

// Lambda's own failures worth another attempt, as the Step Functions guide recommends
// retrying them on every Lambda task.
ordered_json LambdaRetrier() {
  return {{"ErrorEquals",
           {"Lambda.ServiceException", "Lambda.AWSLambdaException", "Lambda.SdkClientException",
            "Lambda.TooManyRequestsException"}},
          {"IntervalSeconds", 1},
          {"MaxAttempts", 3},
          {"BackoffRate", 2}};
}

void AddLambdaRetrier(ordered_json& state) {
  if (!state.contains("Retry") || !state["Retry"].is_array())
    state["Retry"] = ordered_json::array();
  state["Retry"].insert(state["Retry"].begin(), LambdaRetrier());
}

// shoplake:notify's message to the failure topic: the same JSON, through SNS.
void PublishToTopic(ordered_json& state) {
  ordered_json parameters = {{"TopicArn", std::string("${") + kFailureTopicVariable + "}"},
                             {"Subject", "shoplake pipeline failure"}};
  const ordered_json old = state.value("Parameters", ordered_json::object());
  if (old.contains("message")) {
    parameters["Message"] = old["message"];
  } else if (old.contains("message.$")) {
    parameters["Message.$"] = old["message.$"];
  } else {
    parameters["Message.$"] = "$";
  }
  state["Resource"] = "arn:aws:states:::sns:publish";
  state["Parameters"] = parameters;
}

// The ingest Task as a Distributed Map over its source's objects in the raw bucket.
ordered_json DistributedIngest(const std::string& name, const ordered_json& task) {
  const ordered_json parameters = task.value("Parameters", ordered_json::object());
  if (!parameters.contains("source.$") || !parameters["source.$"].is_string()) {
    throw Error(ErrorCode::kConfig,
                "state '" + name +
                    "' needs Parameters.\"source.$\" (the path to the source's name) to "
                    "become a Distributed Map over the raw bucket",
                "state '" + name + "'", "give it \"source.$\": \"$.config.source\"");
  }
  const std::string source = parameters["source.$"].get<std::string>();
  const std::string bucket = std::string("${") + kRawBucketVariable + "}";
  ordered_json batch = ordered_json::object();
  for (const auto& [key, value] : parameters.items()) {
    if (key == "source.$") {
      batch["source.$"] = "States.Format('s3://" + bucket + "/{}/', " + source + ")";
      batch["sourceName.$"] = source;
    } else {
      batch[key] = value;
    }
  }
  ordered_json child = {{"Type", "Task"}, {"Resource", task["Resource"]}};
  ordered_json child_parameters = ordered_json::object();
  for (const auto& [key, value] : batch.items()) {
    std::string field = key.ends_with(".$") ? key.substr(0, key.size() - 2) : key;
    child_parameters[field + ".$"] = "$.BatchInput." + field;
  }
  child_parameters["objects.$"] = "$.Items[*].uri";
  child["Parameters"] = child_parameters;
  if (task.contains("Retry")) child["Retry"] = task["Retry"];
  child["End"] = true;

  ordered_json map = {
      {"Type", "Map"},
      {"Comment",
       "Rendered by shoplake deploy from the Task of pipeline.asl.json: one child execution per "
       "batch of the source's objects in the raw bucket, each running the ingest function on "
       "its batch. A child's failure fails the Map with States.ExceedToleratedFailureThreshold: "
       "redrive the execution to rerun the failed children."},
      {"ItemReader",
       {{"Resource", "arn:aws:states:::s3:listObjectsV2"},
        {"Parameters",
         {{"Bucket", bucket}, {"Prefix.$", "States.Format('{}/', " + source + ")"}}}}},
      {"ItemSelector",
       {{"uri.$", "States.Format('s3://" + bucket + "/{}', $$.Map.Item.Value.Key)"}}},
      {"ItemBatcher", {{"MaxItemsPerBatch", kIngestBatch}, {"BatchInput", batch}}},
      {"MaxConcurrency", kIngestChildren},
      // STANDARD children: a batch may take up to Lambda's 15 minutes, past EXPRESS's 5.
      {"ItemProcessor",
       {{"ProcessorConfig", {{"Mode", "DISTRIBUTED"}, {"ExecutionType", "STANDARD"}}},
        {"StartAt", name + "Batch"},
        {"States", {{name + "Batch", child}}}}}};
  for (const char* field :
       {"InputPath", "ResultSelector", "ResultPath", "OutputPath", "Catch", "Next", "End"}) {
    if (task.contains(field)) map[field] = task[field];
  }
  return map;
}
}  // namespace

ordered_json AwsDefinition(const ordered_json& definition,
                           const std::map<std::string, std::string>& bindings) {
  ordered_json aws = definition;
  // The ingest, at the top level only: a Distributed Map cannot run inside another's
  // inline iterations, and the pipeline ingests once per execution.
  if (aws.contains("States") && aws["States"].is_object()) {
    for (auto& [name, state] : aws["States"].items()) {
      if (BoundResource(state, bindings) == kIngestResource) state = DistributedIngest(name, state);
    }
  }
  // Then every Task, the ingest's child included.
  ForEachState(aws, [&](ordered_json& state) {
    const std::string resource = BoundResource(state, bindings);
    if (resource == kNotifyResource) {
      PublishToTopic(state);
    } else if (resource.starts_with("shoplake:")) {
      AddLambdaRetrier(state);
    }
  });
  if (aws.contains("Comment") && aws["Comment"].is_string()) {
    aws["Comment"] = aws["Comment"].get<std::string>() +
                     " Rendered for AWS by shoplake deploy: the ingest a Distributed Map over "
                     "the raw bucket, the failure notice an SNS publish.";
  }
  return aws;
}

}  // namespace shoplake::pipeline
