// `shoplake verify [TABLE] [--record] [--json]`: reads every file of the current snapshots back
// and checks it against the checksum recorded at commit (catalog/verify.h); names each file
// that differs or is missing and exits 1 when any does.
#include "catalog/verify.h"

#include <fmt/core.h>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "cli/context.h"
#include "common/error.h"

namespace shoplake::cli {
namespace {

struct VerifyFlags {
  std::string table;
  bool record = false;
  bool json = false;
};

nlohmann::json ReportJson(const catalog::VerifyReport& report) {
  const catalog::Verification& v = report.verification;
  nlohmann::json problems = nlohmann::json::array();
  for (const auto& p : report.problems) {
    problems.push_back({{"table", p.table},
                        {"key", p.key},
                        {"problem", p.problem},
                        {"sha256", p.sha256},
                        {"bytes", p.bytes},
                        {"committed_sha256", p.committed},
                        {"committed_bytes", p.committed_bytes}});
  }
  return {{"id", v.id},
          {"started_at", v.started_at},
          {"finished_at", v.finished_at},
          {"scope", v.scope},
          {"files_checked", v.files_checked},
          {"files_failed", v.files_failed},
          {"files_unknown", v.files_unknown},
          {"problems", problems}};
}

void PrintReport(const catalog::VerifyReport& report) {
  for (const auto& p : report.problems) {
    if (p.problem == "missing") {
      fmt::print("missing   {}  ({}): no such file in the lake; {} bytes committed\n", p.key,
                 p.table, p.committed_bytes);
    } else if (p.problem == "differs") {
      fmt::print("differs   {}  ({}): sha256 {}, {} bytes; committed {}, {} bytes\n", p.key,
                 p.table, p.sha256, p.bytes, p.committed, p.committed_bytes);
    } else {
      fmt::print("{:<9} {}  ({}): no checksum recorded at commit{}\n", p.problem, p.key, p.table,
                 p.problem == "recorded" ? "; recorded sha256 " + p.sha256 : "");
    }
  }
  const catalog::Verification& v = report.verification;
  fmt::print("verified {} files: {} failed, {} unknown\n", v.files_checked, v.files_failed,
             v.files_unknown);
}

void RunVerify(Context& context, const VerifyFlags& flags) {
  // Records the verification (and with --record, checksums): a writer of the catalog.
  context.RequireExistingLake();
  catalog::Catalog catalog(context.catalog_path(lake::CatalogFile::Access::kWrite));
  auto report = catalog::Verify(context.lake(), catalog, {flags.table, flags.record});
  if (flags.json) {
    fmt::print("{}\n", ReportJson(report).dump());
  } else {
    PrintReport(report);
  }
  if (report.failed()) {
    const catalog::Verification& v = report.verification;
    throw Error(ErrorCode::kData,
                fmt::format("{} of {} files differ from what was committed or are missing",
                            v.files_failed, v.files_checked),
                context.lake().uri(),
                "restore those files from a backup, or rebuild the table with shoplake "
                "transform DATASET --full-refresh");
  }
  if (report.verification.files_unknown > 0 && !flags.json) {
    fmt::print(
        "{} files were committed before shoplake recorded checksums: shoplake verify --record "
        "records them as they are now\n",
        report.verification.files_unknown);
  }
}

}  // namespace

void AddVerifyCommand(CLI::App& app, Context& context) {
  auto flags = std::make_shared<VerifyFlags>();
  auto* verify = app.add_subcommand(
      "verify", "Check every file of the tables' current snapshots against its checksum");
  verify->footer(
      "Reads each file of the current snapshots (of every table, or of TABLE) back from the lake\n"
      "and compares its SHA-256 with the one recorded when it was committed. Names each file\n"
      "that differs or is missing, and records the verification in the catalog (the web app\n"
      "shows the last one). Files committed before checksums were recorded are reported as\n"
      "unknown; --record records theirs as they are now.\n"
      "Exit codes: 0 every file matches (or is unknown), 1 a file differs or is missing, 2 usage.\n"
      "Guide: docs/catalog.md");
  verify->add_option("TABLE", flags->table, "One table (db.table, or its name) instead of all");
  verify->add_flag("--record", flags->record,
                   "Record the checksum of files that have none (as their bytes are now)");
  verify->add_flag("--json", flags->json, "Print the report as JSON");
  verify->callback([&context, flags] { RunVerify(context, *flags); });
}

}  // namespace shoplake::cli
