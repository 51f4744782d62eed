// WebApp over cpp-httplib: each handler opens what it reads (a Catalog, a QueryEngine) for
// its request, so the pages follow the lake as the pipeline changes it and handlers share
// nothing but the lake store (thread-safe) and the page assets (read-only).
#include "server/web_app.h"

#include <spdlog/spdlog.h>

#include <atomic>
#include <chrono>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <set>
#include <thread>

#include "catalog/catalog.h"
#include "common/error.h"
#include "common/files.h"
#include "common/http_server.h"
#include "common/uri.h"
#include "lake/store.h"
#include "query/engine.h"
#include "query/query_watch.h"
#include "report/report.h"
#include "server/state_graph.h"
#include "workflow/history.h"

namespace shoplake::server {
namespace {

using Json = nlohmann::ordered_json;
using report::EscapeHtml;

//! The SQL page's answers stop here: it is for looking, `shoplake query -o` is for export.
constexpr size_t kQueryRowLimit = 1000;
//! The executions page lists this many, latest first.
constexpr size_t kExecutionLimit = 100;
//! Threads serving connections: far more than queries may run at once, so clients that
//! send slowly (each holds a thread while its request trickles in) leave most of them free.
constexpr size_t kConnectionThreads = 64;
//! Seconds a connection may stay silent while its request is read or its answer written.
constexpr time_t kReadTimeoutSeconds = 5;
//! How long a client may take to send a request's headers: a slow client is cut off then.
constexpr std::chrono::seconds kRequestHeaderDeadline{10};
//! What a 503 asks the client to wait before trying again, in seconds.
constexpr const char* kRetryAfterSeconds = "2";

constexpr const char* kNav =
    "<a href=\"/\">Dashboard</a><a href=\"/tables\">Tables</a><a href=\"/sql\">SQL</a>"
    "<a href=\"/executions\">Executions</a><a href=\"/metrics\">Metrics</a>";

// The SQL page's script: posts the statement to /api/query and shows the rows or the
// refusal. Kept beside the page it belongs to; dashboard.js is for dashboards only.
constexpr const char* kSqlScript = R"js(
(function () {
  "use strict";
  const form = document.getElementById("sql-form");
  const out = document.getElementById("sql-result");
  const error = document.getElementById("sql-error");
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    out.replaceChildren();
    error.textContent = "";
    const response = await fetch("/api/query", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ sql: document.getElementById("sql").value }),
    });
    const body = await response.json();
    if (!response.ok) {
      error.textContent = body.error + (body.hint ? " (" + body.hint + ")" : "");
      return;
    }
    const table = document.createElement("table");
    const head = table.createTHead().insertRow();
    for (const c of body.columns) head.insertCell().outerHTML = "<th></th>";
    body.columns.forEach((c, i) => { head.cells[i].textContent = c.name; });
    const rows = table.createTBody();
    for (const row of body.rows) {
      const tr = rows.insertRow();
      for (const c of body.columns) {
        const v = row[c.name];
        tr.insertCell().textContent = v === null ? "NULL" : String(v);
      }
    }
    out.append(table);
    const note = document.createElement("p");
    note.id = "sql-count";
    note.textContent = body.rows.length + " rows" + (body.truncated ? " (truncated)" : "");
    out.append(note);
  });
})();
)js";

//! Prometheus exposition: one metric family at a time, HELP and TYPE before its samples.
class MetricsText {
 public:
  void Family(const std::string& name, const std::string& type, const std::string& help) {
    text_ += "# HELP " + name + " " + help + "\n# TYPE " + name + " " + type + "\n";
  }
  void Sample(const std::string& name, const std::map<std::string, std::string>& labels,
              double value) {
    text_ += name;
    if (!labels.empty()) {
      text_ += "{";
      bool first = true;
      for (const auto& [key, label] : labels) {
        text_ += (first ? "" : ",") + key + "=\"" + Escaped(label) + "\"";
        first = false;
      }
      text_ += "}";
    }
    char number[64];
    std::snprintf(number, sizeof number, " %.17g\n", value);
    text_ += number;
  }
  const std::string& text() const { return text_; }

 private:
  static std::string Escaped(const std::string& value) {
    std::string out;
    for (char c : value) {
      if (c == '\\' || c == '"') out += '\\';
      if (c == '\n') {
        out += "\\n";
        continue;
      }
      out += c;
    }
    return out;
  }
  std::string text_;
};

