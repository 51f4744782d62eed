// `shoplake serve`: the local web app (server/web_app.h) over the project's lake until
// SIGINT or SIGTERM. Prints its URL on stdout first, so scripts and people can open it.
#include <fmt/core.h>
#include <spdlog/spdlog.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <memory>
#include <optional>

#include "cli/context.h"
#include "cli/signals.h"
#include "common/error.h"
#include "db/query_watch.h"
#include "server/web_app.h"

namespace shoplake::cli {
namespace {

struct ServeFlags {
  std::string host = "127.0.0.1";
  int port = 8080;
  std::optional<double> query_timeout_s;  //!< unset: the project's, else 60 s
  int max_queries = 8;
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
  options.query_timeout = db::QueryTimeout(
      flags.query_timeout_s, options.project.query.timeout_seconds, std::chrono::seconds(60));
  options.max_queries = flags.max_queries;
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
  spdlog::info(
      "stopping on {} (the running queries are interrupted; a second signal ends "
      "the process at once)",
      signal == SIGINT ? "SIGINT" : "SIGTERM");
  signals.Unblock();
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
      "with {\"sql\": \"...\"}. Runs until Ctrl-C or SIGTERM, which stop the running\n"
      "queries. Guide: docs/report.md");
  verb->add_option("--port", flags->port, "Port to listen on; 0 picks a free one")
      ->check(CLI::Range(0, 65535))
      ->capture_default_str()
      ->type_name("P");
  verb->add_option("--host", flags->host, "Address to bind (the default serves this machine only)")
      ->capture_default_str()
      ->type_name("ADDR");
  verb->add_option("--query-timeout", flags->query_timeout_s,
                   "Seconds a query (SQL page, API, dashboard) may run before it is stopped; 0: "
                   "no limit [default: shoplake.yaml's query.timeout_seconds, else 60]")
      ->type_name("SECONDS");
  verb->add_option("--max-queries", flags->max_queries,
                   "Queries running at once; one more is answered 503 (Retry-After)")
      ->check(CLI::Range(1, 1000))
      ->capture_default_str()
      ->type_name("N");
  verb->callback([&context, flags] { Serve(context, *flags); });
}

}  // namespace shoplake::cli
