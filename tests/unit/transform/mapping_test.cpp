// Mapping specs: the pipeline's three real mappings read field by field, a folder of invalid
// cases (each states where and what the error is), the accepted spellings and SqlType.
#include "transform/mapping.h"

#include <gtest/gtest.h>

#include <sstream>

#include "common/error.h"
#include "common/files.h"
#include "support/invalid_cases.h"

namespace shoplake::transform {
namespace {
namespace fs = std::filesystem;

const fs::path kCases = fs::path(SHOPLAKE_TEST_DATA) / "mapping";
const fs::path kPipelineMappings =
    fs::path(SHOPLAKE_TEST_DATA) / ".." / ".." / "pipeline" / "mappings";

std::vector<std::string> Sources(const Mapping& mapping) {
  std::vector<std::string> sources;
  for (const auto& column : mapping.columns) sources.push_back(column.source);
  return sources;
}

std::vector<std::string> Split(const std::string& header) {
  std::vector<std::string> names;
  std::stringstream in(header);
  for (std::string name; std::getline(in, name, ',');) names.push_back(name);
  return names;
}

// Line `line` (1-based) of `file`.
std::string LineOf(const fs::path& file, int line) {
  std::stringstream in(ReadFile(file));
  std::string text;
  for (int i = 0; i < line && std::getline(in, text); ++i) {
  }
  return text;
}

Mapping Parse(const std::string& columns, const std::string& rest = {}) {
  return ParseMapping("dataset: d\ndatabase: db\ntable: t\n" + rest + "columns:\n" + columns,
                      "test.yaml");
}

TEST(Mapping, EveryInvalidCaseNamesFileLineAndProblem) {
  int cases = ::shoplake::testing::CheckInvalidCases(
      kCases / "invalid", [](const fs::path& file) { LoadMapping(file); });
  EXPECT_GE(cases, 15);
}

TEST(Mapping, AMissingFileIsNotFound) {
  try {
    LoadMapping(kCases / "no-such-mapping.yaml");
    FAIL() << "a missing file was read";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kNotFound);
  }
}

TEST(Mapping, OrdersReadsEveryKindOfRule) {
  auto file = kPipelineMappings / "orders.yaml";
  auto orders = LoadMapping(file);
  EXPECT_EQ(orders.file, file);
  EXPECT_EQ(orders.dataset, "orders");
  EXPECT_EQ(orders.database, "shop");
  EXPECT_EQ(orders.table, "order_lines");
  EXPECT_EQ(orders.csv.delimiter, ',');
  EXPECT_EQ(orders.csv.quote, '"');
  EXPECT_EQ(orders.csv.encoding, "utf-8");
  EXPECT_EQ(orders.csv.null_strings, std::vector<std::string>{""});
  // The columns are the export's header, in its order (docs/simulate.md).
  EXPECT_EQ(Sources(orders),
            Split("order_id,line_no,order_ts,status,payment_method,customer_id,customer_name,"
                  "customer_email,branch_id,branch_name,branch_type,product_id,product_name,"
                  "category,quantity,unit_price,unit_cost,discount"));
  EXPECT_EQ(orders.primary_key, (std::vector<std::string>{"order_id", "line_no"}));
  ASSERT_EQ(orders.partition_by.size(), 2u);
  EXPECT_EQ(orders.partition_by[0].name, "year");
  EXPECT_EQ(orders.partition_by[0].from, "order_ts");
  EXPECT_EQ(orders.partition_by[0].part, PartitionSpec::Part::kYear);
  EXPECT_EQ(orders.partition_by[1].part, PartitionSpec::Part::kMonth);

  const ColumnSpec* order_ts = orders.Column("order_ts");
  ASSERT_NE(order_ts, nullptr);
  EXPECT_EQ(order_ts->type, ColumnType::kTimestamp);
  EXPECT_EQ(order_ts->format, "%Y-%m-%d %H:%M:%S");
  EXPECT_FALSE(order_ts->nullable);

  const ColumnSpec* status = orders.Column("status");
  ASSERT_NE(status, nullptr);
  EXPECT_EQ(status->accepted_values,
            (std::vector<std::string>{"completed", "cancelled", "returned"}));
  EXPECT_TRUE(status->nullable);

  const ColumnSpec* email = orders.Column("customer_email");
  ASSERT_NE(email, nullptr);
  ASSERT_TRUE(email->regex.has_value());
  EXPECT_EQ(email->max_length, 254);

  const ColumnSpec* quantity = orders.Column("quantity");
  ASSERT_NE(quantity, nullptr);
  EXPECT_EQ(SqlType(*quantity), "INTEGER");
  EXPECT_EQ(quantity->min, "1");
  EXPECT_FALSE(quantity->max.has_value());

  const ColumnSpec* unit_price = orders.Column("unit_price");
  ASSERT_NE(unit_price, nullptr);
  EXPECT_EQ(SqlType(*unit_price), "DECIMAL(12,2)");
  EXPECT_EQ(unit_price->min, "0");

  const ColumnSpec* product_id = orders.Column("product_id");
  ASSERT_NE(product_id, nullptr);
  ASSERT_TRUE(product_id->references.has_value());
  EXPECT_EQ(product_id->references->dataset, "products");
  EXPECT_EQ(product_id->references->column, "product_id");

  for (const char* name :
       {"order_id", "line_no", "order_ts", "customer_id", "product_id", "quantity", "unit_price"}) {
    EXPECT_FALSE(orders.Column(name)->nullable) << name;
  }
  // Each column's line is where it is declared, so row errors can point at the rule.
  for (const auto& column : orders.columns) {
    EXPECT_NE(LineOf(file, column.line).find("name: " + column.name), std::string::npos)
        << column.name << " at line " << column.line;
  }
  EXPECT_EQ(orders.Column("no_such_column"), nullptr);
}

TEST(Mapping, ProductsArePartitionedBySnapshotDay) {
  auto products = LoadMapping(kPipelineMappings / "products.yaml");
  EXPECT_EQ(products.table, "products");
  EXPECT_EQ(Sources(products),
            Split("product_id,product_name,category,price,cost,stock_on_hand,snapshot_date"));
  EXPECT_EQ(products.primary_key, (std::vector<std::string>{"product_id", "snapshot_date"}));
  ASSERT_EQ(products.partition_by.size(), 1u);
  EXPECT_EQ(products.partition_by[0].name, "snapshot_date");
  EXPECT_EQ(products.partition_by[0].from, "snapshot_date");
  EXPECT_EQ(products.partition_by[0].part, PartitionSpec::Part::kValue);
  EXPECT_EQ(products.Column("snapshot_date")->type, ColumnType::kDate);
  EXPECT_EQ(products.Column("stock_on_hand")->min, "0");
  EXPECT_EQ(SqlType(*products.Column("cost")), "DECIMAL(12,2)");
}

TEST(Mapping, CustomersAreNotPartitioned) {
  auto customers = LoadMapping(kPipelineMappings / "customers.yaml");
  EXPECT_EQ(customers.table, "customers");
  EXPECT_EQ(Sources(customers), Split("customer_id,customer_name,email,city,country,signup_date"));
  EXPECT_EQ(customers.primary_key, std::vector<std::string>{"customer_id"});
  EXPECT_TRUE(customers.partition_by.empty());
  EXPECT_EQ(customers.Column("country")->max_length, 2);
  EXPECT_TRUE(customers.Column("email")->regex.has_value());
  EXPECT_EQ(customers.Column("signup_date")->type, ColumnType::kDate);
}

TEST(Mapping, TypesAreSpelledAnyCaseAndMapToDuckDbTypes) {
  auto mapping = Parse(
      "  - {name: a, type: INT}\n"
      "  - {name: b, type: Integer}\n"
      "  - {name: c, type: bigint}\n"
      "  - {name: d, type: \"Decimal(10, 3)\"}\n"
      "  - {name: e, type: \"numeric(38,0)\"}\n"
      "  - {name: f, type: double}\n"
      "  - {name: g, type: FLOAT}\n"
      "  - {name: h, type: varchar}\n"
      "  - {name: i, type: String}\n"
      "  - {name: j, type: text}\n"
      "  - {name: k, type: boolean}\n"
      "  - {name: l, type: BOOL}\n"
      "  - {name: m, type: date}\n"
      "  - {name: n, type: TimeStamp}\n"
      "  - {name: o}\n");
  std::vector<std::string> types;
  for (const auto& column : mapping.columns) types.push_back(SqlType(column));
  EXPECT_EQ(types, (std::vector<std::string>{"INTEGER", "INTEGER", "BIGINT", "DECIMAL(10,3)",
                                             "DECIMAL(38,0)", "DOUBLE", "DOUBLE", "VARCHAR",
                                             "VARCHAR", "VARCHAR", "BOOLEAN", "BOOLEAN", "DATE",
                                             "TIMESTAMP", "VARCHAR"}));
  EXPECT_EQ(mapping.Column("d")->precision, 10);
  EXPECT_EQ(mapping.Column("d")->scale, 3);
  EXPECT_EQ(mapping.columns[0].line, 5);  // after dataset, database, table and columns
}

TEST(Mapping, SqlTypeOfEachColumnType) {
  ColumnSpec column;
  auto sql = [&](ColumnType type, int precision = 0, int scale = 0) {
    column.type = type;
    column.precision = precision;
    column.scale = scale;
    return SqlType(column);
  };
  EXPECT_EQ(sql(ColumnType::kInt), "INTEGER");
  EXPECT_EQ(sql(ColumnType::kBigint), "BIGINT");
  EXPECT_EQ(sql(ColumnType::kDecimal, 12, 2), "DECIMAL(12,2)");
  EXPECT_EQ(sql(ColumnType::kDecimal, 38, 38), "DECIMAL(38,38)");
  EXPECT_EQ(sql(ColumnType::kDouble), "DOUBLE");
  EXPECT_EQ(sql(ColumnType::kVarchar), "VARCHAR");
  EXPECT_EQ(sql(ColumnType::kBoolean), "BOOLEAN");
  EXPECT_EQ(sql(ColumnType::kDate), "DATE");
  EXPECT_EQ(sql(ColumnType::kTimestamp), "TIMESTAMP");
}

TEST(Mapping, DefaultsForWhatIsLeftOut) {
  auto mapping = Parse("  - name: id\n");
  EXPECT_EQ(mapping.csv.delimiter, ',');
  EXPECT_EQ(mapping.csv.quote, '"');
  EXPECT_EQ(mapping.csv.escape, '"');
  EXPECT_TRUE(mapping.csv.header);
  EXPECT_EQ(mapping.csv.encoding, "utf-8");
  EXPECT_EQ(mapping.csv.null_strings, std::vector<std::string>{""});
  ASSERT_EQ(mapping.columns.size(), 1u);
  const auto& id = mapping.columns[0];
  EXPECT_EQ(id.source, "id");
  EXPECT_EQ(id.type, ColumnType::kVarchar);
  EXPECT_TRUE(id.nullable);
  EXPECT_TRUE(id.format.empty());
  EXPECT_FALSE(id.min || id.max || id.regex || id.max_length || id.references);
  EXPECT_TRUE(id.accepted_values.empty());
  EXPECT_TRUE(mapping.primary_key.empty());
  EXPECT_TRUE(mapping.partition_by.empty());
}

TEST(Mapping, BoundsAndFormatsThatFitTheirType) {
  auto mapping = Parse(
      "  - {name: day, source: Day, type: date, format: \"%-d/%m/%Y\", min: 2020-02-29,"
      " max: 2030-12-31}\n"
      "  - {name: at, type: timestamp, min: \"2026-01-01T00:00:00.5\", max: 2026-01-02}\n"
      "  - {name: price, type: \"decimal(5,2)\", min: \"-999.99\", max: 100.50}\n"
      "  - {name: ratio, type: double, min: -1.5e3, max: 1e3}\n"
      "  - {name: n, type: bigint, min: -9223372036854775808, max: 9223372036854775807,"
      " accepted_values: [1, 2, 3]}\n"
      "  - {name: flag, type: boolean, accepted_values: [\"true\"]}\n",
      "csv: {delimiter: \"\\t\", quote: \"'\", escape: \"\\\\\", header: false, encoding: latin-1,"
      " null_strings: [\"\", \"N/A\"]}\n");
  EXPECT_EQ(mapping.csv.delimiter, '\t');
  EXPECT_EQ(mapping.csv.quote, '\'');
  EXPECT_EQ(mapping.csv.escape, '\\');
  EXPECT_FALSE(mapping.csv.header);
  EXPECT_EQ(mapping.csv.encoding, "latin-1");
  EXPECT_EQ(mapping.csv.null_strings, (std::vector<std::string>{"", "N/A"}));
  EXPECT_EQ(mapping.Column("day")->source, "Day");
  EXPECT_EQ(mapping.Column("day")->format, "%-d/%m/%Y");
  EXPECT_EQ(mapping.Column("day")->min, "2020-02-29");
  EXPECT_EQ(mapping.Column("price")->max, "100.50");
  EXPECT_EQ(mapping.Column("n")->accepted_values, (std::vector<std::string>{"1", "2", "3"}));
}

}  // namespace
}  // namespace shoplake::transform