//! The metrics read from the stages' run records in the catalog file: per label value (the
//! first column of `sql`), a number (the second).
struct RunRecordMetric {
  const char* table;  //!< the SQLite table `sql` reads
  const char* name;
  const char* type;
  const char* help;
  const char* label;
  const char* sql;
};

constexpr RunRecordMetric kRunRecordMetrics[] = {
    {"transform_runs", "shoplake_transform_rows_written_total", "counter",
     "Rows the transform wrote, by dataset.", "dataset",
     "SELECT dataset, sum(rows_written) FROM transform_runs GROUP BY 1 ORDER BY 1"},
    {"transform_runs", "shoplake_transform_rows_rejected_total", "counter",
     "Rows the transform refused (in rejects/), by dataset.", "dataset",
     "SELECT dataset, sum(rows_rejected) FROM transform_runs GROUP BY 1 ORDER BY 1"},
    {"transform_runs", "shoplake_transform_runs_total", "counter", "Transform runs, by outcome.",
     "status", "SELECT status, count(*) FROM transform_runs GROUP BY 1 ORDER BY 1"},
    {"transform_runs", "shoplake_transform_duration_seconds_total", "counter",
     "Time spent in transform runs, by dataset.", "dataset",
     "SELECT dataset, sum((julianday(finished_at) - julianday(started_at)) * 86400)"
     " FROM transform_runs GROUP BY 1 ORDER BY 1"},
    {"ingest_ledger", "shoplake_ingest_bytes_total", "counter",
     "Bytes ingested into the raw zone, by source.", "source",
     "SELECT source, sum(size) FROM ingest_ledger GROUP BY 1 ORDER BY 1"},
    {"ingest_ledger", "shoplake_ingest_objects_total", "counter",
     "Objects ingested into the raw zone, by source.", "source",
     "SELECT source, count(*) FROM ingest_ledger GROUP BY 1 ORDER BY 1"},
    {"ingest_runs", "shoplake_ingest_duration_seconds_total", "counter",
     "Time spent in ingest runs, by source.", "source",
     "SELECT source, sum((julianday(finished_at) - julianday(started_at)) * 86400)"
     " FROM ingest_runs GROUP BY 1 ORDER BY 1"},
    {"workflow_executions", "shoplake_workflow_executions", "gauge",
     "Workflow executions recorded, by status.", "status",
     "SELECT status, count(*) FROM workflow_executions GROUP BY 1 ORDER BY 1"},
};

//! A request the server is too busy (or stopping) to take now: answered 503 with Retry-After.
class ServerBusy : public Error {
 public:
  using Error::Error;
};

bool IsLoopback(const std::string& host) {
  return host == "127.0.0.1" || host == "localhost" || host == "::1";
}

bool HasTable(SqliteDatabase& db, const std::string& name) {
  auto statement = db.Prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?");
  statement.Bind(1, name);
  return statement.Step();
}

int HttpStatus(const Error& error) {
  if (dynamic_cast<const ServerBusy*>(&error)) return 503;
  if (auto* stopped = dynamic_cast<const query::QueryStopped*>(&error)) {
    return stopped->timed_out() ? 504 : 503;
  }
  switch (error.code()) {
    case ErrorCode::kUsage:
    case ErrorCode::kConfig:
      return 400;
    case ErrorCode::kNotFound:
      return 404;
    case ErrorCode::kData:
      return 422;
    default:
      return 500;
  }
}

Json ErrorJson(const Error& error) {
  return {{"error", error.message()},
          {"code", ErrorCodeName(error.code())},
          {"input", error.input()},
          {"hint", error.hint()}};
}

//! The body of a 413: the limit, and what to do.
Json TooLargeJson(size_t limit) {
  return {{"error", "the request body is larger than this server's limit of " +
                        std::to_string(limit) + " bytes"},
          {"code", "usage"},
          {"hint",
           "send one SQL statement, not data: read files into the lake with shoplake "
           "ingest"}};
}

std::string Cell(const std::string& text) { return "<td>" + EscapeHtml(text) + "</td>"; }

std::string Row(const std::vector<std::string>& cells) {
  std::string row = "<tr>";
  for (const auto& c : cells) row += Cell(c);
  return row + "</tr>";
}

std::string Header(const std::vector<std::string>& names) {
  std::string row = "<thead><tr>";
  for (const auto& n : names) row += "<th>" + EscapeHtml(n) + "</th>";
  return row + "</tr></thead>";
}

