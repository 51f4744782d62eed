// The Lambda custom runtime against a fake Runtime API on loopback (cpp-httplib): the loop in
// process with handlers that succeed and fail in each way, and the real `shoplake lambda`
// binary as Lambda runs it (a crawl on a small local lake, a task error, an event that is
// not JSON, the init errors).
#include "pipeline/lambda_runtime.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <stdlib.h>

#include <chrono>
#include <condition_variable>
#include <deque>
#include <filesystem>
#include <mutex>
#include <thread>

#include "common/files.h"
#include "common/subprocess.h"
#include "lake/s3_store.h"
#include "pipeline/tasks.h"
#include "support/loopback_server.h"
#include "support/s3rver.h"
#include "support/temp_folder.h"

namespace shoplake::pipeline {
namespace {

using workflow::json;

constexpr const char* kRuntime = "/2018-06-01/runtime/";

// The Runtime API's side: hands out queued events on invocation/next and records every
// POST (path, body, error-type header).
class FakeRuntimeApi {
 public:
  struct Post {
    std::string path;
    std::string error_type;  //!< Lambda-Runtime-Function-Error-Type; "" when absent
    json body;               //!< null when the body is not JSON
  };

  FakeRuntimeApi() {
    server_.server().Get(std::string(kRuntime) + "invocation/next",
                         [this](const httplib::Request&, httplib::Response& res) {
                           std::unique_lock lock(mutex_);
                           ++polls_;
                           queued_.notify_all();
                           // Bounded: a test that queued too few events fails, never hangs.
                           if (!queued_.wait_for(lock, std::chrono::seconds(60),
                                                 [&] { return !events_.empty() || closed_; }) ||
                               events_.empty()) {
                             res.status = 500;
                             res.set_content("no event queued", "text/plain");
                             return;
                           }
                           Event event = events_.front();
                           events_.pop_front();
                           res.set_header("Lambda-Runtime-Aws-Request-Id", event.id);
                           res.set_header("Lambda-Runtime-Deadline-Ms", "4102444800000");
                           if (!event.trace.empty()) {
                             res.set_header("Lambda-Runtime-Trace-Id", event.trace);
                           }
                           res.set_content(event.body, "application/json");
                         });
    server_.server().Post(
        std::string(kRuntime) + ".*", [this](const httplib::Request& req, httplib::Response& res) {
          std::lock_guard lock(mutex_);
          posts_.push_back({req.path, req.get_header_value("Lambda-Runtime-Function-Error-Type"),
                            json::parse(req.body, nullptr, false)});
          res.status = 202;
          res.set_content(R"({"status":"OK"})", "application/json");
        });
  }

  ~FakeRuntimeApi() { Close(); }

  //! Answers the polls still waiting with a 500, so the server can stop.
  void Close() {
    std::lock_guard lock(mutex_);
    closed_ = true;
    queued_.notify_all();
  }

  //! Waits (at most 60 s) until invocation/next was asked for `count` times in all.
  bool WaitForPolls(int count) {
    std::unique_lock lock(mutex_);
    return queued_.wait_for(lock, std::chrono::seconds(60), [&] { return polls_ >= count; });
  }

  void Queue(const std::string& id, const std::string& body, const std::string& trace = "") {
    std::lock_guard lock(mutex_);
    events_.push_back({id, body, trace});
    queued_.notify_all();
  }

  std::vector<Post> posts() {
    std::lock_guard lock(mutex_);
    return posts_;
  }

  std::string api() const { return server_.host(); }

