// WebApp: shoplake's local web app, QuickSight's and the consoles' job on one machine. Over
// cpp-httplib it serves
//   GET  /                   the live dashboard (report/report.h's page), filters in SQL
//   GET  /api/dashboard      its data for ?from=&to=&branch=&category= (JSON)
//   GET  /tables, /tables/<database>.<table>   catalog tables: schema, partitions, stats,
//                            versions, snapshots
//   GET  /sql                a SQL page; POST /api/query {"sql": "..."} runs one read-only
//                            statement through the QueryEngine (refusals: HTTP 400)
//   GET  /executions, /executions/<arn>        workflow executions and their events
//   GET  /metrics            Prometheus text format
// Every page reads the catalog as it is at the request: a transform that commits while the
// app runs shows up on the next request.
//
// Limits, so that no client can take the server from the others: a query stops at its time
// limit (504) or when its client goes away; beyond max_queries running at once a query is
// answered 503 with Retry-After, while pages and /metrics go on answering; a body over
// max_body_bytes is refused (413), a chunked one (411); connections are served by a pool
// of threads far larger than max_queries, each read bounded by a timeout and a request's
// headers by a deadline (10 s), so slow clients cannot hold the threads. Stop interrupts
// the running queries and closes slow clients' connections.
//
// Thread safety: Start/Stop from one thread; requests run on httplib's pool, each with its
// own Catalog and QueryEngine.
#pragma once

#include <chrono>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>

#include "common/project.h"

namespace shoplake::server {

struct WebAppOptions {
  std::string lake_uri;  //!< the lake to serve
  //! The local catalog file (_catalog/catalog.db) to open, asked before each request: serve
  //! refreshes a remote lake's copy in it.
  std::function<std::string()> catalog_path;
  Project project;  //!< for the dashboard definition
  std::string host = "127.0.0.1";
  int port = 0;                   //!< 0 picks a free port
  std::filesystem::path web_dir;  //!< page assets; empty: report::WebDir()
  //! How long a query (the API's, or the dashboard's for one request) may run; 0: no limit.
  std::chrono::milliseconds query_timeout{std::chrono::seconds(60)};
  //! Queries (API and dashboard requests) running at once; one more is answered 503.
  int max_queries = 8;
  //! Largest request body accepted; a larger one is answered 413.
  size_t max_body_bytes = 1 << 20;
};

class WebApp {
 public:
  //! Loads the page assets, opens the lake and binds the port. Throws Error(kNotFound) when
  //! the assets are missing, Error(kIo) when the port cannot be bound.
  explicit WebApp(WebAppOptions options);
  ~WebApp();  //!< stops serving
  WebApp(const WebApp&) = delete;
  WebApp& operator=(const WebApp&) = delete;

  int port() const;
  //! "http://127.0.0.1:PORT/"
  std::string url() const;

  //! Serves on a background thread; returns at once (the port already listens).
  void Start();
  //! Stops serving and joins the thread. Bounded; idempotent.
  void Stop();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace shoplake::server