// The last `shoplake verify` (catalog/verify.h): when, over what, and the files that failed.
std::string VerificationHtml(catalog::Catalog& catalog) {
  auto v = catalog.LastVerification();
  if (!v)
    return "<h2>Verification</h2><p id=\"verification\">Never verified: run shoplake verify.</p>";
  std::string html = "<h2>Verification</h2><p id=\"verification\">Last verified " +
                     EscapeHtml(v->finished_at) + " (" +
                     EscapeHtml(v->scope.empty() ? "every table" : v->scope) +
                     "): " + std::to_string(v->files_checked) + " files checked, " +
                     std::to_string(v->files_failed) + " failed, " +
                     std::to_string(v->files_unknown) + " unknown.</p>";
  auto failures = Json::parse(v->failures, nullptr, false);
  if (failures.is_array() && !failures.empty()) {
    html += "<ul id=\"verification-failures\">";
    for (const auto& f : failures) {
      html += "<li>" + EscapeHtml(f.value("key", "")) + " (" + EscapeHtml(f.value("table", "")) +
              "): " + EscapeHtml(f.value("problem", "")) + "</li>";
    }
    html += "</ul>";
  }
  return html;
}

std::string ColumnsText(const std::vector<catalog::Column>& columns) {
  std::string text;
  for (const auto& c : columns) text += (text.empty() ? "" : ", ") + c.name + " " + c.type;
  return text;
}

// The web app's queries run with shoplake.yaml's DuckDB limits for `serve`. Without a memory
// limit there, the default half of the machine's memory is shared by the max_queries that
// may run at once, so that together they stay within it.
query::EngineOptions ServeEngine(const WebAppOptions& app) {
  query::EngineOptions options;
  options.stage = "serve";
  if (app.project.duckdb.For("serve").memory_limit.empty()) {
    uint64_t share = query::DefaultMemoryLimitMiB() / std::max(1, app.max_queries);
    options.settings["memory_limit"] = std::to_string(std::max<uint64_t>(share, 256)) + "MiB";
  }
  return options;
}

}  // namespace

struct WebApp::Impl {
  WebAppOptions options;
  std::unique_ptr<lake::Store> lake;
  report::WebAssets assets;
  HttpServer server;
  int port = 0;
  std::unique_ptr<RequestHeaderDeadline> header_deadline;  //!< set once the port is bound
  std::thread thread;
  //! Queries answered, refused (the read-only rules or wrong SQL) and failed while running.
  std::atomic<uint64_t> queries_ok{0}, queries_refused{0}, queries_failed{0};
  //! Queries stopped at their time limit, stopped early (client gone, server stopping), and
  //! answered 503 (too many running).
  std::atomic<uint64_t> queries_timed_out{0}, queries_cancelled{0}, queries_busy{0};
  //! Set when Listen (httplib's listen_after_bind) has returned: its workers are joined.
  std::atomic<bool> listen_ended{false};

  std::mutex queries_mutex;
  int queries_running = 0;               //!< requests holding a QuerySlot
  bool stopping = false;                 //!< Stop began: no query starts any more
  std::set<query::QueryWatch*> watches;  //!< of the queries running, to stop them all

  //! A place among the max_queries running at once, held by one request while it queries.
  class QuerySlot {
   public:
    QuerySlot(Impl& app, const httplib::Request& req) : app_(app) {
      std::lock_guard lock(app.queries_mutex);
      if (app.stopping) {
        throw ServerBusy(ErrorCode::kConflict, "the server is stopping", req.path,
                         "run it again when the server is back");
      }
      if (app.queries_running >= app.options.max_queries) {
        ++app.queries_busy;
        throw ServerBusy(ErrorCode::kConflict,
                         "too many queries are running (the limit is " +
                             std::to_string(app.options.max_queries) + " at once)",
                         req.path,
                         "retry after a moment (Retry-After), or raise the limit with "
                         "shoplake serve --max-queries N");
      }
      ++app.queries_running;
    }
    ~QuerySlot() {
      std::lock_guard lock(app_.queries_mutex);
      --app_.queries_running;
    }
    QuerySlot(const QuerySlot&) = delete;
    QuerySlot& operator=(const QuerySlot&) = delete;

   private:
    Impl& app_;
  };

