// /metrics: the exposition writer, and the lake's numbers gathered from their owners.
#include "server/metrics.h"

#include <cstdio>

#include "ingest/ledger.h"
#include "transform/records.h"
#include "workflow/history.h"

namespace shoplake::server {
namespace {

std::string Escaped(const std::string& value) {
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

// The workflow's stages: rate(seconds) / rate(runs) is a state's mean duration.
void StateRunMetrics(db::SqliteDatabase& db, MetricsText& m) {
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
}

}  // namespace

void MetricsText::Family(const std::string& name, const std::string& type,
                         const std::string& help) {
  text_ += "# HELP " + name + " " + help + "\n# TYPE " + name + " " + type + "\n";
}

void MetricsText::Sample(const std::string& name, const std::map<std::string, std::string>& labels,
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

void MetricsText::Family(const std::string& name, const std::string& type, const std::string& help,
                         const std::string& label, const std::map<std::string, double>& values) {
  Family(name, type, help);
  for (const auto& [key, value] : values) Sample(name, {{label, key}}, value);
}

void LakeMetrics(catalog::Catalog& catalog, MetricsText& m) {
  const auto counts = catalog.Count();
  m.Family("shoplake_catalog_tables", "gauge", "Tables in the catalog.");
  m.Sample("shoplake_catalog_tables", {}, static_cast<double>(counts.tables));
  m.Family("shoplake_catalog_snapshots", "gauge", "Table snapshots committed, over all tables.");
  m.Sample("shoplake_catalog_snapshots", {}, static_cast<double>(counts.snapshots));
  m.Family("shoplake_catalog_views", "gauge", "Views in the catalog.");
  m.Sample("shoplake_catalog_views", {}, static_cast<double>(counts.views));

  db::SqliteDatabase& db = catalog.db();
  std::map<std::string, double> written, rejected, seconds, runs;
  for (const auto& t : transform::TransformRecords::TotalsByDataset(db)) {
    written[t.dataset] = static_cast<double>(t.rows_written);
    rejected[t.dataset] = static_cast<double>(t.rows_rejected);
    seconds[t.dataset] = t.seconds;
  }
  for (const auto& [status, n] : transform::TransformRecords::RunsByStatus(db)) {
    runs[status] = static_cast<double>(n);
  }
  m.Family("shoplake_transform_rows_written_total", "counter",
           "Rows the transform wrote, by dataset.", "dataset", written);
  m.Family("shoplake_transform_rows_rejected_total", "counter",
           "Rows the transform refused (in rejects/), by dataset.", "dataset", rejected);
  m.Family("shoplake_transform_runs_total", "counter", "Transform runs, by outcome.", "status",
           runs);
  m.Family("shoplake_transform_duration_seconds_total", "counter",
           "Time spent in transform runs, by dataset.", "dataset", seconds);

  const auto ingest = ingest::SumIngests(db);
  m.Family("shoplake_ingest_bytes_total", "counter", "Bytes ingested into the raw zone, by source.",
           "source", ingest.bytes);
  m.Family("shoplake_ingest_objects_total", "counter",
           "Objects ingested into the raw zone, by source.", "source", ingest.objects);
  m.Family("shoplake_ingest_duration_seconds_total", "counter",
           "Time spent in ingest runs, by source.", "source", ingest.seconds);

  std::map<std::string, double> executions;
  for (const auto& [status, count] : workflow::ExecutionsByStatus(db)) {
    executions[status] = static_cast<double>(count);
  }
  m.Family("shoplake_workflow_executions", "gauge", "Workflow executions recorded, by status.",
           "status", executions);
  StateRunMetrics(db, m);
}

}  // namespace shoplake::server
