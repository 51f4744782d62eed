// The SQLite wrapper: round trips, transactions that roll back unless committed,
// constraint errors as data errors, a second writer told the database is busy, and schemas
// applied without a write lock when current (readers never wait), migrated when older, and
// a component's totals by key read without creating its tables.
#include "db/sqlite.h"

#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>
#include <thread>
#include <vector>

#include "common/error.h"
#include "support/temp_folder.h"

namespace shoplake::db {
namespace {
namespace fs = std::filesystem;

class Sqlite : public ::testing::Test {
 protected:
  // The database at path_ with an empty table t (i INTEGER), its connection closed.
  void CreateTableT() { SqliteDatabase(path_).Execute("CREATE TABLE t (i INTEGER)"); }

  // An after-commit callback whose upload fails.
  static void FailedUpload() {
    throw Error(ErrorCode::kNetwork, "the upload failed", "s3://bucket/lake", "run again");
  }

  ::shoplake::testing::TempFolder folder_{"shoplake-sqlite"};
  std::string path_ = (folder_.path() / "catalog.db").string();
};

TEST_F(Sqlite, RoundTripsValuesAndNulls) {
  SqliteDatabase db(path_);
  db.Execute("CREATE TABLE t (i INTEGER, d REAL, s TEXT)");
  auto insert = db.Prepare("INSERT INTO t VALUES (?, ?, ?)");
  insert.Bind(1, int64_t{42}).Bind(2, 2.5).Bind(3, "a'b");
  insert.Run();
  insert.Bind(1, int64_t{-1}).BindNull(2).Bind(3, std::optional<std::string>());
  insert.Run();
  auto select = db.Prepare("SELECT i, d, s FROM t ORDER BY i");
  ASSERT_TRUE(select.Step());
  EXPECT_EQ(select.Int64(0), -1);
  EXPECT_TRUE(select.IsNull(1));
  EXPECT_EQ(select.OptionalText(2), std::nullopt);
  ASSERT_TRUE(select.Step());
  EXPECT_EQ(select.Int64(0), 42);
  EXPECT_DOUBLE_EQ(select.Double(1), 2.5);
  EXPECT_EQ(select.Text(2), "a'b");
  EXPECT_FALSE(select.Step());
}

TEST_F(Sqlite, TransactionsRollBackUnlessCommitted) {
  SqliteDatabase db(path_);
  db.Execute("CREATE TABLE t (i INTEGER PRIMARY KEY)");
  {
    SqliteTransaction tx(db);
    db.Execute("INSERT INTO t VALUES (1)");
  }
  {
    SqliteTransaction tx(db);
    db.Execute("INSERT INTO t VALUES (2)");
    tx.Commit();
  }
  auto count = db.Prepare("SELECT group_concat(i) FROM t");
  count.Step();
  EXPECT_EQ(count.Text(0), "2");
}

TEST_F(Sqlite, ConstraintViolationsAreDataErrors) {
  SqliteDatabase db(path_);
  db.Execute("CREATE TABLE t (i INTEGER PRIMARY KEY)");
  db.Execute("INSERT INTO t VALUES (1)");
  try {
    db.Prepare("INSERT INTO t VALUES (1)").Run();
    FAIL() << "duplicate key accepted";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kData);
    EXPECT_EQ(e.input(), path_);
  }
}

TEST_F(Sqlite, ASecondWriterIsToldTheDatabaseIsBusy) {
  SqliteDatabase first(path_);
  first.Execute("CREATE TABLE t (i INTEGER)");
  SqliteDatabase second(path_, std::chrono::milliseconds(50));
  SqliteTransaction holding(first);
  try {
    SqliteTransaction waiting(second);
    FAIL() << "two writers at once";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kConflict);
    EXPECT_NE(std::string(e.message()).find("busy"), std::string::npos);
  }
  // Readers never wait for the writer (WAL).
  auto read = second.Prepare("SELECT count(*) FROM t");
  ASSERT_TRUE(read.Step());
  EXPECT_EQ(read.Int64(0), 0);
}

TEST_F(Sqlite, KeepsTheSchemaVersion) {
  SqliteDatabase db(path_);
  EXPECT_EQ(db.user_version(), 0);
  db.set_user_version(3);
  EXPECT_EQ(SqliteDatabase(path_).user_version(), 3);
}