  //! Runs `work` (queries on `engine` for `req`) under the time limit, stopped early when
  //! the client goes away or the server stops. Returns what `work` returns; throws
  //! query::QueryStopped when stopped, naming the query as `input`.
  template <typename Work>
  auto Watched(const httplib::Request& req, query::QueryEngine& engine, const std::string& input,
               Work&& work) {
    std::function<bool()> client_gone;
    if (auto sock = HttpServer::ConnectionSocket(req)) {
      client_gone = [sock = *sock] { return HttpServer::ClientGone(sock); };
    }
    query::QueryWatch watch([&engine] { engine.Interrupt(); }, options.query_timeout,
                            std::move(client_gone));
    {
      std::lock_guard lock(queries_mutex);
      if (stopping) watch.Cancel("the server is stopping");
      watches.insert(&watch);
    }
    struct Unlist {
      Impl& app;
      query::QueryWatch* watch;
      ~Unlist() {
        std::lock_guard lock(app.queries_mutex);
        app.watches.erase(watch);
      }
    } unlist{*this, &watch};
    try {
      return watch.Run(std::forward<Work>(work), input);
    } catch (const query::QueryStopped& e) {
      ++(e.timed_out() ? queries_timed_out : queries_cancelled);
      throw;
    }
  }

  //! The limits that keep one client from taking the server: a pool of threads far larger
  //! than the queries that may run, reads and writes that time out, a bounded body.
  void LimitConnections() {
    auto& s = server;
    // httplib's own pool type; it takes ownership of the pointer.
    s.new_task_queue = [] { return new httplib::ThreadPool(kConnectionThreads); };
    s.set_keep_alive_timeout(2);  // so Stop() is not held up by idle browser connections
    s.set_read_timeout(kReadTimeoutSeconds);
    s.set_write_timeout(kReadTimeoutSeconds);
    size_t limit = options.max_body_bytes;
    // A larger body is read and dropped in small pieces, then answered 413 (below).
    s.set_payload_max_length(limit);
    // A client that asks first (curl does for large bodies) is told before it sends.
    s.set_expect_100_continue_handler([limit](const httplib::Request& req, httplib::Response& res) {
      if (std::strtoull(req.get_header_value("Content-Length").c_str(), nullptr, 10) <= limit) {
        return 100;
      }
      res.status = 413;
      res.set_content(TooLargeJson(limit).dump(), "application/json");
      return 413;
    });
    s.set_error_handler([limit](const httplib::Request&, httplib::Response& res) {
      if (res.status == 413 && res.body.empty()) {
        res.set_content(TooLargeJson(limit).dump(), "application/json");
      }
    });
  }

  //! Stops every running query and refuses new ones: the server is going down.
  void StopQueries() {
    std::lock_guard lock(queries_mutex);
    stopping = true;
    for (auto* watch : watches) watch->Cancel("the server is stopping");
  }

  std::string Page(const std::string& title, const std::string& body) const {
    return "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>" +
           EscapeHtml(title) + " - shoplake</title><style>" + assets.style +
           "</style></head><body><nav class=\"site\">" + kNav + "</nav><h1>" + EscapeHtml(title) +
           "</h1>" + body + "</body></html>\n";
  }

  static report::Filters FiltersOf(const httplib::Request& req) {
    report::Filters filters;
    filters.from = req.get_param_value("from");
    filters.to = req.get_param_value("to");
    filters.branch = req.get_param_value("branch");
    filters.category = req.get_param_value("category");
    return filters;
  }

  Json DashboardDoc(const httplib::Request& req) {
    report::Filters filters = FiltersOf(req);
    QuerySlot slot(*this, req);
    catalog::Catalog catalog(options.catalog_path());
    query::QueryEngine engine(*lake, catalog, ServeEngine(options));
    auto spec = report::LoadDashboard(options.project.PathOf("dashboard"));
    return Watched(req, engine, "the dashboard's queries", [&] {
      return report::DashboardData(engine, spec, filters,
                                   {.rendered_at = {}, .filter_choices = true});
    });
  }

  void Dashboard(const httplib::Request& req, httplib::Response& res) {
    Json doc = DashboardDoc(req);
    res.set_content(report::DashboardHtml(doc, assets, {.api = "/api/dashboard", .nav_html = kNav}),
                    "text/html; charset=utf-8");
  }

  void DashboardApi(const httplib::Request& req, httplib::Response& res) {
    res.set_content(DashboardDoc(req).dump(), "application/json");
  }

