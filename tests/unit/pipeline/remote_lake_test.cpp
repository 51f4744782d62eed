// Every stage on a lake without local paths, as an S3 lake is: a LocalStore behind a
// FaultyStore that hides its paths, so DuckDB works on copies in the cache and SQLite on the
// catalog's copy (lake/local_cache.h, lake/catalog_file.h). The same shop goes through
// ingest, transform, crawl, views apply, query and report on it and on a plain local lake,
// and every outcome must be the same: rows, rejects, counts, crawled tables, view results,
// dashboard panels. Then a transform killed between uploading its files and uploading the
// catalog must leave the lake at its previous snapshot, and a re-run must finish the work.
#include <gtest/gtest.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <map>
#include <memory>
#include <set>

#include "catalog/catalog.h"
#include "common/files.h"
#include "common/project.h"
#include "lake/catalog_file.h"
#include "lake/faulty_store.h"
#include "lake/local_cache.h"
#include "lake/local_store.h"
#include "pipeline/stages.h"
#include "query/engine.h"
#include "report/report.h"
#include "simulate/generator.h"
#include "support/suite_setup.h"
#include "support/temp_folder.h"

namespace shoplake::pipeline {
namespace {
namespace fs = std::filesystem;
using Access = lake::CatalogFile::Access;
using Rows = std::vector<std::vector<std::optional<std::string>>>;

const std::vector<std::string> kDatasets = {"products", "customers", "orders"};

// One lake and what the stages said on it.
struct Lake {
  std::unique_ptr<lake::LocalStore> base;
  std::unique_ptr<lake::FaultyStore> remote;  // set for the remote lake
  lake::Store& store() { return remote ? static_cast<lake::Store&>(*remote) : *base; }

  std::map<std::string, nlohmann::json> transforms;  // dataset -> TransformJson, detail
  nlohmann::json crawl;
  std::map<std::string, int> views;
  report::RenderResult report;
};

// Counts and plan of a transform, without what differs between two runs (ids, times, keys).
nlohmann::json Comparable(nlohmann::json j) {
  for (const char* key : {"run_id", "seconds", "rejects_prefix"}) j.erase(key);
  return j;
}

class RemoteLake : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    setup_.Run([] {
      folder_ = new ::shoplake::testing::TempFolder("shoplake-remote-lake");
      // The stages make their own LocalCache: in the test's folder, not the user's.
      ::setenv("SHOPLAKE_CACHE_DIR", (folder_->path() / "cache").c_str(), 1);
      project_ = new Project(LoadProject(fs::path(SHOPLAKE_SOURCE_DIR) / "shoplake.yaml"));

      simulate::GeneratorOptions o;
      o.shop.seed = 23;
      o.shop.days = 4;
      o.shop.start = "2026-03-30";  // two months, so two partitions
      o.shop.orders = 2500;
      o.dirty_rate = 0.02;
      o.out = folder_->path() / "exports";
      o.force = true;
      o.progress = false;
      simulate::Generate(o);

      local_ = new Lake;
      local_->base = std::make_unique<lake::LocalStore>(folder_->path() / "local");
      remote_ = new Lake;
      remote_->base = std::make_unique<lake::LocalStore>(folder_->path() / "remote");
      remote_->remote = std::make_unique<lake::FaultyStore>(*remote_->base);
      remote_->remote->HideLocalPaths();
      for (Lake* lake : {local_, remote_}) Build(*lake);
    });
  }
  void SetUp() override { setup_.Check(); }

  static void TearDownTestSuite() {
    delete local_;
    delete remote_;
    delete project_;
    delete folder_;
    ::unsetenv("SHOPLAKE_CACHE_DIR");
  }

  // Every stage, as `shoplake run` runs them.
  static void Build(Lake& lake) {
    lake::LocalCache cache(lake.store());
    lake::CatalogFile catalog_file(lake.store(), cache, Access::kWrite);
    Workspace workspace{*project_, lake.store(), catalog_file.path()};
    ingest::IngestOptions ingest;
    ingest.ingest_date = "2026-11-27";
    ingest.progress = false;
    // One object at a time: the ledger's order (which decides among duplicate keys and orders
    // the transform's files) is then the same in both lakes.
    ingest.parallel = 1;
    CheckIngest(Ingest(workspace,
                       ResolveSource(*project_, (folder_->path() / "exports").string(), "shop"), {},
                       ingest));
    for (const auto& dataset : kDatasets) {
      lake.transforms[dataset] = Comparable(TransformJson(Transform(workspace, dataset, {}), true));
    }
    nlohmann::json crawl = CrawlJson(Crawl(workspace, {}));
    crawl.erase("seconds");
    lake.crawl = crawl;
    lake.views = ApplyViews(workspace, "", false).counts();
    catalog::Catalog catalog(catalog_file.path());
    lake.report = report::RenderDashboard(lake.store(), catalog, *project_);
  }

