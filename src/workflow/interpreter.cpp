// The interpreter: one Execution object per run walks the states, applies the input and
// output processing in the spec's order (InputPath, Parameters, ResultSelector, ResultPath,
// OutputPath), retries and catches errors, runs Parallel branches and Map iterations on
// threads, and records the history.
#include "workflow/interpreter.h"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <condition_variable>
#include <exception>
#include <mutex>
#include <random>
#include <thread>

#include "common/error.h"
#include "workflow/choice.h"
#include "workflow/intrinsics.h"
#include "workflow/json_path.h"

namespace shoplake::workflow {

void TaskRegistry::Register(const std::string& resource, TaskHandler handler) {
  handlers_[resource] = std::move(handler);
}

const TaskHandler* TaskRegistry::Find(const std::string& resource) const {
  auto it = handlers_.find(resource);
  return it == handlers_.end() ? nullptr : &it->second;
}

json HistoryEvent::ToJson() const {
  json out = {
      {"id", id}, {"previousEventId", previous_id}, {"timestamp", timestamp}, {"type", type}};
  if (!state.empty()) out["state"] = state;
  if (!details.is_null()) out["details"] = details;
  return out;
}

std::string StateMachineArn(const std::string& state_machine_name) {
  return "arn:shoplake:states:local:stateMachine:" + state_machine_name;
}

std::string ExecutionArn(const std::string& state_machine_name, const std::string& execution_name) {
  return "arn:shoplake:states:local:execution:" + state_machine_name + ":" + execution_name;
}

json ExecutionResult::ToJson() const {
  if (status == Status::kSucceeded) return {{"status", "SUCCEEDED"}, {"output", output}};
  return {{"status", status == Status::kAborted ? "ABORTED" : "FAILED"},
          {"error", error},
          {"cause", cause}};
}

void ExecutionStop::Request(const std::string& cause) {
  {
    std::lock_guard lock(mutex_);
    if (cause_.empty()) cause_ = cause;
  }
  cancellation_->Cancel();
}

std::string ExecutionStop::cause() const {
  std::lock_guard lock(mutex_);
  return cause_;
}

namespace {

using std::chrono::milliseconds;
namespace errors = states_errors;

//! Ends the execution past every Retry and Catch: the execution timed out, was stopped or
//! filled its history, or this branch was cancelled because a sibling failed.
class ExecutionAbort : public StatesError {
 public:
  using StatesError::StatesError;
};

// States.Runtime (and DataLimitExceeded) always fail the execution: AWS documents that no
// Retry or Catch, not even States.ALL, handles them.
bool Handleable(const std::string& error) {
  return error != errors::kRuntime && error != errors::kDataLimitExceeded;
}

bool ErrorMatches(const json& error_equals, const std::string& error) {
  if (!Handleable(error)) return false;
  for (const auto& name : error_equals) {
    if (name == error || name == errors::kAll) return true;
    if (name == errors::kTaskFailed && error != errors::kTimeout) return true;
  }
  return false;
}

struct Scope {
  std::shared_ptr<Cancellation> cancellation;
};

struct Step {
  json output;
  std::optional<std::string> next;
};

class Execution {
 public:
  Execution(const json& definition, const TaskRegistry& registry, const ExecutionOptions& options,
            json input)
      : definition_(definition),
        registry_(registry),
        options_(options),
        clock_(options.clock != nullptr ? *options.clock : SystemClock::Instance()),
        input_(std::move(input)),
        rng_(options.random_seed ? *options.random_seed : std::random_device{}()),
        root_(std::make_shared<Cancellation>(options.stop != nullptr ? options.stop->cancellation()
                                                                     : nullptr)) {
    intrinsics_.random = [this] { return Random(); };
    name_ = options.execution_name.empty() ? NewUuid() : options.execution_name;
    state_machine_id_ = StateMachineArn(options.state_machine_name);
    execution_id_ = ExecutionArn(options.state_machine_name, name_);
    const Clock::TimePoint now = clock_.Now();
    start_ = options.redrive ? options.redrive->started : now;
    if (options.redrive) {
      first_event_id_ = options.redrive->last_event_id + 1;
      invocations_ = options.redrive->invocations;
    }
    if (definition.contains("TimeoutSeconds")) {
      timeout_seconds_ = definition["TimeoutSeconds"].get<long long>();
      deadline_ = now + std::chrono::seconds(timeout_seconds_);
    }
    redrive_time_ = now;
  }

