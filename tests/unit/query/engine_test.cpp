// QueryEngine over a hand-made catalog: a table committed with two Parquet files (and a
// leftover file its snapshot does not list) reads exactly the snapshot's rows; errors keep
// DuckDB's caret once and suggest the nearest catalog table.
#include "query/engine.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>

#include "catalog/catalog.h"
#include "common/error.h"
#include "common/files.h"
#include "common/project.h"
#include "db/sqlite.h"
#include "lake/local_store.h"
#include "query/sql_text.h"
#include "query/views.h"
#include "support/temp_folder.h"

namespace shoplake::query {
namespace {
namespace fs = std::filesystem;

// Every data file under `root` with its size and a hash of its bytes: equal before and after
// means nothing changed. The catalog's SQLite files are left out (a reader may touch its
// WAL index); what the catalog holds is checked through its API.
std::map<std::string, std::string> TreeContents(const fs::path& root) {
  std::map<std::string, std::string> out;
  for (const auto& entry : fs::recursive_directory_iterator(root)) {
    auto key = entry.path().lexically_relative(root).string();
    if (!entry.is_regular_file() || key.rfind("_catalog/", 0) == 0) continue;
    std::ifstream in(entry.path(), std::ios::binary);
    std::string bytes(std::istreambuf_iterator<char>(in), {});
    out[key] = std::to_string(bytes.size()) + ":" + std::to_string(std::hash<std::string>{}(bytes));
  }
  return out;
}

class EngineTest : public ::testing::Test {
 protected:
  void SetUp() override {
    fs::path lake = folder_.path() / "lake";
    fs::create_directories(lake / "_catalog");
    fs::create_directories(lake / "processed/shop/items");
    store_ = std::make_unique<lake::LocalStore>(lake);
    catalog_ = std::make_unique<catalog::Catalog>((lake / "_catalog/catalog.db").string());
    // Three files: the snapshot lists two (3 + 2 rows); the third is a crashed run's leftover.
    db::Database db;
    db::Connection c(db);
    for (auto [name, from, to] : {std::tuple{"a", 1, 3}, {"b", 4, 5}, {"leftover", 6, 9}}) {
      c.Execute("COPY (SELECT range::BIGINT AS id, range::INTEGER * 10 AS qty FROM range(" +
                std::to_string(from) + ", " + std::to_string(to + 1) + ")) TO " +
                db::QuoteLiteral(
                    (lake / "processed/shop/items" / (std::string(name) + ".parquet")).string()) +
                " (FORMAT parquet)");
    }
    db::SqliteTransaction tx(catalog_->db());
    catalog::Table t;
    t.database = "shop";
    t.name = "items";
    t.location = "processed/shop/items/";
    t.owner = "transform";
    t.columns = {{"id", "BIGINT", false}, {"qty", "INTEGER", true}};
    t = catalog_->RegisterTable(t);
    snapshot_id_ = catalog_->CommitSnapshot(t.id, "run-1", "append",
                                            {{"processed/shop/items/a.parquet", "", 3, 1},
                                             {"processed/shop/items/b.parquet", "", 2, 1}});
    tx.Commit();
  }

  ::shoplake::testing::TempFolder folder_{"shoplake-sql-engine"};
  std::unique_ptr<lake::LocalStore> store_;
  std::unique_ptr<catalog::Catalog> catalog_;
  int64_t snapshot_id_ = 0;
};

TEST_F(EngineTest, ATableReadsExactlyItsSnapshotsFiles) {
  QueryEngine engine(*store_, *catalog_);
  auto rows = engine.Run("SELECT count(*), sum(qty) FROM shop.items").Rows();
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0][0], "5");
  EXPECT_EQ(rows[0][1], "150");
  ASSERT_EQ(engine.tables().size(), 1u);
  EXPECT_EQ(engine.tables()[0].snapshot_id, snapshot_id_);
}

TEST_F(EngineTest, TablesReadNamesTheQualifiedTablesInAnySpelling) {
  QueryEngine engine(*store_, *catalog_);
  EXPECT_EQ(engine.TablesRead("select * from \"SHOP\".\"Items\"").size(), 1u);
  EXPECT_EQ(engine.TablesRead("select * from shop.items_2").size(), 0u);
  EXPECT_EQ(engine.TablesRead("select 1").size(), 0u);
}

