// The built-in test task resources.
#include "workflow/builtin_tasks.h"

#include <cmath>

namespace shoplake::workflow {

void RegisterBuiltinTasks(TaskRegistry& registry) {
  registry.Register("shoplake:echo", [](const json& input, TaskContext&) { return input; });
  registry.Register("shoplake:fail", [](const json& input, TaskContext&) -> json {
    std::string error = "TaskFailed";
    std::string cause;
    if (input.is_object()) {
      if (input.contains("error") && input["error"].is_string()) error = input["error"];
      if (input.contains("cause")) {
        cause =
            input["cause"].is_string() ? input["cause"].get<std::string>() : input["cause"].dump();
      }
    }
    throw TaskError(error, cause);
  });
  registry.Register("shoplake:flaky", [](const json& input, TaskContext& context) -> json {
    long long failures = 0;
    if (input.is_object() && input.contains("failures") && input["failures"].is_number()) {
      failures = input["failures"].get<long long>();
    }
    if (context.invocation <= failures) {
      throw TaskError("Flaky", "invocation " + std::to_string(context.invocation) + " of state '" +
                                   context.state_name +
                                   "' fails (failures: " + std::to_string(failures) + ")");
    }
    return input;
  });
  registry.Register("shoplake:sleep", [](const json& input, TaskContext& context) -> json {
    double seconds = 0;
    if (input.is_object() && input.contains("seconds") && input["seconds"].is_number()) {
      seconds = input["seconds"].get<double>();
    }
    auto duration = std::chrono::milliseconds(std::llround(std::max(0.0, seconds) * 1000.0));
    if (!context.Sleep(duration)) throw TaskError("Cancelled", "the sleep was cancelled");
    return input;
  });
}

}  // namespace shoplake::workflow