 private:
  struct Event {
    std::string id, body, trace;
  };
  std::mutex mutex_;
  std::condition_variable queued_;
  std::deque<Event> events_;
  std::vector<Post> posts_;
  int polls_ = 0;
  bool closed_ = false;
  testing::LoopbackServer server_;  // last: stopped before the members its handlers use
};

json ErrorBody(const std::string& type, const std::string& message) {
  return {{"errorType", type}, {"errorMessage", message}};
}

// Runs the loop in process against `api` for `invocations` invocations; returns how many.
int Serve(FakeRuntimeApi& api, const workflow::TaskHandler& handler, int invocations,
          const std::string& resource = "shoplake:echo") {
  LambdaRuntimeClient client(api.api());
  LambdaLoopControl control;
  control.max_invocations = invocations;
  return RunLambdaLoop(client, handler, resource, control);
}

TEST(LambdaTaskResource, NamesTheTaskOfTheHandler) {
  EXPECT_EQ(LambdaTaskResource("transform"), "shoplake:transform");
  EXPECT_EQ(LambdaTaskResource("shoplake:views"), "shoplake:views");
  try {
    LambdaTaskResource("");
    FAIL() << "an empty handler was accepted";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kConfig);
    EXPECT_EQ(e.input(), "_HANDLER");
  }
}

// Each kind of outcome, in one loop that carries on past every failure.
TEST(LambdaLoop, PostsEachOutcomeAndCarriesOnPastFailures) {
  FakeRuntimeApi api;
  api.Queue("r1", R"({"n": 1})", "Root=1-5759e988-bd862e3fe1be46a994272793");
  api.Queue("r2", R"({"fail": true})");
  api.Queue("r3", "not json{");
  api.Queue("r4", R"({"bug": true})");
  api.Queue("r5", R"({"n": 5})");
  workflow::TaskHandler handler = [](const json& input, workflow::TaskContext& context) -> json {
    if (input.contains("fail")) throw workflow::TaskError("Shoplake.Transient", "HTTP 503");
    if (input.contains("bug")) throw std::runtime_error("index out of range");
    const char* trace = std::getenv("_X_AMZN_TRACE_ID");
    return {{"input", input},
            {"request", context.execution_id},
            {"resource", context.resource},
            {"trace", trace ? trace : ""}};
  };
  EXPECT_EQ(Serve(api, handler, 5), 5);

  auto posts = api.posts();
  ASSERT_EQ(posts.size(), 5u);
  EXPECT_EQ(posts[0].path, std::string(kRuntime) + "invocation/r1/response");
  EXPECT_EQ(posts[0].error_type, "");
  EXPECT_EQ(posts[0].body, (json{{"input", {{"n", 1}}},
                                 {"request", "r1"},
                                 {"resource", "shoplake:echo"},
                                 {"trace", "Root=1-5759e988-bd862e3fe1be46a994272793"}}));

  EXPECT_EQ(posts[1].path, std::string(kRuntime) + "invocation/r2/error");
  EXPECT_EQ(posts[1].error_type, "Shoplake.Transient");
  EXPECT_EQ(posts[1].body, ErrorBody("Shoplake.Transient", "HTTP 503"));

  EXPECT_EQ(posts[2].path, std::string(kRuntime) + "invocation/r3/error");
  EXPECT_EQ(posts[2].error_type, "Shoplake.Config");
  EXPECT_EQ(posts[2].body["errorType"], "Shoplake.Config");
  EXPECT_NE(posts[2].body["errorMessage"].get<std::string>().find("the event is not valid JSON"),
            std::string::npos)
      << posts[2].body;

  // Anything but a TaskError is a bug: Shoplake.Internal, with what it said.
  EXPECT_EQ(posts[3].path, std::string(kRuntime) + "invocation/r4/error");
  EXPECT_EQ(posts[3].error_type, "Shoplake.Internal");
  EXPECT_EQ(posts[3].body, ErrorBody("Shoplake.Internal", "index out of range"));

  // The trace id of one invocation does not leak into the next.
  EXPECT_EQ(posts[4].path, std::string(kRuntime) + "invocation/r5/response");
  EXPECT_EQ(posts[4].body["trace"], "");
  EXPECT_EQ(posts[4].body["input"], (json{{"n", 5}}));
}

// A cause quoting a line in Latin-1 is still posted, its bad bytes replaced.
TEST(LambdaLoop, PostsACauseThatIsNotUtf8) {
  FakeRuntimeApi api;
  api.Queue("r1", "{}");
  workflow::TaskHandler handler = [](const json&, workflow::TaskContext&) -> json {
    throw workflow::TaskError("Shoplake.Data", "line 3: caf\xe9");
  };
  EXPECT_EQ(Serve(api, handler, 1), 1);
  auto posts = api.posts();
  ASSERT_EQ(posts.size(), 1u);
  EXPECT_EQ(posts[0].error_type, "Shoplake.Data");
  EXPECT_EQ(posts[0].body, ErrorBody("Shoplake.Data", "line 3: caf\xef\xbf\xbd"));
}

// SIGTERM during an invocation raises `stop`: the outcome is still posted, then the loop ends.
TEST(LambdaLoop, StopsAfterPostingTheInvocationInFlight) {
  FakeRuntimeApi api;
  api.Queue("r1", R"({"n": 1})");
  api.Queue("r2", R"({"n": 2})");
  LambdaLoopControl control;
  workflow::TaskHandler handler = [&control](const json& input, workflow::TaskContext&) -> json {
    EXPECT_TRUE(control.busy.load());
    control.stop.store(true);
    return input;
  };
  LambdaRuntimeClient client(api.api());
  EXPECT_EQ(RunLambdaLoop(client, handler, "shoplake:echo", control), 1);
  EXPECT_FALSE(control.busy.load());
  auto posts = api.posts();
  ASSERT_EQ(posts.size(), 1u);
  EXPECT_EQ(posts[0].path, std::string(kRuntime) + "invocation/r1/response");
  EXPECT_EQ(posts[0].body, (json{{"n", 1}}));
}

// The pipeline's own handlers, as a function runs them: a field of the wrong type is
// Shoplake.Config before any work.
TEST(LambdaLoop, RunsThePipelinesHandlers) {
  testing::TempFolder folder("shoplake-lambda");
  Project project;
  project.root = folder.path();
  project.datasets.push_back({"orders", "shop", "orders/*.csv", ""});
  auto lake = lake::OpenStore((folder.path() / "lake").string());
  std::filesystem::create_directories(folder.path() / "lake/_catalog");
  workflow::TaskRegistry registry;
  RegisterPipelineTasks(registry,
                        Workspace{project, *lake, (folder.path() / "lake/_catalog/db").string()});
  FakeRuntimeApi api;
  api.Queue("r1", R"({"dataset": "orders", "maxRejectRate": "high"})");
  EXPECT_EQ(Serve(api, *registry.Find("shoplake:transform"), 1, "shoplake:transform"), 1);
  auto posts = api.posts();
  ASSERT_EQ(posts.size(), 1u);
  EXPECT_EQ(posts[0].error_type, "Shoplake.Config");
  EXPECT_EQ(posts[0].body,
            ErrorBody("Shoplake.Config",
                      "the task's input.maxRejectRate must be a number, got \"high\""));
}

// The real binary, as Lambda starts it: the environment, a project in the code folder.
class LambdaBinary : public ::testing::Test {
 protected:
  void SetUp() override {
    WriteFileAtomically(folder_.path() / "shoplake.yaml", "name: t\nlake: lake\n");
    // A raw export the crawl finds: table raw_shop.orders.
    WriteFileAtomically(folder_.path() / "lake/raw/shop/ingest_date=2026-11-27/orders/a.csv",
                        "order_id,amount\n1,9.5\n2,3.25\n");
  }

