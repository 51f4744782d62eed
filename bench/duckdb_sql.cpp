// The DuckDB-native peer for whole-command benchmarks: runs each SQL argument in one
// in-process DuckDB (the same libduckdb shoplake links) and prints the seconds each took,
// so a benchmark compares shoplake with DuckDB doing the same job in the same run.
// Usage: bench_duckdb_sql [--db FILE] SQL...
#include <fmt/core.h>

#include <chrono>
#include <cstring>
#include <string>

#include "common/error.h"
#include "db/duckdb.h"

int main(int argc, char** argv) {
  std::string path = ":memory:";
  int first = 1;
  if (argc > 2 && std::strcmp(argv[1], "--db") == 0) {
    path = argv[2];
    first = 3;
  }
  try {
    shoplake::db::Database db(path);
    shoplake::db::Connection conn(db);
    for (int i = first; i < argc; ++i) {
      auto start = std::chrono::steady_clock::now();
      conn.Execute(argv[i]);
      double seconds =
          std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      fmt::print("{:.3f}\n", seconds);
    }
  } catch (const std::exception& e) {
    fmt::print(stderr, "bench_duckdb_sql: {}\n", e.what());
    return 1;
  }
  return 0;
}