  void Tables(const httplib::Request&, httplib::Response& res) {
    catalog::Catalog catalog(options.catalog_path());
    std::string body =
        "<table id=\"tables\">" +
        Header({"table", "format", "version", "snapshot", "rows", "bytes", "owner"}) + "<tbody>";
    for (const auto& table : catalog.Tables()) {
      auto snapshot = catalog.CurrentSnapshot(table.id);
      std::string name = table.database + "." + table.name;
      body += "<tr><td><a href=\"/tables/" + EscapeHtml(name) + "\">" + EscapeHtml(name) +
              "</a></td>" + Cell(table.format) + Cell(std::to_string(table.version)) +
              Cell(snapshot ? std::to_string(snapshot->id) : "none") +
              Cell(std::to_string(snapshot ? snapshot->rows : 0)) +
              Cell(std::to_string(snapshot ? snapshot->bytes : 0)) + Cell(table.owner) + "</tr>";
    }
    body += "</tbody></table><h2>Views</h2><table id=\"views\">" +
            Header({"view", "version", "file", "updated"}) + "<tbody>";
    for (const auto& view : catalog.Views()) {
      body += Row({view.database + "." + view.name, std::to_string(view.version), view.file,
                   view.updated_at});
    }
    body += "</tbody></table>";
    res.set_content(Page("Tables", body + VerificationHtml(catalog)), "text/html; charset=utf-8");
  }

  void Table(const httplib::Request& req, httplib::Response& res) {
    catalog::Catalog catalog(options.catalog_path());
    std::string database = req.matches[1], name = req.matches[2];
    auto table = catalog.FindTable(database, name);
    if (!table) {
      throw Error(ErrorCode::kNotFound, "no table '" + database + "." + name + "' in the catalog",
                  req.path, "see /tables");
    }
    std::string body = "<p>Location <code>" + EscapeHtml(table->location) + "</code>, format " +
                       EscapeHtml(table->format) + ", written by " + EscapeHtml(table->owner) +
                       ".</p><h2>Schema (version " + std::to_string(table->version) +
                       ")</h2><table id=\"schema\">" + Header({"column", "type", "nullable"}) +
                       "<tbody>";
    for (const auto& c : table->columns) body += Row({c.name, c.type, c.nullable ? "yes" : "no"});
    for (const auto& c : table->partition_keys) body += Row({c.name, c.type, "partition key"});
    body += "</tbody></table><h2>Partitions</h2><table id=\"partitions\">" +
            Header({"partition", "status", "files", "rows", "bytes", "last seen"}) + "<tbody>";
    for (const auto& p : catalog.Partitions(table->id)) {
      body += Row({p.spec, p.status, std::to_string(p.files), std::to_string(p.rows),
                   std::to_string(p.bytes), p.last_seen});
    }
    body += "</tbody></table>";
    auto snapshot = catalog.CurrentSnapshot(table->id);
    body += "<h2>Statistics</h2><table id=\"stats\">" + Header({"column", "min", "max", "nulls"}) +
            "<tbody>";
    if (snapshot) {
      for (const auto& s : catalog.Stats(snapshot->id)) {
        body += Row({s.column, s.min, s.max, std::to_string(s.nulls)});
      }
    }
    body += "</tbody></table><h2>Versions</h2><table id=\"versions\">" +
            Header({"version", "created", "columns", "change"}) + "<tbody>";
    for (const auto& v : catalog.Versions(table->id)) {
      body += Row({std::to_string(v.version), v.created_at, ColumnsText(v.columns), v.change});
    }
    body += "</tbody></table><h2>Snapshots</h2><table id=\"snapshots\">" +
            Header({"snapshot", "committed", "operation", "run", "rows", "bytes"}) + "<tbody>";
    for (const auto& s : catalog.Snapshots(table->id)) {
      body += Row({std::to_string(s.id), s.committed_at, s.operation, s.run_id,
                   std::to_string(s.rows), std::to_string(s.bytes)});
    }
    res.set_content(Page(database + "." + name, body + "</tbody></table>"),
                    "text/html; charset=utf-8");
  }

  void SqlPage(const httplib::Request&, httplib::Response& res) {
    std::string body =
        "<p>One read-only statement (SELECT or EXPLAIN) over the catalog's tables and views; "
        "the first " +
        std::to_string(kQueryRowLimit) +
        " rows are shown.</p>"
        "<form id=\"sql-form\"><textarea id=\"sql\" rows=\"6\" cols=\"100\">"
        "SELECT * FROM shop.top10_customers</textarea><br><button id=\"sql-run\" "
        "type=\"submit\">Run</button></form><p id=\"sql-error\" class=\"error\"></p>"
        "<div id=\"sql-result\"></div><script>" +
        std::string(kSqlScript) + "</script>";
    res.set_content(Page("SQL", body), "text/html; charset=utf-8");
  }