  ExecutionResult Run() {
    ExecutionResult result;
    result.execution_id = execution_id_;
    result.execution_name = name_;
    const auto& redrive = options_.redrive;
    if (redrive) {
      Record("ExecutionRedriven", "", {{"redriveCount", redrive->redrive_count}});
    } else {
      Record("ExecutionStarted", "", {{"input", input_}, {"name", name_}});
    }
    Scope scope{root_};
    try {
      result.output = redrive ? RunMachine(definition_, redrive->state_input, scope, redrive->state)
                              : RunMachine(definition_, input_, scope);
      // A history that filled as the last state ended fails the run all the same (events
      // were dropped); a stop that came then is too late: every state ran.
      if (history_full_) CheckAlive(scope);
      result.status = ExecutionResult::Status::kSucceeded;
      Record("ExecutionSucceeded", "", {{"output", result.output}});
    } catch (const StatesError& e) {
      End(result, e, dynamic_cast<const ExecutionAbort*>(&e) != nullptr);
    } catch (const std::exception& e) {
      End(result, StatesError(errors::kRuntime, e.what()), false);
    }
    if (result.status != ExecutionResult::Status::kSucceeded) {
      result.failed_state = current_state_;
      result.failed_state_input = std::move(current_input_);
    }
    std::lock_guard lock(mutex_);
    result.history = std::move(history_);
    if (options_.listener != nullptr) options_.listener->OnEnd(result);
    return result;
  }

 private:
  // Records how a failed run ended. A stop or a full history wins over the error that
  // surfaced: a task cancelled by them fails with an error of its own first.
  void End(ExecutionResult& result, const StatesError& e, bool abort) {
    std::string type = "ExecutionFailed";
    result.error = e.error();
    result.cause = e.cause();
    if (history_full_) {
      result.error = errors::kRuntime;
      result.cause = HistoryFullCause();
    } else if (options_.stop != nullptr && options_.stop->requested()) {
      result.status = ExecutionResult::Status::kAborted;
      result.error = kAbortedError;
      result.cause = options_.stop->cause();
      type = "ExecutionAborted";
    } else if (abort && e.error() == errors::kTimeout) {
      result.timed_out = true;
      type = "ExecutionTimedOut";
    }
    Record(type, "", {{"error", result.error}, {"cause", result.cause}});
  }

  std::string HistoryFullCause() const {
    return "The execution's history reached " + std::to_string(options_.max_history_events) +
           " events, the Step Functions limit per execution; a loop that never ends, or a "
           "Map over too many items (use a Distributed Map: its children have histories of "
           "their own).";
  }

  uint64_t Random() {
    std::lock_guard lock(rng_mutex_);
    return rng_();
  }
  std::string NewUuid() {
    return EvaluateIntrinsic("States.UUID()", json(), json(), intrinsics_).get<std::string>();
  }

  // Under the lock, so ids follow the order of the calls and the listener (which may
  // write to SQLite) sees one event at a time even from Parallel and Map threads. Past
  // max_history_events - 1 events only the execution's end is recorded (its room is kept):
  // the first event refused marks the history full and cancels the run.
  void Record(const std::string& type, const std::string& state, json details) {
    std::lock_guard lock(mutex_);
    const int64_t id = first_event_id_ + static_cast<int64_t>(history_.size());
    const bool ends = type == "ExecutionSucceeded" || type == "ExecutionFailed" ||
                      type == "ExecutionTimedOut" || type == "ExecutionAborted";
    if (!ends && id >= options_.max_history_events) {
      if (!history_full_.exchange(true)) root_->Cancel();
      return;
    }
    HistoryEvent event;
    event.id = id;
    event.previous_id = event.id - 1;
    event.timestamp = FormatTimestamp(clock_.Now());
    event.type = type;
    event.state = state;
    event.details = std::move(details);
    history_.push_back(std::move(event));
    if (options_.listener != nullptr) options_.listener->OnEvent(execution_id_, history_.back());
  }

  json Context(const std::string& state, Clock::TimePoint entered, int retry_count,
               const json* map_item) const {
    json context = {
        {"Execution",
         {{"Id", execution_id_},
          {"Input", input_},
          {"Name", name_},
          {"StartTime", FormatTimestamp(start_)},
          {"RoleArn", "arn:shoplake:iam::local:role/shoplake"}}},
        {"State",
         {{"Name", state}, {"EnteredTime", FormatTimestamp(entered)}, {"RetryCount", retry_count}}},
        {"StateMachine", {{"Id", state_machine_id_}, {"Name", options_.state_machine_name}}}};
    // As on AWS: RedriveCount is always there (0 before any redrive), RedriveTime only
    // once the execution was redriven.
    context["Execution"]["RedriveCount"] = options_.redrive ? options_.redrive->redrive_count : 0;
    if (options_.redrive) context["Execution"]["RedriveTime"] = FormatTimestamp(redrive_time_);
    if (map_item != nullptr) context["Map"] = {{"Item", *map_item}};
    return context;
  }

