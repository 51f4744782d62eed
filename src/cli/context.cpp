// Context: the project and the lake, found and opened on first use.
#include "cli/context.h"

#include <filesystem>

#include "common/error.h"
#include "common/uri.h"
#include "db/duckdb.h"
#include "pipeline/stages.h"

namespace shoplake::cli {

const Project& Context::project() {
  if (!project_) {
    if (options.project_file.empty()) {
      project_ = DiscoverProject(std::filesystem::current_path());
    } else if (!std::filesystem::is_regular_file(options.project_file)) {
      throw Error(
          ErrorCode::kUsage, "no such project file", options.project_file,
          "check the path given to --project, or drop it to use shoplake.yaml here or above");
    } else {
      project_ = LoadProject(options.project_file);
    }
    db::UseDuckDbLimits(project_->duckdb, project_->root);
  }
  return *project_;
}

std::string Context::lake_uri() {
  return options.lake.empty() ? project().LakeUri() : options.lake;
}

lake::Store& Context::lake() {
  if (!lake_) lake_ = lake::OpenStore(lake_uri());
  return *lake_;
}

lake::LocalCache& Context::cache() {
  if (!cache_) cache_ = std::make_unique<lake::LocalCache>(lake());
  return *cache_;
}

std::string Context::catalog_path(lake::CatalogFile::Access access) {
  return catalog_file(access).path();
}

void Context::RequireExistingLake() {
  // A remote lake's prefix is not checked: S3 has no folders.
  Uri lake = ParseUri(lake_uri());
  if (lake.scheme == "file" && !std::filesystem::exists(lake.path)) {
    throw Error(ErrorCode::kNotFound, "no lake here", lake.path,
                "check --lake (or lake: in shoplake.yaml); a lake is made by shoplake ingest, "
                "transform or run");
  }
}

lake::CatalogFile& Context::catalog_file(lake::CatalogFile::Access access) {
  using Access = lake::CatalogFile::Access;
  if (access == Access::kRead && !lake_) RequireExistingLake();
  if (!catalog_ || (access == Access::kWrite && catalog_->access() == Access::kRead)) {
    catalog_.reset();
    catalog_ = std::make_unique<lake::CatalogFile>(lake(), cache(), access);
  }
  return *catalog_;
}

pipeline::Workspace Context::workspace() {
  return pipeline::Workspace{project(), lake(), catalog_path(lake::CatalogFile::Access::kWrite)};
}

}  // namespace shoplake::cli