  CommandOutcome RunLambda(const std::string& handler, int invocations) {
    std::string command =
        "cd '" + folder_.path().string() +
        "' && echo $$ >lambda.pid && exec env -u SHOPLAKE_LAKE LAMBDA_TASK_ROOT='" +
        folder_.path().string() + "' AWS_LAMBDA_RUNTIME_API=" + api_.api() +
        " _HANDLER=" + handler + " '" SHOPLAKE_BINARY "' lambda --max-invocations " +
        std::to_string(invocations);
    return RunShellCommand(command, "", std::chrono::minutes(2));
  }

  testing::TempFolder folder_{"shoplake-lambda-binary"};
  FakeRuntimeApi api_;
};

TEST_F(LambdaBinary, ServesCrawlInvocationsAndCarriesOnPastErrors) {
  api_.Queue("a", "{}");
  api_.Queue("b", R"({"paths": "raw/"})");
  api_.Queue("c", "{{not json");
  api_.Queue("d", R"({"paths": ["raw/"]})");
  CommandOutcome outcome = RunLambda("crawl", 4);
  ASSERT_FALSE(outcome.timed_out) << outcome.output;
  EXPECT_EQ(outcome.exit_code, 0) << outcome.output;

  auto posts = api_.posts();
  ASSERT_EQ(posts.size(), 4u) << outcome.output;
  EXPECT_EQ(posts[0].path, std::string(kRuntime) + "invocation/a/response");
  ASSERT_EQ(posts[0].body["tables"].size(), 1u) << posts[0].body;
  EXPECT_EQ(posts[0].body["tables"][0]["table"], "raw_shop.orders");
  EXPECT_EQ(posts[0].body["tables"][0]["action"], "created");

  EXPECT_EQ(posts[1].path, std::string(kRuntime) + "invocation/b/error");
  EXPECT_EQ(posts[1].error_type, "Shoplake.Config");
  EXPECT_EQ(posts[1].body,
            ErrorBody("Shoplake.Config", "the task's input.paths must be an array of lake paths"));

  EXPECT_EQ(posts[2].path, std::string(kRuntime) + "invocation/c/error");
  EXPECT_EQ(posts[2].error_type, "Shoplake.Config");

  // Still serving, on the same lake: nothing new to register.
  EXPECT_EQ(posts[3].path, std::string(kRuntime) + "invocation/d/response");
  ASSERT_EQ(posts[3].body["tables"].size(), 1u) << posts[3].body;
  EXPECT_EQ(posts[3].body["tables"][0]["action"], "unchanged");
}

// SIGTERM while the function waits for its next invocation ends it at once, with exit 0.
TEST_F(LambdaBinary, EndsOnSigtermWhileWaiting) {
  api_.Queue("a", "{}");
  CommandOutcome outcome;
  std::thread lambda([&] { outcome = RunLambda("crawl", 0); });
  // The first invocation answered, the second poll waits: nothing is in flight.
  bool polled = api_.WaitForPolls(2);
  EXPECT_TRUE(polled) << "the function never asked for a second invocation";
  if (polled) ::kill(std::stoi(ReadFile(folder_.path() / "lambda.pid")), SIGTERM);
  api_.Close();  // had it not polled, the 500 ends it
  lambda.join();
  EXPECT_FALSE(outcome.timed_out) << outcome.output;
  EXPECT_EQ(outcome.exit_code, 0) << outcome.output;
  auto posts = api_.posts();
  ASSERT_EQ(posts.size(), 1u) << outcome.output;
  EXPECT_EQ(posts[0].path, std::string(kRuntime) + "invocation/a/response");
}

// A warm function on an s3:// lake (s3rver) holds the lake's catalog lock only while it
// works: between invocations another writer takes the lock at once, and what that writer
// committed is what the next invocation sees.
TEST_F(LambdaBinary, HoldsAnS3LakesCatalogLockOnlyDuringAnInvocation) {
  SHOPLAKE_NEED_S3RVER();
  auto& s3 = testing::S3rverProcess::Shared();
  lake::S3Store lake(testing::S3rverProcess::kBucket, "warm-lake", s3.Config());
  lake.WriteAll("raw/shop/ingest_date=2026-11-27/orders/a.csv", "order_id,amount\n1,9.5\n");
  api_.Queue("a", "{}");
  CommandOutcome outcome;
  std::thread function([&] {
    std::string command =
        "cd '" + folder_.path().string() + "' && exec env SHOPLAKE_LAKE=s3://" +
        testing::S3rverProcess::kBucket + "/warm-lake SHOPLAKE_CACHE_DIR='" +
        (folder_.path() / "cache").string() + "' AWS_ENDPOINT_URL=" + s3.endpoint() +
        " AWS_ACCESS_KEY_ID=S3RVER AWS_SECRET_ACCESS_KEY=S3RVER AWS_REGION=us-east-1"
        " AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null LAMBDA_TASK_ROOT='" +
        folder_.path().string() + "' AWS_LAMBDA_RUNTIME_API=" + api_.api() +
        " _HANDLER=crawl '" SHOPLAKE_BINARY "' lambda --max-invocations 2";
    outcome = RunShellCommand(command, "", std::chrono::minutes(2));
  });
  // The first crawl answered and the function waits for the next: the lock is free, and
  // the crawl's commit is in the lake. Another writer adds an object meanwhile.
  bool polled = api_.WaitForPolls(2);
  EXPECT_TRUE(polled) << "the function never asked for a second invocation";
  if (polled) {
    try {
      auto lock = lake.Acquire("catalog", std::chrono::milliseconds(0));
    } catch (const Error& e) {
      ADD_FAILURE() << "an idle function holds the catalog lock: " << e.what();
    }
    lake.WriteAll("raw/shop/ingest_date=2026-11-27/orders/b.csv", "order_id,amount\n2,1\n");
  }
  api_.Queue("b", "{}");
  function.join();
  ASSERT_FALSE(outcome.timed_out) << outcome.output;
  EXPECT_EQ(outcome.exit_code, 0) << outcome.output;
  auto posts = api_.posts();
  ASSERT_EQ(posts.size(), 2u) << outcome.output;
  EXPECT_EQ(posts[0].path, std::string(kRuntime) + "invocation/a/response");
  EXPECT_EQ(posts[0].body["tables"][0]["action"], "created") << posts[0].body;
  // The second crawl started from the lake's catalog: the table exists, with a new file.
  EXPECT_EQ(posts[1].path, std::string(kRuntime) + "invocation/b/response");
  EXPECT_NE(posts[1].body["tables"][0]["action"], "created") << posts[1].body;
  EXPECT_TRUE(lake.Stat("_catalog/catalog.db").has_value());
}

// The binary, started with `handler`, reports one init error mentioning `mentions` and
// exits 2 without asking for an invocation.
void ExpectInitError(FakeRuntimeApi& api, const CommandOutcome& outcome,
                     const std::string& mentions) {
  EXPECT_EQ(outcome.exit_code, 2) << outcome.output;
  auto posts = api.posts();
  ASSERT_EQ(posts.size(), 1u) << outcome.output;
  EXPECT_EQ(posts[0].path, std::string(kRuntime) + "init/error");
  EXPECT_EQ(posts[0].error_type, "Shoplake.Config");
  EXPECT_EQ(posts[0].body["errorType"], "Shoplake.Config");
  EXPECT_NE(posts[0].body["errorMessage"].get<std::string>().find(mentions), std::string::npos)
      << posts[0].body;
}

TEST_F(LambdaBinary, ReportsAnUnknownHandlerAsAnInitError) {
  ExpectInitError(api_, RunLambda("transmogrify", 1), "no task 'shoplake:transmogrify' to run");
}

TEST_F(LambdaBinary, ReportsABadProjectAsAnInitError) {
  WriteFileAtomically(folder_.path() / "shoplake.yaml", "name: t\nlakes: lake\n");
  // Where the mistake is: the file and line.
  ExpectInitError(api_, RunLambda("crawl", 1), "shoplake.yaml:2");
}

}  // namespace
}  // namespace shoplake::pipeline
