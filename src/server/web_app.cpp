// WebApp over cpp-httplib: each handler opens what it reads (a Catalog, a QueryEngine) for
// its request, so the pages follow the lake as the pipeline changes it and handlers share
// nothing but the lake store (thread-safe) and the page assets (read-only). Pages are laid
// out by the templates under web/templates/ (server/page_templates.h); /metrics asks each
// component for its totals (server/metrics.h).
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
#include "db/query_watch.h"
#include "lake/store.h"
#include "query/engine.h"
#include "report/report.h"
#include "server/metrics.h"
#include "server/page_templates.h"
#include "server/state_graph.h"
#include "workflow/history.h"

namespace shoplake::server {
namespace {

using Json = nlohmann::ordered_json;

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

//! A request the server is too busy (or stopping) to take now: answered 503 with Retry-After.
class ServerBusy : public Error {
 public:
  using Error::Error;
};

bool IsLoopback(const std::string& host) {
  return host == "127.0.0.1" || host == "localhost" || host == "::1";
}

int HttpStatus(const Error& error) {
  if (dynamic_cast<const ServerBusy*>(&error)) return 503;
  if (auto* stopped = dynamic_cast<const db::QueryStopped*>(&error)) {
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

// The last `shoplake verify` (catalog/verify.h): when, over what, and the files that failed;
// null before the first.
Json VerificationView(catalog::Catalog& catalog) {
  auto v = catalog.LastVerification();
  if (!v) return nullptr;
  Json failures = Json::array();
  auto recorded = Json::parse(v->failures, nullptr, false);
  if (recorded.is_array()) {
    for (const auto& f : recorded) {
      failures.push_back({{"key", f.value("key", "")},
                          {"table", f.value("table", "")},
                          {"problem", f.value("problem", "")}});
    }
  }
  return {{"finished_at", v->finished_at},
          {"scope", v->scope.empty() ? "every table" : v->scope},
          {"files_checked", std::to_string(v->files_checked)},
          {"files_failed", std::to_string(v->files_failed)},
          {"files_unknown", std::to_string(v->files_unknown)},
          {"has_failures", !failures.empty()},
          {"failures", failures}};
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
    uint64_t share = db::DefaultMemoryLimitMiB() / std::max(1, app.max_queries);
    options.settings["memory_limit"] = std::to_string(std::max<uint64_t>(share, 256)) + "MiB";
  }
  return options;
}

}  // namespace

struct WebApp::Impl {
  WebAppOptions options;
  std::unique_ptr<lake::Store> lake;
  report::WebAssets assets;
  PageTemplates pages;
  std::string nav;  //!< the links above every page (web/templates/nav.html)
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
  int queries_running = 0;            //!< requests holding a QuerySlot
  bool stopping = false;              //!< Stop began: no query starts any more
  std::set<db::QueryWatch*> watches;  //!< of the queries running, to stop them all

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
  //! db::QueryStopped when stopped, naming the query as `input`.
  template <typename Work>
  auto Watched(const httplib::Request& req, query::QueryEngine& engine, const std::string& input,
               Work&& work) {
    std::function<bool()> client_gone;
    if (auto sock = HttpServer::ConnectionSocket(req)) {
      client_gone = [sock = *sock] { return HttpServer::ClientGone(sock); };
    }
    db::QueryWatch watch([&engine] { engine.Interrupt(); }, options.query_timeout,
                         std::move(client_gone));
    {
      std::lock_guard lock(queries_mutex);
      if (stopping) watch.Cancel("the server is stopping");
      watches.insert(&watch);
    }
    struct Unlist {
      Impl& app;
      db::QueryWatch* watch;
      ~Unlist() {
        std::lock_guard lock(app.queries_mutex);
        app.watches.erase(watch);
      }
    } unlist{*this, &watch};
    try {
      return watch.Run(std::forward<Work>(work), input);
    } catch (const db::QueryStopped& e) {
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

  //! A page of the app: `body` (a rendered template) in the frame every page shares.
  std::string Page(const std::string& title, const std::string& body) const {
    return pages.Render("page",
                        {{"title", title}, {"style", assets.style}, {"nav", nav}, {"body", body}});
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
    auto spec = report::LoadProjectDashboard(options.project);
    return Watched(req, engine, "the dashboard's queries", [&] {
      return report::DashboardData(engine, spec, filters,
                                   {.rendered_at = {}, .filter_choices = true});
    });
  }

  void Dashboard(const httplib::Request& req, httplib::Response& res) {
    Json doc = DashboardDoc(req);
    res.set_content(report::DashboardHtml(doc, assets, {.api = "/api/dashboard", .nav_html = nav}),
                    "text/html; charset=utf-8");
  }

  void DashboardApi(const httplib::Request& req, httplib::Response& res) {
    res.set_content(DashboardDoc(req).dump(), "application/json");
  }

  void Tables(const httplib::Request&, httplib::Response& res) {
    catalog::Catalog catalog(options.catalog_path());
    Json tables = Json::array();
    for (const auto& table : catalog.Tables()) {
      auto snapshot = catalog.CurrentSnapshot(table.id);
      tables.push_back({{"name", table.database + "." + table.name},
                        {"format", table.format},
                        {"version", std::to_string(table.version)},
                        {"snapshot", snapshot ? std::to_string(snapshot->id) : "none"},
                        {"rows", std::to_string(snapshot ? snapshot->rows : 0)},
                        {"bytes", std::to_string(snapshot ? snapshot->bytes : 0)},
                        {"owner", table.owner}});
    }
    Json views = Json::array();
    for (const auto& view : catalog.Views()) {
      views.push_back({{"name", view.database + "." + view.name},
                       {"version", std::to_string(view.version)},
                       {"file", view.file},
                       {"updated", view.updated_at}});
    }
    Json page = {{"tables", tables}, {"views", views}, {"verification", VerificationView(catalog)}};
    res.set_content(Page("Tables", pages.Render("tables", page)), "text/html; charset=utf-8");
  }

  void Table(const httplib::Request& req, httplib::Response& res) {
    catalog::Catalog catalog(options.catalog_path());
    std::string database = req.matches[1], name = req.matches[2];
    auto table = catalog.FindTable(database, name);
    if (!table) {
      throw Error(ErrorCode::kNotFound, "no table '" + database + "." + name + "' in the catalog",
                  req.path, "see /tables");
    }
    Json columns = Json::array();
    for (const auto& c : table->columns) {
      columns.push_back({{"name", c.name},
                         {"type", c.type},
                         {"nullable", c.nullable ? "yes" : "no"},
                         {"description", c.description}});
    }
    for (const auto& c : table->partition_keys) {
      columns.push_back({{"name", c.name},
                         {"type", c.type},
                         {"nullable", "partition key"},
                         {"description", c.description}});
    }
    Json partitions = Json::array();
    for (const auto& p : catalog.Partitions(table->id)) {
      partitions.push_back({{"spec", p.spec},
                            {"status", p.status},
                            {"files", std::to_string(p.files)},
                            {"rows", std::to_string(p.rows)},
                            {"bytes", std::to_string(p.bytes)},
                            {"last_seen", p.last_seen}});
    }
    Json stats = Json::array();
    if (auto snapshot = catalog.CurrentSnapshot(table->id)) {
      for (const auto& s : catalog.Stats(snapshot->id)) {
        stats.push_back({{"column", s.column},
                         {"min", s.min},
                         {"max", s.max},
                         {"nulls", std::to_string(s.nulls)}});
      }
    }
    Json versions = Json::array();
    for (const auto& v : catalog.Versions(table->id)) {
      versions.push_back({{"version", std::to_string(v.version)},
                          {"created", v.created_at},
                          {"columns", ColumnsText(v.columns)},
                          {"change", v.change}});
    }
    Json snapshots = Json::array();
    for (const auto& s : catalog.Snapshots(table->id)) {
      snapshots.push_back({{"id", std::to_string(s.id)},
                           {"committed", s.committed_at},
                           {"operation", s.operation},
                           {"run", s.run_id},
                           {"rows", std::to_string(s.rows)},
                           {"bytes", std::to_string(s.bytes)}});
    }
    Json page = {{"location", table->location},
                 {"description", table->description},
                 {"format", table->format},
                 {"owner", table->owner},
                 {"version", std::to_string(table->version)},
                 {"columns", columns},
                 {"partitions", partitions},
                 {"stats", stats},
                 {"versions", versions},
                 {"snapshots", snapshots}};
    res.set_content(Page(database + "." + name, pages.Render("table", page)),
                    "text/html; charset=utf-8");
  }

  void SqlPage(const httplib::Request&, httplib::Response& res) {
    Json page = {{"row_limit", std::to_string(kQueryRowLimit)}, {"script", pages.Script("sql.js")}};
    res.set_content(Page("SQL", pages.Render("sql", page)), "text/html; charset=utf-8");
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
      Json answer = Watched(req, engine, db::StatementLabel(sql), [&] {
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
    } catch (const db::QueryStopped&) {
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
    if (!catalog.db().HasTable("workflow_executions")) return nullptr;
    return std::make_unique<workflow::ExecutionHistory>(options.catalog_path());
  }

  void Executions(const httplib::Request&, httplib::Response& res) {
    Json executions = Json::array();
    if (auto history = History()) {
      for (const auto& e : history->List(kExecutionLimit)) {
        executions.push_back({{"arn_query", PercentEncode(e.arn)},
                              {"name", e.name},
                              {"state_machine", e.state_machine},
                              {"status", e.status},
                              {"started", e.start_date},
                              {"stopped", e.stop_date},
                              {"error", e.error}});
      }
    }
    res.set_content(
        Page("Workflow executions", pages.Render("executions", {{"executions", executions}})),
        "text/html; charset=utf-8");
  }

  //! The state machine's graph as `execution` ran, coloured by `outcomes`; null when its
  //! definition cannot be read (a file changed since is drawn as it is now).
  Json GraphView(const workflow::ExecutionRecord& execution,
                 const std::map<std::string, std::string>& outcomes) const {
    try {
      auto definition = nlohmann::json::parse(ReadFile(execution.definition_path));
      return {{"chart_runtime", report::ChartRuntimeHtml(assets)},
              {"spec", report::ScriptJson(StateGraphSpec(definition, outcomes))},
              {"script", pages.Script("state_graph.js")}};
    } catch (const std::exception& e) {
      spdlog::warn("execution {}: no graph: {}", execution.arn, e.what());
      return nullptr;
    }
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
    Json rows = Json::array();
    for (const auto& event : events) {
      rows.push_back({{"id", std::to_string(event.id)},
                      {"time", event.timestamp},
                      {"type", event.type},
                      {"state", event.state},
                      {"details", event.details.dump()}});
    }
    Json page = {{"status", execution->status},
                 {"started", execution->start_date},
                 {"stopped", execution->stop_date},
                 {"error", execution->error},
                 {"cause", execution->cause},
                 {"graph", GraphView(*execution, StateOutcomes(events, execution->status))},
                 {"definition_path", execution->definition_path},
                 {"events", rows}};
    res.set_content(Page(execution->name, pages.Render("execution", page)),
                    "text/html; charset=utf-8");
  }

  void Metrics(const httplib::Request&, httplib::Response& res) {
    catalog::Catalog catalog(options.catalog_path());
    MetricsText m;
    LakeMetrics(catalog, m);
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
          Json page = {{"message", e.message()}, {"input", e.input()}, {"hint", e.hint()}};
          res.set_content(Page("Error", pages.Render("error", page)), "text/html; charset=utf-8");
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
  const auto web_dir = o.web_dir.empty() ? report::WebDir() : o.web_dir;
  impl.assets = report::WebAssets::Load(web_dir);
  impl.pages = PageTemplates::Load(web_dir);
  impl.nav = impl.pages.Render("nav", Json::object());
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