  void QueryApi(const httplib::Request& req, httplib::Response& res) {
    // JSON only: a browser sends it cross-site only after a CORS preflight this server never
    // answers, so another site's page cannot make a visitor's browser run queries here.
    Json request = Json::parse(req.body, nullptr, false);
    if (!req.get_header_value("Content-Type").starts_with("application/json") ||
        !request.is_object() || !request.contains("sql") || !request["sql"].is_string()) {
      ++queries_refused;
      throw Error(ErrorCode::kUsage,
                  "the request body must be JSON (Content-Type: application/json): "
                  "{\"sql\": \"SELECT ...\"}",
                  "POST /api/query");
    }
    std::string sql = request["sql"];
    QuerySlot slot(*this, req);
    catalog::Catalog catalog(options.catalog_path());
    query::QueryEngine engine(*lake, catalog, ServeEngine(options));
    try {
      Json answer = Watched(req, engine, query::StatementLabel(sql), [&] {
        auto result = engine.Run(sql);
        Json columns = Json::array();
        for (size_t c = 0; c < result.column_count(); ++c) {
          columns.push_back(
              {{"name", result.column_name(c)}, {"type", result.column_type_name(c)}});
        }
        bool truncated = false;
        Json rows = report::RowsToJson(result, kQueryRowLimit, &truncated);
        return Json({{"columns", columns}, {"rows", rows}, {"truncated", truncated}});
      });
      ++queries_ok;
      res.set_content(answer.dump(), "application/json");
    } catch (const query::QueryStopped&) {
      throw;  // counted by Watched
    } catch (const Error& e) {
      ++(e.code() == ErrorCode::kUsage ? queries_refused : queries_failed);
      throw;
    }
  }

  //! The execution history, or nullopt when no workflow ever ran in this lake (opening it
  //! would create its tables: the web app writes nothing).
  std::unique_ptr<workflow::ExecutionHistory> History() {
    catalog::Catalog catalog(options.catalog_path());
    if (!HasTable(catalog.db(), "workflow_executions")) return nullptr;
    return std::make_unique<workflow::ExecutionHistory>(options.catalog_path());
  }

  void Executions(const httplib::Request&, httplib::Response& res) {
    std::string body =
        "<table id=\"executions\">" +
        Header({"execution", "state machine", "status", "started", "stopped", "error"}) + "<tbody>";
    if (auto history = History()) {
      for (const auto& e : history->List(kExecutionLimit)) {
        body += "<tr><td><a href=\"/execution?arn=" + EscapeHtml(PercentEncode(e.arn)) + "\">" +
                EscapeHtml(e.name) + "</a></td>" + Cell(e.state_machine) + "<td class=\"status-" +
                EscapeHtml(e.status) + "\">" + EscapeHtml(e.status) + "</td>" + Cell(e.start_date) +
                Cell(e.stop_date) + Cell(e.error) + "</tr>";
      }
    }
    res.set_content(Page("Workflow executions", body + "</tbody></table>"),
                    "text/html; charset=utf-8");
  }

  void Execution(const httplib::Request& req, httplib::Response& res) {
    std::string arn = req.get_param_value("arn");
    auto history = History();
    std::optional<workflow::ExecutionRecord> execution;
    if (history) execution = history->Find(arn);
    if (!execution) {
      throw Error(ErrorCode::kNotFound, "no execution '" + arn + "'", req.path, "see /executions");
    }
    auto events = history->Events(arn);
    auto outcomes = StateOutcomes(events, execution->status);
    std::string rows;
    for (const auto& event : events) {
      rows += Row({std::to_string(event.id), event.timestamp, event.type, event.state,
                   event.details.dump()});
    }
    // The graph needs the definition as it ran; a file changed since is drawn as it is now.
    std::string graph = "<p>The definition " + EscapeHtml(execution->definition_path) +
                        " cannot be read: no graph.</p>";
    try {
      auto definition = nlohmann::json::parse(ReadFile(execution->definition_path));
      Json spec = StateGraphSpec(definition, outcomes);
      graph = "<div id=\"graph\" class=\"chart\"></div>" + report::ChartRuntimeHtml(assets) +
              "<script type=\"application/json\" id=\"graph-spec\">" + report::ScriptJson(spec) +
              "</script><script>vegaEmbed('#graph', JSON.parse(document.getElementById("
              "'graph-spec').textContent), {actions: false, renderer: 'svg'}).then(() => "
              "document.body.setAttribute('data-rendered', String(Date.now())));</script>";
    } catch (const std::exception& e) {
      spdlog::warn("execution {}: no graph: {}", arn, e.what());
    }
    std::string body =
        "<p>Status <strong id=\"status\">" + EscapeHtml(execution->status) + "</strong>, started " +
        EscapeHtml(execution->start_date) + ", stopped " + EscapeHtml(execution->stop_date) + ". " +
        EscapeHtml(execution->error) + " " + EscapeHtml(execution->cause) +
        "</p><h2>State machine</h2>" + graph + "<h2>Events</h2><table id=\"events\">" +
        Header({"id", "time", "type", "state", "details"}) + "<tbody>" + rows + "</tbody></table>";
    res.set_content(Page(execution->name, body), "text/html; charset=utf-8");
  }

