// Logging: human lines on a terminal, or JSON lines (--log-format json) for machines.
// Both go to stderr so stdout stays for a command's results. Built on spdlog; call
// sites use spdlog's functions (spdlog::info("...{}", x)) after SetUpLogging.
#pragma once

#include <spdlog/spdlog.h>

#include <optional>
#include <string>
#include <string_view>

namespace shoplake {

enum class LogFormat { kText, kJson };

//! Parses "text" or "json"; throws Error(kUsage) otherwise.
LogFormat ParseLogFormat(const std::string& name);

//! Installs the default logger. verbosity: -1 quiet (warnings up), 0 info, 1 debug,
//! 2 trace. Text lines are "HH:MM:SS level message" (coloured on a terminal); JSON
//! lines are {"time":"...Z","level":"info","message":"..."}.
void SetUpLogging(LogFormat format, int verbosity);

class Error;

//! Prints `error` for the user on stderr: "shoplake: error: INPUT: MESSAGE" and
//! "  hint: HINT" as text, or one JSON line with code, input, message and hint.
void ReportError(const Error& error, LogFormat format);

//! `text` with what a terminal would act on escaped as \xNN: control characters (but
//! newlines and tabs) and bytes that are not valid UTF-8.
std::string TerminalSafe(std::string_view text);

//! Where the first byte that is no valid UTF-8 is in `text` (as TerminalSafe sees it);
//! nullopt when all of it is.
std::optional<size_t> FirstInvalidUtf8(std::string_view text);

//! One byte as TerminalSafe escapes it: "\xNN", upper-case hex.
std::string EscapedByte(unsigned char byte);

//! `text` with each byte that is not part of a valid UTF-8 character escaped as \xNN (as
//! TerminalSafe does), everything else as it is (control characters, \r, a backslash that was
//! there: "\x41" in the text stays, so the escape is for reading, not for decoding back).
//! Valid UTF-8 as DuckDB checks it: no overlong forms, surrogates or code points past U+10FFFF.
std::string EscapeUndecodable(std::string_view text);

//! True when every byte of `text` is part of a valid UTF-8 character (as EscapeUndecodable
//! judges).
bool IsUtf8(std::string_view text);

//! True when stderr is a terminal (progress lines redraw in place only then).
bool StderrIsTerminal();

}  // namespace shoplake
