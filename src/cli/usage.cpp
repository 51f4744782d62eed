// UsageError: the command line walked verb by verb, flag by flag.
#include "cli/usage.h"

#include "common/names.h"

namespace shoplake::cli {
namespace {

// The option of `app` (or of a parent, whose flags fall through to its verbs) spelt `name`
// ("--lake", "-v"), or nullptr.
const CLI::Option* FindOption(CLI::App* app, const std::string& name) {
  for (CLI::App* at = app; at; at = at->get_parent()) {
    for (const CLI::Option* option : at->get_options()) {
      for (const auto& l : option->get_lnames()) {
        if (name == "--" + l) return option;
      }
      for (const auto& s : option->get_snames()) {
        if (name == "-" + s) return option;
      }
    }
  }
  return nullptr;
}

// Every long flag `app` accepts, its parents' included.
std::vector<std::string> LongFlags(CLI::App* app) {
  std::vector<std::string> flags;
  for (CLI::App* at = app; at; at = at->get_parent()) {
    for (const CLI::Option* option : at->get_options()) {
      for (const auto& l : option->get_lnames()) flags.push_back("--" + l);
    }
  }
  return flags;
}

// CLI11's message on one line, without its "Run with --help" advice (the hint says it).
std::string OwnMessage(const CLI::ParseError& error) {
  std::string message = error.what();
  while (!message.empty() && (message.back() == '\n' || message.back() == ' ')) {
    message.pop_back();
  }
  return message;
}

}  // namespace

Error UsageError(CLI::App& app, const std::vector<std::string>& args,
                 const CLI::ParseError& error) {
  CLI::App* at = &app;
  std::string command = "shoplake";
  auto help = [&] { return "run '" + command + " --help' for what it takes"; };
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& word = args[i];
    if (word == "--") break;
    if (word.size() > 1 && word[0] == '-') {
      bool is_long = word.rfind("--", 0) == 0;
      std::string name = is_long ? word.substr(0, word.find('=')) : word.substr(0, 2);
      const CLI::Option* option = FindOption(at, name);
      if (!option) {
        return Error(ErrorCode::kUsage,
                     "unknown flag '" + name + "'" + DidYouMean(name, LongFlags(at)), command,
                     help());
      }
      bool inline_value = is_long ? word.find('=') != std::string::npos : word.size() > 2;
      if (option->get_expected_min() > 0 && !inline_value) ++i;  // its value
      continue;
    }
    std::vector<std::string> verbs;
    CLI::App* verb = nullptr;
    for (CLI::App* sub : at->get_subcommands([](CLI::App*) { return true; })) {
      verbs.push_back(sub->get_name());
      if (sub->get_name() == word) verb = sub;
    }
    if (verb) {
      at = verb;
      command += " " + word;
    } else if (!verbs.empty() && at->get_require_subcommand_min() > 0) {
      return Error(
          ErrorCode::kUsage, "unknown verb '" + word + "'" + DidYouMean(word, verbs),
          command == "shoplake" ? "" : command, command + "'s verbs: " + [&] {
            std::string all;
            for (const auto& v : verbs) all += (all.empty() ? "" : ", ") + v;
            return all;
          }());
    }
  }
  return Error(ErrorCode::kUsage, OwnMessage(error), command, help());
}

std::string LogFormatOf(const std::vector<std::string>& args) {
  for (size_t i = 0; i < args.size(); ++i) {
    if (args[i] == "--log-format=json") return "json";
    if (args[i] == "--log-format" && i + 1 < args.size() && args[i + 1] == "json") return "json";
  }
  return "text";
}

}  // namespace shoplake::cli
