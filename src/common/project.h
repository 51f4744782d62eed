// Project: the parsed shoplake.yaml, the file that says where the lake is, which sources
// feed it and which datasets it holds. Found like git and dbt find theirs: in the current
// folder or the nearest parent.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace shoplake {

//! A place the shop's exports come from (ingest reads it).
struct SourceSpec {
  std::string name;
  std::string uri;  //!< gs://, s3://, http(s)://, file:// or a path
};

//! A table the pipeline builds from a source's files.
struct DatasetSpec {
  std::string name;
  std::string source;   //!< name of a SourceSpec
  std::string pattern;  //!< glob over object names, e.g. "orders/*.csv"
  std::string mapping;  //!< mapping file, relative to the project root
  //! Where shoplake.yaml names the mapping ("shoplake.yaml:12:14"), or declares the dataset
  //! when it names none; empty for a dataset no file declared.
  std::string declared_at = "";
};

//! Defaults for `shoplake simulate` in this project.
struct SimulateSpec {
  uint64_t seed = 42;
  int days = 90;
  std::string start = "2026-01-01";
  uint64_t orders = 95000;
  double dirty_rate = 0.0;
  double realities = 0.01;      //!< docs/simulate.md, "Realities"
  std::string out = "exports";  //!< relative to the project root
};

//! Where `shoplake:notify` sends a message when its task's input names no url or command
//! (shoplake.yaml's `notify:` section).
struct NotifySpec {
  std::string url;           //!< webhook (http:// or https://): the message is POSTed as JSON
  std::string command;       //!< shell command: the message is written to its stdin
  int timeout_seconds = 10;  //!< bounds each delivery
};

//! How much memory DuckDB may use and where it spills (shoplake.yaml's `duckdb:` section):
//! one setting for every stage, which `stages` may override for one of them.
struct DuckDbSpec {
  struct Limits {
    std::string memory_limit;    //!< DuckDB's spelling ("2GB", "512MiB"); empty: the default
    std::string temp_directory;  //!< where spill folders go; relative to the project root
  };
  Limits all;                            //!< `duckdb.memory_limit`, `duckdb.temp_directory`
  std::map<std::string, Limits> stages;  //!< `duckdb.stages.<stage>`: transform, query, ...

  //! The limits `stage` runs with: its override's fields where set, else the project's.
  Limits For(const std::string& stage) const;
};

//! The stages that open DuckDB, as `duckdb.stages` names them.
const std::vector<std::string>& DuckDbStages();

//! Limits on the SQL that `query` and `serve` run (shoplake.yaml's `query:` section).
struct QuerySpec {
  //! Seconds a query may run before it is stopped; 0: no limit. Unset: `serve` stops
  //! queries after 60 s, `query` never.
  std::optional<int> timeout_seconds;
};

//! How the project's tables give the sales model (shoplake.yaml's `sales:` section,
//! docs/query.md "The sales model"): `<database>.sales`, which the shipped views and
//! dashboard read, is generated from it. Each role is a SQL expression over the sales
//! table's columns (usually one column's name).
struct SalesSpec {
  std::string table;  //!< the table holding one row per sale line, in the project's database
  std::string where;  //!< a condition: which rows are sales; empty: every row
  std::map<std::string, std::string> roles;  //!< role (SalesRoles()) -> SQL expression
  //! `sales.stock`: the table of stock snapshots and its roles (StockRoles()); empty: none.
  std::string stock_table;
  std::map<std::string, std::string> stock;
  std::string declared_at;  //!< "shoplake.yaml:line:column" of the section

  //! True when the model names `role`; "cost" is also given by "profit".
  bool Has(const std::string& role) const;
};

//! The roles a `sales:` section may name, the required ones (order, time, revenue) first.
const std::vector<std::string>& SalesRoles();
//! The roles of `sales.stock`, the required ones (product, time, on_hand) first.
const std::vector<std::string>& StockRoles();

struct Project {
  std::filesystem::path root;                 //!< folder holding shoplake.yaml (or the cwd)
  std::optional<std::filesystem::path> file;  //!< the shoplake.yaml, when one was found
  std::string name = "shoplake";
  std::string lake = "lake";  //!< lake URI or path; a relative path is under root
  std::vector<SourceSpec> sources;
  std::vector<DatasetSpec> datasets;
  std::map<std::string, std::string> paths;  //!< mappings, views, dashboard, workflow
  SimulateSpec simulate;
  NotifySpec notify;
  DuckDbSpec duckdb;
  QuerySpec query;
  std::optional<SalesSpec> sales;  //!< shoplake.yaml's `sales:`; none: the views folder only
  //! shoplake.yaml's workflow.bindings over the defaults: each substitution variable a state
  //! machine names ("${IngestFunctionArn}", as SAM's DefinitionSubstitutions do) -> the
  //! value it stands for locally, a task resource such as "shoplake:ingest".
  std::map<std::string, std::string> bindings;

  //! The lake as an absolute URI or path (relative paths resolved against root).
  std::string LakeUri() const;
  //! paths[name] resolved against root; throws Error(kConfig) for an unknown name.
  std::filesystem::path PathOf(const std::string& name) const;
};

//! Parses `file`. Throws Error(kConfig) naming "file:line: key" for a malformed file,
//! an unknown key (with the nearest known one), a wrong type or a missing field.
Project LoadProject(const std::filesystem::path& file);

//! Parses YAML `text` as if read from `file` (for tests and error messages).
Project ParseProject(const std::string& text, const std::filesystem::path& file);

//! shoplake.yaml in `start` or its nearest parent, or nullopt.
std::optional<std::filesystem::path> FindProjectFile(const std::filesystem::path& start);

//! The project for `start`: the one found upward, else the defaults rooted at `start`.
Project DiscoverProject(const std::filesystem::path& start);

}  // namespace shoplake