  void CheckAlive(const Scope& scope) {
    if (history_full_) throw ExecutionAbort(errors::kRuntime, HistoryFullCause());
    if (options_.stop != nullptr && options_.stop->requested()) {
      throw ExecutionAbort(kAbortedError, options_.stop->cause());
    }
    if (deadline_ && clock_.Now() >= *deadline_) {
      scope.cancellation->Cancel();
      throw ExecutionAbort(errors::kTimeout, "The execution ran longer than its TimeoutSeconds (" +
                                                 std::to_string(timeout_seconds_) + ").");
    }
    if (scope.cancellation->IsCancelled()) {
      throw ExecutionAbort("States.Cancelled", "Cancelled because another branch failed.");
    }
  }

  void SleepUntil(Clock::TimePoint until, const Scope& scope) {
    if (deadline_ && until > *deadline_) until = *deadline_;
    auto now = clock_.Now();
    if (until > now) {
      clock_.SleepFor(std::chrono::ceil<milliseconds>(until - now), scope.cancellation.get());
    }
    CheckAlive(scope);
  }

  // --- paths and payload templates ------------------------------------------------------

  json Select(const json& state, const char* field, const json& value, const json& context) {
    if (!state.contains(field)) return value;
    const json& path_value = state[field];
    if (path_value.is_null()) return json::object();
    JsonPath path = JsonPath::Parse(path_value.get<std::string>());
    auto found = path.Find(path.is_context() ? context : value);
    if (!found) {
      throw StatesError(errors::kRuntime, "Invalid path '" + path.text() + "' in " + field +
                                              ": it matched nothing in " + value.dump());
    }
    return *found;
  }

  json Payload(const json& tmpl, const json& input, const json& context) {
    if (tmpl.is_array()) {
      json out = json::array();
      for (const auto& item : tmpl) out.push_back(Payload(item, input, context));
      return out;
    }
    if (!tmpl.is_object()) return tmpl;
    json out = json::object();
    for (auto it = tmpl.begin(); it != tmpl.end(); ++it) {
      const std::string& key = it.key();
      if (key.size() > 2 && key.compare(key.size() - 2, 2, ".$") == 0) {
        std::string name = key.substr(0, key.size() - 2);
        const std::string& text = it.value().get_ref<const std::string&>();
        if (IsIntrinsicCall(text)) {
          out[name] = EvaluateIntrinsic(text, input, context, intrinsics_);
          continue;
        }
        JsonPath path = JsonPath::Parse(text);
        auto found = path.Find(path.is_context() ? context : input);
        if (!found) {
          throw StatesError(errors::kParameterPathFailure,
                            "The JSONPath '" + text + "' specified for the field '" + key +
                                "' could not be found in the input '" + input.dump() + "'");
        }
        out[name] = std::move(*found);
      } else {
        out[key] = Payload(it.value(), input, context);
      }
    }
    return out;
  }

  json ApplyResultPath(const json& result_path, const json& raw, json result) {
    if (result_path.is_null()) return raw;
    JsonPath path = JsonPath::Parse(result_path.get<std::string>());
    json combined = raw;
    if (!path.Assign(combined, std::move(result))) {
      throw StatesError(errors::kResultPathMatchFailure,
                        "Unable to apply ResultPath '" + path.text() + "' to input " + raw.dump());
    }
    return combined;
  }

  json Finish(const json& state, const json& raw, json result, const json& context) {
    if (state.contains("ResultSelector"))
      result = Payload(state["ResultSelector"], result, context);
    json combined = ApplyResultPath(state.contains("ResultPath") ? state["ResultPath"] : json("$"),
                                    raw, std::move(result));
    return Select(state, "OutputPath", combined, context);
  }

  // --- states -----------------------------------------------------------------------------

  // Runs `machine` (the definition, a Parallel branch or a Map's processor) from `start`
  // (default StartAt) to its end.
  json RunMachine(const json& machine, json input, const Scope& scope,
                  const std::string& start = "") {
    const json& states = machine["States"];
    std::string name = start.empty() ? machine["StartAt"].get<std::string>() : start;
    const bool top_level = &machine == &definition_;
    for (;;) {
      if (top_level) {
        // Kept for a redrive: only this thread runs the top level, so no lock.
        current_state_ = name;
        current_input_ = input;
      }
      CheckAlive(scope);
      Step step = RunState(name, states[name], std::move(input), scope);
      if (!step.next) return step.output;
      name = *step.next;
      input = std::move(step.output);
    }
  }