  void Metrics(const httplib::Request&, httplib::Response& res) {
    catalog::Catalog catalog(options.catalog_path());
    SqliteDatabase& db = catalog.db();
    MetricsText m;
    auto gauge = [&](const std::string& name, const std::string& help, const std::string& sql) {
      auto statement = db.Prepare(sql);
      m.Family(name, "gauge", help);
      m.Sample(name, {}, statement.Step() ? statement.Double(0) : 0);
    };
    gauge("shoplake_catalog_tables", "Tables in the catalog.",
          "SELECT count(*) FROM catalog_tables");
    gauge("shoplake_catalog_snapshots", "Table snapshots committed, over all tables.",
          "SELECT count(*) FROM catalog_snapshots");
    gauge("shoplake_catalog_views", "Views in the catalog.", "SELECT count(*) FROM catalog_views");
    for (const auto& family : kRunRecordMetrics) {
      m.Family(family.name, family.type, family.help);
      // A stage's tables exist once it has run.
      if (!HasTable(db, family.table)) continue;
      auto statement = db.Prepare(family.sql);
      while (statement.Step()) {
        m.Sample(family.name, {{family.label, statement.Text(0)}}, statement.Double(1));
      }
    }
    // The workflow's stages: rate(seconds) / rate(runs) is a state's mean duration.
    auto state_runs = workflow::StateRunTotals(db);
    for (bool seconds : {true, false}) {
      std::string name = seconds ? "shoplake_workflow_state_duration_seconds_total"
                                 : "shoplake_workflow_state_runs_total";
      m.Family(name, "counter",
               seconds ? "Time spent in the workflow's top-level states, entered to exited "
                         "(to the execution's end when failed), by state and outcome."
                       : "Completed runs of the workflow's top-level states, by outcome.");
      for (const auto& t : state_runs) {
        m.Sample(name,
                 {{"state_machine", t.state_machine}, {"state", t.state}, {"outcome", t.outcome}},
                 seconds ? t.seconds : static_cast<double>(t.runs));
      }
    }
    m.Family("shoplake_queries_total", "counter",
             "Queries this web app ran since it started, by outcome.");
    m.Sample("shoplake_queries_total", {{"outcome", "ok"}}, static_cast<double>(queries_ok));
    m.Sample("shoplake_queries_total", {{"outcome", "refused"}},
             static_cast<double>(queries_refused));
    m.Sample("shoplake_queries_total", {{"outcome", "failed"}},
             static_cast<double>(queries_failed));
    m.Sample("shoplake_queries_total", {{"outcome", "timed_out"}},
             static_cast<double>(queries_timed_out));
    m.Sample("shoplake_queries_total", {{"outcome", "cancelled"}},
             static_cast<double>(queries_cancelled));
    m.Sample("shoplake_queries_total", {{"outcome", "busy"}}, static_cast<double>(queries_busy));
    m.Family("shoplake_queries_running", "gauge",
             "Queries (SQL API and dashboard requests) running now.");
    {
      std::lock_guard lock(queries_mutex);
      m.Sample("shoplake_queries_running", {}, queries_running);
    }
    res.set_content(m.text(), "text/plain; version=0.0.4; charset=utf-8");
  }

  //! Wraps a handler: an Error becomes its HTTP status with a JSON body (API) or a page.
  template <typename Handler>
  httplib::Server::Handler Guard(Handler handler, bool api) {
    return [this, handler, api](const httplib::Request& req, httplib::Response& res) {
      try {
        (this->*handler)(req, res);
      } catch (const Error& e) {
        res.status = HttpStatus(e);
        if (res.status == 503) res.set_header("Retry-After", kRetryAfterSeconds);
        if (api) {
          res.set_content(ErrorJson(e).dump(), "application/json");
        } else {
          res.set_content(
              Page("Error", "<p class=\"error\" id=\"error\">" + EscapeHtml(e.message()) +
                                "</p><p>" + EscapeHtml(e.input()) + "</p><p>" +
                                EscapeHtml(e.hint()) + "</p>"),
              "text/html; charset=utf-8");
        }
      } catch (const std::exception& e) {
        res.status = 500;
        res.set_content(Json({{"error", e.what()}}).dump(), "application/json");
      }
    };
  }
};

