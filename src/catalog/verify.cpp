// Verify: each current snapshot's files read back whole and hashed, against the checksums
// recorded at commit.
#include "catalog/verify.h"

#include <nlohmann/json.hpp>

#include "common/clock.h"
#include "common/error.h"
#include "common/hash.h"

namespace shoplake::catalog {
namespace {

// Hex SHA-256 of the object's bytes as the lake returns them now.
std::string ObjectSha256(lake::Store& lake, const std::string& key, uint64_t* bytes) {
  auto reader = lake.Open(key);
  Digest sha256(Digest::Algorithm::kSha256);
  std::string buffer(1 << 16, '\0');
  *bytes = 0;
  while (size_t n = reader->Read(buffer.data(), buffer.size())) {
    sha256.Update(std::string_view(buffer.data(), n));
    *bytes += n;
  }
  return HexEncode(sha256.Finish());
}

// What is wrong with one file, if anything (an empty problem when nothing).
FileProblem Check(lake::Store& lake, const std::string& table, const SnapshotFile& file) {
  FileProblem found{table, file.key, "", "", 0, file.sha256, file.bytes};
  if (!lake.Stat(file.key)) {
    found.problem = "missing";
    return found;
  }
  found.sha256 = ObjectSha256(lake, file.key, &found.bytes);
  if (file.sha256.empty()) {
    found.problem = "unknown";
  } else if (found.sha256 != file.sha256 || found.bytes != file.bytes) {
    found.problem = "differs";
  }
  return found;
}

}  // namespace

VerifyReport Verify(lake::Store& lake, Catalog& catalog, const VerifyOptions& options) {
  VerifyReport report;
  Verification& v = report.verification;
  v.started_at = UtcNowIso();
  std::vector<Table> tables;
  if (options.table.empty()) {
    tables = catalog.Tables();
  } else {
    tables = {ResolveTable(catalog, options.table, catalog.db().path())};
    v.scope = tables.front().database + "." + tables.front().name;
  }
  // Checksums to record (snapshot, key, sha256): with options.record, for the unknown ones.
  struct Recording {
    int64_t snapshot_id;
    std::string key;
    std::string sha256;
  };
  std::vector<Recording> recordings;
  nlohmann::json failures = nlohmann::json::array();
  for (const auto& table : tables) {
    auto snapshot = catalog.CurrentSnapshot(table.id);
    if (!snapshot) continue;
    std::string name = table.database + "." + table.name;
    for (const auto& file : snapshot->files) {
      ++v.files_checked;
      FileProblem problem = Check(lake, name, file);
      if (problem.problem.empty()) continue;
      if (problem.problem == "unknown" && options.record) {
        problem.problem = "recorded";
        recordings.push_back({snapshot->id, file.key, problem.sha256});
      } else if (problem.problem == "unknown") {
        ++v.files_unknown;
      } else {
        ++v.files_failed;
        failures.push_back({{"table", name}, {"key", file.key}, {"problem", problem.problem}});
      }
      report.problems.push_back(std::move(problem));
    }
  }
  v.failures = failures.dump();
  v.finished_at = UtcNowIso();
  db::SqliteTransaction tx(catalog.db());
  for (const auto& r : recordings) catalog.RecordChecksum(r.snapshot_id, r.key, r.sha256);
  v.id = catalog.RecordVerification(v);
  tx.Commit();
  return report;
}

}  // namespace shoplake::catalog