  Step RunState(const std::string& name, const json& state, json raw, const Scope& scope) {
    const std::string type = state["Type"].get<std::string>();
    const Clock::TimePoint entered = clock_.Now();
    Record(type + "StateEntered", name, {{"input", raw}});
    json context = Context(name, entered, 0, nullptr);
    Step step;
    if (state.contains("Next")) step.next = state["Next"].get<std::string>();

    if (type == "Fail") {
      std::string error = FailField(state, "Error", raw, context);
      std::string cause = FailField(state, "Cause", raw, context);
      throw StatesError(error, cause);
    } else if (type == "Succeed") {
      step.output = Select(state, "OutputPath", Select(state, "InputPath", raw, context), context);
    } else if (type == "Choice") {
      json effective = Select(state, "InputPath", raw, context);
      const json* next = nullptr;
      for (const auto& rule : state["Choices"]) {
        if (EvaluateChoiceRule(rule, effective, context)) {
          next = &rule["Next"];
          break;
        }
      }
      if (next == nullptr && state.contains("Default")) next = &state["Default"];
      if (next == nullptr) {
        throw StatesError(errors::kNoChoiceMatched,
                          "No Matches! No Choice rule of state '" + name + "' matched the input.");
      }
      step.next = next->get<std::string>();
      step.output = Select(state, "OutputPath", effective, context);
    } else if (type == "Wait") {
      json effective = Select(state, "InputPath", raw, context);
      SleepUntil(WaitUntil(state, effective, entered, context), scope);
      step.output = Select(state, "OutputPath", effective, context);
    } else if (type == "Pass") {
      json effective = Select(state, "InputPath", raw, context);
      if (state.contains("Parameters"))
        effective = Payload(state["Parameters"], effective, context);
      json result = state.contains("Result") ? state["Result"] : effective;
      json combined = ApplyResultPath(
          state.contains("ResultPath") ? state["ResultPath"] : json("$"), raw, std::move(result));
      step.output = Select(state, "OutputPath", combined, context);
    } else {
      auto handled = RunWithRetry(name, type, state, raw, entered, scope);
      step.output = std::move(handled.output);
      if (handled.next) {
        // A catcher's Next wins over the state's own Next or End.
        Record(type + "StateExited", name, {{"output", step.output}});
        step.next = handled.next;
        return step;
      }
    }
    Record(type + "StateExited", name, {{"output", step.output}});
    if (state.contains("End")) step.next.reset();
    return step;
  }

  std::string FailField(const json& state, const std::string& field, const json& raw,
                        const json& context) {
    if (state.contains(field)) return state[field].get<std::string>();
    std::string path_field = field + "Path";
    if (!state.contains(path_field)) return "";
    const std::string& text = state[path_field].get_ref<const std::string&>();
    json value;
    if (IsIntrinsicCall(text)) {
      value = EvaluateIntrinsic(text, raw, context, intrinsics_);
    } else {
      JsonPath path = JsonPath::Parse(text);
      auto found = path.Find(path.is_context() ? context : raw);
      if (!found) {
        throw StatesError(errors::kRuntime,
                          "Invalid path '" + text + "' in " + path_field + ": it matched nothing");
      }
      value = *found;
    }
    if (!value.is_string()) {
      throw StatesError(errors::kRuntime, path_field + " '" + text + "' must select a string");
    }
    return value.get<std::string>();
  }

  Clock::TimePoint WaitUntil(const json& state, const json& input, Clock::TimePoint entered,
                             const json& context) {
    if (state.contains("Seconds")) {
      return entered + std::chrono::seconds(state["Seconds"].get<long long>());
    }
    if (state.contains("Timestamp")) return *ParseTimestamp(state["Timestamp"].get<std::string>());
    bool seconds = state.contains("SecondsPath");
    std::string text = state[seconds ? "SecondsPath" : "TimestampPath"].get<std::string>();
    JsonPath path = JsonPath::Parse(text);
    auto found = path.Find(path.is_context() ? context : input);
    if (!found) throw StatesError(errors::kRuntime, "Invalid path '" + text + "': matched nothing");
    if (seconds) {
      if (!found->is_number_integer() || found->get<long long>() < 0) {
        throw StatesError(
            errors::kRuntime,
            "SecondsPath '" + text + "' must select a non-negative integer, got " + found->dump());
      }
      return entered + std::chrono::seconds(found->get<long long>());
    }
    std::optional<Clock::TimePoint> when;
    if (found->is_string()) when = ParseTimestamp(found->get<std::string>());
    if (!when) {
      throw StatesError(
          errors::kRuntime,
          "TimestampPath '" + text + "' must select an RFC 3339 timestamp, got " + found->dump());
    }
    return *when;
  }

  // --- Task, Parallel, Map with Retry and Catch -------------------------------------------