TEST_F(EngineTest, BadSqlIsAUsageErrorWithOneCaret) {
  QueryEngine engine(*store_, *catalog_);
  try {
    engine.Run("SELECT count(* FROM shop.items");
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kUsage);
    std::string m = e.message();
    ASSERT_NE(m.find("LINE 1: SELECT count(* FROM shop.items\n"), std::string::npos) << m;
    EXPECT_EQ(m.find("LINE 1:"), m.rfind("LINE 1:")) << m;
  }
}

TEST_F(EngineTest, AnUnknownTableSuggestsTheNearestCatalogName) {
  QueryEngine engine(*store_, *catalog_);
  for (const char* sql : {"SELECT * FROM shop.item", "SELECT * FROM items"}) {
    try {
      engine.Run(sql);
      FAIL() << "no error for " << sql;
    } catch (const Error& e) {
      EXPECT_EQ(e.code(), ErrorCode::kUsage);
      EXPECT_NE(e.hint().find("did you mean 'shop.items'?"), std::string::npos) << e.hint();
    }
  }
}

TEST_F(EngineTest, ARuntimeFailureIsNotAUsageError) {
  QueryEngine engine(*store_, *catalog_);
  try {
    engine.Run("SELECT CAST('x' || id AS INTEGER) FROM shop.items");
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(e.exit_code(), 1) << e.what();
  }
}

// Every statement that is not a query, and every file outside the lake, is refused with a
// message saying so; the lake's files are the same bytes afterwards.
TEST_F(EngineTest, QueriesAreReadOnlyAndStayInsideTheLake) {
  fs::path lake = folder_.path() / "lake";
  auto before = TreeContents(lake);
  QueryEngine engine(*store_, *catalog_);
  struct Case {
    std::string sql;
    std::string says;
  };
  std::vector<Case> cases = {
      {"INSERT INTO shop.items VALUES (1, 2)", "INSERT statements are refused"},
      {"COPY (SELECT 1) TO '" + (lake / "processed/shop/items/x.parquet").string() + "'",
       "COPY statements are refused"},
      {"COPY (SELECT 1) TO '/tmp/shoplake-leak.csv'", "COPY statements are refused"},
      {"ATTACH '" + (lake / "x.duckdb").string() + "'", "ATTACH statements are refused"},
      {"CREATE TABLE t AS SELECT * FROM shop.items", "CREATE statements are refused"},
      {"DROP VIEW shop.items", "DROP statements are refused"},
      {"SET enable_external_access = true", "SET statements are refused"},
      {"SELECT * FROM read_csv('/etc/passwd')", "file system operations are disabled"},
      {"SELECT * FROM read_text('" + (lake / "../../etc/passwd").string() + "')",
       "file system operations are disabled"},
      {"SELECT 1; DROP VIEW shop.items", "multiple statements"},
  };
  for (const auto& c : cases) {
    try {
      engine.Run(c.sql);
      ADD_FAILURE() << "not refused: " << c.sql;
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find(c.says), std::string::npos)
          << c.sql << " -> " << e.what();
    }
  }
  EXPECT_FALSE(fs::exists("/tmp/shoplake-leak.csv"));
  EXPECT_EQ(TreeContents(lake), before);
  EXPECT_EQ(catalog_->Tables().size(), 1u);
  EXPECT_EQ(catalog_->CurrentSnapshot(catalog_->Tables()[0].id)->id, snapshot_id_);
  // Still answers queries, over the lake's files.
  EXPECT_EQ(engine.Run("SELECT count(*) FROM shop.items").Rows()[0][0], "5");
}

