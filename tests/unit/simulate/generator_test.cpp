// The generator: same seed, same bytes (whatever the thread count); the manifest states
// every file and every fault exactly; the skew a real shop has; atomic, refusing output.
//
// The fault checks lean on a property of the generator: faults draw from their own random
// stream, so a dirty export is the clean export of the same seed with some lines changed or
// inserted. Every line that differs from the clean one must be in the manifest, and every
// line in the manifest must differ in the way its kind says; DuckDB parses the lines where
// fields have to be compared.
#include "simulate/generator.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "common/error.h"
#include "common/files.h"
#include "common/hash.h"
#include "db/duckdb.h"
#include "support/temp_folder.h"

namespace shoplake::simulate {
namespace {
namespace fs = std::filesystem;

class GeneratorTest : public ::testing::Test {
 protected:
  GeneratorOptions Options(const std::string& name, double dirty_rate = 0, int threads = 2) {
    GeneratorOptions o;
    o.shop.seed = 7;
    o.shop.days = 6;
    o.shop.start = "2026-03-01";
    o.shop.orders = 3000;
    o.dirty_rate = dirty_rate;
    o.threads = threads;
    o.progress = false;
    o.out = root_ / name;
    return o;
  }

  static std::vector<std::string> Lines(const fs::path& file) {
    std::vector<std::string> lines;
    std::istringstream in(ReadFile(file));
    for (std::string line; std::getline(in, line);) lines.push_back(line);
    return lines;
  }

  // Every file below `folder` with its sha256, by relative path.
  static std::map<std::string, std::string> Digests(const fs::path& folder) {
    std::map<std::string, std::string> out;
    for (const auto& e : fs::recursive_directory_iterator(folder)) {
      if (e.is_regular_file()) {
        out[fs::relative(e.path(), folder).string()] = HexEncode(Sha256(ReadFile(e.path())));
      }
    }
    return out;
  }

