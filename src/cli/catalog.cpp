// `shoplake catalog ls|show|history|ddl|export`: the lake's tables as the catalog records
// them (catalog/catalog.h), and their Athena/Glue declarations (catalog/export.h).
#include "catalog/catalog.h"

#include <fmt/core.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <map>
#include <nlohmann/json.hpp>

#include "catalog/columns.h"
#include "catalog/export.h"
#include "cli/context.h"
#include "common/error.h"
#include "common/progress.h"

namespace shoplake::cli {
namespace {

struct CatalogFlags {
  std::string table;
  bool json = false;
  bool glue = false;
  std::string location_root;  //!< --location-root: the lake URI the exports name
};

std::string FullName(const catalog::Table& t) { return t.database + "." + t.name; }

// The table's partitions: those the catalog records (a crawl keeps them, deleted ones
// included), else the ones its current snapshot's files are in.
std::vector<catalog::Partition> PartitionsOf(catalog::Catalog& catalog, const catalog::Table& t,
                                             const std::optional<catalog::Snapshot>& snapshot) {
  auto recorded = catalog.Partitions(t.id);
  if (!recorded.empty() || !snapshot) return recorded;
  std::map<std::string, catalog::Partition> by_spec;
  for (const auto& f : snapshot->files) {
    if (f.partition.empty()) continue;
    auto& p = by_spec[f.partition];
    p.spec = f.partition;
    p.location = t.location + f.partition + "/";
    p.status = "active";
    p.first_seen = p.last_seen = snapshot->committed_at;
    ++p.files;
    p.rows += f.rows;
    p.bytes += f.bytes;
  }
  std::vector<catalog::Partition> out;
  for (auto& [spec, p] : by_spec) out.push_back(std::move(p));
  return out;
}

size_t ActiveCount(const std::vector<catalog::Partition>& partitions) {
  return static_cast<size_t>(std::count_if(partitions.begin(), partitions.end(),
                                           [](const auto& p) { return p.status == "active"; }));
}

std::string Bytes(uint64_t bytes) { return Progress::Bytes(static_cast<double>(bytes)); }

nlohmann::json ColumnsJson(const std::vector<catalog::Column>& columns) {
  nlohmann::json out = nlohmann::json::array();
  for (const auto& c : columns) {
    out.push_back({{"name", c.name},
                   {"type", c.type},
                   {"hive_type", catalog::HiveType(c.type)},
                   {"nullable", c.nullable},
                   {"description", c.description}});
  }
  return out;
}

nlohmann::json SnapshotJson(const catalog::Snapshot& s) {
  return {{"id", s.id},         {"parent_id", s.parent_id}, {"committed_at", s.committed_at},
          {"run_id", s.run_id}, {"operation", s.operation}, {"rows", s.rows},
          {"bytes", s.bytes}};
}

std::string LakeRoot(Context& context, const CatalogFlags& flags) {
  return flags.location_root.empty() ? context.lake_uri() : flags.location_root;
}

void ListTables(Context& context, const CatalogFlags& flags) {
  catalog::Catalog catalog(context.catalog_path(lake::CatalogFile::Access::kRead));
  std::string root = context.lake_uri();
  struct Row {
    catalog::Table table;
    std::optional<catalog::Snapshot> snapshot;
    size_t partitions = 0;
  };
  std::vector<Row> rows;
  for (auto& t : catalog.Tables()) {
    auto snapshot = catalog.CurrentSnapshot(t.id);
    size_t partitions = ActiveCount(PartitionsOf(catalog, t, snapshot));
    rows.push_back({std::move(t), std::move(snapshot), partitions});
  }
  if (flags.json) {
    nlohmann::json out = nlohmann::json::array();
    for (const auto& r : rows) {
      out.push_back({{"table", FullName(r.table)},
                     {"database", r.table.database},
                     {"name", r.table.name},
                     {"owner", r.table.owner},
                     {"format", r.table.format},
                     {"version", r.table.version},
                     {"snapshot_id", r.snapshot ? nlohmann::json(r.snapshot->id) : nullptr},
                     {"rows", r.snapshot ? r.snapshot->rows : 0},
                     {"bytes", r.snapshot ? r.snapshot->bytes : 0},
                     {"files", r.snapshot ? r.snapshot->files.size() : 0},
                     {"partitions", r.partitions},
                     {"location", r.table.location},
                     {"uri", catalog::TableLocationUri(r.table, root)}});
    }
    fmt::print("{}\n", out.dump(1));
    return;
  }
  if (rows.empty()) {
    fmt::print("no tables: run shoplake transform (or shoplake crawl) to register some\n");
    return;
  }
  size_t width = 5;
  for (const auto& r : rows) width = std::max(width, FullName(r.table).size());
  constexpr const char* kLine = "{:<{}}  {:<10}  {:<7}  {:>7}  {:>8}  {:>10}  {:>6}  {:>10}  {}\n";
  fmt::print(kLine, "table", width, "owner", "format", "version", "snapshot", "rows", "files",
             "partitions", "location");
  for (const auto& r : rows) {
    fmt::print(kLine, FullName(r.table), width, r.table.owner, r.table.format, r.table.version,
               r.snapshot ? std::to_string(r.snapshot->id) : "-", r.snapshot ? r.snapshot->rows : 0,
               r.snapshot ? r.snapshot->files.size() : 0, r.partitions, r.table.location);
  }
  fmt::print("{} tables\n", rows.size());
}

void ShowTable(Context& context, const CatalogFlags& flags) {
  std::string path = context.catalog_path(lake::CatalogFile::Access::kRead);
  catalog::Catalog catalog(path);
  catalog::Table t = catalog::ResolveTable(catalog, flags.table, path);
  auto snapshot = catalog.CurrentSnapshot(t.id);
  auto partitions = PartitionsOf(catalog, t, snapshot);
  auto stats = snapshot ? catalog.Stats(snapshot->id) : std::vector<catalog::ColumnStats>{};
  size_t versions = catalog.Versions(t.id).size();
  std::string uri = catalog::TableLocationUri(t, context.lake_uri());

  if (flags.json) {
    nlohmann::json parts = nlohmann::json::array();
    for (const auto& p : partitions) {
      parts.push_back({{"spec", p.spec},
                       {"location", p.location},
                       {"status", p.status},
                       {"files", p.files},
                       {"rows", p.rows},
                       {"bytes", p.bytes},
                       {"first_seen", p.first_seen},
                       {"last_seen", p.last_seen}});
    }
    nlohmann::json current = nullptr;
    if (snapshot) {
      current = SnapshotJson(*snapshot);
      current["files"] = snapshot->files.size();
      nlohmann::json column_stats = nlohmann::json::array();
      for (const auto& s : stats) {
        column_stats.push_back(
            {{"column", s.column}, {"min", s.min}, {"max", s.max}, {"nulls", s.nulls}});
      }
      current["column_stats"] = column_stats;
    }
    nlohmann::json out = {{"table", FullName(t)},
                          {"database", t.database},
                          {"name", t.name},
                          {"owner", t.owner},
                          {"format", t.format},
                          {"version", t.version},
                          {"versions", versions},
                          {"location", t.location},
                          {"description", t.description},
                          {"uri", uri},
                          {"columns", ColumnsJson(t.columns)},
                          {"partition_keys", ColumnsJson(t.partition_keys)},
                          {"partitions", parts},
                          {"snapshot", current}};
    fmt::print("{}\n", out.dump(1));
    return;
  }

  fmt::print("table {}: {} (owner {}), version {} of {}\n", FullName(t), t.format, t.owner,
             t.version, versions);
  fmt::print("location: {}\n", uri);
  if (!t.description.empty()) fmt::print("description: {}\n", t.description);
  size_t width = 4;
  for (const auto* list : {&t.columns, &t.partition_keys}) {
    for (const auto& c : *list) width = std::max(width, c.name.size());
  }
  fmt::print("\ncolumns ({}):\n", t.columns.size());
  for (const auto& c : t.columns) {
    const char* nulls = c.nullable ? "null" : "not null";
    if (c.description.empty()) {
      fmt::print("  {:<{}}  {:<14}  {}\n", c.name, width, c.type, nulls);
    } else {
      fmt::print("  {:<{}}  {:<14}  {:<8}  {}\n", c.name, width, c.type, nulls, c.description);
    }
  }
  if (!t.partition_keys.empty()) {
    fmt::print("\npartition keys:\n");
    for (const auto& c : t.partition_keys) fmt::print("  {:<{}}  {}\n", c.name, width, c.type);
    fmt::print("\npartitions ({} active, {} deleted):\n", ActiveCount(partitions),
               partitions.size() - ActiveCount(partitions));
    size_t spec_width = 4;
    for (const auto& p : partitions) spec_width = std::max(spec_width, p.spec.size());
    for (const auto& p : partitions) {
      fmt::print("  {:<{}}  {:<7}  {:>5} files  {:>10} rows  {:>10}\n", p.spec, spec_width,
                 p.status, p.files, p.rows, Bytes(p.bytes));
    }
  }
  if (!snapshot) {
    fmt::print("\nno snapshot yet: the table has no files\n");
    return;
  }
  fmt::print("\nsnapshot {} ({}, {}, run {}): {} rows, {} files, {}\n", snapshot->id,
             snapshot->operation, snapshot->committed_at, snapshot->run_id, snapshot->rows,
             snapshot->files.size(), Bytes(snapshot->bytes));
  if (!stats.empty()) {
    size_t column_width = 6, min_width = 3, max_width = 3;
    for (const auto& s : stats) {
      column_width = std::max(column_width, s.column.size());
      min_width = std::max(min_width, s.min.size());
      max_width = std::max(max_width, s.max.size());
    }
    constexpr const char* kLine = "  {:<{}}  {:<{}}  {:<{}}  {}\n";
    fmt::print(kLine, "column", column_width, "min", min_width, "max", max_width, "nulls");
    for (const auto& s : stats) {
      fmt::print(kLine, s.column, column_width, s.min, min_width, s.max, max_width, s.nulls);
    }
  }
}

// How version `now` differs from `before`, when the catalog recorded no change (the
// transform records none), in the crawler's terms: columns added, widened (a type that holds
// every old value, catalog::Widens), removed, and retyped.
nlohmann::json DiffVersions(const catalog::TableVersion& before, const catalog::TableVersion& now) {
  std::map<std::string, std::string> old_types, new_types;
  for (const auto* list : {&before.columns, &before.partition_keys}) {
    for (const auto& c : *list) old_types[c.name] = c.type;
  }
  for (const auto* list : {&now.columns, &now.partition_keys}) {
    for (const auto& c : *list) new_types[c.name] = c.type;
  }
  nlohmann::json added = nlohmann::json::array(), widened = nlohmann::json::array(),
                 removed = nlohmann::json::array(), retyped = nlohmann::json::array();
  for (const auto& [name, type] : new_types) {
    auto it = old_types.find(name);
    if (it == old_types.end()) {
      added.push_back({{"name", name}, {"type", type}});
    } else if (it->second != type) {
      (catalog::Widens(it->second, type) ? widened : retyped)
          .push_back({{"name", name}, {"from", it->second}, {"to", type}});
    }
  }
  for (const auto& [name, type] : old_types) {
    if (!new_types.count(name)) removed.push_back({{"name", name}, {"type", type}});
  }
  return {{"added", added}, {"widened", widened}, {"removed", removed}, {"retyped", retyped}};
}

// A change entry as one phrase: "name TYPE", "name FROM -> TO", or the text itself.
std::string ChangeItem(const nlohmann::json& item) {
  if (item.is_string()) return item.get<std::string>();
  if (!item.is_object()) return item.dump();
  std::string name = item.value("name", item.value("column", std::string()));
  if (item.contains("from") && item.contains("to")) {
    return name + " " + item["from"].get<std::string>() + " -> " + item["to"].get<std::string>();
  }
  if (item.contains("type")) return name + " " + item["type"].get<std::string>();
  return name.empty() ? item.dump() : name;
}

std::string ChangeText(const nlohmann::json& change) {
  std::string out;
  for (const auto& [kind, items] : change.items()) {
    if (!items.is_array() || items.empty()) continue;
    std::string list;
    for (const auto& item : items) list += (list.empty() ? "" : ", ") + ChangeItem(item);
    out += (out.empty() ? "" : "; ") + kind + ": " + list;
  }
  return out.empty() ? "no column change" : out;
}

void ShowHistory(Context& context, const CatalogFlags& flags) {
  std::string path = context.catalog_path(lake::CatalogFile::Access::kRead);
  catalog::Catalog catalog(path);
  catalog::Table t = catalog::ResolveTable(catalog, flags.table, path);
  auto versions = catalog.Versions(t.id);
  auto snapshots = catalog.Snapshots(t.id);
  // Each version's change: as recorded, else worked out from the version before.
  std::vector<nlohmann::json> changes;
  for (size_t i = 0; i < versions.size(); ++i) {
    if (!versions[i].change.empty()) {
      changes.push_back(nlohmann::json::parse(versions[i].change, nullptr, false));
    } else if (i > 0) {
      changes.push_back(DiffVersions(versions[i - 1], versions[i]));
    } else {
      changes.push_back(nullptr);
    }
  }
  if (flags.json) {
    nlohmann::json vs = nlohmann::json::array();
    for (size_t i = 0; i < versions.size(); ++i) {
      const auto& v = versions[i];
      vs.push_back({{"version", v.version},
                    {"created_at", v.created_at},
                    {"columns", ColumnsJson(v.columns)},
                    {"partition_keys", ColumnsJson(v.partition_keys)},
                    {"change", changes[i].is_discarded() ? nlohmann::json(v.change) : changes[i]}});
    }
    nlohmann::json ss = nlohmann::json::array();
    for (const auto& s : snapshots) ss.push_back(SnapshotJson(s));
    fmt::print("{}\n",
               nlohmann::json{{"table", FullName(t)}, {"versions", vs}, {"snapshots", ss}}.dump(1));
    return;
  }
  fmt::print("table {}\n\nversions ({}):\n", FullName(t), versions.size());
  for (size_t i = 0; i < versions.size(); ++i) {
    const auto& v = versions[i];
    std::string what = changes[i].is_null()        ? "created"
                       : changes[i].is_discarded() ? v.change
                                                   : ChangeText(changes[i]);
    fmt::print("  {:>3}  {:<24}  {} columns, {} partition keys; {}\n", v.version, v.created_at,
               v.columns.size(), v.partition_keys.size(), what);
  }
  fmt::print("\nsnapshots ({}):\n", snapshots.size());
  if (snapshots.empty()) return;
  size_t run_width = 6;
  for (const auto& s : snapshots) run_width = std::max(run_width, s.run_id.size());
  constexpr const char* kLine = "  {:>8}  {:<24}  {:<{}}  {:<9}  {:>10}  {:>10}\n";
  fmt::print(kLine, "snapshot", "committed_at", "run_id", run_width, "operation", "rows", "bytes");
  for (const auto& s : snapshots) {
    fmt::print(kLine, s.id, s.committed_at, s.run_id, run_width, s.operation, s.rows,
               Bytes(s.bytes));
  }
}

void PrintDdl(Context& context, const CatalogFlags& flags) {
  std::string path = context.catalog_path(lake::CatalogFile::Access::kRead);
  catalog::Catalog catalog(path);
  catalog::Table t = catalog::ResolveTable(catalog, flags.table, path);
  fmt::print("{}", catalog::CreateTableDdl(t, LakeRoot(context, flags)));
}

void Export(Context& context, const CatalogFlags& flags) {
  std::string path = context.catalog_path(lake::CatalogFile::Access::kRead);
  catalog::Catalog catalog(path);
  catalog::Table t = catalog::ResolveTable(catalog, flags.table, path);
  fmt::print("{}\n", catalog::GlueTableInput(t, LakeRoot(context, flags)).dump(2));
}

}  // namespace

void AddCatalogCommand(CLI::App& app, Context& context) {
  auto* verb = app.add_subcommand(
      "catalog", "List the lake's tables; show their schema, partitions, history and DDL");
  verb->require_subcommand(1);
  verb->footer(
      "TABLE is database.table, or the table's name alone when only one database has it.\n"
      "Guide: docs/catalog.md");
  auto flags = std::make_shared<CatalogFlags>();
  auto add_table = [&](CLI::App* sub) {
    sub->add_option("TABLE", flags->table, "database.table, or a table name")->required();
  };
  auto add_root = [&](CLI::App* sub) {
    sub->add_option("--location-root", flags->location_root,
                    "Lake root the LOCATION names (default: this lake), e.g. s3://bucket/lake")
        ->type_name("URI");
  };

  auto* ls = verb->add_subcommand("ls", "Every table: owner, format, version, snapshot, rows");
  ls->add_flag("--json", flags->json, "Print the tables as JSON");
  ls->callback([&context, flags] { ListTables(context, *flags); });

  auto* show = verb->add_subcommand(
      "show", "A table's schema, partition keys, partitions, current snapshot and stats");
  add_table(show);
  show->add_flag("--json", flags->json, "Print the table as JSON");
  show->callback([&context, flags] { ShowTable(context, *flags); });

  auto* history = verb->add_subcommand(
      "history", "A table's schema versions (with what changed) and snapshots");
  add_table(history);
  history->add_flag("--json", flags->json, "Print the history as JSON");
  history->callback([&context, flags] { ShowHistory(context, *flags); });

  auto* ddl = verb->add_subcommand(
      "ddl", "The Athena/Hive CREATE EXTERNAL TABLE statement declaring the table");
  add_table(ddl);
  add_root(ddl);
  ddl->callback([&context, flags] { PrintDdl(context, *flags); });

  auto* exp = verb->add_subcommand("export", "The table as another catalog's API input");
  add_table(exp);
  add_root(exp);
  exp->add_flag("--glue", flags->glue, "The AWS Glue CreateTable request body (JSON)")->required();
  exp->callback([&context, flags] { Export(context, *flags); });
}

}  // namespace shoplake::cli