// Every statement that writes, however it is wrapped (EXPLAIN, EXPLAIN ANALYZE in each of
// its spellings, a CTE, a subquery, DuckDB's query() function), is refused, and nothing is
// written: not the lake's Parquet files, not the catalog, not DuckDB's default spill folder
// (.tmp in the current folder). EXPLAIN of a query is still answered.
TEST_F(EngineTest, AWriteIsRefusedHoweverItIsWrapped) {
  fs::path lake = folder_.path() / "lake";
  fs::path work = folder_.path() / "cwd";
  fs::create_directories(work);
  struct Cwd {
    fs::path saved = fs::current_path();
    ~Cwd() { fs::current_path(saved); }
  } restore;
  fs::current_path(work);
  std::string file = (lake / "processed/shop/items/a.parquet").string();
  std::string catalog_db = (lake / "_catalog/catalog.db").string();
  auto before = TreeContents(lake);
  QueryEngine engine(*store_, *catalog_);

  std::vector<std::string> writes = {
      "COPY (SELECT * FROM read_parquet('" + file + "') UNION ALL SELECT * FROM read_parquet('" +
          file + "')) TO '" + file + "' (FORMAT parquet)",
      "COPY (SELECT 1 AS x) TO '" + catalog_db + "' (FORMAT csv)",
      "COPY (SELECT 1 AS p, 2 AS v) TO '.tmp' (FORMAT csv, PARTITION_BY (p))",
      "COPY shop.items TO '" + (lake / "copy.csv").string() + "'",
      "EXPORT DATABASE '" + (lake / "export").string() + "'",
      "INSERT INTO shop.items VALUES (1, 2)",
      "CREATE TABLE t AS SELECT * FROM shop.items",
      "ATTACH '" + (lake / "x.duckdb").string() + "' AS x",
      "SET enable_external_access = true",
      "DROP VIEW shop.items",
      "CHECKPOINT",
      "LOAD parquet",
  };
  auto quoted = [](const std::string& sql) {
    std::string out;
    for (char c : sql) out += c == '\'' ? std::string("''") : std::string(1, c);
    return out;
  };
  std::vector<std::string> statements;
  for (const auto& w : writes) {
    for (const std::string& wrapped : {
             w,
             "EXPLAIN " + w,
             "EXPLAIN ANALYZE " + w,
             "explain analyse " + w,
             "EXPLAIN (ANALYZE) " + w,
             "EXPLAIN (FORMAT json, ANALYZE true) " + w,
             "/* a /* nested */ comment */ EXPLAIN -- a line\n ANALYZE\t" + w,
             "EXPLAIN EXPLAIN ANALYZE " + w,
             "EXPLAIN VERBOSE ANALYZE " + w,
             "WITH w AS (SELECT 1) " + w,
             "EXPLAIN ANALYZE WITH w AS (SELECT 1) " + w,
             "SELECT * FROM (" + w + ")",
             "SELECT * FROM (EXPLAIN ANALYZE " + w + ")",
             "SELECT * FROM query('" + quoted(w) + "')",
             "SELECT * FROM query('EXPLAIN ANALYZE " + quoted(w) + "')",
         }) {
      statements.push_back(wrapped);
    }
  }
  statements.push_back("EXPLAIN ANALYZE SELECT count(*) FROM shop.items");
  for (const auto& sql : statements) {
    EXPECT_THROW(engine.Run(sql), Error) << "not refused: " << sql;
  }
  EXPECT_FALSE(fs::exists(work / ".tmp")) << "DuckDB wrote into the current folder";
  EXPECT_TRUE(fs::is_empty(work));
  EXPECT_EQ(TreeContents(lake), before);
  catalog::Catalog reopened(catalog_db);
  ASSERT_EQ(reopened.Tables().size(), 1u);
  EXPECT_EQ(reopened.CurrentSnapshot(reopened.Tables()[0].id)->id, snapshot_id_);

  // The refusal names what was refused.
  try {
    engine.Run("EXPLAIN ANALYZE " + writes[0]);
    FAIL() << "not refused";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kUsage);
    EXPECT_NE(e.message().find("EXPLAIN ANALYZE statements are refused"), std::string::npos)
        << e.what();
  }
  try {
    engine.Run("EXPLAIN " + writes[0]);
    FAIL() << "not refused";
  } catch (const Error& e) {
    EXPECT_NE(e.message().find("COPY statements are refused"), std::string::npos) << e.what();
  }
  // EXPLAIN of a query is answered, and queries still read the lake.
  EXPECT_FALSE(engine.Run("EXPLAIN SELECT count(*) FROM shop.items").Rows().empty());
  EXPECT_FALSE(engine.Run("/* plan */ explain (format json) SELECT 1").Rows().empty());
  EXPECT_EQ(engine.Run("SELECT count(*) FROM shop.items").Rows()[0][0], "5");
}

