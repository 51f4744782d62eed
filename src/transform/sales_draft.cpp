#include "transform/sales_draft.h"

#include <fmt/format.h>

#include <algorithm>
#include <initializer_list>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>

#include "common/names.h"
#include "common/yaml_json.h"
#include "db/duckdb.h"
#include "transform/draft.h"

namespace shoplake::transform {
namespace {

// What a column must hold to fill a role.
enum class Kind { kId, kText, kNumber, kTime };

bool HasKind(const DraftColumn& c, Kind kind) {
  switch (kind) {
    case Kind::kId:
      return c.type == "bigint" || c.type == "varchar";
    case Kind::kText:
      return c.type == "varchar";
    case Kind::kNumber:
      return c.type == "bigint" || c.type == "double" || c.type.starts_with("decimal");
    case Kind::kTime:
      return c.type == "date" || c.type == "timestamp";
  }
  return false;
}

// The first column named as one of `names` (in their order: the first is the likeliest).
const DraftColumn* Named(const DraftMapping& draft, std::initializer_list<const char*> names,
                         Kind kind) {
  for (const char* name : names) {
    for (const auto& c : draft.columns) {
      if (c.name == name && HasKind(c, kind)) return &c;
    }
  }
  return nullptr;
}

// The names each role is known by in shops' exports, likeliest first.
const DraftColumn* OrderColumn(const DraftMapping& d) {
  if (auto* c = Named(
          d,
          {"order_id", "invoice_no", "order_no", "order_number", "invoice_id", "invoice_number",
           "invoice", "order", "transaction_id", "receipt_no", "receipt_id", "receipt_number"},
          Kind::kId)) {
    return c;
  }
  for (const auto& c : d.columns) {  // sales_order_key, invoice_num, ...
    bool named =
        c.name.find("order") != std::string::npos || c.name.find("invoice") != std::string::npos;
    bool id = c.name.ends_with("_id") || c.name.ends_with("_no") || c.name.ends_with("_key") ||
              c.name.ends_with("_number") || c.name.ends_with("_num");
    if (named && id && HasKind(c, Kind::kId)) return &c;
  }
  return nullptr;
}

const DraftColumn* TimeColumn(const DraftMapping& d) {
  if (auto* c = Named(d,
                      {"order_date", "order_ts", "order_time", "order_datetime", "invoice_date",
                       "invoice_ts", "sale_date", "sales_date", "transaction_date", "purchase_date",
                       "created_at", "date", "timestamp", "ts"},
                      Kind::kTime)) {
    return c;
  }
  for (const auto& c : d.columns) {
    if (HasKind(c, Kind::kTime)) return &c;  // the first date: ship dates come later
  }
  return nullptr;
}

// The draft's sample through `conn`: value-based roles, and names that must be quoted.
class Sample {
 public:
  explicit Sample(db::Connection& conn) : conn_(conn) {
    // A code's shape: digits 9 and letters A, one per character (C536379 -> A999999) or one
    // per run (85123A -> 9A), so codes of one family share a shape.
    conn_.Execute(
        "CREATE OR REPLACE TEMP MACRO shoplake_shape(v) AS regexp_replace(regexp_replace(v, "
        "'[0-9]', '9', 'g'), '[A-Za-z]', 'A', 'g');"
        "CREATE OR REPLACE TEMP MACRO shoplake_runs(v) AS regexp_replace(regexp_replace(v, "
        "'[0-9]+', '9', 'g'), '[A-Za-z]+', 'A', 'g')");
    for (const auto& row :
         conn_
             .Query("SELECT keyword_name FROM duckdb_keywords() WHERE keyword_category = "
                    "'reserved'")
             .Rows()) {
      reserved_.insert(row[0].value_or(""));
    }
  }

  //! `column` as an expression of the sales model: its target name, quoted only when DuckDB
  //! reserves it (a column named `order`).
  std::string Ref(const DraftColumn& column) const {
    return reserved_.contains(column.name) ? db::QuoteIdentifier(column.name) : column.name;
  }

  //! The sample's text of `column` (its source header).
  static std::string Source(const DraftColumn& column) {
    return db::QuoteIdentifier(column.source);
  }

  db::Result Query(const std::string& sql) { return conn_.Query(sql); }