TEST_F(Sqlite, ACommitObserverHearsEveryCommitThatWritesToItsFileOnce) {
  int commits = 0;
  int rows_seen = -1;
  {
    SqliteDatabase setup(path_);
    setup.Execute("CREATE TABLE t (i INTEGER)");
  }
  {
    CommitObserver observer(path_, [&] {
      ++commits;
      // Called once the commit is complete: another connection sees its rows.
      SqliteDatabase reader(path_);
      auto count = reader.Prepare("SELECT count(*) FROM t");
      count.Step();
      rows_seen = static_cast<int>(count.Int64(0));
    });
    SqliteDatabase db(path_);
    db.Execute("INSERT INTO t VALUES (1)");  // a statement on its own commits
    EXPECT_EQ(commits, 1);
    EXPECT_EQ(rows_seen, 1);
    {
      SqliteTransaction tx(db);
      db.Execute("INSERT INTO t VALUES (2)");
      db.Execute("INSERT INTO t VALUES (3)");
      EXPECT_EQ(commits, 1);  // nothing until the commit
      tx.Commit();
    }
    EXPECT_EQ(commits, 2);
    EXPECT_EQ(rows_seen, 3);
    {
      SqliteTransaction tx(db);
      db.Execute("INSERT INTO t VALUES (4)");
    }  // rolled back
    {
      SqliteTransaction tx(db);
      auto count = db.Prepare("SELECT count(*) FROM t");
      count.Step();
      tx.Commit();  // wrote nothing
    }
    EXPECT_EQ(commits, 2);

    // Another file is not observed.
    SqliteDatabase other((folder_.path() / "other.db").string());
    other.Execute("CREATE TABLE u (i INTEGER)");
    EXPECT_EQ(commits, 2);
  }
  // Nor is the file once the observer is gone.
  SqliteDatabase db(path_);
  db.Execute("INSERT INTO t VALUES (5)");
  EXPECT_EQ(commits, 2);
}

// A coalescing defers the observer: commits within the interval only make a call due, one
// call once the interval has passed, and Finish makes the last one; without Finish (an
// error left the scope) the destructor does. Afterwards every commit is heard again.
TEST_F(Sqlite, ACommitCoalescingCallsTheObserverOncePerIntervalAndAtTheEnd) {
  CreateTableT();
  int calls = 0;
  CommitObserver observer(path_, [&] { ++calls; });
  SqliteDatabase db(path_);
  {
    CommitCoalescing coalescing(path_, std::chrono::hours(1));
    for (int i = 0; i < 5; ++i) db.Execute("INSERT INTO t VALUES (" + std::to_string(i) + ")");
    EXPECT_EQ(calls, 0);
    coalescing.Finish();
    EXPECT_EQ(calls, 1);
    db.Execute("INSERT INTO t VALUES (10)");
    EXPECT_EQ(calls, 2) << "a finished coalescing defers nothing";
    coalescing.Finish();  // finished already
    EXPECT_EQ(calls, 2);
  }
  db.Execute("INSERT INTO t VALUES (5)");
  EXPECT_EQ(calls, 3) << "heard at once again";
  {
    CommitCoalescing coalescing(path_, std::chrono::milliseconds(0));
    db.Execute("INSERT INTO t VALUES (6)");
    EXPECT_EQ(calls, 4) << "an interval that has passed: called at the commit";
  }
  EXPECT_EQ(calls, 4) << "nothing was due";
  {
    CommitCoalescing coalescing(path_, std::chrono::hours(1));
    db.Execute("INSERT INTO t VALUES (7)");
  }
  EXPECT_EQ(calls, 5) << "the destructor makes the due call";
  // A file nothing observes: a coalescing there does nothing.
  CommitCoalescing unobserved((folder_.path() / "other.db").string(), std::chrono::hours(1));
  unobserved.Finish();
}

// Finish throws what the deferred call throws; the commits stay made.
TEST_F(Sqlite, ACoalescedCallThatFailsFailsFinish) {
  CreateTableT();
  CommitObserver observer(path_, FailedUpload);
  SqliteDatabase db(path_);
  CommitCoalescing coalescing(path_, std::chrono::hours(1));
  db.Execute("INSERT INTO t VALUES (1)");  // deferred: does not throw
  try {
    coalescing.Finish();
    FAIL() << "Finish did not throw";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kNetwork);
  }
  auto count = db.Prepare("SELECT count(*) FROM t");
  ASSERT_TRUE(count.Step());
  EXPECT_EQ(count.Int64(0), 1);
}

TEST_F(Sqlite, WhatACommitObserverThrowsIsThrownByTheCommitWhichStaysMade) {
  CreateTableT();
  CommitObserver observer(path_, FailedUpload);
  SqliteDatabase db(path_);
  try {
    SqliteTransaction tx(db);
    db.Execute("INSERT INTO t VALUES (1)");
    tx.Commit();
    FAIL() << "the commit did not throw";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kNetwork);
    EXPECT_EQ(e.message(), "the upload failed");
    EXPECT_EQ(e.input(), "s3://bucket/lake");
  }
  try {
    db.Prepare("INSERT INTO t VALUES (2)").Run();
    FAIL() << "the statement did not throw";
  } catch (const Error& e) {
    EXPECT_EQ(e.message(), "the upload failed");
  }
  auto count = db.Prepare("SELECT count(*) FROM t");
  ASSERT_TRUE(count.Step());
  EXPECT_EQ(count.Int64(0), 2);
  // And the next failure that is SQLite's own is reported as SQLite's.
  try {
    db.Execute("INSERT INTO missing VALUES (1)");
    FAIL() << "inserted into a missing table";
  } catch (const Error& e) {
    EXPECT_NE(e.message().find("no such table"), std::string::npos) << e.message();
  }
}