// SqlHead reads /* /* */ */ as one comment; so must DuckDB, or a head SqlHead reads as
// "EXPLAIN SELECT" could be "EXPLAIN ANALYZE ..." to DuckDB.
TEST_F(EngineTest, DuckDbNestsBlockCommentsAsSqlHeadDoes) {
  QueryEngine engine(*store_, *catalog_);
  EXPECT_EQ(engine.Run("/* a /* b */ c */ SELECT 1 AS one").Rows()[0][0], "1");
  EXPECT_THROW(engine.Run("/* a /* b */ EXPLAIN ANALYZE SELECT 1"), Error);
}

// DuckDB's spill folder is one of the engine's own, outside the lake and the current folder,
// and gone when the engine is; one inside the lake is refused.
TEST_F(EngineTest, TheSpillFolderIsPrivateAndOutsideTheLake) {
  fs::path spill;
  {
    QueryEngine engine(*store_, *catalog_);
    auto rows = engine.Run("SELECT current_setting('temp_directory')").Rows();
    spill = *rows[0][0];
    EXPECT_TRUE(fs::is_directory(spill)) << spill;
    EXPECT_NE(spill.filename().string().find("shoplake-spill-"), std::string::npos) << spill;
    EXPECT_FALSE(IsInside(spill, folder_.path() / "lake"));
    EXPECT_FALSE(IsInside(spill, fs::current_path()));
  }
  EXPECT_FALSE(fs::exists(spill)) << "left behind: " << spill;

  DuckDbSpec spec;
  spec.all.temp_directory = (folder_.path() / "lake/spill").string();
  db::UseDuckDbLimits(spec, folder_.path());
  try {
    QueryEngine engine(*store_, *catalog_);
    ADD_FAILURE() << "a spill folder inside the lake was accepted";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kConfig);
    EXPECT_NE(e.message().find("temp_directory is inside the lake"), std::string::npos) << e.what();
  }
  // A stage's own limit wins over the project's.
  spec.all.temp_directory = (folder_.path() / "spill").string();
  spec.all.memory_limit = "300MB";
  spec.stages["serve"].memory_limit = "200MB";
  db::UseDuckDbLimits(spec, folder_.path());
  {
    QueryEngine engine(*store_, *catalog_);
    EXPECT_EQ(engine.Run("SELECT current_setting('memory_limit')").Rows()[0][0], "286.1 MiB");
    EXPECT_TRUE(IsInside(*engine.Run("SELECT current_setting('temp_directory')").Rows()[0][0],
                         folder_.path() / "spill"));
    EngineOptions serve;
    serve.stage = "serve";
    QueryEngine server(*store_, *catalog_, serve);
    EXPECT_EQ(server.Run("SELECT current_setting('memory_limit')").Rows()[0][0], "190.7 MiB");
  }
  db::UseDuckDbLimits({}, {});
}

// A statement behind 100 KB of blanks and comments is read in one linear pass (a regex
// recursed once per character there and overflowed the stack); one over 1 MiB is refused.
TEST_F(EngineTest, LongLeadingBlanksAndCommentsAreReadAndHugeStatementsRefused) {
  QueryEngine engine(*store_, *catalog_);
  std::string blanks(100000, ' ');
  std::string comments;
  while (comments.size() < 100000) comments += "-- licence line\n/* block */\n";
  EXPECT_EQ(engine.Run(blanks + "SELECT count(*) FROM shop.items").Rows()[0][0], "5");
  EXPECT_EQ(engine.Run(comments + "SELECT count(*) FROM shop.items").Rows()[0][0], "5");
  try {
    engine.Run(comments + "INSERT INTO shop.items VALUES (1, 2)");
    FAIL() << "not refused";
  } catch (const Error& e) {
    EXPECT_NE(e.message().find("INSERT statements are refused"), std::string::npos) << e.what();
  }
  try {
    engine.Run("SELECT 1 " + std::string(kMaxStatementBytes, ' '));
    FAIL() << "a statement over 1 MiB was run";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kUsage);
    EXPECT_NE(e.message().find("at most 1048576 are accepted"), std::string::npos) << e.what();
  }
}