  Step RunWithRetry(const std::string& name, const std::string& type, const json& state,
                    const json& raw, Clock::TimePoint entered, const Scope& scope) {
    const json retriers = state.value("Retry", json::array());
    std::vector<int> attempts(retriers.size(), 0);
    int retry_count = 0;
    for (;;) {
      try {
        json context = Context(name, entered, retry_count, nullptr);
        json effective = Select(state, "InputPath", raw, context);
        json result;
        if (type == "Task") result = RunTask(name, state, effective, context, retry_count, scope);
        if (type == "Parallel") result = RunParallel(name, state, effective, context, scope);
        if (type == "Map") result = RunMap(name, state, effective, entered, retry_count, scope);
        return Step{Finish(state, raw, std::move(result), context), std::nullopt};
      } catch (const ExecutionAbort&) {
        throw;
      } catch (const StatesError& e) {
        std::optional<milliseconds> delay = RetryDelay(retriers, attempts, e.error());
        if (delay) {
          ++retry_count;
          Record(type + "StateRetry", name,
                 {{"error", e.error()},
                  {"cause", e.cause()},
                  {"retryCount", retry_count},
                  {"delayMilliseconds", delay->count()}});
          // Capped at the execution's deadline, as a Wait state is: ExecutionTimedOut comes
          // on time even when the back-off would sleep past it.
          SleepUntil(clock_.Now() + *delay, scope);
          continue;
        }
        for (const auto& catcher : state.value("Catch", json::array())) {
          if (!ErrorMatches(catcher["ErrorEquals"], e.error())) continue;
          json error_output = {{"Error", e.error()}, {"Cause", e.cause()}};
          json output =
              ApplyResultPath(catcher.contains("ResultPath") ? catcher["ResultPath"] : json("$"),
                              raw, std::move(error_output));
          Record(type + "StateCaught", name,
                 {{"error", e.error()}, {"cause", e.cause()}, {"next", catcher["Next"]}});
          return Step{std::move(output), catcher["Next"].get<std::string>()};
        }
        throw;
      }
    }
  }

  // The delay before the next attempt, or nullopt when no retrier applies or the first
  // matching one is used up (later retriers are not consulted then, per the spec).
  std::optional<milliseconds> RetryDelay(const json& retriers, std::vector<int>& attempts,
                                         const std::string& error) {
    for (size_t i = 0; i < retriers.size(); ++i) {
      const json& retrier = retriers[i];
      if (!ErrorMatches(retrier["ErrorEquals"], error)) continue;
      long long max_attempts = retrier.value("MaxAttempts", 3LL);
      if (attempts[i] >= max_attempts) return std::nullopt;
      double interval = retrier.value("IntervalSeconds", 1.0);
      double backoff = retrier.value("BackoffRate", 2.0);
      double seconds = interval * std::pow(backoff, attempts[i]);
      if (retrier.contains("MaxDelaySeconds")) {
        seconds = std::min(seconds, retrier["MaxDelaySeconds"].get<double>());
      }
      if (retrier.value("JitterStrategy", std::string("NONE")) == "FULL") {
        seconds *= static_cast<double>(Random() % 1000001) / 1000000.0;
      }
      ++attempts[i];
      return milliseconds(static_cast<long long>(std::llround(seconds * 1000.0)));
    }
    return std::nullopt;
  }

