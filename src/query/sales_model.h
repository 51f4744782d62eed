// The sales model: how a project's tables give the rows every analytics view and the
// dashboard read (shoplake.yaml's `sales:` section, docs/query.md "The sales model").
// `<database>.sales` is generated from it with one set of columns whatever the shop's
// export looks like; the eight views and the dashboard that read it ship with the binary
// (query/analytics/), each needing some roles: what the model lacks is skipped with a note,
// never an error. A project's own views folder may replace any of them, one file per view.
//
// Thread safety: free functions over values.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "catalog/catalog.h"
#include "common/project.h"

namespace shoplake::query {

//! The columns of `<database>.sales`, in order: the contract the views read.
const std::vector<std::string>& SalesColumns();

//! The view `<project.name>.sales` generated from `project.sales` (which must be set).
catalog::View SalesView(const Project& project);

//! "needs the sales model's cost (sales.cost or sales.profit in shoplake.yaml)" for the
//! first of `needs` that `project`'s sales model lacks, or "" when it has them all (or when
//! the project has no sales model: nothing is skipped then).
std::string MissingRoleNote(const Project& project, const std::vector<std::string>& needs);

//! A project's views and what was left out.
struct ProjectViews {
  std::vector<catalog::View> views;  //!< ordered as LoadViews orders them
  std::vector<std::string> notes;    //!< one per shipped view skipped, and why
};

//! The views of `project`: with a sales model, `<database>.sales` and the shipped views its
//! roles support, each replaced by a file of `dir` that defines a view of the same name;
//! then every other file of `dir`. Without one, the files of `dir` only (as LoadViews, and
//! a missing `dir` is an error then). Throws as LoadViews.
ProjectViews LoadProjectViews(const Project& project, const std::filesystem::path& dir);

//! The names of the views shipped with shoplake ("total_sales", ...), not counting `sales`.
std::vector<std::string> ShippedViewNames();

//! The view `name` as the project's sales model gives it (which must be set): `sales`
//! generated, a shipped view rendered. Throws Error(kNotFound) for another name and
//! Error(kConfig) with MissingRoleNote's words when the model lacks a role it needs.
catalog::View ShippedView(const Project& project, const std::string& name);

//! The shipped dashboard's YAML for `project` (its database's name filled in), and the
//! name errors in it are reported under.
struct ShippedDashboard {
  std::string yaml;
  std::filesystem::path file;
};
//! Throws Error(kConfig) when `project` has no sales model.
ShippedDashboard ShippedDashboardFor(const Project& project);

}  // namespace shoplake::query