// A second commit adds a file: --as-of the first snapshot reads the first 5 rows; a time
// before any commit reads an empty table; a snapshot whose file is gone says which.
TEST_F(EngineTest, AsOfReadsATableAsItWas) {
  fs::path dir = folder_.path() / "lake/processed/shop/items";
  int64_t second = 0;
  {
    db::SqliteTransaction tx(catalog_->db());
    auto t = catalog_->FindTable("shop", "items");
    second = catalog_->CommitSnapshot(t->id, "run-2", "append",
                                      {{"processed/shop/items/a.parquet", "", 3, 1},
                                       {"processed/shop/items/b.parquet", "", 2, 1},
                                       {"processed/shop/items/leftover.parquet", "", 4, 1}});
    tx.Commit();
  }
  auto count = [&](std::optional<catalog::AsOf> as_of) {
    EngineOptions options;
    options.as_of = as_of;
    QueryEngine engine(*store_, *catalog_, options);
    return *engine.Run("SELECT count(*) FROM shop.items").Rows()[0][0];
  };
  EXPECT_EQ(count(std::nullopt), "9");
  EXPECT_EQ(count(catalog::AsOf{snapshot_id_, ""}), "5");
  EXPECT_EQ(count(catalog::AsOf{second, ""}), "9");
  EXPECT_EQ(count(catalog::AsOf{0, "2000-01-01T00:00:00Z"}), "0");
  EXPECT_EQ(count(catalog::AsOf{0, "2999-01-01"}), "9");
  try {
    count(catalog::AsOf{0, "last tuesday"});
    ADD_FAILURE() << "a bad time was taken";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kUsage);
    EXPECT_NE(e.message().find("not a time: 'last tuesday'"), std::string::npos) << e.what();
  }
  fs::remove(dir / "a.parquet");
  try {
    count(catalog::AsOf{snapshot_id_, ""});
    ADD_FAILURE() << "read a snapshot whose file is gone";
  } catch (const Error& e) {
    EXPECT_NE(e.message().find("lists processed/shop/items/a.parquet, which a later commit "
                               "superseded and removed"),
              std::string::npos)
        << e.what();
  }
}

class ViewsTest : public EngineTest {
 protected:
  fs::path Write(const std::string& name, const std::string& sql) {
    fs::path dir = folder_.path() / "views";
    fs::create_directories(dir);
    std::ofstream(dir / name) << sql;
    return dir;
  }
  fs::path dir() { return folder_.path() / "views"; }
  std::string Names(const std::vector<catalog::View>& views) {
    std::string out;
    for (const auto& v : views) out += (out.empty() ? "" : " ") + v.name;
    return out;
  }
  void ExpectLoadError(const std::string& says, const std::string& input) {
    try {
      LoadViews(dir(), folder_.path());
      ADD_FAILURE() << "loaded; expected: " << says;
    } catch (const Error& e) {
      EXPECT_EQ(e.code(), ErrorCode::kConfig);
      EXPECT_NE(std::string(e.what()).find(says), std::string::npos) << e.what();
      EXPECT_EQ(e.input(), input) << e.what();
    }
  }
};