  json RunTask(const std::string& name, const json& state, const json& effective,
               const json& context, int retry_count, const Scope& scope) {
    json payload =
        state.contains("Parameters") ? Payload(state["Parameters"], effective, context) : effective;
    std::optional<long long> timeout;
    if (state.contains("TimeoutSeconds")) timeout = state["TimeoutSeconds"].get<long long>();
    if (state.contains("TimeoutSecondsPath")) {
      std::string text = state["TimeoutSecondsPath"].get<std::string>();
      auto found = JsonPath::Parse(text).Find(effective);
      if (!found || !found->is_number_integer() || found->get<long long>() <= 0) {
        throw StatesError(errors::kRuntime,
                          "TimeoutSecondsPath '" + text + "' must select a positive integer");
      }
      timeout = found->get<long long>();
    }
    const std::string resource = state["Resource"].get<std::string>();
    const TaskHandler* handler = registry_.Find(resource);
    if (handler == nullptr) {
      throw StatesError(errors::kRuntime, "No handler for resource '" + resource + "'");
    }
    int invocation;
    {
      std::lock_guard lock(mutex_);
      invocation = ++invocations_[name];
    }
    Record("TaskScheduled", name,
           {{"resource", resource},
            {"parameters", payload},
            {"timeoutInSeconds", timeout ? json(*timeout) : json()}});

    struct Run {
      std::mutex mutex;
      std::condition_variable done_cv;
      bool done = false;
      json result;
      std::optional<std::pair<std::string, std::string>> failure;
    };
    auto run = std::make_shared<Run>();
    auto cancellation = std::make_shared<Cancellation>(scope.cancellation);
    TaskContext task{name, resource, execution_id_, retry_count, invocation, &clock_, cancellation};
    const Clock::TimePoint started = clock_.Now();
    std::thread worker([run, handler = *handler, payload, task]() mutable {
      std::optional<std::pair<std::string, std::string>> failure;
      json result;
      try {
        result = handler(payload, task);
      } catch (const StatesError& e) {
        failure.emplace(e.error(), e.cause());
      } catch (const std::exception& e) {
        failure.emplace(errors::kTaskFailed, e.what());
      } catch (...) {
        failure.emplace(errors::kTaskFailed, "unknown exception");
      }
      std::lock_guard lock(run->mutex);
      run->result = std::move(result);
      run->failure = std::move(failure);
      run->done = true;
      run->done_cv.notify_all();
    });
    std::optional<Clock::TimePoint> task_deadline;
    if (timeout) task_deadline = started + std::chrono::seconds(*timeout);
    {
      // The handler is never abandoned: past a deadline, or once the execution is stopped or
      // a sibling failed, its cancellation is raised and it is waited for, so that nothing it
      // does (an ingest writing, a reference into the caller's state) outlives the state.
      std::unique_lock lock(run->mutex);
      while (!run->done_cv.wait_for(lock, milliseconds(5), [&] { return run->done; })) {
        Clock::TimePoint now = clock_.Now();
        if ((task_deadline && now >= *task_deadline) || (deadline_ && now >= *deadline_) ||
            scope.cancellation->IsCancelled()) {
          cancellation->Cancel();
        }
      }
    }
    worker.join();
    if (task_deadline && clock_.Now() >= *task_deadline) throw TaskTimedOut(name, *timeout);
    // The execution timed out or was stopped, or a sibling failed, while the task ran: its
    // result (likely a cancellation) is dropped.
    if (cancellation->IsCancelled()) CheckAlive(scope);
    if (run->failure) {
      Record("TaskFailed", name, {{"error", run->failure->first}, {"cause", run->failure->second}});
      throw StatesError(run->failure->first, run->failure->second);
    }
    Record("TaskSucceeded", name, {{"output", run->result}});
    return std::move(run->result);
  }

  StatesError TaskTimedOut(const std::string& name, long long timeout) {
    std::string cause =
        "The task ran longer than its TimeoutSeconds (" + std::to_string(timeout) + ").";
    Record("TaskTimedOut", name, {{"error", errors::kTimeout}, {"cause", cause}});
    return StatesError(errors::kTimeout, cause);
  }

  // Runs `count` jobs on up to `threads` threads; job(i) returns normally or throws.
  // `on_failure(i, error)` decides (under a lock) whether the failure stops the rest.
  struct Outcome {
    std::vector<json> outputs;
    std::vector<std::optional<StatesError>> failures;
    std::exception_ptr abort;
  };

  Outcome RunConcurrently(size_t count, size_t threads, const std::shared_ptr<Cancellation>& stop,
                          const std::function<json(size_t)>& job,
                          const std::function<bool(size_t)>& stops_after_failure) {
    Outcome outcome;
    outcome.outputs.resize(count);
    outcome.failures.resize(count);
    std::mutex mutex;
    std::atomic<size_t> next{0};
    auto worker = [&] {
      for (;;) {
        size_t i = next.fetch_add(1);
        if (i >= count || stop->IsCancelled()) return;
        try {
          json output = job(i);
          std::lock_guard lock(mutex);
          outcome.outputs[i] = std::move(output);
        } catch (const ExecutionAbort&) {
          std::lock_guard lock(mutex);
          if (!outcome.abort) outcome.abort = std::current_exception();
        } catch (const StatesError& e) {
          std::lock_guard lock(mutex);
          outcome.failures[i] = e;
          if (stops_after_failure(i)) stop->Cancel();
        } catch (const std::exception& e) {
          std::lock_guard lock(mutex);
          outcome.failures[i] = StatesError(errors::kRuntime, e.what());
          stop->Cancel();
        }
      }
    };
    std::vector<std::thread> pool;
    size_t n = std::max<size_t>(1, std::min(threads, count));
    for (size_t t = 0; t < n; ++t) pool.emplace_back(worker);
    for (auto& thread : pool) thread.join();
    return outcome;
  }