constexpr const char* kSchemaV1 = "CREATE TABLE IF NOT EXISTS t (i INTEGER);";

TEST_F(Sqlite, ApplySchemaOnACurrentFileTakesNoLockSoAReaderNeverWaitsForAWriter) {
  {
    SqliteDatabase db(path_);
    ApplySchema(db, "test", 1, kSchemaV1, "the test tables");
  }
  SqliteDatabase writer(path_);
  SqliteTransaction holding(writer);  // the write lock, held for the rest of the test
  writer.Execute("INSERT INTO t VALUES (1)");
  // A reader opening the file: a write lock would make it wait 50 ms and fail.
  SqliteDatabase reader(path_, std::chrono::milliseconds(50));
  ApplySchema(reader, "test", 1, kSchemaV1, "the test tables");
  auto count = reader.Prepare("SELECT count(*) FROM t");
  ASSERT_TRUE(count.Step());
  EXPECT_EQ(count.Int64(0), 0);  // the writer's row is not committed
  // A migration does need the lock: it waits, then says the database is busy.
  try {
    ApplySchema(reader, "test", 2, kSchemaV1, "the test tables");
    FAIL() << "migrated while another connection held the write lock";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kConflict) << e.what();
  }
}

TEST_F(Sqlite, ApplySchemaMigratesAnOlderVersionAndRefusesANewerOne) {
  SqliteDatabase db(path_);
  ApplySchema(db, "test", 1, kSchemaV1, "the test tables");
  std::vector<int64_t> migrated_from;
  auto migrate = [&](int64_t from) {
    migrated_from.push_back(from);
    db.Execute("ALTER TABLE t ADD COLUMN j INTEGER");
  };
  ApplySchema(db, "test", 2, kSchemaV1, "the test tables", migrate);
  ApplySchema(db, "test", 2, kSchemaV1, "the test tables", migrate);  // current: nothing
  EXPECT_EQ(migrated_from, std::vector<int64_t>{1});
  db.Execute("INSERT INTO t (i, j) VALUES (1, 2)");
  try {
    ApplySchema(db, "test", 1, kSchemaV1, "the test tables");
    FAIL() << "an older shoplake opened a newer schema";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kConfig);
    EXPECT_NE(e.message().find("newer shoplake"), std::string::npos) << e.message();
  }
}

TEST_F(Sqlite, NumbersByKeyMapsEachKeyToItsNumberAndIsEmptyBeforeTheTableExists) {
  SqliteDatabase db(path_);
  const char* by_status = "SELECT status, count(*) FROM runs GROUP BY 1";
  EXPECT_TRUE(NumbersByKey<int64_t>(db, "runs", by_status).empty());
  EXPECT_FALSE(db.HasTable("runs"));  // asking created nothing

  db.Execute(
      "CREATE TABLE runs (status TEXT, seconds REAL);"
      "INSERT INTO runs VALUES ('ok', 1.5), ('ok', 2.0), ('failed', 0.25)");
  EXPECT_EQ(NumbersByKey<int64_t>(db, "runs", by_status),
            (std::map<std::string, int64_t>{{"failed", 1}, {"ok", 2}}));
  EXPECT_EQ(NumbersByKey<double>(db, "runs", "SELECT status, sum(seconds) FROM runs GROUP BY 1"),
            (std::map<std::string, double>{{"failed", 0.25}, {"ok", 3.5}}));
}

TEST_F(Sqlite, TwoConnectionsCreatingTheSameNewFileAtOnceBothOpenIt) {
  // Making a new file a WAL database upgrades a read lock to a write lock, which SQLite does
  // not wait for: two processes starting on a new lake at once saw "database is locked".
  for (int round = 0; round < 200; ++round) {
    std::string path = (folder_.path() / ("new-" + std::to_string(round) + ".db")).string();
    std::atomic<bool> go{false};
    std::vector<std::string> failures(2);
    auto open = [&](size_t i) {
      while (!go) std::this_thread::yield();
      try {
        SqliteDatabase db(path);
        ApplySchema(db, "test", 1, kSchemaV1, "the test tables");
        db.Execute("INSERT INTO t VALUES (1)");
      } catch (const Error& e) {
        failures[i] = e.what();
      }
    };
    std::thread first(open, 0), second(open, 1);
    go = true;
    first.join();
    second.join();
    ASSERT_EQ(failures, std::vector<std::string>(2)) << "round " << round;
    auto count = SqliteDatabase(path).Prepare("SELECT count(*) FROM t");
    ASSERT_TRUE(count.Step());
    EXPECT_EQ(count.Int64(0), 2);
  }
}

}  // namespace
}  // namespace shoplake::db
