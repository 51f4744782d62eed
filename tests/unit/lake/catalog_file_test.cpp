// CatalogFile: a local lake's catalog is opened in place; a remote lake's (a FaultyStore
// hiding a LocalStore's paths) is a downloaded copy that a writer uploads after every commit,
// before the commit returns, under the lake's single-writer lock, and that a reader keeps to
// itself. A failed upload fails the commit's caller and leaves the lake's catalog as it was;
// a crashed writer's copy never reaches the lake.
#include "lake/catalog_file.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "common/error.h"
#include "common/files.h"
#include "db/sqlite.h"
#include "lake/faulty_store.h"
#include "lake/local_store.h"
#include "support/temp_folder.h"

namespace shoplake::lake {
namespace {
namespace fs = std::filesystem;
using Access = CatalogFile::Access;
using namespace std::chrono_literals;

class CatalogFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    local_ = std::make_unique<LocalStore>(folder_.path() / "lake");
    remote_ = std::make_unique<FaultyStore>(*local_);
    remote_->HideLocalPaths();
    cache_ = std::make_unique<LocalCache>(*remote_, folder_.path() / "cache");
  }

  // Rows of table t in the SQLite file `path`.
  static int64_t RowsIn(const std::string& path) {
    db::SqliteDatabase db(path);
    auto count = db.Prepare("SELECT count(*) FROM t");
    count.Step();
    return count.Int64(0);
  }

  // Rows of table t in the lake's own catalog object (what another machine would download).
  int64_t RowsInTheLake() {
    fs::path copy = folder_.path() / "lake-catalog-copy.db";
    WriteFileAtomically(copy, local_->ReadAll(CatalogFile::kKey));
    int64_t rows = RowsIn(copy.string());
    fs::remove(copy);
    return rows;
  }

  ::shoplake::testing::TempFolder folder_{"shoplake-catalog-file"};
  std::unique_ptr<LocalStore> local_;
  std::unique_ptr<FaultyStore> remote_;
  std::unique_ptr<LocalCache> cache_;
};

TEST_F(CatalogFileTest, ALocalLakesCatalogIsOpenedInPlace) {
  LocalCache cache(*local_, folder_.path() / "local-cache");
  CatalogFile catalog(*local_, cache, Access::kWrite);
  EXPECT_FALSE(catalog.copy());
  EXPECT_EQ(catalog.path(), (folder_.path() / "lake/_catalog/catalog.db").string());
  db::SqliteDatabase(catalog.path())
      .Execute("CREATE TABLE t (i INTEGER); INSERT INTO t VALUES (1)");
  EXPECT_EQ(RowsInTheLake(), 1);
  EXPECT_FALSE(fs::exists(folder_.path() / "local-cache"));
}

TEST_F(CatalogFileTest, AWriterUploadsTheCatalogBeforeEachCommitReturns) {
  {
    CatalogFile catalog(*remote_, *cache_, Access::kWrite);
    EXPECT_TRUE(catalog.copy());
    EXPECT_FALSE(local_->Stat(CatalogFile::kKey));  // a new lake: no catalog yet
    db::SqliteDatabase db(catalog.path());
    db.Execute("CREATE TABLE t (i INTEGER)");
    db.Execute("INSERT INTO t VALUES (1)");
    EXPECT_EQ(RowsInTheLake(), 1);
    {
      db::SqliteTransaction tx(db);
      db.Execute("INSERT INTO t VALUES (2)");
      db.Execute("INSERT INTO t VALUES (3)");
      EXPECT_EQ(RowsInTheLake(), 1);  // not before the commit
      tx.Commit();
    }
    EXPECT_EQ(RowsInTheLake(), 3);
    // Every connection of the process to the file is observed, whoever opens it.
    db::SqliteDatabase(catalog.path()).Execute("INSERT INTO t VALUES (4)");
    EXPECT_EQ(RowsInTheLake(), 4);
  }
  // The next writer starts from the lake's catalog.
  CatalogFile again(*remote_, *cache_, Access::kWrite);
  EXPECT_EQ(RowsIn(again.path()), 4);
}

TEST_F(CatalogFileTest, OneWriterAtATimeAndReadersDoNotWait) {
  CatalogFile writer(*remote_, *cache_, Access::kWrite);
  db::SqliteDatabase(writer.path()).Execute("CREATE TABLE t (i INTEGER); INSERT INTO t VALUES (1)");
  try {
    CatalogFile second(*remote_, *cache_, Access::kWrite, 50ms);
    FAIL() << "two writers of one remote catalog";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kConflict);
    EXPECT_NE(e.message().find("lock 'catalog' is held by"), std::string::npos) << e.message();
  }
  std::string reader_path;
  {
    CatalogFile reader(*remote_, *cache_, Access::kRead);
    reader_path = reader.path();
    EXPECT_NE(reader_path, writer.path());
    EXPECT_EQ(RowsIn(reader.path()), 1);
    // What a reader writes stays in its copy.
    db::SqliteDatabase(reader.path()).Execute("INSERT INTO t VALUES (2)");
    EXPECT_EQ(RowsIn(reader.path()), 2);
    EXPECT_EQ(RowsInTheLake(), 1);
  }
  EXPECT_FALSE(fs::exists(reader_path));
}

