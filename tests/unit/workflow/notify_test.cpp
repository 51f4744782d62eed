// shoplake:notify against a real webhook on loopback and real shell commands: the body the
// server receives, the project's defaults, Notify.Failed for refusals, unreachable servers,
// failing and hanging commands, handled by Retry and Catch.
#include <gtest/gtest.h>

#include <atomic>
#include <mutex>

#include "common/files.h"
#include "support/loopback_server.h"
#include "support/temp_folder.h"
#include "workflow/notify_task.h"

namespace shoplake::workflow {
namespace {

using shoplake::testing::LoopbackServer;
using shoplake::testing::TempFolder;

// A webhook that records what it receives and answers `statuses` in turn (then 200).
class Webhook {
 public:
  explicit Webhook(std::vector<int> statuses = {}) : statuses_(std::move(statuses)) {
    server_.server().Post("/hook", [this](const httplib::Request& req, httplib::Response& res) {
      std::lock_guard lock(mutex_);
      bodies_.push_back(req.body);
      content_types_.push_back(req.get_header_value("Content-Type"));
      size_t n = bodies_.size() - 1;
      res.status = n < statuses_.size() ? statuses_[n] : 200;
      res.set_content(res.status == 200 ? "ok" : "try later", "text/plain");
    });
  }
  std::string url() const { return server_.url("/hook"); }
  std::vector<std::string> bodies() {
    std::lock_guard lock(mutex_);
    return bodies_;
  }
  std::vector<std::string> content_types() {
    std::lock_guard lock(mutex_);
    return content_types_;
  }

