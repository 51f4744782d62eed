// `shoplake serve`: the local web app (server/web_app.h) over the project's lake until
// SIGINT or SIGTERM. Prints its URL on stdout first, so scripts and people can open it.
#include <fmt/core.h>
#include <spdlog/spdlog.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <memory>

#include "cli/context.h"
#include "cli/signals.h"
#include "common/error.h"
#include "server/web_app.h"

namespace shoplake::cli {
namespace {

struct ServeFlags {
  std::string host = "127.0.0.1";
  int port = 8080;
};

void Serve(Context& context, const ServeFlags& flags) {
  server::WebAppOptions options;
  options.lake_uri = context.lake_uri();
  // A remote lake's catalog is a copy: looked at again (at most once a second) before each
  // request, so the pages follow the runs that commit meanwhile.
  lake::CatalogFile& catalog = context.catalog_file(lake::CatalogFile::Access::kRead);
  options.catalog_path = [&catalog] {
    try {
      catalog.Refresh();
    } catch (const Error& e) {
      spdlog::warn(
          "could not copy the lake's catalog again ({}); answering from the copy made "
          "before",
          e.what());
    }
    return catalog.path();
  };
  options.project = context.project();
  options.host = flags.host;
  options.port = flags.port;
  // Before the server starts its threads, so they inherit the mask and only Wait() sees
  // the signals.
  BlockedStopSignals signals;
  server::WebApp app(options);
  app.Start();
  fmt::print("serving {} at {}\n", options.lake_uri, app.url());
  std::fflush(stdout);
  if (flags.host != "127.0.0.1" && flags.host != "localhost" && flags.host != "::1") {
    spdlog::warn("listening on {}: anyone who can reach it can read the lake", flags.host);
  }
  int signal = signals.Wait();
  spdlog::info("stopping on {}", signal == SIGINT ? "SIGINT" : "SIGTERM");
  app.Stop();
}

}  // namespace

void AddServeCommand(CLI::App& app, Context& context) {
  auto flags = std::make_shared<ServeFlags>();
  auto* verb = app.add_subcommand("serve", "Serve the dashboard, tables, SQL and metrics locally");
  verb->footer(
      "Pages: / (the live dashboard; its date, branch and category filters run in SQL on\n"
      "the server), /tables, /sql (read-only: one SELECT at a time, nothing outside the\n"
      "lake), /executions, /metrics (Prometheus). API: GET /api/dashboard, POST /api/query\n"
      "with {\"sql\": \"...\"}. Runs until Ctrl-C. Guide: docs/report.md");
  verb->add_option("--port", flags->port, "Port to listen on; 0 picks a free one")
      ->check(CLI::Range(0, 65535))
      ->capture_default_str()
      ->type_name("P");
  verb->add_option("--host", flags->host, "Address to bind (the default serves this machine only)")
      ->capture_default_str()
      ->type_name("ADDR");
  verb->callback([&context, flags] { Serve(context, *flags); });
}

}  // namespace shoplake::cli
