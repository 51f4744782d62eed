// QueryWatch over a real DuckDB connection: a query that would run for hours stops at its
// time limit with an error naming the limit and how to raise it; Cancel and a client that
// went away stop it too; a quick query under a watch answers as without one.
#include "db/query_watch.h"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "common/error.h"
#include "db/duckdb.h"

namespace shoplake::db {
namespace {

using namespace std::chrono_literals;

// Hours of work for DuckDB: only an interrupt ends it within a test's life.
constexpr const char* kRunaway = "SELECT sum(range) FROM range(1000000000000)";

TEST(QueryWatch, StopsAQueryAtItsTimeLimitAndSaysHowToRaiseIt) {
  Database db;
  Connection conn(db);
  QueryWatch watch([&conn] { conn.Interrupt(); }, 50ms);
  try {
    watch.Run([&] { return conn.Query(kRunaway); }, "SQL: runaway");
    FAIL() << "the runaway query ended by itself";
  } catch (const QueryStopped& e) {
    EXPECT_TRUE(e.timed_out());
    EXPECT_EQ(e.code(), ErrorCode::kData);
    EXPECT_EQ(e.message(), "the query ran past its time limit of 0.05 s and was stopped");
    EXPECT_EQ(e.input(), "SQL: runaway");
    EXPECT_NE(e.hint().find("--query-timeout SECONDS"), std::string::npos) << e.hint();
    EXPECT_NE(e.hint().find("query.timeout_seconds in shoplake.yaml"), std::string::npos);
  }
  EXPECT_TRUE(watch.stopped());
}

TEST(QueryWatch, StopsAQueryWhenCancelledFromAnotherThread) {
  Database db;
  Connection conn(db);
  QueryWatch watch([&conn] { conn.Interrupt(); }, 0ms);
  std::thread canceller([&watch] {
    std::this_thread::sleep_for(50ms);  // before or during the query: both must stop it
    watch.Cancel("the server is stopping");
  });
  try {
    watch.Run([&] { return conn.Query(kRunaway); }, "SQL: runaway");
    ADD_FAILURE() << "the runaway query ended by itself";
  } catch (const QueryStopped& e) {
    EXPECT_FALSE(e.timed_out());
    EXPECT_EQ(e.message(), "the query was stopped: the server is stopping");
  }
  canceller.join();
}

TEST(QueryWatch, StopsAQueryWhoseClientWentAway) {
  Database db;
  Connection conn(db);
  std::atomic<bool> gone{false};
  QueryWatch watch([&conn] { conn.Interrupt(); }, 0ms, [&gone] { return gone.load(); });
  std::thread client([&gone] {
    std::this_thread::sleep_for(50ms);
    gone = true;
  });
  EXPECT_THROW(
      {
        try {
          watch.Run([&] { return conn.Query(kRunaway); }, "SQL: runaway");
        } catch (const QueryStopped& e) {
          EXPECT_EQ(e.message(), "the query was stopped: its client went away");
          throw;
        }
      },
      QueryStopped);
  client.join();
}

TEST(QueryWatch, LetsAQuickQueryAnswerAndPassesOtherErrorsThrough) {
  Database db;
  Connection conn(db);
  QueryWatch watch([&conn] { conn.Interrupt(); }, 60s, [] { return false; });
  auto rows = watch.Run([&] { return conn.Query("SELECT 41 + 1"); }, "SQL").Rows();
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0][0], "42");
  try {
    watch.Run([&] { return conn.Query("SELECT * FROM nowhere"); }, "SQL");
    FAIL() << "an unknown table answered";
  } catch (const QueryStopped&) {
    FAIL() << "a wrong query was reported as stopped";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kUsage);
  }
  EXPECT_FALSE(watch.stopped());
}

TEST(QueryTimeout, TakesTheFlagThenTheProjectThenTheVerbsDefault) {
  EXPECT_EQ(QueryTimeout(2.5, 30, 60s), 2500ms);
  EXPECT_EQ(QueryTimeout(0.0, 30, 60s), 0ms);
  EXPECT_EQ(QueryTimeout(std::nullopt, 30, 60s), 30s);
  EXPECT_EQ(QueryTimeout(std::nullopt, std::nullopt, 60s), 60s);
  EXPECT_THROW(QueryTimeout(-1.0, std::nullopt, 60s), Error);
}

}  // namespace
}  // namespace shoplake::db