  ::shoplake::testing::TempFolder folder_{"shoplake-generator"};
  const fs::path& root_ = folder_.path();
};

bool ValidUtf8(std::string_view s) {
  for (size_t i = 0; i < s.size();) {
    auto c = static_cast<unsigned char>(s[i]);
    size_t n = c < 0x80 ? 1 : (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xE ? 3 : (c >> 3) == 0x1E ? 4 : 0;
    if (n == 0 || i + n > s.size()) return false;
    for (size_t k = 1; k < n; ++k) {
      if ((static_cast<unsigned char>(s[i + k]) & 0xC0) != 0x80) return false;
    }
    i += n;
  }
  return true;
}

TEST_F(GeneratorTest, OneSeedGivesTheSameBytesWhateverTheThreadCount) {
  Generate(Options("a", 0.02, 1));
  Generate(Options("b", 0.02, 4));
  auto a = Digests(root_ / "a");
  EXPECT_EQ(a.size(), 6u * 3 + 1);
  EXPECT_EQ(a, Digests(root_ / "b"));

  auto other = Options("c", 0.02);
  other.shop.seed = 8;
  Generate(other);
  EXPECT_NE(a.at("orders/2026-03-01.csv"), Digests(root_ / "c").at("orders/2026-03-01.csv"));
}

TEST_F(GeneratorTest, ManifestStatesEveryFileExactly) {
  Export result = Generate(Options("x", 0.01));
  auto manifest = nlohmann::json::parse(ReadFile(root_ / "x" / "_manifest.json"));
  EXPECT_EQ(manifest["seed"], 7);
  EXPECT_EQ(manifest["options"]["orders"], 3000);
  ASSERT_EQ(manifest["files"].size(), 18u);
  uint64_t order_lines = 0;
  std::set<std::string> order_ids;
  for (const auto& f : manifest["files"]) {
    fs::path path = root_ / "x" / f["path"].get<std::string>();
    std::string bytes = ReadFile(path);
    EXPECT_EQ(f["bytes"], bytes.size()) << path;
    EXPECT_EQ(f["sha256"], HexEncode(Sha256(bytes))) << path;
    auto lines = Lines(path);
    EXPECT_EQ(f["rows"], lines.size() - 1) << path;
    std::string dataset =
        f["path"].get<std::string>().substr(0, f["path"].get<std::string>().find('/'));
    std::string header = lines.at(0) + "\n";
    if (dataset == "orders") {
      EXPECT_EQ(header, kOrdersHeader);
      order_lines += lines.size() - 1;
    } else if (dataset == "products") {
      EXPECT_EQ(header, kProductsHeader);
    } else {
      EXPECT_EQ(header, kCustomersHeader);
    }
  }
  EXPECT_EQ(manifest["totals"]["order_lines"], order_lines);
  EXPECT_EQ(result.order_lines, order_lines);
  // About 2.1 lines per order.
  EXPECT_GT(order_lines, 3000u * 19 / 10);
  EXPECT_LT(order_lines, 3000u * 23 / 10);
}

TEST_F(GeneratorTest, FaultManifestMatchesTheFilesLineByLine) {
  Generate(Options("clean", 0));
  Generate(Options("dirty", 0.05));
  auto manifest = nlohmann::json::parse(ReadFile(root_ / "dirty" / "_manifest.json"));

  // (file, line) -> (kind, fault entry)
  std::map<std::pair<std::string, uint64_t>, std::pair<std::string, nlohmann::json>> faults;
  size_t total = 0;
  for (auto& [kind, entry] : manifest["faults"].items()) {
    EXPECT_EQ(entry["count"], entry["lines"].size()) << kind;
    EXPECT_GT(entry["count"].get<int>(), 0) << kind << ": the mix should show every kind";
    for (const auto& line : entry["lines"]) {
      faults[{line["file"], line["line"]}] = {kind, line};
      ++total;
    }
  }
  ASSERT_EQ(faults.size(), total) << "two faults on one line";

  // Lines of each kind, clean and dirty, for DuckDB to split into fields.
  std::map<std::string, std::pair<std::string, std::string>> pairs;
  size_t checked = 0;
  for (const auto& f : manifest["files"]) {
    std::string file = f["path"];
    auto dirty = Lines(root_ / "dirty" / file);
    auto clean = Lines(root_ / "clean" / file);
    if (file.rfind("orders/", 0) != 0) {
      EXPECT_EQ(dirty, clean) << file << ": only order files carry faults";
      continue;
    }
    size_t c = 1;  // the clean line the dirty one stands for
    for (size_t d = 1; d < dirty.size(); ++d) {
      uint64_t line = d + 1;
      auto it = faults.find({file, line});
      if (it == faults.end()) {
        ASSERT_LT(c, clean.size()) << file << ":" << line;
        EXPECT_EQ(dirty[d], clean[c]) << file << ":" << line << " differs but is in no fault list";
        EXPECT_TRUE(ValidUtf8(dirty[d])) << file << ":" << line;
        ++c;
        continue;
      }
      ++checked;
      const std::string& kind = it->second.first;
      const auto& entry = it->second.second;
      SCOPED_TRACE(file + ":" + std::to_string(line) + " " + kind);
      if (kind == "duplicate_line") {
        EXPECT_EQ(dirty[d], dirty[d - 1]);
        continue;  // an inserted line: it stands for no clean line
      }
      const std::string& original = clean[c++];
      EXPECT_NE(dirty[d], original);
      if (kind == "invalid_utf8") {
        EXPECT_FALSE(ValidUtf8(dirty[d]));
      } else if (kind == "unterminated_quote") {
        EXPECT_EQ(std::count(dirty[d].begin(), dirty[d].end(), '"') % 2, 1);
        uint64_t through = entry["through_line"];
        ASSERT_GE(through, line);
        ASSERT_LE(through, dirty.size());
        // The record ends at the first later line holding a quote (or the file's end).
        for (uint64_t k = line + 1; k < through; ++k) {
          EXPECT_EQ(dirty[k - 1].find('"'), std::string::npos) << "line " << k;
        }
        if (through < dirty.size()) {
          EXPECT_NE(dirty[through - 1].find('"'), std::string::npos) << "line " << through;
        }
      } else if (kind == "wrong_column_count") {
        if (entry["field"] == "extra") {
          EXPECT_EQ(dirty[d], original + ",gift wrap");
        } else {
          EXPECT_EQ(dirty[d], original.substr(0, original.rfind(',')));
        }
      } else {
        pairs[kind].first += original + "\n";
        pairs[kind].second += dirty[d] + "\n";
      }
    }
    EXPECT_EQ(c, clean.size()) << file << ": every clean line accounted for";
  }
  EXPECT_EQ(checked, total) << "manifest lines outside the files";

  // Field-level faults: DuckDB splits the clean and dirty lines; exactly the named field
  // changed, in the way the kind says.
  db::Database db;
  db::Connection conn(db);
  std::string columns;
  {
    std::string header = kOrdersHeader;
    header.pop_back();
    std::istringstream names(header);
    for (std::string name; std::getline(names, name, ',');) {
      columns += (columns.empty() ? "" : ", ") + db::QuoteLiteral(name) + ": 'VARCHAR'";
    }
  }
  auto rows_of = [&](const std::string& lines, const std::string& name) {
    fs::path path = root_ / (name + ".csv");
    WriteFileAtomically(path, kOrdersHeader + lines);
    return conn
        .Query("SELECT * FROM read_csv(" + db::QuoteLiteral(path.string()) +
               ", header = true, auto_detect = false, delim = ',', quote = '\"', escape = '\"',"
               " columns = {" +
               columns + "})")
        .Rows();
  };
  std::vector<std::string> names;
  {
    std::string header = kOrdersHeader;
    header.pop_back();
    std::istringstream in(header);
    for (std::string name; std::getline(in, name, ',');) names.push_back(name);
  }
  for (auto& [kind, texts] : pairs) {
    auto clean_rows = rows_of(texts.first, kind + "-clean");
    auto dirty_rows = rows_of(texts.second, kind + "-dirty");
    ASSERT_EQ(clean_rows.size(), dirty_rows.size()) << kind;
    for (size_t r = 0; r < clean_rows.size(); ++r) {
      std::vector<std::string> changed;
      for (size_t i = 0; i < names.size(); ++i) {
        if (clean_rows[r][i] != dirty_rows[r][i]) changed.push_back(names[i]);
      }
      ASSERT_EQ(changed.size(), 1u) << kind << " row " << r;
      size_t i = std::find(names.begin(), names.end(), changed[0]) - names.begin();
      const auto& value = dirty_rows[r][i];
      if (kind == "missing_required_field") {
        EXPECT_FALSE(value.has_value()) << changed[0];
      } else if (kind == "negative_quantity") {
        EXPECT_EQ(changed[0], "quantity");
        EXPECT_EQ(value.value(), "-" + clean_rows[r][i].value());
      } else if (kind == "unparseable_number") {
        auto parsed = conn.QueryScalar("SELECT TRY_CAST(" + db::QuoteLiteral(value.value()) +
                                       " AS DECIMAL(18,2))");
        EXPECT_FALSE(parsed.has_value()) << changed[0] << " = " << *value;
      }
    }
  }
}

TEST_F(GeneratorTest, ShopHasTheSkewOfARealOne) {
  auto options = Options("skew");
  options.shop.days = 120;
  options.shop.orders = 40000;
  Generate(options);
  db::Database db;
  db::Connection conn(db);
  std::string orders = db::QuoteLiteral((root_ / "skew/orders/*.csv").string());
  std::string products = db::QuoteLiteral((root_ / "skew/products/*.csv").string());
  conn.Execute("CREATE TABLE lines AS SELECT * FROM read_csv(" + orders + ")");
  // Zipf: the top 10% of products sell more than half the units.
  auto top_share = conn.QueryScalar(
      "WITH u AS (SELECT product_id, sum(quantity) AS units FROM lines GROUP BY ALL),"
      " r AS (SELECT units, row_number() OVER (ORDER BY units DESC) AS n, count(*) OVER () AS c"
      " FROM u) SELECT sum(units) FILTER (WHERE n <= c / 10) / sum(units) FROM r");
  EXPECT_GT(std::stod(top_share.value()), 0.5);
  // Pareto: the top 20% of customers bring more than half the revenue.
  auto spend_share = conn.QueryScalar(
      "WITH s AS (SELECT customer_id, sum(quantity * unit_price) AS spend FROM lines GROUP BY ALL),"
      " r AS (SELECT spend, row_number() OVER (ORDER BY spend DESC) AS n, count(*) OVER () AS c"
      " FROM s) SELECT sum(spend) FILTER (WHERE n <= c / 5) / sum(spend) FROM r");
  EXPECT_GT(std::stod(spend_share.value()), 0.5);
  // The weekly cycle: Saturdays are busier than Tuesdays.
  auto saturday_vs_tuesday = conn.QueryScalar(
      "SELECT (count(DISTINCT order_id) FILTER (WHERE dayofweek(order_ts) = 6)) /"
      " (count(DISTINCT order_id) FILTER (WHERE dayofweek(order_ts) = 2)) FROM lines");
  EXPECT_GT(std::stod(saturday_vs_tuesday.value()), 1.1);
  // Nights are quiet and stores are closed then.
  auto night_store = conn.QueryScalar(
      "SELECT count(*) FROM lines WHERE hour(order_ts) NOT BETWEEN 9 AND 19 AND branch_type = "
      "'store'");
  EXPECT_EQ(night_store.value(), "0");
  // Products run out and come back.
  auto restocked = conn.QueryScalar(
      "WITH s AS (SELECT product_id, snapshot_date, stock_on_hand, lag(stock_on_hand) OVER"
      " (PARTITION BY product_id ORDER BY snapshot_date) AS before FROM read_csv(" +
      products +
      ")) SELECT count(DISTINCT product_id) FROM s WHERE before = 0 AND stock_on_hand > 0");
  EXPECT_GT(std::stoi(restocked.value()), 0);
  // Order ids are unique per order and rise with time; statuses are the three stated.
  auto statuses =
      conn.QueryScalar("SELECT string_agg(DISTINCT status, ',' ORDER BY status) FROM lines");
  EXPECT_EQ(statuses.value(), "cancelled,completed,returned");
  auto out_of_order = conn.QueryScalar(
      "SELECT count(*) FROM (SELECT t < lag(t) OVER (ORDER BY order_id) AS back FROM"
      " (SELECT order_id, min(order_ts) AS t FROM lines GROUP BY ALL)) WHERE back");
  EXPECT_EQ(out_of_order.value(), "0");
  // Some product names carry commas and quotes, as real ones do.
  auto tricky = conn.QueryScalar(
      "SELECT count(*) FILTER (WHERE product_name LIKE '%,%') > 0 AND"
      " count(*) FILTER (WHERE product_name LIKE '%\"%') > 0 FROM read_csv(" +
      products + ")");
  EXPECT_EQ(tricky.value(), "true");
}

// The realities (docs/simulate.md): each is in the files exactly as the manifest says, so the
// views' cases over a simulated shop exercise every rule the views have for them.
TEST_F(GeneratorTest, RealitiesAreInTheFilesAsTheManifestSays) {
  auto options = Options("real");
  options.shop.days = 200;  // Mar to mid-September: long enough for a closed month
  options.shop.realities = 0.02;
  Generate(options);
  auto realities = nlohmann::json::parse(ReadFile(root_ / "real" / "_manifest.json"))["realities"];
  db::Database db;
  db::Connection conn(db);
  conn.Execute("CREATE TABLE lines AS SELECT * FROM read_csv(" +
               db::QuoteLiteral((root_ / "real/orders/*.csv").string()) + ")");
  conn.Execute("CREATE TABLE products AS SELECT * FROM read_csv(" +
               db::QuoteLiteral((root_ / "real/products/*.csv").string()) + ")");
  auto scalar = [&conn](const std::string& sql) { return conn.QueryScalar(sql).value_or(""); };

  // A product twice in one order, on lines of their own.
  EXPECT_GT(realities["repeated_products"].get<int>(), 0);
  EXPECT_EQ(scalar("SELECT count(*) - count(DISTINCT (order_id, product_id)) FROM lines"),
            std::to_string(realities["repeated_products"].get<int>()));
  // Empty unit costs and discounts (a discount is left empty only where there is none).
  EXPECT_GT(realities["empty_unit_costs"].get<int>(), 0);
  EXPECT_EQ(scalar("SELECT count(*) FROM lines WHERE unit_cost IS NULL"),
            std::to_string(realities["empty_unit_costs"].get<int>()));
  EXPECT_GT(realities["empty_discounts"].get<int>(), 0);
  EXPECT_EQ(scalar("SELECT count(*) FROM lines WHERE discount IS NULL"),
            std::to_string(realities["empty_discounts"].get<int>()));
  // The closed month: no orders in it, orders on both sides of it.
  std::string month = realities["closed_month"];
  EXPECT_EQ(
      scalar("SELECT count(*) FROM lines WHERE strftime(order_ts, '%Y-%m') = '" + month + "'"),
      "0");
  EXPECT_EQ(scalar("SELECT min(strftime(order_ts, '%Y-%m')) < '" + month + "' AND max(strftime(" +
                   "order_ts, '%Y-%m')) > '" + month + "' FROM lines"),
            "true");
  // Renames: before the day, the old name; from it, the new one; in the orders and, for
  // products, in the daily snapshots.
  ASSERT_FALSE(realities["renamed_products"].empty());
  ASSERT_EQ(realities["renamed_branches"].size(), 1u);
  ASSERT_FALSE(realities["renamed_customers"].empty());
  auto names = [&](const std::string& table, const std::string& column, const nlohmann::json& r) {
    std::string id = table == "products"       ? "product_id"
                     : column == "branch_name" ? "branch_id"
                                               : "customer_id";
    std::string day = table == "products" ? "snapshot_date" : "CAST(order_ts AS DATE)";
    std::string seen = "CASE WHEN " + day + " < DATE '" + r["on"].get<std::string>() +
                       "' THEN 'before:' ELSE 'after:' END || " + column;
    return scalar("SELECT string_agg(DISTINCT " + seen + ", '|' ORDER BY " + seen + " DESC) FROM " +
                  table + " WHERE " + id + " = " + std::to_string(r["id"].get<int64_t>()));
  };
  for (const auto& r : realities["renamed_products"]) {
    std::string expected =
        "before:" + r["from"].get<std::string>() + "|after:" + r["to"].get<std::string>();
    EXPECT_EQ(names("products", "product_name", r), expected);
  }
  const auto& branch = realities["renamed_branches"][0];
  EXPECT_EQ(names("lines", "branch_name", branch), "before:" + branch["from"].get<std::string>() +
                                                       "|after:" + branch["to"].get<std::string>());
  int customers_seen = 0;
  for (const auto& r : realities["renamed_customers"]) {
    std::string seen = names("lines", "customer_name", r);
    // A customer may not order on both sides of the day: each name seen is the right one.
    for (std::string part :
         {"before:" + r["from"].get<std::string>(), "after:" + r["to"].get<std::string>()}) {
      if (seen.find(part) != std::string::npos) seen.erase(seen.find(part), part.size());
    }
    EXPECT_EQ(seen.find_first_not_of('|'), std::string::npos) << r.dump();
    ++customers_seen;
  }
  EXPECT_GT(customers_seen, 0);
  // Twins: the same spend, orders and units, to the cent.
  auto twins = realities["twin_customers"];
  ASSERT_TRUE(twins.is_object());
  auto spend = [&](int64_t customer) {
    return scalar(
        "SELECT count(DISTINCT order_id) || '/' || sum(quantity) || '/' || "
        "sum(quantity * unit_price - coalesce(discount, 0)) FROM lines WHERE status = "
        "'completed' AND customer_id = " +
        std::to_string(customer));
  };
  EXPECT_EQ(spend(twins["customer_id"]), spend(twins["twin_id"]));
  EXPECT_EQ(scalar("SELECT count(DISTINCT order_id) FROM lines WHERE customer_id = " +
                   std::to_string(twins["twin_id"].get<int64_t>())),
            std::to_string(twins["orders"].get<int>()));

  // Off: none of them, and the same shop otherwise (the first day's products snapshot: the
  // same products, prices and opening stock; no rename happens on the first day).
  auto off = options;
  off.out = root_ / "off";
  off.shop.realities = 0;
  Generate(off);
  auto none = nlohmann::json::parse(ReadFile(root_ / "off" / "_manifest.json"))["realities"];
  EXPECT_EQ(none["repeated_products"], 0);
  EXPECT_TRUE(none["closed_month"].is_null());
  EXPECT_TRUE(none["twin_customers"].is_null());
  EXPECT_TRUE(none["renamed_products"].empty());
  EXPECT_TRUE(none["renamed_customers"].empty());
  EXPECT_EQ(Digests(root_ / "off").at("products/2026-03-01.csv"),
            Digests(root_ / "real").at("products/2026-03-01.csv"));
}

TEST_F(GeneratorTest, RefusesToOverwriteWithoutForceAndReplacesAtomicallyWithIt) {
  Generate(Options("x"));
  auto before = Digests(root_ / "x");
  try {
    Generate(Options("x"));
    FAIL() << "expected a conflict";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kConflict);
    EXPECT_NE(std::string(e.what()).find("not empty"), std::string::npos) << e.what();
    EXPECT_NE(e.hint().find("--force"), std::string::npos);
  }
  EXPECT_EQ(Digests(root_ / "x"), before);

  auto other = Options("x");
  other.shop.seed = 99;
  other.shop.days = 2;
  other.force = true;
  Generate(other);
  auto after = Digests(root_ / "x");
  EXPECT_EQ(after.size(), 2u * 3 + 1) << "the old export's files are gone";
  // Nothing but the export is left beside it.
  for (const auto& e : fs::directory_iterator(root_)) {
    EXPECT_EQ(e.path().filename(), "x") << e.path();
  }
}

TEST_F(GeneratorTest, BadOptionsAreUsageErrorsAndWriteNothing) {
  auto bad_date = Options("x");
  bad_date.shop.start = "2026-02-30";
  auto bad_rate = Options("y");
  bad_rate.dirty_rate = 1.5;
  auto bad_realities = Options("z");
  bad_realities.shop.realities = -0.1;
  for (const auto& options : {bad_date, bad_rate, bad_realities}) {
    try {
      Generate(options);
      FAIL() << "expected a usage error";
    } catch (const Error& e) {
      EXPECT_EQ(e.code(), ErrorCode::kUsage) << e.what();
      EXPECT_FALSE(e.input().empty());
    }
  }
  EXPECT_TRUE(fs::is_empty(root_));
}

TEST_F(GeneratorTest, UnwritablePlaceIsNamed) {
  WriteFileAtomically(root_ / "file", "not a folder");
  auto options = Options("x");
  options.out = root_ / "file" / "exports";
  try {
    Generate(options);
    FAIL() << "expected an I/O error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()) + e.input(), "");
    EXPECT_NE((std::string(e.what()) + " " + e.input()).find((root_ / "file").string()),
              std::string::npos)
        << e.what() << " / " << e.input();
  }
}

}  // namespace
}  // namespace shoplake::simulate
