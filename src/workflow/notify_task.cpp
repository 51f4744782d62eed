// shoplake:notify: webhook through ingest's HttpClient, command through RunShellCommand.
#include "workflow/notify_task.h"

#include <string>
#include <vector>

#include "common/error.h"
#include "common/http_client.h"
#include "common/subprocess.h"

namespace shoplake::workflow {
namespace {

// A command's output, quoted in a cause: its last line or so is what says why it failed.
constexpr size_t kQuotedOutput = 300;

// The input's `key`, or "" when it has none.
std::string Channel(const json& input, const char* key) {
  if (!input.is_object() || !input.contains(key)) return "";
  if (!input[key].is_string()) {
    throw TaskError(kNotifyFailed, std::string("the input's '") + key + "' must be a string");
  }
  return input[key].get<std::string>();
}

json PostToWebhook(const std::string& url, const std::string& body, int timeout_seconds) {
  HttpClientOptions options;
  options.connect_timeout = std::chrono::seconds(timeout_seconds);
  options.stall_timeout = std::chrono::seconds(timeout_seconds);
  HttpClient client(options);
  HttpRequest request;
  request.url = url;
  request.body = body;
  request.headers = {"Content-Type: application/json"};
  HttpResponse response = client.Fetch(request, HttpSubject{url, "", "", ""});
  return {{"url", url}, {"status", response.status}};
}

std::string CommandProblem(const std::string& command, const CommandOutcome& outcome,
                           int timeout_seconds) {
  std::string output = outcome.output;
  while (!output.empty() && (output.back() == '\n' || output.back() == '\r')) output.pop_back();
  if (output.size() > kQuotedOutput) output = "..." + output.substr(output.size() - kQuotedOutput);
  std::string said = output.empty() ? "" : ": " + output;
  if (outcome.timed_out) {
    return "command '" + command + "' ran longer than " + std::to_string(timeout_seconds) +
           " s and was killed" + said;
  }
  return "command '" + command + "' exited with status " + std::to_string(outcome.exit_code) + said;
}

json Notify(const json& input, const NotifySpec& defaults) {
  const json message = input.is_object() && input.contains("message") ? input["message"] : input;
  // A task that names a channel names all it wants: the project's channels are defaults
  // for tasks that name none, not additions.
  std::string url = Channel(input, "url");
  std::string command = Channel(input, "command");
  if (url.empty() && command.empty()) {
    url = defaults.url;
    command = defaults.command;
  }
  int timeout = defaults.timeout_seconds;
  if (input.is_object() && input.contains("timeoutSeconds")) {
    if (!input["timeoutSeconds"].is_number_integer() || input["timeoutSeconds"].get<int>() <= 0) {
      throw TaskError(kNotifyFailed, "the input's 'timeoutSeconds' must be a positive integer");
    }
    timeout = input["timeoutSeconds"].get<int>();
  }
  if (url.empty() && command.empty()) {
    throw TaskError(kNotifyFailed,
                    "nowhere to send the message: give the task's input a 'url' or a 'command', "
                    "or set notify.url or notify.command in shoplake.yaml");
  }
  const std::string body = message.dump();
  json result = json::object();
  std::vector<std::string> problems;
  if (!url.empty()) {
    try {
      result["webhook"] = PostToWebhook(url, body, timeout);
    } catch (const Error& e) {
      problems.push_back("webhook " + url + ": " + e.message());
    }
  }
  if (!command.empty()) {
    try {
      CommandOutcome outcome = RunShellCommand(command, body + "\n", std::chrono::seconds(timeout));
      if (outcome.timed_out || outcome.exit_code != 0) {
        problems.push_back(CommandProblem(command, outcome, timeout));
      } else {
        result["command"] = {{"command", command}, {"exitCode", outcome.exit_code}};
      }
    } catch (const Error& e) {
      problems.push_back("command '" + command + "': " + e.message());
    }
  }
  if (!problems.empty()) {
    std::string cause;
    for (const auto& problem : problems) cause += (cause.empty() ? "" : "; ") + problem;
    throw TaskError(kNotifyFailed, cause);
  }
  return result;
}

}  // namespace

void RegisterNotifyTask(TaskRegistry& registry, NotifySpec defaults) {
  registry.Register("shoplake:notify", [defaults](const json& input, TaskContext&) {
    return Notify(input, defaults);
  });
}

}  // namespace shoplake::workflow
