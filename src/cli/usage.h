// Usage mistakes in shoplake's words. CLI11 reports a mistyped verb as "A subcommand is
// required" and a mistyped flag as "The following arguments were not expected"; this reads
// the command line against the verbs and flags declared, as git and ninja do, and names the
// word that is wrong with the nearest right one.
#pragma once

#include <CLI/CLI.hpp>
#include <string>
#include <vector>

#include "common/error.h"

namespace shoplake::cli {

//! The mistake in `args` (the command line without the program name) that made `app` refuse
//! it with `error`: an unknown verb or flag, with the nearest declared one, or CLI11's own
//! message; as Error(kUsage) naming the command and the --help that lists what it takes.
Error UsageError(CLI::App& app, const std::vector<std::string>& args, const CLI::ParseError& error);

//! The --log-format that `args` ask for ("text" unless they say json): a parse error is
//! reported before CLI11 has set any option.
std::string LogFormatOf(const std::vector<std::string>& args);

}  // namespace shoplake::cli
