// shoplake's entry point. main() only dispatches: it declares the global flags, lets each
// verb (one file each in cli/) declare its own, parses, and maps every failure to one
// message and an exit code: 0 done, 1 the work failed, 2 usage or configuration error.
#include <spdlog/spdlog.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <iostream>

#include "cli/context.h"
#include "cli/usage.h"
#include "common/error.h"
#include "common/log.h"
#include "db/duckdb.h"
#include "shoplake/version.h"

namespace shoplake::cli {
namespace {

constexpr int kExitFailed = 1;

std::string VersionText() {
  return std::string("shoplake ") + kVersion + " (DuckDB " + db::DuckDbVersion() + ")";
}

int Run(int argc, char** argv) {
  Context context;
  CLI::App app{
      "shoplake turns an online shop's CSV exports into typed, partitioned Parquet, a "
      "catalog, SQL answers and dashboards, run as one state machine.",
      "shoplake"};
  app.footer(
      "Run 'shoplake VERB --help' for a verb's flags. The project file is shoplake.yaml in the\n"
      "current folder or a parent; the guide is in docs/.\n"
      "\n"
      "Environment:\n"
      "  SHOPLAKE_CACHE_DIR      where a remote lake's local copies go (default\n"
      "                          ~/.cache/shoplake; docs/lake.md)\n"
      "  SHOPLAKE_CACHE_MAX_MB   trim those copies past this many MB, least recently used first\n"
      "  SHOPLAKE_WEB_DIR        the dashboard's page assets (default: web/ of the source tree)\n"
      "  AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN, AWS_PROFILE, AWS_REGION,\n"
      "  AWS_ENDPOINT_URL(_S3)   s3:// lakes and sources, as the AWS CLI reads them (docs/s3.md)\n"
      "  GOOGLE_OAUTH_ACCESS_TOKEN, STORAGE_EMULATOR_HOST\n"
      "                          gs:// sources (docs/ingest-sources.md)");
  app.set_version_flag("--version", VersionText, "Print shoplake's and DuckDB's versions");
  app.require_subcommand(1);
  // Global flags are accepted after the verb too ("shoplake simulate --lake x").
  app.fallthrough();
  auto& o = context.options;
  app.add_option("--lake", o.lake, "Lake root (path, file:// or s3:// URI); default: the project's")
      ->type_name("URI");
  app.add_option("--project", o.project_file, "Project file; default: shoplake.yaml here or above")
      ->type_name("FILE");
  app.add_option("--log-format", o.log_format, "Log lines on stderr as text or json lines")
      ->check(CLI::IsMember({"text", "json"}))
      ->default_str("text");
  app.add_flag("-v,--verbose", o.verbose, "More detail (repeat for more)");
  app.add_flag("-q,--quiet", o.quiet, "Only warnings and errors");
  app.parse_complete_callback(
      [&] { SetUpLogging(ParseLogFormat(o.log_format), o.quiet ? -1 : o.verbose); });

  AddInitCommand(app, context);
  AddInfoCommand(app, context);
  AddSimulateCommand(app, context);
  AddIngestCommand(app, context);
  AddTransformCommand(app, context);
  AddCrawlCommand(app, context);
  AddCatalogCommand(app, context);
  AddVerifyCommand(app, context);
  AddQueryCommand(app, context);
  AddViewsCommand(app, context);
  AddWorkflowCommand(app, context);
  AddRunCommand(app, context);
  AddReportCommand(app, context);
  AddServeCommand(app, context);
  AddLambdaCommand(app, context);
  AddDeployCommand(app, context);
  // A verb's --help shows the flags every verb takes too, after its own footer.
  const std::string global =
      "Global flags (before or after the verb): --lake URI, --project FILE, "
      "--log-format text|json, -v/--verbose, -q/--quiet\n";
  for (CLI::App* verb : app.get_subcommands([](CLI::App*) { return true; })) {
    std::string footer = verb->get_footer();
    verb->footer(footer.empty() ? global : footer + "\n\n" + global);
  }

  // The words after the program's name; `shoplake help [VERB...]` is VERB... --help, and a
  // bare `shoplake` shows the help too.
  std::vector<std::string> args(argv + 1, argv + argc);
  if (args.empty() || args[0] == "help") {
    if (!args.empty()) args.erase(args.begin());
    args.push_back("--help");
  }
  try {
    // CLI11 takes the words last to first.
    std::vector<std::string> reversed(args.rbegin(), args.rend());
    app.parse(reversed);
    return 0;
  } catch (const CLI::Success& e) {
    return app.exit(e);  // --help, --version
  } catch (const CLI::ParseError& e) {
    Error usage = UsageError(app, args, e);
    ReportError(usage, ParseLogFormat(LogFormatOf(args)));
    return usage.exit_code();
  } catch (const ExitStatus& e) {
    return e.code;
  } catch (const Error& e) {
    ReportError(e, ParseLogFormat(context.options.log_format));
    return e.exit_code();
  } catch (const std::exception& e) {
    ReportError(Error(ErrorCode::kInternal, e.what()), LogFormat::kText);
    return kExitFailed;
  }
}

}  // namespace
}  // namespace shoplake::cli

int main(int argc, char** argv) { return shoplake::cli::Run(argc, argv); }