WebApp::WebApp(WebAppOptions options) : impl_(std::make_unique<Impl>()) {
  Impl& impl = *impl_;
  impl.options = std::move(options);
  const WebAppOptions& o = impl.options;
  impl.assets = report::WebAssets::Load(o.web_dir.empty() ? report::WebDir() : o.web_dir);
  impl.lake = lake::OpenStore(o.lake_uri);
  auto& s = impl.server;
  impl.LimitConnections();
  bool loopback = IsLoopback(o.host);
  s.set_pre_routing_handler([&impl, loopback](const httplib::Request& req, httplib::Response& res) {
    impl.header_deadline->Arrived(req);
    // cpp-httplib 0.11 reads a chunked body whole, whatever its size: refuse it unread.
    if (req.has_header("Transfer-Encoding")) {
      res.status = 411;
      res.set_header("Connection", "close");
      res.set_content(Json({{"error", "send the request body with a Content-Length, not chunked"},
                            {"code", "usage"}})
                          .dump(),
                      "application/json");
      return httplib::Server::HandlerResponse::Handled;
    }
    // On loopback, only requests addressed to loopback: a DNS-rebinding page (evil.example
    // resolving to 127.0.0.1) would otherwise read the lake through the visitor's browser.
    if (!loopback) return httplib::Server::HandlerResponse::Unhandled;
    std::string host = req.get_header_value("Host");
    host = host.substr(0, host.rfind(':') == std::string::npos || host.ends_with("]")
                              ? host.size()
                              : host.rfind(':'));
    if (host.empty() || IsLoopback(host) || host == "[::1]") {
      return httplib::Server::HandlerResponse::Unhandled;
    }
    res.status = 403;
    res.set_content("this server answers requests for 127.0.0.1 or localhost only\n", "text/plain");
    return httplib::Server::HandlerResponse::Handled;
  });
  s.Get("/", impl.Guard(&Impl::Dashboard, false));
  s.Get("/api/dashboard", impl.Guard(&Impl::DashboardApi, true));
  s.Get("/tables", impl.Guard(&Impl::Tables, false));
  s.Get(R"(/tables/([A-Za-z0-9_]+)\.([A-Za-z0-9_]+))", impl.Guard(&Impl::Table, false));
  s.Get("/sql", impl.Guard(&Impl::SqlPage, false));
  s.Post("/api/query", impl.Guard(&Impl::QueryApi, true));
  s.Get("/executions", impl.Guard(&Impl::Executions, false));
  s.Get("/execution", impl.Guard(&Impl::Execution, false));
  s.Get("/metrics", impl.Guard(&Impl::Metrics, false));
  // Browsers ask for it on every page; a 404 would show as a console error.
  s.Get("/favicon.ico", [](const httplib::Request&, httplib::Response& res) { res.status = 204; });
  s.set_logger([&impl](const httplib::Request& req, const httplib::Response& res) {
    impl.header_deadline->Answered(req);
    spdlog::info("{} {} {}", req.method, req.path, res.status);
  });
  impl.port = s.Bind(o.host, o.port);
  impl.header_deadline = std::make_unique<RequestHeaderDeadline>(impl.port, kRequestHeaderDeadline);
}

WebApp::~WebApp() {
  Stop();
  impl_->server.CloseListeningSocket();
}

int WebApp::port() const { return impl_->port; }

std::string WebApp::url() const {
  return "http://" + impl_->options.host + ":" + std::to_string(impl_->port) + "/";
}

void WebApp::Start() {
  if (impl_->thread.joinable()) return;
  impl_->thread = std::thread([this] {
    impl_->server.Listen();
    impl_->listen_ended = true;
  });
}

void WebApp::Stop() {
  Impl& impl = *impl_;
  if (!impl.thread.joinable()) return;
  impl.StopQueries();
  impl.server.StopListening(true);
  // httplib joins its workers once each connection ends. The stopped queries' answers (503)
  // and idle keep-alives (2 s) end by themselves; after a grace period, end the reading
  // side of the connections still open (slow clients), at most 10 s. Not at once: httplib
  // writes no answer on a connection it can no longer read.
  auto now = std::chrono::steady_clock::now();
  auto grace = now + std::chrono::milliseconds(1500), deadline = now + std::chrono::seconds(10);
  while (!impl.listen_ended && (now = std::chrono::steady_clock::now()) < deadline) {
    if (now >= grace) HttpServer::ShutdownConnections(impl.port);
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  impl.thread.join();
}

}  // namespace shoplake::server