  // Rows of `sql` over the lake's catalog, as `shoplake query` reads them (a reader's copy of
  // the catalog for the remote lake, as a second process would have).
  static Rows Query(Lake& lake, const std::string& sql) {
    lake::LocalCache cache(lake.store());
    lake::CatalogFile catalog_file(lake.store(), cache, Access::kRead);
    catalog::Catalog catalog(catalog_file.path());
    query::QueryEngine engine(lake.store(), catalog);
    return engine.Run(sql).Rows();
  }

  static ::shoplake::testing::SuiteSetUp setup_;
  static ::shoplake::testing::TempFolder* folder_;
  static Project* project_;
  static Lake* local_;
  static Lake* remote_;
};

::shoplake::testing::SuiteSetUp RemoteLake::setup_;
::shoplake::testing::TempFolder* RemoteLake::folder_ = nullptr;
Project* RemoteLake::project_ = nullptr;
Lake* RemoteLake::local_ = nullptr;
Lake* RemoteLake::remote_ = nullptr;

TEST_F(RemoteLake, TheTransformWritesTheSameRowsRejectsAndCounts) {
  for (const auto& dataset : kDatasets) {
    EXPECT_EQ(remote_->transforms[dataset], local_->transforms[dataset]) << dataset;
  }
  // The orders refuse rows (a dirty shop): the same ones, with the same lines and reasons.
  ASSERT_GT(local_->transforms["orders"]["rejects"].get<int>(), 0);
  for (const std::string table : {"order_lines", "products", "customers"}) {
    std::string sql = "SELECT * FROM shop." + table + " ORDER BY ALL";
    Rows rows = Query(*local_, sql);
    EXPECT_GT(rows.size(), 0u) << table;
    EXPECT_EQ(Query(*remote_, sql), rows) << table;
  }
  std::string rejects =
      "SELECT source_file, line, end_line, \"column\", rule, message, value, raw_line"
      " FROM rejects.order_lines ORDER BY ALL";
  Rows refused = Query(*local_, rejects);
  EXPECT_EQ(refused.size(), local_->transforms["orders"]["rejects"].get<size_t>());
  EXPECT_EQ(Query(*remote_, rejects), refused);
}

TEST_F(RemoteLake, CrawlViewsQueriesAndTheReportSeeTheSame) {
  EXPECT_EQ(remote_->crawl, local_->crawl);
  EXPECT_EQ(remote_->views, local_->views);
  ASSERT_GT(remote_->views["created"], 0);
  lake::LocalCache cache(local_->store());
  lake::CatalogFile catalog_file(local_->store(), cache, Access::kRead);
  for (const auto& view : catalog::Catalog(catalog_file.path()).Views()) {
    std::string sql = "SELECT * FROM " + view.database + "." + view.name + " ORDER BY ALL";
    EXPECT_EQ(Query(*remote_, sql), Query(*local_, sql)) << view.name;
  }
  ASSERT_EQ(remote_->report.panels.size(), local_->report.panels.size());
  for (size_t i = 0; i < local_->report.panels.size(); ++i) {
    EXPECT_EQ(remote_->report.panels[i].id, local_->report.panels[i].id);
    EXPECT_EQ(remote_->report.panels[i].rows, local_->report.panels[i].rows)
        << local_->report.panels[i].id;
  }
  EXPECT_EQ(remote_->report.date_from, local_->report.date_from);
  EXPECT_TRUE(remote_->base->Stat(remote_->report.key).has_value());
}