  json RunParallel(const std::string& name, const json& state, const json& effective,
                   const json& context, const Scope& scope) {
    json input =
        state.contains("Parameters") ? Payload(state["Parameters"], effective, context) : effective;
    const json& branches = state["Branches"];
    auto stop = std::make_shared<Cancellation>(scope.cancellation);
    std::optional<size_t> first_failure;
    Record("ParallelStateStarted", name, json::object());
    Outcome outcome = RunConcurrently(
        branches.size(), branches.size(), stop,
        [&](size_t i) { return RunMachine(branches[i], input, Scope{stop}); },
        [&](size_t i) {
          if (!first_failure) first_failure = i;
          return true;
        });
    if (first_failure) {
      const StatesError& e = *outcome.failures[*first_failure];
      Record("ParallelStateFailed", name, {{"error", e.error()}, {"cause", e.cause()}});
      throw e;
    }
    if (outcome.abort) std::rethrow_exception(outcome.abort);
    CheckAlive(scope);
    Record("ParallelStateSucceeded", name, json::object());
    return json(outcome.outputs);
  }

  long long Setting(const json& state, const std::string& field, const json& input,
                    long long fallback) {
    if (state.contains(field)) return static_cast<long long>(state[field].get<double>());
    if (!state.contains(field + "Path")) return fallback;
    std::string text = state[field + "Path"].get<std::string>();
    auto found = JsonPath::Parse(text).Find(input);
    if (!found || !found->is_number() || found->get<double>() < 0) {
      throw StatesError(errors::kRuntime,
                        field + "Path '" + text + "' must select a non-negative number");
    }
    return static_cast<long long>(found->get<double>());
  }

  json RunMap(const std::string& name, const json& state, const json& effective,
              Clock::TimePoint entered, int retry_count, const Scope& scope) {
    json items = effective;
    if (state.contains("ItemsPath")) {
      std::string text = state["ItemsPath"].get<std::string>();
      auto found = JsonPath::Parse(text).Find(effective);
      if (!found) throw StatesError(errors::kRuntime, "Invalid path '" + text + "' in ItemsPath");
      items = *found;
    }
    if (!items.is_array()) {
      throw StatesError(
          errors::kRuntime,
          "Map state '" + name + "': ItemsPath must select an array, got " + items.dump());
    }
    const json& processor =
        state.contains("ItemProcessor") ? state["ItemProcessor"] : state["Iterator"];
    const json* selector = state.contains("ItemSelector") ? &state["ItemSelector"]
                           : state.contains("Parameters") ? &state["Parameters"]
                                                          : nullptr;
    long long max_concurrency = Setting(state, "MaxConcurrency", effective, 0);
    bool tolerant = state.contains("ToleratedFailureCount") ||
                    state.contains("ToleratedFailureCountPath") ||
                    state.contains("ToleratedFailurePercentage") ||
                    state.contains("ToleratedFailurePercentagePath");
    bool has_count =
        state.contains("ToleratedFailureCount") || state.contains("ToleratedFailureCountPath");
    bool has_percentage = state.contains("ToleratedFailurePercentage") ||
                          state.contains("ToleratedFailurePercentagePath");
    long long tolerated_count = Setting(state, "ToleratedFailureCount", effective, 0);
    double tolerated_percentage = 0;
    if (has_percentage) {
      tolerated_percentage =
          state.contains("ToleratedFailurePercentage")
              ? state["ToleratedFailurePercentage"].get<double>()
              : static_cast<double>(Setting(state, "ToleratedFailurePercentage", effective, 0));
    }
    const size_t count = items.size();
    size_t threads = max_concurrency > 0 ? static_cast<size_t>(max_concurrency)
                                         : static_cast<size_t>(options_.max_threads_per_map);
    auto stop = std::make_shared<Cancellation>(scope.cancellation);
    size_t failed = 0;
    bool exceeded = false;
    std::optional<size_t> first_failure;
    auto over_threshold = [&] {
      return (has_count && static_cast<long long>(failed) > tolerated_count) ||
             (has_percentage && static_cast<double>(failed) * 100.0 >
                                    tolerated_percentage * static_cast<double>(count));
    };
    Record("MapStateStarted", name, {{"length", count}});
    Outcome outcome = RunConcurrently(
        count, threads, stop,
        [&](size_t i) {
          json item = {{"Index", i}, {"Value", items[i]}};
          json input = items[i];
          if (selector != nullptr) {
            input = Payload(*selector, effective, Context(name, entered, retry_count, &item));
          }
          Record("MapIterationStarted", name, {{"index", i}});
          try {
            json output = RunMachine(processor, std::move(input), Scope{stop});
            Record("MapIterationSucceeded", name, {{"index", i}});
            return output;
          } catch (const StatesError& e) {
            if (!dynamic_cast<const ExecutionAbort*>(&e)) {
              Record("MapIterationFailed", name,
                     {{"index", i}, {"error", e.error()}, {"cause", e.cause()}});
            }
            throw;
          }
        },
        [&](size_t i) {
          ++failed;
          if (!first_failure) first_failure = i;
          if (!tolerant) return true;
          if (over_threshold()) exceeded = true;
          return exceeded;
        });
    if (first_failure && (!tolerant || exceeded)) {
      StatesError error = tolerant ? StatesError(errors::kExceedToleratedFailureThreshold,
                                                 "The specified tolerated failure threshold was "
                                                 "exceeded by the Map state '" +
                                                     name + "'.")
                                   : *outcome.failures[*first_failure];
      Record("MapStateFailed", name, {{"error", error.error()}, {"cause", error.cause()}});
      throw error;
    }
    if (outcome.abort) std::rethrow_exception(outcome.abort);
    CheckAlive(scope);
    json output = json::array();
    for (size_t i = 0; i < count; ++i) {
      if (outcome.failures[i]) {
        output.push_back(
            {{"Error", outcome.failures[i]->error()}, {"Cause", outcome.failures[i]->cause()}});
      } else {
        output.push_back(std::move(outcome.outputs[i]));
      }
    }
    Record("MapStateSucceeded", name, {{"length", count}});
    return output;
  }

