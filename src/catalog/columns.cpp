#include "catalog/columns.h"

#include <cstdio>
#include <map>

#include "db/duckdb.h"

namespace shoplake::catalog {

using db::QuoteLiteral;

bool Widens(const std::string& from, const std::string& to) {
  if (from == to) return true;
  static const std::map<std::string, int> kIntegers = {
      {"TINYINT", 1}, {"SMALLINT", 2}, {"INTEGER", 3}, {"BIGINT", 4}, {"HUGEINT", 5}};
  auto f = kIntegers.find(from), t = kIntegers.find(to);
  if (f != kIntegers.end() && t != kIntegers.end()) return f->second < t->second;
  if (to == "DOUBLE" && (from == "FLOAT" || f != kIntegers.end() || from.rfind("DECIMAL", 0) == 0))
    return true;
  if (from == "DATE" && to.rfind("TIMESTAMP", 0) == 0) return true;
  int fp = 0, fs = 0, tp = 0, ts = 0;
  if (std::sscanf(from.c_str(), "DECIMAL(%d,%d)", &fp, &fs) == 2 &&
      std::sscanf(to.c_str(), "DECIMAL(%d,%d)", &tp, &ts) == 2) {
    return ts >= fs && tp - ts >= fp - fs;
  }
  return false;
}

std::vector<ColumnStats> ParquetStats(const std::vector<std::string>& paths,
                                      const std::vector<Column>& columns) {
  if (paths.empty() || columns.empty()) return {};
  db::Database db(":memory:", {}, "crawl");
  db::Connection conn(db);
  std::string list;
  for (const auto& p : paths) list += (list.empty() ? "" : ", ") + QuoteLiteral(p);
  conn.Execute(
      "CREATE TABLE m AS SELECT path_in_schema, stats_min_value, stats_max_value, stats_null_count "
      "FROM"
      " parquet_metadata([" +
      list + "])");
  std::vector<std::string> parts;
  for (const auto& c : columns) {
    parts.push_back(
        "SELECT " + QuoteLiteral(c.name) + ", CAST(min(TRY_CAST(stats_min_value AS " + c.type +
        ")) AS VARCHAR), CAST(max(TRY_CAST(stats_max_value AS " + c.type +
        ")) AS VARCHAR), coalesce(sum(stats_null_count), 0) FROM m WHERE path_in_schema = " +
        QuoteLiteral(c.name));
  }
  std::string sql;
  for (const auto& p : parts) sql += (sql.empty() ? "" : " UNION ALL ") + p;
  std::vector<ColumnStats> out;
  for (const auto& r : conn.Query(sql).Rows()) {
    if (!r[1] || !r[2]) continue;
    out.push_back({r[0].value_or(""), *r[1], *r[2], r[3] ? std::stoull(*r[3]) : 0});
  }
  return out;
}

}  // namespace shoplake::catalog
