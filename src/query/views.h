// Views: the SQL files of pipeline/views, as Athena keeps views beside the catalog's tables.
// Each file holds one statement, `CREATE OR REPLACE VIEW <database>.<name> AS ...`, named
// like its file; `shoplake views apply` creates them in dependency order (a view after the
// views it reads) and records them in the catalog, where every query finds them.
//
// Thread safety: free functions; ApplyViews uses the engine and catalog it is given.
#pragma once

#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "catalog/catalog.h"
#include "query/engine.h"

namespace shoplake::query {

//! Every *.sql file of `dir`, checked and ordered so that each view comes after the views it
//! reads; `file` is the path relative to `root`. Throws Error(kConfig) naming the file (and
//! line) for a file that is not one CREATE VIEW named like it, two files defining one view,
//! or views that read each other in a cycle; Error(kConfig) when `dir` does not exist.
std::vector<catalog::View> LoadViews(const std::filesystem::path& dir,
                                     const std::filesystem::path& root);

//! Every *.sql file of `dir` by "<database>.<name>", checked as LoadViews checks them (but
//! not ordered).
std::map<std::string, catalog::View> ReadViewFolder(const std::filesystem::path& dir,
                                                    const std::filesystem::path& root);

//! `by_name`'s views, each after the views it reads (alphabetical among those ready).
//! Throws Error(kConfig) for views that read each other in a cycle, at `where`.
std::vector<catalog::View> OrderViews(const std::map<std::string, catalog::View>& by_name,
                                      const std::string& where);

//! Creates `views` (as LoadViews orders them) in `engine`, which must have been opened
//! without the catalog's views, then makes them the catalog's views in one transaction.
//! Nothing is recorded when one fails: throws Error(kConfig) naming its file and line.
std::vector<catalog::ViewChange> ApplyViews(QueryEngine& engine, catalog::Catalog& catalog,
                                            const std::vector<catalog::View>& views);

}  // namespace shoplake::query
