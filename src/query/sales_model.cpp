// The sales model: `<database>.sales` written from the roles of shoplake.yaml, and the
// shipped views and dashboard (query/analytics/, compiled in) rendered for the project with
// kainjow/mustache: {{db}} is the database, a role's name is true when the model has it
// (a section such as {{#cancellation}} adds the columns only such shops have), and
// {{{stock.<role>}}} the stock table's expressions.
#include "query/sales_model.h"

#include <kainjow/mustache.hpp>
#include <map>

#include "common/error.h"
#include "common/names.h"
#include "common/yaml_reader.h"
#include "query/views.h"

namespace shoplake::query {

// Generated from query/analytics/ by src/CMakeLists.txt: relative path -> text.
const std::map<std::string, std::string>& AnalyticsFiles();

namespace {
namespace fs = std::filesystem;
namespace mustache = kainjow::mustache;

// Where a shipped file's errors are reported: not a file of the project.
constexpr const char* kShippedFolder = "shipped";

// The roles each shipped view reads beyond the required ones (order, time, revenue).
const std::map<std::string, std::vector<std::string>>& ShippedViewNeeds() {
  static const std::map<std::string, std::vector<std::string>> kNeeds = {
      {"total_sales", {}},
      {"monthly_trend", {}},
      {"top10_seller_products", {"product"}},
      {"top10_customers", {"customer"}},
      {"repeat_customer_rate", {"customer"}},
      {"profit", {"cost"}},
      {"sales_by_branch", {"branch"}},
      {"out_of_stock_products", {"product", "stock"}}};
  return kNeeds;
}

// What to write in shoplake.yaml for a role the model lacks.
std::string HowToName(const std::string& role) {
  if (role == "cost") return "sales.cost or sales.profit";
  if (role == "stock") return "sales.stock";
  return "sales." + role;
}

// The database `sales` and the shipped views live in: the sales table's when `sales.table`
// names one (shop.order_lines), else the project's name.
std::string Database(const Project& project) {
  const std::string& table = project.sales->table;
  auto dot = table.find('.');
  return Lower(dot == std::string::npos ? project.name : table.substr(0, dot));
}

// `name` qualified with the project's database unless it names one.
std::string Qualified(const Project& project, const std::string& name) {
  return name.find('.') == std::string::npos ? Database(project) + "." + name : name;
}

// A role's expression, parenthesized so that it binds as one term; `fallback` when absent.
std::string Expression(const std::map<std::string, std::string>& roles, const std::string& role,
                       const std::string& fallback) {
  auto it = roles.find(role);
  return it == roles.end() ? fallback : "(" + it->second + ")";
}

// The mustache data of a project: its database, each role it has, the stock expressions.
mustache::data TemplateData(const Project& project) {
  mustache::data data(mustache::data::type::object);
  data.set("db", Database(project));
  const SalesSpec& sales = *project.sales;
  for (const auto& role : SalesRoles()) data.set(role, sales.Has(role));
  data.set("stock", mustache::data(false));
  if (sales.Has("stock")) {
    mustache::data stock(mustache::data::type::object);
    stock.set("table", Qualified(project, sales.stock_table));
    const std::string product = Expression(sales.stock, "product", "NULL");
    stock.set("product", product);
    stock.set("product_name",
              Expression(sales.stock, "product_name", "CAST(" + product + " AS VARCHAR)"));
    stock.set("category", Expression(sales.stock, "category", "CAST(NULL AS VARCHAR)"));
    stock.set("time", Expression(sales.stock, "time", "NULL"));
    stock.set("on_hand", Expression(sales.stock, "on_hand", "NULL"));
    data.set("stock", stock);
  }
  return data;
}

// The shipped file `name` rendered for `project`; throws when the template is broken (a
// defect of the build, not of the project).
std::string Render(const std::string& name, const mustache::data& data) {
  const auto& files = AnalyticsFiles();
  auto it = files.find(name);
  if (it == files.end()) {
    throw Error(ErrorCode::kInternal, "no shipped analytics file " + name, kShippedFolder);
  }
  mustache::mustache tmpl(it->second);
  if (!tmpl.is_valid()) {
    throw Error(ErrorCode::kInternal, "shipped " + name + ": " + tmpl.error_message(),
                kShippedFolder);
  }
  tmpl.set_custom_escape([](const std::string& value) { return value; });
  return tmpl.render(data);
}

void RequireSalesModel(const Project& project) {
  if (!project.sales) {
    throw Error(ErrorCode::kConfig, "the project has no sales model",
                project.file ? project.file->string() : "shoplake.yaml",
                "add a sales: section (docs/query.md, \"The sales model\"); shoplake init "
                "proposes one");
  }
}

}  // namespace

const std::vector<std::string>& SalesColumns() {
  static const std::vector<std::string> kColumns = {
      "order_id",     "order_ts", "order_date", "customer_id", "customer_name",   "product_id",
      "product_name", "category", "branch_id",  "branch_name", "branch_type",     "quantity",
      "gross",        "discount", "revenue",    "cost",        "is_cancellation", "is_product"};
  return kColumns;
}

catalog::View SalesView(const Project& project) {
  const SalesSpec& sales = project.sales.value();
  const auto& roles = sales.roles;
  const std::string text = "CAST(NULL AS VARCHAR)";
  const std::string revenue = Expression(roles, "revenue", "NULL");
  const std::string customer = Expression(roles, "customer", text);
  const std::string product = Expression(roles, "product", text);
  const std::string branch = Expression(roles, "branch", text);
  // Gross and discount give each other through revenue = gross - discount.
  std::string gross = Expression(roles, "gross", "");
  std::string discount = Expression(roles, "discount", "");
  if (gross.empty()) gross = discount.empty() ? revenue : "(" + revenue + " + " + discount + ")";
  if (discount.empty()) discount = roles.count("gross") ? "(" + gross + " - " + revenue + ")" : "0";
  std::string cost = Expression(roles, "cost", "");
  if (cost.empty()) {
    cost = roles.count("profit") ? "(" + revenue + " - " + Expression(roles, "profit", "") + ")"
                                 : "CAST(NULL AS DECIMAL(18, 2))";
  }
  const std::vector<std::string> values = {
      Expression(roles, "order", "NULL"),
      "CAST(" + Expression(roles, "time", "NULL") + " AS TIMESTAMP)",
      "CAST(" + Expression(roles, "time", "NULL") + " AS DATE)",
      customer,
      Expression(roles, "customer_name", "CAST(" + customer + " AS VARCHAR)"),
      product,
      Expression(roles, "product_name", "CAST(" + product + " AS VARCHAR)"),
      Expression(roles, "category", text),
      branch,
      Expression(roles, "branch_name", "CAST(" + branch + " AS VARCHAR)"),
      Expression(roles, "branch_type", text),
      Expression(roles, "quantity", "CAST(NULL AS BIGINT)"),
      gross,
      discount,
      revenue,
      cost,
      "coalesce(" + Expression(roles, "cancellation", "false") + ", false)",
      "coalesce(" + Expression(roles, "product_line", "true") + ", false)"};

  catalog::View view;
  view.database = Database(project);
  view.name = "sales";
  view.file = "shoplake.yaml (sales:)";
  view.sql =
      "-- What counts as a sale, generated from the sales model (shoplake.yaml's sales:\n"
      "-- section; docs/query.md, \"The sales model\"): one row per sale line, the same\n"
      "-- columns for every shop. Every analytics view reads it.\n"
      "CREATE OR REPLACE VIEW " +
      view.database + ".sales AS\nSELECT\n";
  for (size_t i = 0; i < values.size(); ++i) {
    view.sql +=
        "  " + values[i] + " AS " + SalesColumns()[i] + (i + 1 < values.size() ? ",\n" : "\n");
  }
  view.sql += "FROM " + Qualified(project, sales.table);
  if (!sales.where.empty()) view.sql += "\nWHERE " + sales.where;
  view.sql += "\n";
  return view;
}

std::string MissingRoleNote(const Project& project, const std::vector<std::string>& needs) {
  if (!project.sales) return "";
  for (const auto& role : needs) {
    if (!project.sales->Has(role)) {
      return "needs the sales model's " + role + " (" + HowToName(role) + " in shoplake.yaml)";
    }
  }
  return "";
}

std::vector<std::string> ShippedViewNames() {
  std::vector<std::string> names;
  for (const auto& [name, needs] : ShippedViewNeeds()) names.push_back(name);
  return names;
}

catalog::View ShippedView(const Project& project, const std::string& name) {
  RequireSalesModel(project);
  if (name == "sales") return SalesView(project);
  auto needs = ShippedViewNeeds().find(name);
  if (needs == ShippedViewNeeds().end()) {
    auto names = ShippedViewNames();
    names.insert(names.begin(), "sales");
    throw Error(ErrorCode::kNotFound,
                "no view named " + name + " ships with shoplake" + DidYouMean(name, names), name,
                "one of: " + YamlReader::JoinAll(names));
  }
  if (auto note = MissingRoleNote(project, needs->second); !note.empty()) {
    throw Error(ErrorCode::kConfig, Database(project) + "." + name + " " + note,
                project.sales->declared_at, "name the role, or write the view yourself");
  }
  catalog::View view;
  view.database = Database(project);
  view.name = name;
  view.file = std::string(kShippedFolder) + "/views/" + name + ".sql";
  view.sql = Render("views/" + name + ".sql", TemplateData(project));
  return view;
}

ProjectViews LoadProjectViews(const Project& project, const fs::path& dir) {
  ProjectViews out;
  if (!project.sales) {
    out.views = LoadViews(dir, project.root);
    return out;
  }
  std::map<std::string, catalog::View> by_name;
  if (fs::is_directory(dir)) by_name = ReadViewFolder(dir, project.root);
  const std::string db = Database(project);
  by_name.emplace(db + ".sales", SalesView(project));  // a file of the folder wins
  for (const auto& [name, needs] : ShippedViewNeeds()) {
    if (by_name.count(db + "." + name)) continue;
    if (auto note = MissingRoleNote(project, needs); !note.empty()) {
      out.notes.push_back(db + "." + name + " skipped: it " + note);
      continue;
    }
    by_name.emplace(db + "." + name, ShippedView(project, name));
  }
  out.views = OrderViews(by_name, dir.string());
  return out;
}

ShippedDashboard ShippedDashboardFor(const Project& project) {
  RequireSalesModel(project);
  return {Render("dashboard.yaml", TemplateData(project)),
          fs::path(kShippedFolder) / "dashboard.yaml"};
}

}  // namespace shoplake::query
