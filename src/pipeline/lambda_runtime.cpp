// The Lambda runtime loop over common's HttpClient: one long-poll GET per invocation, one
// POST per outcome.
#include "pipeline/lambda_runtime.h"

#include <spdlog/spdlog.h>
#include <stdlib.h>

#include <chrono>
#include <memory>
#include <nlohmann/json.hpp>

#include "common/clock.h"
#include "common/numbers.h"
#include "pipeline/tasks.h"
#include "workflow/clock.h"

namespace shoplake::pipeline {
namespace {

using workflow::json;

constexpr const char* kRuntimePath = "/2018-06-01/runtime/";

// As JSON text, invalid UTF-8 replaced: a cause may quote a raw line in another encoding
// (transform's rejects), which must not keep the outcome from being posted.
std::string Dump(const json& value) {
  return value.dump(-1, ' ', false, json::error_handler_t::replace);
}

HttpClientOptions RuntimeClientOptions() {
  HttpClientOptions options;
  // invocation/next is a long poll: the API answers when an event arrives, which may be
  // hours later (Lambda freezes the process meanwhile). libcurl's stall check must not
  // abandon it, so "no byte for a day" is the only bound.
  options.stall_timeout = std::chrono::hours(24);
  // The API is on the same host: a refused connection is not worth waiting for.
  options.connect_timeout = std::chrono::seconds(5);
  // An event is at most 6 MB (Lambda's synchronous payload limit); leave room.
  options.max_buffered_body = 8 << 20;
  return options;
}

int64_t ParseDeadline(const std::optional<std::string>& header) {
  // A malformed deadline only costs us the log line.
  return header ? ParseSigned(*header).value_or(0) : 0;
}

// Sets _X_AMZN_TRACE_ID while an invocation runs, as AWS's own runtimes do, so that a
// library the handler uses (an AWS SDK) propagates the trace.
class TraceIdScope {
 public:
  explicit TraceIdScope(const std::string& trace_id) {
    if (trace_id.empty()) {
      unsetenv("_X_AMZN_TRACE_ID");
    } else {
      setenv("_X_AMZN_TRACE_ID", trace_id.c_str(), 1);
    }
  }
  ~TraceIdScope() { unsetenv("_X_AMZN_TRACE_ID"); }
  TraceIdScope(const TraceIdScope&) = delete;
  TraceIdScope& operator=(const TraceIdScope&) = delete;
};

}  // namespace

LambdaRuntimeClient::LambdaRuntimeClient(const std::string& api)
    : base_("http://" + api + kRuntimePath), http_(RuntimeClientOptions()) {
  if (api.empty()) {
    throw Error(ErrorCode::kUsage, "no Lambda Runtime API to talk to", "AWS_LAMBDA_RUNTIME_API",
                "Lambda sets AWS_LAMBDA_RUNTIME_API=host:port; to try the runtime elsewhere, "
                "set it to a server that speaks the Runtime API");
  }
}

LambdaInvocation LambdaRuntimeClient::Next() {
  HttpRequest request;
  request.url = base_ + "invocation/next";
  HttpResponse response = http_.Fetch(request, {request.url, "", "", ""});
  LambdaInvocation invocation;
  invocation.request_id = response.Header("Lambda-Runtime-Aws-Request-Id").value_or("");
  if (invocation.request_id.empty()) {
    throw Error(ErrorCode::kData, "the invocation has no Lambda-Runtime-Aws-Request-Id header",
                request.url, "this server does not speak the Lambda Runtime API");
  }
  invocation.deadline_ms = ParseDeadline(response.Header("Lambda-Runtime-Deadline-Ms"));
  invocation.trace_id = response.Header("Lambda-Runtime-Trace-Id")
                            .value_or(response.Header("X-Amzn-Trace-Id").value_or(""));
  invocation.event = std::move(response.body);
  return invocation;
}

void LambdaRuntimeClient::Post(const std::string& request_id, const LambdaOutcome& outcome) {
  PostTo("invocation/" + request_id + (outcome.succeeded ? "/response" : "/error"), outcome);
}

void LambdaRuntimeClient::PostInitError(const LambdaOutcome& outcome) {
  PostTo("init/error", outcome);
}

void LambdaRuntimeClient::PostTo(const std::string& path, const LambdaOutcome& outcome) {
  HttpRequest request;
  request.url = base_ + path;
  request.body = outcome.body;
  request.headers = {"Content-Type: application/json"};
  if (!outcome.succeeded) {
    request.headers.push_back("Lambda-Runtime-Function-Error-Type: " + outcome.error_type);
  }
  http_.Fetch(request, {request.url, "", "", ""});
}

LambdaOutcome LambdaError(const std::string& type, const std::string& message) {
  return {false, type, Dump(json{{"errorType", type}, {"errorMessage", message}})};
}

LambdaOutcome LambdaError(const Error& error) {
  return LambdaError(ErrorName(error), ErrorCause(error));
}

std::string LambdaTaskResource(const std::string& handler) {
  if (handler.empty()) {
    throw Error(ErrorCode::kConfig, "the function names no task", "_HANDLER",
                "set the function's Handler to a task: ingest, transform, crawl, views, report "
                "or notify (infra/aws/template.yaml does)");
  }
  return handler.find(':') == std::string::npos ? "shoplake:" + handler : handler;
}

LambdaOutcome InvokeLambdaTask(const workflow::TaskHandler& handler, const std::string& resource,
                               const LambdaInvocation& invocation) {
  json input;
  try {
    input = json::parse(invocation.event);
  } catch (const json::parse_error& e) {
    return LambdaError(errors::kConfig, "the event is not valid JSON: " + std::string(e.what()) +
                                            " (hint: invoke " + resource +
                                            " with its JSON input, docs/workflow.md)");
  }
  workflow::TaskContext context;
  context.state_name = resource;
  context.resource = resource;
  context.execution_id = invocation.request_id;
  context.clock = &workflow::SystemClock::Instance();
  context.cancellation = std::make_shared<workflow::Cancellation>();
  TraceIdScope trace(invocation.trace_id);
  try {
    json output = handler(input, context);
    return {true, "", Dump(output)};
  } catch (const workflow::TaskError& e) {
    return LambdaError(e.error(), e.cause());
  } catch (const std::exception& e) {
    // Locally the interpreter calls this States.TaskFailed; a function may not raise a
    // States.* name on AWS, and a handler letting anything but a TaskError out is a bug.
    return LambdaError(errors::kInternal, e.what());
  }
}

int RunLambdaLoop(LambdaRuntimeClient& client, const workflow::TaskHandler& handler,
                  const std::string& resource, LambdaLoopControl& control) {
  int handled = 0;
  while (!control.stop.load() &&
         (control.max_invocations <= 0 || handled < control.max_invocations)) {
    LambdaInvocation invocation = client.Next();
    control.busy.store(true);
    if (invocation.deadline_ms > 0) {
      spdlog::info("invocation {} of {}: {} ms left", invocation.request_id, resource,
                   invocation.deadline_ms - UnixMsNow());
    }
    LambdaOutcome outcome = InvokeLambdaTask(handler, resource, invocation);
    if (!outcome.succeeded) {
      spdlog::error("invocation {} failed: {}", invocation.request_id, outcome.body);
    }
    try {
      client.Post(invocation.request_id, outcome);
    } catch (const Error& e) {
      if (e.code() == ErrorCode::kNetwork) throw;  // the API is gone: so is the function
      // Refused (413: an output over Lambda's 6 MB): Lambda fails the invocation itself;
      // this function goes on serving the next one.
      spdlog::error("the Runtime API refused invocation {}'s {}: {}", invocation.request_id,
                    outcome.succeeded ? "response" : "error", e.message());
    }
    control.busy.store(false);
    ++handled;
  }
  return handled;
}

}  // namespace shoplake::pipeline