// A reader that runs long (serve) copies the lake's catalog again when a writer has changed
// it: a new file, so a connection open on the old copy keeps reading what it read; unchanged,
// or looked at too recently, nothing is fetched.
TEST_F(CatalogFileTest, AReadersCopyIsCopiedAgainWhenTheLakesCatalogChanges) {
  auto writer = std::make_unique<CatalogFile>(*remote_, *cache_, Access::kWrite);
  db::SqliteDatabase(writer->path())
      .Execute("CREATE TABLE t (i INTEGER); INSERT INTO t VALUES (1)");
  CatalogFile reader(*remote_, *cache_, Access::kRead);
  const std::string first = reader.path();
  EXPECT_EQ(RowsIn(first), 1);
  EXPECT_FALSE(reader.Refresh(0ms)) << "nothing changed";

  db::SqliteDatabase open_on_first(first);
  db::SqliteDatabase(writer->path()).Execute("INSERT INTO t VALUES (2)");
  EXPECT_FALSE(reader.Refresh(std::chrono::hours(1))) << "looked at too recently";
  EXPECT_EQ(reader.path(), first);
  // The same size (one SQLite page either way) and maybe the same millisecond: the object's
  // version tells.
  EXPECT_TRUE(reader.Refresh(0ms));
  const std::string second = reader.path();
  EXPECT_NE(second, first);
  EXPECT_EQ(RowsIn(second), 2);
  auto count = open_on_first.Prepare("SELECT count(*) FROM t");
  ASSERT_TRUE(count.Step());
  EXPECT_EQ(count.Int64(0), 1) << "a connection open on the old copy reads it whole";
  EXPECT_FALSE(reader.Refresh(0ms));

  // A third version: the first copy goes, the one before the current stays a while.
  db::SqliteDatabase(writer->path()).Execute("INSERT INTO t VALUES (3)");
  ASSERT_TRUE(reader.Refresh(0ms));
  EXPECT_EQ(RowsIn(reader.path()), 3);
  EXPECT_FALSE(fs::exists(first));
  EXPECT_TRUE(fs::exists(second));

  // A writer's catalog, or a local lake's, is the catalog itself: nothing to copy.
  EXPECT_FALSE(writer->Refresh(0ms));
}

TEST_F(CatalogFileTest, AFailedUploadFailsTheCommitsCallerAndTheLakeKeepsItsCatalog) {
  CatalogFile catalog(*remote_, *cache_, Access::kWrite);
  db::SqliteDatabase db(catalog.path());
  db.Execute("CREATE TABLE t (i INTEGER); INSERT INTO t VALUES (1)");
  remote_->FailNext(FaultyStore::Operation::kPublish, 1, ErrorCode::kNetwork);
  try {
    db::SqliteTransaction tx(db);
    db.Execute("INSERT INTO t VALUES (2)");
    tx.Commit();
    FAIL() << "the commit returned without its upload";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kNetwork);
    EXPECT_NE(e.message().find("a commit was made but the lake's catalog could not be updated"),
              std::string::npos)
        << e.message();
    EXPECT_EQ(e.input(), CatalogFile::kKey);
  }
  EXPECT_EQ(RowsInTheLake(), 1);
  EXPECT_TRUE(fs::is_empty(cache_->staging_folder()));
}

TEST_F(CatalogFileTest, ACrashedWritersCommitsNeverReachTheLake) {
  std::string path;
  {
    CatalogFile catalog(*remote_, *cache_, Access::kWrite);
    path = catalog.path();
    db::SqliteDatabase(path).Execute("CREATE TABLE t (i INTEGER); INSERT INTO t VALUES (1)");
  }
  // What a writer killed between its commit and the upload leaves: a local commit.
  db::SqliteDatabase(path).Execute("INSERT INTO t VALUES (2)");
  CatalogFile next(*remote_, *cache_, Access::kWrite);
  EXPECT_EQ(next.path(), path);
  EXPECT_EQ(RowsIn(next.path()), 1);
  EXPECT_EQ(RowsInTheLake(), 1);
}

}  // namespace
}  // namespace shoplake::lake
