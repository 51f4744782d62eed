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
// Thread safety: Start/Stop from one thread; requests run on httplib's pool, each with its
// own Catalog and QueryEngine.
#pragma once

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
