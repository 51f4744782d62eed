// The pipeline's handlers: the task's JSON input read into a stage's options, the stage run,
// its Error turned into an error name.
#include "pipeline/tasks.h"

#include <algorithm>
#include <filesystem>
#include <functional>
#include <optional>

#include "report/report.h"

namespace shoplake::pipeline {
namespace {

using workflow::json;
using workflow::TaskError;

// input[key] when present, of the JSON type `is` accepts; absent: nullopt. Another type
// fails the task as a configuration mistake.
template <typename T>
std::optional<T> Field(const json& input, const char* key, bool (json::*is)() const,
                       const char* kind) {
  if (!input.is_object() || !input.contains(key) || input[key].is_null()) return std::nullopt;
  if (!(input[key].*is)()) {
    throw TaskError(errors::kConfig, std::string("the task's input.") + key + " must be " + kind +
                                         ", got " + input[key].dump());
  }
  return input[key].get<T>();
}

std::optional<std::string> String(const json& input, const char* key) {
  return Field<std::string>(input, key, &json::is_string, "a string");
}
std::optional<double> Number(const json& input, const char* key) {
  return Field<double>(input, key, &json::is_number, "a number");
}
std::optional<int> Integer(const json& input, const char* key) {
  return Field<int>(input, key, &json::is_number_integer, "a whole number");
}
std::optional<bool> Boolean(const json& input, const char* key) {
  return Field<bool>(input, key, &json::is_boolean, "true or false");
}

// input[key] as a list of strings when present; anything else fails the task.
std::optional<std::vector<std::string>> Strings(const json& input, const char* key,
                                                const char* what) {
  if (!input.is_object() || !input.contains(key) || input[key].is_null()) return std::nullopt;
  const json& list = input[key];
  if (!list.is_array() ||
      !std::all_of(list.begin(), list.end(), [](const json& p) { return p.is_string(); })) {
    throw TaskError(errors::kConfig,
                    std::string("the task's input.") + key + " must be an array of " + what);
  }
  return list.get<std::vector<std::string>>();
}

std::string Required(const json& input, const char* key, const char* example) {
  auto value = String(input, key);
  if (!value || value->empty()) {
    throw TaskError(errors::kConfig,
                    std::string("the task's input needs \"") + key + "\", e.g. " + example);
  }
  return *value;
}

// A stage as a task handler: a stage's Error becomes a TaskError named by ErrorName.
workflow::TaskHandler Stage(std::function<json(const json&, const workflow::TaskContext&)> run) {
  return [run = std::move(run)](const json& input, workflow::TaskContext& task) -> json {
    try {
      return run(input, task);
    } catch (const transform::TooManyRejects& e) {
      throw TaskError(errors::kTooManyRejects, ErrorCause(e));
    } catch (const Error& e) {
      throw TaskError(ErrorName(e), ErrorCause(e));
    }
  };
}

json RunIngest(const Workspace& workspace, const json& input, const workflow::TaskContext& task) {
  ResolvedSource source = ResolveSource(workspace.project, Required(input, "source", "\"shop\""),
                                        String(input, "sourceName").value_or(""));
  ingest::IngestOptions options;
  options.ingest_date = String(input, "ingestDate").value_or("");
  options.parallel = Integer(input, "parallel").value_or(options.parallel);
  options.retry.max_attempts = Integer(input, "maxAttempts").value_or(options.retry.max_attempts);
  options.objects = Strings(input, "objects", "object URIs").value_or(options.objects);
  if (options.parallel < 1 || options.retry.max_attempts < 1) {
    throw TaskError(errors::kConfig, "the task's input.parallel and maxAttempts must be 1 or more");
  }
  options.progress = false;  // the task's result is its report; stderr is the interpreter's log
  // A timed-out or stopped task stops copying (the interpreter waits for it): the cancellation
  // outlives the handler's call, the task context does not.
  options.cancelled = [cancellation = task.cancellation] {
    return cancellation && cancellation->IsCancelled();
  };
  auto summary = Ingest(workspace, source, {}, options);
  CheckIngest(summary);
  return IngestJson(summary, source.name, false);
}

json RunTransform(const Workspace& workspace, const json& input) {
  transform::TransformOptions options;
  options.max_reject_rate = Number(input, "maxRejectRate").value_or(options.max_reject_rate);
  if (options.max_reject_rate < 0 || options.max_reject_rate > 1) {
    throw TaskError(errors::kConfig, "the task's input.maxRejectRate must be between 0 and 1");
  }
  options.full_refresh = Boolean(input, "fullRefresh").value_or(false);
  options.threads = Integer(input, "threads").value_or(0);
  auto result = Transform(workspace, Required(input, "dataset", "\"orders\""), options);
  return TransformJson(result, false);
}

json RunCrawl(const Workspace& workspace, const json& input) {
  crawl::CrawlOptions options;
  options.paths = Strings(input, "paths", "lake paths").value_or(options.paths);
  options.recrawl_all = Boolean(input, "recrawlAll").value_or(false);
  return CrawlJson(Crawl(workspace, options));
}

json RunViews(const Workspace& workspace, const json& input) {
  std::filesystem::path dir = String(input, "dir").value_or("");
  if (!dir.empty() && dir.is_relative()) dir = workspace.project.root / dir;
  auto applied = ApplyViews(workspace, dir, false);
  json out = {{"views", applied.views.size()}};
  for (const auto& [change, count] : applied.counts()) out[change] = count;
  if (!applied.notes.empty()) out["skipped"] = applied.notes;
  return out;
}

json RunReport(const Workspace& workspace, const json& input) {
  report::RenderOptions options;
  if (auto dashboard = String(input, "dashboard")) {
    std::filesystem::path file = *dashboard;
    options.dashboard_file = file.is_relative() ? workspace.project.root / file : file;
  }
  catalog::Catalog catalog(workspace.catalog_path);
  auto result = report::RenderDashboard(workspace.lake, catalog, workspace.project, options);
  json panels = json::array();
  for (const auto& panel : result.panels) {
    panels.push_back({{"id", panel.id}, {"type", panel.type}, {"rows", panel.rows}});
  }
  json out = {{"key", result.key},
              {"bytes", result.bytes},
              {"rendered_at", result.rendered_at},
              {"date_from", result.date_from},
              {"date_to", result.date_to},
              {"panels", panels}};
  // Where to open it: the page's file when the lake is a local folder.
  if (auto path = workspace.lake.LocalPath(result.key)) out["path"] = *path;
  return out;
}

}  // namespace

const char* ErrorName(const Error& error) {
  switch (error.code()) {
    case ErrorCode::kNetwork:
    case ErrorCode::kIo:
    case ErrorCode::kConflict:
      return errors::kTransient;
    case ErrorCode::kUsage:
    case ErrorCode::kConfig:
    case ErrorCode::kNotFound:
      return errors::kConfig;
    case ErrorCode::kData:
      return errors::kData;
    case ErrorCode::kInternal:
      break;
  }
  return errors::kInternal;
}

std::string ErrorCause(const Error& error) {
  return error.hint().empty() ? error.what()
                              : std::string(error.what()) + " (hint: " + error.hint() + ")";
}

void RegisterPipelineTasks(workflow::TaskRegistry& registry, const Workspace& workspace) {
  // Each handler keeps its own copy of the workspace (its members are borrowed).
  // Only ingest watches the task's cancellation; the others run to their end (each leaves the
  // lake valid at any point) and the interpreter waits for them.
  registry.Register("shoplake:ingest", Stage([workspace](const json& in, const auto& task) {
                      return RunIngest(workspace, in, task);
                    }));
  registry.Register("shoplake:transform", Stage([workspace](const json& in, const auto&) {
                      return RunTransform(workspace, in);
                    }));
  registry.Register("shoplake:crawl", Stage([workspace](const json& in, const auto&) {
                      return RunCrawl(workspace, in);
                    }));
  registry.Register("shoplake:views", Stage([workspace](const json& in, const auto&) {
                      return RunViews(workspace, in);
                    }));
  registry.Register("shoplake:report", Stage([workspace](const json& in, const auto&) {
                      return RunReport(workspace, in);
                    }));
}

}  // namespace shoplake::pipeline