 private:
  std::vector<int> statuses_;
  std::mutex mutex_;
  std::vector<std::string> bodies_;
  std::vector<std::string> content_types_;
  LoopbackServer server_;  // last: stops before the members its handler uses go
};

ExecutionResult RunWith(const NotifySpec& defaults, const json& definition,
                        const json& input = json::object()) {
  TaskRegistry registry;
  RegisterNotifyTask(registry, defaults);
  StateMachine machine(definition);
  EXPECT_TRUE(machine.UnboundResources(registry).empty());
  ManualClock clock;  // Retry back-off without sleeping
  ExecutionOptions options;
  options.clock = &clock;
  return machine.Run(input, registry, options);
}

json NotifyTask(const json& parameters, const json& extra = json::object()) {
  json task = {{"Type", "Task"}, {"Resource", "shoplake:notify"}, {"End", true}};
  if (!parameters.is_null()) task["Parameters"] = parameters;
  task.update(extra);
  return {{"StartAt", "Notify"}, {"States", {{"Notify", task}}}};
}

TEST(NotifyTask, PostsTheMessageAsJsonToTheWebhook) {
  Webhook hook;
  auto result = RunWith({}, NotifyTask({{"url", hook.url()}, {"message", {{"text.$", "$.text"}}}}),
                        json::parse(R"({"text":"pipeline failed: bucket down"})"));
  ASSERT_EQ(result.status, ExecutionResult::Status::kSucceeded) << result.cause;
  EXPECT_EQ(result.output, json({{"webhook", {{"url", hook.url()}, {"status", 200}}}}));
  ASSERT_EQ(hook.bodies().size(), 1u);
  EXPECT_EQ(json::parse(hook.bodies()[0]),
            json::parse(R"({"text":"pipeline failed: bucket down"})"));
  EXPECT_EQ(hook.content_types()[0], "application/json");
}

TEST(NotifyTask, TheProjectsWebhookIsTheDefaultAndTheWholeInputTheDefaultMessage) {
  Webhook hook;
  NotifySpec defaults;
  defaults.url = hook.url();
  auto result =
      RunWith(defaults, NotifyTask(nullptr), json::parse(R"({"Error":"Flaky","Cause":"down"})"));
  ASSERT_EQ(result.status, ExecutionResult::Status::kSucceeded) << result.cause;
  ASSERT_EQ(hook.bodies().size(), 1u);
  EXPECT_EQ(json::parse(hook.bodies()[0]), json::parse(R"({"Error":"Flaky","Cause":"down"})"));
  // A task naming its own channel does not also use the project's.
  auto own = RunWith(defaults, NotifyTask({{"command", "cat >/dev/null"}}));
  ASSERT_EQ(own.status, ExecutionResult::Status::kSucceeded) << own.cause;
  EXPECT_FALSE(own.output.contains("webhook")) << own.output;
  EXPECT_EQ(hook.bodies().size(), 1u);
}

TEST(NotifyTask, ARefusingWebhookIsNotifyFailedWhichRetryHandles) {
  Webhook hook({503, 500});
  json retry = {{"Retry", json::array({{{"ErrorEquals", {"Notify.Failed"}},
                                        {"IntervalSeconds", 1},
                                        {"MaxAttempts", 2}}})}};
  auto result = RunWith({}, NotifyTask({{"url", hook.url()}, {"message", "hi"}}, retry));
  ASSERT_EQ(result.status, ExecutionResult::Status::kSucceeded) << result.cause;
  EXPECT_EQ(hook.bodies(), (std::vector<std::string>{"\"hi\"", "\"hi\"", "\"hi\""}));

  Webhook down({500, 500, 500});
  auto failed = RunWith({}, NotifyTask({{"url", down.url()}, {"message", "hi"}}));
  EXPECT_EQ(failed.error, kNotifyFailed);
  EXPECT_NE(failed.cause.find("webhook " + down.url() + ": the server answered HTTP 500"),
            std::string::npos)
      << failed.cause;
}

TEST(NotifyTask, AnUnreachableWebhookIsNotifyFailedWhichCatchHandles) {
  std::string url;
  {
    LoopbackServer closed;  // a port that was free a moment ago and listens no more
    url = closed.url("/hook");
  }
  json definition = NotifyTask(
      {{"url", url}, {"timeoutSeconds", 2}},
      {{"Catch", json::array({{{"ErrorEquals", {"Notify.Failed"}}, {"Next", "Told"}}})}});
  definition["States"]["Told"] = {{"Type", "Pass"}, {"End", true}};
  auto result = RunWith({}, definition);
  ASSERT_EQ(result.status, ExecutionResult::Status::kSucceeded) << result.cause;
  EXPECT_EQ(result.output["Error"], kNotifyFailed);
  EXPECT_NE(result.output["Cause"].get<std::string>().find("webhook " + url), std::string::npos)
      << result.output;
}

TEST(NotifyTask, RunsTheCommandWithTheMessageOnItsStdin) {
  TempFolder folder("shoplake-notify");
  std::string received = (folder.path() / "received.json").string();
  NotifySpec defaults;
  defaults.command = "cat > '" + received + "'";
  auto result = RunWith(defaults, NotifyTask({{"message", {{"rows", 3}}}}));
  ASSERT_EQ(result.status, ExecutionResult::Status::kSucceeded) << result.cause;
  EXPECT_EQ(result.output, json({{"command", {{"command", defaults.command}, {"exitCode", 0}}}}));
  EXPECT_EQ(ReadFile(received), "{\"rows\":3}\n");
}

TEST(NotifyTask, BothChannelsAreTriedAndEachFailureIsInTheCause) {
  Webhook hook({500});
  auto result = RunWith({}, NotifyTask({{"url", hook.url()},
                                        {"command", "echo no mail server >&2; exit 3"},
                                        {"message", "m"}}));
  EXPECT_EQ(result.error, kNotifyFailed);
  EXPECT_NE(result.cause.find("HTTP 500"), std::string::npos) << result.cause;
  EXPECT_NE(result.cause.find("command 'echo no mail server >&2; exit 3' exited with status 3: "
                              "no mail server"),
            std::string::npos)
      << result.cause;
  EXPECT_EQ(hook.bodies().size(), 1u);
}

TEST(NotifyTask, AHangingCommandIsKilledAtTheTimeout) {
  auto started = std::chrono::steady_clock::now();
  auto result = RunWith({}, NotifyTask({{"command", "sleep 30"}, {"timeoutSeconds", 1}}));
  auto took = std::chrono::steady_clock::now() - started;
  EXPECT_EQ(result.error, kNotifyFailed);
  EXPECT_EQ(result.cause, "command 'sleep 30' ran longer than 1 s and was killed");
  EXPECT_LT(took, std::chrono::seconds(10));
}

TEST(NotifyTask, ACommandThatIgnoresItsStdinIsFine) {
  // Far more than a pipe holds: the command exits without reading it, the write fails
  // with EPIPE, and neither the task nor the process dies of SIGPIPE.
  std::string big(1 << 20, 'x');
  auto result = RunWith({}, NotifyTask({{"command", "exit 0"}, {"message", big}}));
  ASSERT_EQ(result.status, ExecutionResult::Status::kSucceeded) << result.cause;
}

TEST(NotifyTask, NowhereToSendIsNotifyFailedSayingWhatToSet) {
  auto result = RunWith({}, NotifyTask({{"message", "m"}}));
  EXPECT_EQ(result.error, kNotifyFailed);
  EXPECT_NE(result.cause.find("set notify.url or notify.command in shoplake.yaml"),
            std::string::npos)
      << result.cause;
  auto bad = RunWith({}, NotifyTask({{"url", 7}}));
  EXPECT_EQ(bad.error, kNotifyFailed);
  EXPECT_EQ(bad.cause, "the input's 'url' must be a string");
}

}  // namespace
}  // namespace shoplake::workflow