 private:
  db::Connection& conn_;
  std::set<std::string> reserved_;
};

// A discount whose values are all between 0 and 1 is a rate (Superstore's 0.2): not money.
std::optional<std::string> RateRange(Sample& sample, const DraftColumn& discount) {
  std::string v = "try_cast(" + sample.Source(discount) + " AS DOUBLE)";
  auto row = sample
                 .Query("SELECT count(" + v + ") > 0 AND count(*) FILTER (WHERE " + v + " < 0 OR " +
                        v + " > 1) = 0, min(" + v + "), max(" + v + ") FROM sample")
                 .Rows();
  if (row.at(0)[0].value_or("false") != "true") return std::nullopt;
  return row.at(0)[1].value_or("") + " to " + row.at(0)[2].value_or("");
}

// Cancellations: order ids that are one letter + the shape of the other ids (C536379 beside
// 536379), on fewer than half the lines.
void ProposeCancellation(Sample& sample, const DraftColumn& order, const DraftColumn* quantity,
                         SalesCandidate& out) {
  std::string c = sample.Source(order);
  auto rows = sample
                  .Query(fmt::format(
                      "WITH v AS (SELECT {0} AS v, left({0}, 1) AS p FROM sample WHERE {0} <> ''), "
                      "letters AS (SELECT p, count(*) AS n, min(v) AS example FROM v "
                      "WHERE regexp_matches(p, '^[A-Za-z]$') GROUP BY p) "
                      "SELECT p, n, example FROM letters l WHERE n * 2 < (SELECT count(*) FROM v) "
                      "AND (SELECT count(*) FROM v WHERE v.p = l.p AND shoplake_shape(substr(v.v, "
                      "2)) NOT IN (SELECT DISTINCT shoplake_shape(w.v) FROM v w WHERE w.p <> l.p)) "
                      "= 0 ORDER BY n DESC, p LIMIT 1",
                      c))
                  .Rows();
  if (rows.empty()) return;
  std::string letter = rows[0][0].value_or("");
  std::string lines = rows[0][1].value_or("0");
  std::string ref = sample.Ref(order);
  std::string negative;
  if (quantity) {
    std::string q = "try_cast(" + sample.Source(*quantity) + " AS DOUBLE)";
    negative =
        fmt::format(", {} of them with a negative {}",
                    sample
                        .Query("SELECT count(*) FILTER (WHERE " + q + " < 0) FROM sample WHERE " +
                               c + " LIKE " + db::QuoteLiteral(letter + "%"))
                        .Rows()
                        .at(0)[0]
                        .value_or("0"),
                    quantity->name);
  }
  out.roles.push_back(
      {"cancellation", ref + " LIKE " + db::QuoteLiteral(letter + "%"),
       fmt::format("{} is {} + another's shape on {} lines", order.source, letter, lines)});
  out.checks.push_back(fmt::format(
      "cancellation: {} lines whose {} is {} + the others' shape ({}){}: check that they "
      "cancel or return earlier sales (totals are net of them)",
      lines, order.name, letter, rows[0][2].value_or(""), negative));
}

// The regular expression of a run shape: 9A -> [0-9]+[A-Za-z]+.
std::string ShapePattern(const std::string& shape) {
  std::string out;
  for (char ch : shape) {
    if (ch == '9') {
      out += "[0-9]+";
    } else if (ch == 'A') {
      out += "[A-Za-z]+";
    } else {
      if (std::string_view("\\.^$|?*+()[]{}").find(ch) != std::string_view::npos) out += '\\';
      out += ch;
    }
  }
  return out;
}

// Lines that are not products: a product id whose values mostly share one or a few shapes
// (5 digits, 5 digits + letters) and, on at most 5% of the lines, have another (POST, D).
void ProposeProductLine(Sample& sample, const DraftColumn& product, SalesCandidate& out) {
  std::string c = sample.Source(product);
  auto shapes = sample
                    .Query(fmt::format("SELECT shoplake_runs({0}) AS shape, count(*) AS n FROM "
                                       "sample WHERE {0} <> '' GROUP BY 1 ORDER BY n DESC, shape",
                                       c))
                    .Rows();
  uint64_t total = 0;
  for (const auto& row : shapes) total += std::stoull(row[1].value_or("0"));
  std::vector<std::string> major;
  std::vector<std::string> minor;
  uint64_t odd = 0;
  for (const auto& row : shapes) {
    uint64_t n = std::stoull(row[1].value_or("0"));
    // A shape on 1% of the lines or more is a family of product codes.
    (n * 100 >= total ? major : minor).push_back(row[0].value_or(""));
    if (n * 100 < total) odd += n;
  }
  if (minor.empty() || odd * 20 > total || major.size() > 4) return;
  // The simplest condition that tells them apart: the first character's kind, when the
  // products' shapes share it and no odd one has it.
  char first = major[0].empty() ? ' ' : major[0][0];
  bool by_first = (first == '9' || first == 'A') &&
                  std::all_of(major.begin(), major.end(),
                              [&](const std::string& s) { return s.starts_with(first); }) &&
                  std::none_of(minor.begin(), minor.end(),
                               [&](const std::string& s) { return s.starts_with(first); });
  // The first character's kind is written as DuckDB and Athena both take it (Athena has no
  // regexp_matches); several shapes need a regular expression, which the deploy warns of.
  const std::string ref = sample.Ref(product);
  std::string condition;
  if (by_first) {
    condition = first == '9' ? "substr(" + ref + ", 1, 1) BETWEEN '0' AND '9'"
                             : "lower(substr(" + ref + ", 1, 1)) BETWEEN 'a' AND 'z'";
  } else {
    std::string pattern;
    for (const auto& s : major) pattern += (pattern.empty() ? "" : "|") + ShapePattern(s);
    condition = "regexp_matches(" + ref + ", " + db::QuoteLiteral("^(" + pattern + ")$") + ")";
  }
  std::string in;
  for (const auto& s : minor) in += (in.empty() ? "" : ", ") + db::QuoteLiteral(s);
  // The odd codes, the commonest first, and how many there are.
  auto codes = sample
                   .Query(fmt::format("SELECT {0}, count(*) AS n, count(*) OVER () FROM sample "
                                      "WHERE shoplake_runs({0}) IN ({1}) GROUP BY 1 "
                                      "ORDER BY n DESC, 1 LIMIT 12",
                                      c, in))
                   .Rows();
  std::string listed;
  for (const auto& row : codes) {
    listed += fmt::format("{}{} ({})", listed.empty() ? "" : ", ", row[0].value_or(""),
                          row[1].value_or(""));
  }
  uint64_t distinct = codes.empty() ? 0 : std::stoull(codes[0][2].value_or("0"));
  if (distinct > codes.size()) listed += fmt::format(", and {} more", distinct - codes.size());
  out.roles.push_back(
      {"product_line", condition, fmt::format("{} lines of another shape are not products", odd)});
  out.checks.push_back(fmt::format(
      "product_line: {} lines ({:.1f}%) have a {} of another shape, counted in totals but not "
      "ranked as products: {}; check that none is a product",
      odd, 100.0 * static_cast<double>(odd) / static_cast<double>(total), product.name, listed));
}

// `where:` from a status column: the lines whose status says the sale happened.
void ProposeWhere(Sample& sample, const DraftColumn& status, SalesCandidate& out) {
  std::string c = sample.Source(status);
  auto values = sample
                    .Query(fmt::format("SELECT {0}, count(*) AS n FROM sample GROUP BY 1 "
                                       "ORDER BY n DESC, 1 LIMIT 20",
                                       c))
                    .Rows();
  for (const char* done : {"completed", "complete", "delivered", "fulfilled", "paid", "shipped"}) {
    for (const auto& row : values) {
      std::string value = row[0].value_or("");
      if (Lower(value) != done) continue;
      std::string others;
      for (const auto& other : values) {
        if (other[0] == row[0]) continue;
        others += fmt::format("{}{} ({})", others.empty() ? "" : ", ", other[0].value_or("blank"),
                              other[1].value_or(""));
      }
      out.roles.push_back({"where", sample.Ref(status) + " = " + db::QuoteLiteral(value),
                           status.source + " says the sale happened"});
      out.checks.push_back(fmt::format(
          "where {} = '{}': lines with another {} are not sales ({}); check", status.name, value,
          status.name, others.empty() ? "none in the sample" : others));
      return;
    }
  }
}

// The order the `sales:` format lists its roles in: the YAML reads as the docs do.
constexpr const char* kRoleOrder[] = {
    "table",    "where",    "order",         "time",         "revenue",
    "quantity", "customer", "customer_name", "product",      "product_name",
    "category", "branch",   "branch_name",   "branch_type",  "gross",
    "discount", "cost",     "profit",        "cancellation", "product_line"};

size_t RoleRank(const std::string& role) {
  auto it = std::find(std::begin(kRoleOrder), std::end(kRoleOrder), role);
  return static_cast<size_t>(it - std::begin(kRoleOrder));
}

const DraftColumn* QuantityColumn(const DraftMapping& d) {
  return Named(d, {"quantity", "qty", "units", "quantity_ordered", "units_sold"}, Kind::kNumber);
}

const DraftColumn* ProductColumn(const DraftMapping& d) {
  return Named(d,
               {"product_id", "stock_code", "sku", "product_code", "item_id", "item_code",
                "article_id", "article_no", "product_no"},
               Kind::kId);
}

// A customer or product that is blank on some lines (UCI retail's guest purchases): those
// lines count in totals, not for any customer or product.
void CheckBlanks(Sample& sample, const DraftColumn& column, const std::string& role,
                 SalesCandidate& out) {
  auto row = sample
                 .Query(fmt::format("SELECT count(*) FILTER (WHERE {0} IS NULL OR trim({0}) = ''),"
                                    " count(*) FROM sample",
                                    Sample::Source(column)))
                 .Rows();
  uint64_t blank = std::stoull(row.at(0)[0].value_or("0"));
  uint64_t total = std::stoull(row.at(0)[1].value_or("0"));
  if (blank == 0 || total == 0) return;
  out.checks.push_back(fmt::format(
      "{} is blank on {} of {} lines ({:.1f}%): they count in totals, not for any {}", column.name,
      blank, total, 100.0 * static_cast<double>(blank) / static_cast<double>(total), role));
}

// Who bought what, where: the roles a column gives as it is.
// Returns the product column, if any.
const DraftColumn* ProposeWhoWhatWhere(Sample& sample, const DraftMapping& d, SalesCandidate& out) {
  auto add = [&](const char* role, const DraftColumn* column) {
    if (column) out.roles.push_back({role, sample.Ref(*column), column->source});
    return column;
  };
  const auto* customer = add("customer", Named(d,
                                               {"customer_id", "client_id", "customer_no",
                                                "customer_number", "customer_key", "customer"},
                                               Kind::kId));
  if (customer) {
    add("customer_name", Named(d, {"customer_name", "client_name", "customer"}, Kind::kText));
  }
  const auto* product = add("product", ProductColumn(d));
  add("product_name", Named(d,
                            {"product_name", "description", "item_name", "product_description",
                             "product", "item", "title"},
                            Kind::kText));
  // `category` before `sub_category`: the coarser grouping reads better on a dashboard.
  add("category",
      Named(d, {"category", "product_category", "category_name", "sub_category", "subcategory"},
            Kind::kText));
  // A branch or store id names its branch; else a region (Superstore's four), else a country.
  const auto* branch =
      add("branch", Named(d,
                          {"branch_id", "store_id", "shop_id", "location_id", "branch", "store",
                           "shop", "region", "market", "country"},
                          Kind::kId));
  if (branch && (branch->name.ends_with("_id") || branch->type == "bigint")) {
    add("branch_name",
        Named(d, {"branch_name", "store_name", "shop_name", "location_name"}, Kind::kText));
    add("branch_type", Named(d, {"branch_type", "store_type", "shop_type"}, Kind::kText));
  }
  if (branch) {
    std::string others;  // other columns a person might rather group by
    for (const char* name : {"store", "region", "state", "city", "country", "market"}) {
      const auto* other = Named(d, {name}, Kind::kText);
      if (other && other != branch) others += (others.empty() ? "" : ", ") + other->name;
    }
    out.checks.push_back(fmt::format(
        "branch is {}{}: the dashboard's sales per branch, store or region are per {}",
        branch->name, others.empty() ? "" : " (also there: " + others + ")", branch->name));
  }
  if (customer) CheckBlanks(sample, *customer, "customer", out);
  if (product) CheckBlanks(sample, *product, "product", out);
  return product;
}

// Money: revenue (a sales column, else quantity * unit price, net of a discount amount),
// and cost (a cost column, quantity * unit cost) or profit.
void ProposeMoney(Sample& sample, const DraftMapping& d, SalesCandidate& out) {
  const auto* quantity = QuantityColumn(d);
  const auto* price = Named(
      d, {"unit_price", "price", "price_each", "price_per_unit", "unit_sale_price"}, Kind::kNumber);
  const auto* sales = Named(d,
                            {"revenue", "sales", "net_sales", "sales_amount", "sale_amount",
                             "amount", "net_amount", "line_total", "total_price", "total"},
                            Kind::kNumber);
  const auto* discount = Named(d, {"discount", "discount_amount", "discounts"}, Kind::kNumber);
  std::optional<std::string> rate = discount ? RateRange(sample, *discount) : std::nullopt;
  std::string amount_off = discount && !rate ? "coalesce(" + sample.Ref(*discount) + ", 0)" : "";
  if (sales) {
    out.roles.push_back({"revenue", sample.Ref(*sales), sales->source});
    out.checks.push_back(
        rate ? fmt::format("revenue is {}: {} ({}) is a rate, not an amount, so it is not "
                           "mapped and {} is taken as net of it",
                           sales->name, discount->name, *rate, sales->name)
             : fmt::format("revenue is {}: check that it is the line's money net of discounts",
                           sales->name));
  } else if (quantity && price) {
    std::string gross = sample.Ref(*quantity) + " * " + sample.Ref(*price);
    std::string revenue = amount_off.empty() ? gross : gross + " - " + amount_off;
    out.roles.push_back({"revenue", revenue,
                         "no sales or amount column: " + quantity->source + " x " + price->source +
                             (amount_off.empty() ? "" : " - " + discount->source)});
    if (!amount_off.empty()) out.roles.push_back({"gross", gross, "before discount"});
    out.checks.push_back(
        fmt::format("revenue is {}: check that {} is the price of one unit", revenue, price->name));
  }
  if (!amount_off.empty()) out.roles.push_back({"discount", amount_off, "an amount"});
  if (rate && !sales) {
    out.checks.push_back(
        fmt::format("{} ({}) is a rate, not an amount: not mapped", discount->name, *rate));
  }
  if (quantity) out.roles.push_back({"quantity", sample.Ref(*quantity), quantity->source});
  const auto* unit_cost =
      Named(d, {"unit_cost", "cost_price", "unit_cost_price", "purchase_price"}, Kind::kNumber);
  const auto* cost = Named(d, {"cost", "total_cost", "line_cost", "cogs"}, Kind::kNumber);
  const auto* profit = Named(d, {"profit", "gross_profit", "margin_amount"}, Kind::kNumber);
  if (cost) {
    out.roles.push_back({"cost", sample.Ref(*cost), cost->source});
  } else if (unit_cost && quantity) {
    out.roles.push_back({"cost", sample.Ref(*quantity) + " * " + sample.Ref(*unit_cost),
                         quantity->source + " x " + unit_cost->source});
  } else if (profit) {
    out.roles.push_back({"profit", sample.Ref(*profit), profit->source});
    out.checks.push_back(fmt::format("cost is revenue - {}: check that {} is the line's profit",
                                     profit->name, profit->name));
  }
  if (!sales && !(quantity && price)) {
    out.missing.push_back("money (a sales, revenue or amount column, or quantity and unit_price)");
  }
}

// A stock table (the out-of-stock panel): a product, a date and the units on hand.
void ProposeStock(Sample& sample, const DraftMapping& d, SalesCandidate& out) {
  const auto* on_hand = Named(d,
                              {"stock_on_hand", "on_hand", "quantity_on_hand", "units_on_hand",
                               "units_in_stock", "in_stock", "stock_level", "stock", "inventory"},
                              Kind::kNumber);
  const auto* product = ProductColumn(d);
  const auto* time = Named(d, {"snapshot_date", "stock_date", "as_of", "date", "day"}, Kind::kTime);
  if (!time) time = TimeColumn(d);
  if (!on_hand || !product || !time) return;
  out.stock = {{"table", d.dataset, ""},
               {"product", sample.Ref(*product), product->source},
               {"time", sample.Ref(*time), time->source},
               {"on_hand", sample.Ref(*on_hand), on_hand->source}};
  if (const auto* name = Named(d, {"product_name", "description", "item_name"}, Kind::kText)) {
    out.stock.push_back({"product_name", sample.Ref(*name), name->source});
  }
  if (const auto* category = Named(d, {"category", "product_category"}, Kind::kText)) {
    out.stock.push_back({"category", sample.Ref(*category), category->source});
  }
}

}  // namespace

std::string SalesModel::table() const {
  return roles.empty() || roles[0].role != "table" ? "" : roles[0].expr;
}

SalesCandidate ProposeSalesRoles(db::Connection& conn, const DraftMapping& draft) {
  SalesCandidate out;
  Sample sample(conn);
  ProposeStock(sample, draft, out);
  out.roles.push_back({"table", draft.dataset, ""});
  const DraftColumn* order = OrderColumn(draft);
  const DraftColumn* time = TimeColumn(draft);
  if (order) {
    out.roles.push_back({"order", sample.Ref(*order), order->source});
  } else {
    out.missing.push_back("an order id (order_id, invoice_no, order_no, ...)");
  }
  if (time) {
    out.roles.push_back({"time", sample.Ref(*time), time->source});
  } else {
    out.missing.push_back("a date or timestamp (order_date, invoice_date, ...)");
  }
  ProposeMoney(sample, draft, out);
  if (!out.missing.empty()) return out;  // not a sales table: its values need no reading
  const DraftColumn* product = ProposeWhoWhatWhere(sample, draft, out);
  if (const auto* status = Named(draft, {"status", "order_status", "line_status"}, Kind::kText)) {
    ProposeWhere(sample, *status, out);
  }
  ProposeCancellation(sample, *order, QuantityColumn(draft), out);
  if (product) ProposeProductLine(sample, *product, out);
  std::stable_sort(out.roles.begin(), out.roles.end(), [](const SalesRole& a, const SalesRole& b) {
    return RoleRank(a.role) < RoleRank(b.role);
  });
  return out;
}

SalesModel ProposeSalesModel(const std::vector<DraftMapping>& drafts) {
  SalesModel model;
  const DraftMapping* best = nullptr;     // complete, with the most roles
  const DraftMapping* nearest = nullptr;  // incomplete, lacking the fewest
  for (const auto& d : drafts) {
    if (d.sales.missing.empty()) {
      if (!best || d.sales.roles.size() > best->sales.roles.size()) best = &d;
    } else if (!nearest || d.sales.missing.size() < nearest->sales.missing.size()) {
      nearest = &d;
    }
  }
  if (!best) {
    std::string lacks;
    for (const auto& m : nearest ? nearest->sales.missing : std::vector<std::string>{}) {
      lacks += (lacks.empty() ? "" : ", ") + m;
    }
    model.why_none = "no dataset has an order id, a date and money" +
                     (nearest ? " (" + nearest->dataset + " lacks " + lacks + ")" : "");
    return model;
  }
  model.roles = best->sales.roles;
  model.checks = best->sales.checks;
  for (const auto& d : drafts) {
    if (&d != best && !d.sales.stock.empty()) {
      model.stock = d.sales.stock;
      model.checks.push_back("stock is " + d.dataset + "'s " + d.sales.stock[3].expr + " per " +
                             d.sales.stock[1].expr + " and " + d.sales.stock[2].expr +
                             ": check that it is the units on hand that day");
      break;
    }
  }
  return model;
}

std::string SalesYaml(const SalesModel& model) {
  // Each role is emitted by EmitYaml (its quoting) and carries its reason as a comment, which
  // EmitYaml does not write; so the section is put together a line per role.
  auto lines = [](const std::vector<SalesRole>& roles, const std::string& indent) {
    std::string out;
    for (const auto& r : roles) {
      std::string line = EmitYaml(nlohmann::ordered_json{{r.role, r.expr}});
      while (!line.empty() && line.back() == '\n') line.pop_back();
      std::string why = r.why;  // a header may hold a line break; a comment may not
      std::replace(why.begin(), why.end(), '\n', ' ');
      std::replace(why.begin(), why.end(), '\r', ' ');
      out += indent + line + (why.empty() ? "" : "  # " + why) + "\n";
    }
    return out;
  };
  std::string out =
      "# The sales model, proposed by `shoplake init` from the columns' names and values (a\n"
      "# comment names the export's column): check each role before trusting the dashboard\n"
      "# (init printed what to check; docs/bring-your-own-data.md, \"The sales model\").\n"
      "sales:\n" +
      lines(model.roles, "  ");
  if (!model.stock.empty()) out += "  stock:\n" + lines(model.stock, "    ");
  return out;
}

std::string SalesSummary(const SalesModel& model) {
  std::string out = model.table() + ":";
  for (size_t i = 1; i < model.roles.size(); ++i) {
    out += fmt::format("{} {} {}", i == 1 ? "" : ",", model.roles[i].role, model.roles[i].expr);
  }
  if (!model.stock.empty()) out += "; stock from " + model.stock[0].expr;
  return out;
}

}  // namespace shoplake::transform
