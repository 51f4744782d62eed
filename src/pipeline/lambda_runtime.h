// The AWS Lambda custom runtime: the loop a `provided.al2023` function's `bootstrap` runs
// against the Lambda Runtime API (http://${AWS_LAMBDA_RUNTIME_API}/2018-06-01/runtime/).
// It asks for the next invocation, hands its event to one of the same task handlers the
// local workflow runs (pipeline/tasks.h), and posts the handler's JSON output back, or its
// error with the error name Retry and Catch match locally (Shoplake.Transient, ...), so a
// state machine behaves the same on Step Functions as under `shoplake workflow`.
//
//   GET  invocation/next              -> the event; Lambda-Runtime-Aws-Request-Id,
//                                        Lambda-Runtime-Deadline-Ms, Lambda-Runtime-Trace-Id
//                                        (or X-Amzn-Trace-Id)
//   POST invocation/{id}/response     <- the handler's output
//   POST invocation/{id}/error        <- {"errorType", "errorMessage"} and the header
//                                        Lambda-Runtime-Function-Error-Type: errorType
//   POST init/error                   <- the same, when the function cannot start
//
// Thread safety: a LambdaRuntimeClient is used by one thread (the loop); RunLambdaLoop
// reads its LambdaLoopControl's flags, which a signal handler may set at any time.
#pragma once

#include <atomic>
#include <cstdint>
#include <string>

#include "common/error.h"
#include "common/http_client.h"
#include "workflow/interpreter.h"

namespace shoplake::pipeline {

//! One invocation as the Runtime API hands it over.
struct LambdaInvocation {
  std::string request_id;   //!< Lambda-Runtime-Aws-Request-Id
  int64_t deadline_ms = 0;  //!< Lambda-Runtime-Deadline-Ms: Unix ms; 0 when absent
  std::string trace_id;     //!< Lambda-Runtime-Trace-Id, else X-Amzn-Trace-Id; may be empty
  std::string event;        //!< the body: the task's input, as JSON text
};

//! How an invocation ended: the body posted back, and for an error, its errorType.
struct LambdaOutcome {
  bool succeeded = false;
  std::string error_type;  //!< empty on success
  std::string body;        //!< the output, or {"errorType","errorMessage"}, as JSON text
};

//! A client of the Runtime API at `api` ("host:port", as AWS_LAMBDA_RUNTIME_API gives it),
//! through common's HttpClient. Every method throws Error as HttpClient::Fetch does
//! (kNetwork when the API cannot be reached), naming the endpoint.
class LambdaRuntimeClient {
 public:
  explicit LambdaRuntimeClient(const std::string& api);

  //! Waits, with no time limit, for the next invocation (the API holds the request until
  //! there is one). Throws Error(kData) when the answer has no request id.
  LambdaInvocation Next();
  //! Posts the outcome of invocation `request_id`: to .../response or .../error.
  void Post(const std::string& request_id, const LambdaOutcome& outcome);
  //! Posts to init/error: the function could not start (`outcome` is an error).
  void PostInitError(const LambdaOutcome& outcome);

 private:
  void PostTo(const std::string& path, const LambdaOutcome& outcome);

  std::string base_;  //!< http://host:port/2018-06-01/runtime/
  HttpClient http_;
};

//! The error outcome {"errorType": type, "errorMessage": message}.
LambdaOutcome LambdaError(const std::string& type, const std::string& message);

//! The error outcome for an Error the function hit while starting or running: its error
//! name (ErrorName) and one-line cause.
LambdaOutcome LambdaError(const Error& error);

//! The task resource a function's handler name stands for: Lambda sets _HANDLER from the
//! function's Handler property, which the SAM template sets to the task's name ("transform"
//! -> "shoplake:transform"; "shoplake:transform" is taken as it is). Throws Error(kConfig)
//! for an empty name.
std::string LambdaTaskResource(const std::string& handler);

//! Runs `handler` on `invocation`'s event with a TaskContext for it (the resource, the
//! request id as the execution id), and sets _X_AMZN_TRACE_ID to its trace id for the
//! handler's duration (unset when it has none). An event that is not JSON fails with
//! Shoplake.Config; a TaskError with its name; any other exception with Shoplake.Internal.
//! Never throws.
LambdaOutcome InvokeLambdaTask(const workflow::TaskHandler& handler, const std::string& resource,
                               const LambdaInvocation& invocation);

//! What stops the loop, and what a SIGTERM handler needs to know to stop it well.
struct LambdaLoopControl {
  //! > 0: return after this many invocations (tests); 0: until `stop` is raised.
  int max_invocations = 0;
  //! Raised (e.g. by a SIGTERM handler) to return once the current invocation is posted.
  std::atomic<bool> stop{false};
  //! True from the moment an invocation is received until its outcome is posted: a SIGTERM
  //! handler that sees it false may end the process at once, as nothing is in flight.
  std::atomic<bool> busy{false};
};

//! The runtime's loop: Next, InvokeLambdaTask, Post, until `control` says stop. A task's
//! failure is posted and the loop goes on. Returns the number of invocations handled.
//! Throws what the client throws: without the Runtime API there is nothing left to do.
int RunLambdaLoop(LambdaRuntimeClient& client, const workflow::TaskHandler& handler,
                  const std::string& resource, LambdaLoopControl& control);

}  // namespace shoplake::pipeline