  const json& definition_;
  const TaskRegistry& registry_;
  const ExecutionOptions& options_;
  Clock& clock_;
  json input_;
  std::string name_;
  std::string execution_id_;
  std::string state_machine_id_;
  Clock::TimePoint start_;
  Clock::TimePoint redrive_time_;  // when this run began: $$.Execution.RedriveTime
  int64_t first_event_id_ = 1;
  std::string current_state_;  // the top-level state running, and its input
  json current_input_;
  long long timeout_seconds_ = 0;
  std::optional<Clock::TimePoint> deadline_;
  IntrinsicEnvironment intrinsics_;
  std::mutex rng_mutex_;
  std::mt19937_64 rng_;
  // Raised to end the whole run (a stop, a full history); every scope descends from it.
  std::shared_ptr<Cancellation> root_;
  std::atomic<bool> history_full_{false};
  std::mutex mutex_;  // guards history_ and invocations_
  std::vector<HistoryEvent> history_;
  std::map<std::string, int> invocations_;
};

void CollectResources(const json& machine, const std::string& prefix, const TaskRegistry& registry,
                      std::vector<ValidationError>& out) {
  for (auto it = machine["States"].begin(); it != machine["States"].end(); ++it) {
    const json& state = it.value();
    std::string where = prefix.empty() ? it.key() : prefix + "/" + it.key();
    std::string type = state["Type"].get<std::string>();
    if (type == "Task" && registry.Find(state["Resource"].get<std::string>()) == nullptr) {
      out.push_back({where, "Resource",
                     "no handler for resource '" + state["Resource"].get<std::string>() +
                         "' (built-in: shoplake:echo, shoplake:fail, shoplake:flaky, "
                         "shoplake:sleep, shoplake:notify)"});
    }
    if (type == "Parallel") {
      for (size_t i = 0; i < state["Branches"].size(); ++i) {
        CollectResources(state["Branches"][i], where + "/Branches[" + std::to_string(i) + "]",
                         registry, out);
      }
    }
    if (type == "Map") {
      bool processor = state.contains("ItemProcessor");
      CollectResources(processor ? state["ItemProcessor"] : state["Iterator"],
                       where + (processor ? "/ItemProcessor" : "/Iterator"), registry, out);
    }
  }
}

}  // namespace

StateMachine::StateMachine(json definition) : definition_(std::move(definition)) {
  auto problems = Validate(definition_);
  if (!problems.empty()) {
    std::string message = "invalid state machine definition:";
    for (const auto& problem : problems) message += "\n  " + problem.ToString();
    throw Error(ErrorCode::kConfig, message, "", "run 'shoplake workflow validate' for the list");
  }
}

std::vector<ValidationError> StateMachine::UnboundResources(const TaskRegistry& registry) const {
  std::vector<ValidationError> out;
  CollectResources(definition_, "", registry, out);
  return out;
}

ExecutionResult StateMachine::Run(const json& input, const TaskRegistry& registry,
                                  const ExecutionOptions& options) const {
  if (options.redrive && !definition_["States"].contains(options.redrive->state)) {
    throw Error(ErrorCode::kConfig,
                "cannot redrive from state '" + options.redrive->state +
                    "': the definition has no such top-level state",
                options.state_machine_name, "redrive with the definition the execution ran");
  }
  Execution execution(definition_, registry, options, input);
  return execution.Run();
}

}  // namespace shoplake::workflow
