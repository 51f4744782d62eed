// /metrics' lake numbers (server/metrics.h) over a real catalog file: each stage's family is
// there before the stage ever ran, with no samples and without its tables being created (the
// web app writes nothing), and a stage's records show up as samples once it has run.
#include "server/metrics.h"

#include <gtest/gtest.h>

#include "ingest/ledger.h"
#include "support/temp_folder.h"

namespace shoplake::server {
namespace {

std::string LakeMetricsOf(const std::string& catalog_path) {
  catalog::Catalog catalog(catalog_path);
  MetricsText text;
  LakeMetrics(catalog, text);
  return text.text();
}

TEST(LakeMetrics, StagesThatNeverRanHaveFamiliesWithoutSamplesOrTables) {
  testing::TempFolder folder("metrics-test");
  const std::string path = (folder.path() / "catalog.db").string();
  std::string text = LakeMetricsOf(path);
  EXPECT_NE(text.find("shoplake_catalog_tables 0\n"), std::string::npos) << text;
  for (const char* family :
       {"shoplake_transform_runs_total", "shoplake_ingest_objects_total",
        "shoplake_workflow_executions", "shoplake_workflow_state_runs_total"}) {
    EXPECT_NE(text.find(std::string("# HELP ") + family + " "), std::string::npos) << family;
    EXPECT_EQ(text.find(std::string(family) + "{"), std::string::npos) << family;
  }
  db::SqliteDatabase db(path);
  for (const char* table :
       {"transform_runs", "ingest_ledger", "ingest_runs", "workflow_executions"}) {
    EXPECT_FALSE(db.HasTable(table)) << table << " was created by /metrics";
  }
}

TEST(LakeMetrics, TheIngestLedgerIsSummedPerSource) {
  testing::TempFolder folder("metrics-test");
  const std::string path = (folder.path() / "catalog.db").string();
  {
    ingest::IngestLedger ledger(path);
    for (int i = 0; i < 3; ++i) {
      ingest::LedgerEntry entry;
      entry.source = i < 2 ? "shop" : "other \"quoted\"";
      entry.object_uri = "file:///exports/" + std::to_string(i) + ".csv";
      entry.version = "1";
      entry.size = 100 + i;
      entry.raw_key = "raw/" + entry.source + "/" + std::to_string(i) + ".csv";
      entry.run_id = "run";
      entry.ingested_at = "2026-01-01T00:00:00Z";
      ledger.Record(entry);
    }
  }
  std::string text = LakeMetricsOf(path);
  EXPECT_NE(text.find("shoplake_ingest_objects_total{source=\"shop\"} 2\n"), std::string::npos)
      << text;
  EXPECT_NE(text.find("shoplake_ingest_bytes_total{source=\"shop\"} 201\n"), std::string::npos)
      << text;
  EXPECT_NE(text.find("shoplake_ingest_bytes_total{source=\"other \\\"quoted\\\"\"} 102\n"),
            std::string::npos)
      << text;
}

}  // namespace
}  // namespace shoplake::server