TEST_F(RemoteLake, TheLakeHoldsTheCatalogAndFilesAndNoWorkFolders) {
  // The lake's own catalog object is what the writer committed: each table's current
  // snapshot lists exactly the table's files in the lake.
  fs::path copy = folder_->path() / "catalog-as-uploaded.db";
  WriteFileAtomically(copy, remote_->base->ReadAll(lake::CatalogFile::kKey));
  catalog::Catalog catalog(copy.string());
  auto table = catalog.FindTable("shop", "order_lines");
  ASSERT_TRUE(table.has_value());
  std::set<std::string> listed, present;
  catalog::Snapshot snapshot = catalog.CurrentSnapshot(table->id).value();
  for (const auto& f : snapshot.files) listed.insert(f.key);
  for (const auto& o : remote_->base->List("processed/shop/order_lines/")) present.insert(o.key);
  EXPECT_EQ(listed, present);
  EXPECT_GT(listed.size(), 1u);
  // DuckDB wrote in the cache, never in the lake: no work folder or spill was left there,
  // and the files it read are copies under the cache.
  for (const auto& entry : fs::recursive_directory_iterator(folder_->path() / "remote")) {
    EXPECT_EQ(entry.path().filename().string().rfind(".tmp-", 0), std::string::npos)
        << entry.path();
  }
  lake::LocalCache cache(remote_->store());
  EXPECT_TRUE(fs::is_regular_file(cache.folder() / "objects" / *listed.begin()));
}

// A transform killed after its files are uploaded and before the catalog is: the lake
// stays at its previous snapshot (every file it lists still there), and a re-run completes.
TEST_F(RemoteLake, AKillBetweenTheFilesAndTheCatalogLeavesThePreviousSnapshot) {
  auto current = [&] {
    fs::path copy = folder_->path() / "catalog-now.db";
    WriteFileAtomically(copy, remote_->base->ReadAll(lake::CatalogFile::kKey));
    catalog::Catalog catalog(copy.string());
    auto snapshot = catalog.CurrentSnapshot(catalog.FindTable("shop", "order_lines")->id);
    return snapshot.value();
  };
  catalog::Snapshot before = current();
  Rows rows_before = Query(*remote_, "SELECT * FROM shop.order_lines ORDER BY ALL");

  pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    // Whatever happens here, only the exit status speaks to the test.
    try {
      ::setenv("SHOPLAKE_CRASH_AT", "catalog.before_upload", 1);
      lake::LocalCache cache(remote_->store());
      lake::CatalogFile catalog_file(remote_->store(), cache, Access::kWrite);
      Workspace workspace{*project_, remote_->store(), catalog_file.path()};
      transform::TransformOptions full_refresh;
      full_refresh.full_refresh = true;
      Transform(workspace, "orders", full_refresh);
    } catch (...) {
      ::_exit(3);
    }
    ::_exit(0);
  }
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL) << "status " << status;

  // The catalog is the previous one, every file it lists is there, and the new files the
  // killed run uploaded are in the table's folder, listed by nothing.
  catalog::Snapshot after = current();
  EXPECT_EQ(after.id, before.id);
  std::set<std::string> listed, present;
  for (const auto& f : after.files) listed.insert(f.key);
  for (const auto& o : remote_->base->List("processed/shop/order_lines/")) present.insert(o.key);
  for (const auto& key : listed) EXPECT_TRUE(present.count(key)) << key;
  EXPECT_GT(present.size(), listed.size());
  EXPECT_EQ(Query(*remote_, "SELECT * FROM shop.order_lines ORDER BY ALL"), rows_before);

  // The re-run finishes the work and removes what the killed run left.
  {
    lake::LocalCache cache(remote_->store());
    lake::CatalogFile catalog_file(remote_->store(), cache, Access::kWrite);
    Workspace workspace{*project_, remote_->store(), catalog_file.path()};
    transform::TransformOptions full_refresh;
    full_refresh.full_refresh = true;
    auto result = Transform(workspace, "orders", full_refresh);
    EXPECT_TRUE(result.committed);
  }
  catalog::Snapshot rerun = current();
  EXPECT_GT(rerun.id, before.id);
  listed.clear();
  present.clear();
  for (const auto& f : rerun.files) listed.insert(f.key);
  for (const auto& o : remote_->base->List("processed/shop/order_lines/")) present.insert(o.key);
  EXPECT_EQ(present, listed);
  EXPECT_EQ(Query(*remote_, "SELECT * FROM shop.order_lines ORDER BY ALL"), rows_before);
}

}  // namespace
}  // namespace shoplake::pipeline
