// `shoplake workflow eval EXPRESSION [--input JSON | --input-file FILE] [--bindings JSON]`:
// evaluates one JSONata expression the way people try expressions while writing a state
// machine. The result prints as one line of JSON (nothing when undefined) and exits 0; a
// JSONata error exits 1 with its code and position first ("T2001 at 12: ...").
#include <fmt/core.h>

#include <CLI/CLI.hpp>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>

#include "cli/context.h"
#include "common/error.h"
#include "common/files.h"
#include "jsonata/json_bridge.h"
#include "jsonata/jsonata.h"

namespace shoplake::cli {
namespace {

struct EvalFlags {
  std::string expression;
  std::optional<std::string> input;
  std::optional<std::string> input_file;
  std::optional<std::string> bindings;
};

nlohmann::ordered_json ParseJsonFlag(const std::string& text, const std::string& what) {
  try {
    return nlohmann::ordered_json::parse(text);
  } catch (const nlohmann::json::parse_error& e) {
    throw Error(ErrorCode::kUsage, what + " is not valid JSON: " + e.what(), what,
                "pass a JSON document, e.g. '{\"a\": 1}' (quote it for the shell)");
  }
}

jsonata::Value ReadInput(const EvalFlags& flags) {
  if (flags.input) return jsonata::FromJson(ParseJsonFlag(*flags.input, "--input"));
  if (flags.input_file) {
    std::string text = ReadFile(*flags.input_file);
    return jsonata::FromJson(ParseJsonFlag(text, *flags.input_file));
  }
  return jsonata::Value();  // no input: the expression sees undefined
}

std::vector<std::pair<std::string, jsonata::Value>> ReadBindings(const EvalFlags& flags) {
  std::vector<std::pair<std::string, jsonata::Value>> out;
  if (!flags.bindings) return out;
  auto json = ParseJsonFlag(*flags.bindings, "--bindings");
  if (!json.is_object()) {
    throw Error(ErrorCode::kUsage, "--bindings must be a JSON object", "--bindings",
                "name each variable: '{\"limit\": 10}' binds $limit");
  }
  for (const auto& [name, value] : json.items()) {
    out.emplace_back(name.rfind('$', 0) == 0 ? name.substr(1) : name, jsonata::FromJson(value));
  }
  return out;
}

void EvalCommand(const EvalFlags& flags) {
  jsonata::Value input = ReadInput(flags);
  auto bindings = ReadBindings(flags);
  jsonata::Value result;
  try {
    jsonata::Expression expression(flags.expression);
    result = expression.Evaluate(input, bindings);
  } catch (const jsonata::Error& e) {
    std::string where = e.position() >= 0 ? fmt::format(" at {}", e.position()) : "";
    // The code comes first (no input prefix): scripts and people look for it there.
    throw Error(ErrorCode::kData, fmt::format("{}{}: {}", e.code(), where, e.message()), "",
                "position counts characters of the expression; codes S0xxx are syntax, T0xxx "
                "types, D3xxx function arguments (https://docs.jsonata.org)");
  }
  if (result.IsDefined()) fmt::print("{}\n", jsonata::Stringify(result, false, false));
}

}  // namespace

void AddWorkflowEvalCommand(CLI::App& workflow) {
  auto flags = std::make_shared<EvalFlags>();
  auto* eval = workflow.add_subcommand(
      "eval", "Evaluate a JSONata expression (Step Functions' QueryLanguage) against an input");
  eval->add_option("EXPRESSION", flags->expression,
                   "The JSONata expression, e.g. '$sum(items.price)'")
      ->required();
  auto* input = eval->add_option("--input", flags->input, "The input document as JSON text")
                    ->type_name("JSON");
  eval->add_option("--input-file", flags->input_file, "Read the input document from a file")
      ->type_name("FILE")
      ->excludes(input);
  eval->add_option("--bindings", flags->bindings,
                   "Variables as a JSON object: '{\"limit\": 10}' binds $limit")
      ->type_name("JSON");
  eval->footer(
      "Prints the result as one line of JSON and exits 0; prints nothing when the result is\n"
      "undefined. Without --input or --input-file the input is undefined. An error in the\n"
      "expression exits 1 with its JSONata code and position: 'T2001 at 12: ...'.");
  eval->callback([flags] { EvalCommand(*flags); });
}

}  // namespace shoplake::cli