TEST_F(ViewsTest, AViewComesAfterTheViewsItReads) {
  // Alphabetically a < b < c, but a reads c which reads b.
  Write("a.sql", "-- totals\nCREATE OR REPLACE VIEW shop.a AS SELECT sum(n) AS n FROM shop.c");
  Write("b.sql", "CREATE VIEW shop.b AS SELECT qty AS n FROM shop.items");
  Write("c.sql",
        "/* doubled */ create or replace view \"shop\".\"c\" as SELECT 2 * n AS n FROM shop.b");
  auto views = LoadViews(dir(), folder_.path());
  EXPECT_EQ(Names(views), "b c a");
  EXPECT_EQ(views[0].file, "views/b.sql");

  EngineOptions fresh;
  fresh.views = false;
  {
    QueryEngine engine(*store_, *catalog_, fresh);
    auto changes = ApplyViews(engine, *catalog_, views);
    ASSERT_EQ(changes.size(), 3u);
    EXPECT_EQ(changes[0].change, "created");
  }
  // A new engine creates them from the catalog; a query through them reads the table.
  QueryEngine engine(*store_, *catalog_);
  EXPECT_EQ(engine.Run("SELECT n FROM shop.a").Rows()[0][0], "300");
  ASSERT_EQ(engine.TablesRead("SELECT * FROM shop.a").size(), 1u);
  EXPECT_EQ(engine.TablesRead("SELECT * FROM shop.a")[0].name, "shop.items");

  // Changed, unchanged, dropped: versions follow the SQL.
  Write("b.sql", "CREATE VIEW shop.b AS SELECT qty + 1 AS n FROM shop.items");
  fs::remove(dir() / "a.sql");
  QueryEngine again(*store_, *catalog_, fresh);
  auto changes = ApplyViews(again, *catalog_, LoadViews(dir(), folder_.path()));
  ASSERT_EQ(changes.size(), 3u);
  EXPECT_EQ(changes[0].view + " " + changes[0].change, "shop.b updated");
  EXPECT_EQ(changes[0].version, 2);
  EXPECT_EQ(changes[1].view + " " + changes[1].change, "shop.c unchanged");
  EXPECT_EQ(changes[2].view + " " + changes[2].change, "shop.a dropped");
  EXPECT_EQ(Names(catalog_->Views()), "b c");
}

// A view file may open with a long licence header (100 KB of comments): its CREATE line is
// still found, and the view still applies.
TEST_F(ViewsTest, AViewFileWithALongLicenceHeaderLoads) {
  std::string header;
  while (header.size() < 100000) header += "-- Licensed under the Apache License 2.0\n";
  Write("big.sql", header + "/* and a block */ CREATE OR REPLACE VIEW shop.big AS SELECT 1 AS n");
  auto views = LoadViews(dir(), folder_.path());
  ASSERT_EQ(views.size(), 1u);
  EXPECT_EQ(views[0].database + "." + views[0].name, "shop.big");
  EngineOptions fresh;
  fresh.views = false;
  QueryEngine engine(*store_, *catalog_, fresh);
  ApplyViews(engine, *catalog_, views);
  QueryEngine again(*store_, *catalog_);
  EXPECT_EQ(again.Run("SELECT n FROM shop.big").Rows()[0][0], "1");
}

TEST_F(ViewsTest, AMalformedViewFileIsNamed) {
  Write("x.sql", "SELECT 1");
  ExpectLoadError("not a view definition", "views/x.sql");
  fs::remove(dir() / "x.sql");
  Write("x.sql", "CREATE VIEW x AS SELECT 1");
  ExpectLoadError("view x has no database", "views/x.sql");
  fs::remove(dir() / "x.sql");
  Write("x.sql", "CREATE VIEW shop.y AS SELECT 1");
  ExpectLoadError("defines view shop.y, but is named x.sql", "views/x.sql");
  fs::remove(dir() / "x.sql");
  Write("p.sql", "CREATE VIEW shop.p AS SELECT * FROM shop.q");
  Write("q.sql", "CREATE VIEW shop.q AS SELECT * FROM shop.p");
  ExpectLoadError("views read each other in a cycle: views/p.sql, views/q.sql", dir().string());
}

TEST_F(ViewsTest, AViewThatDoesNotBindNamesItsFileAndLine) {
  Write("v.sql", "-- a comment\nCREATE VIEW shop.v AS\nSELECT qty,\n       nope\nFROM shop.items");
  EngineOptions fresh;
  fresh.views = false;
  QueryEngine engine(*store_, *catalog_, fresh);
  try {
    ApplyViews(engine, *catalog_, LoadViews(dir(), folder_.path()));
    FAIL() << "applied a view with an unknown column";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kConfig);
    EXPECT_EQ(e.input(), "views/v.sql:4") << e.what();
    EXPECT_NE(e.message().find("nope"), std::string::npos) << e.what();
  }
  EXPECT_TRUE(catalog_->Views().empty());  // nothing recorded
  Write("v.sql", "CREATE VIEW shop.v AS SELECT 1 AS one; DROP VIEW shop.items");
  try {
    engine.DefineView(LoadViews(dir(), folder_.path())[0]);
    FAIL() << "a file of two statements was applied";
  } catch (const Error& e) {
    EXPECT_NE(e.message().find("holds 2 statements"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace shoplake::query
