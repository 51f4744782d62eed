// SetUpLogging: spdlog's stderr sink with our text pattern, or a JSON-lines formatter.
#include "common/log.h"

#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <unistd.h>

#include <cstdio>
#include <nlohmann/json.hpp>

#include "common/clock.h"
#include "common/error.h"

namespace shoplake {
namespace {

// One JSON object per line; nlohmann does the escaping so any message is safe.
class JsonLineFormatter : public spdlog::formatter {
 public:
  void format(const spdlog::details::log_msg& msg, spdlog::memory_buf_t& dest) override {
    nlohmann::json line = {
        {"time", ToIso(msg.time)},
        {"level", std::string(spdlog::level::to_string_view(msg.level).data(),
                              spdlog::level::to_string_view(msg.level).size())},
        {"message", std::string(msg.payload.data(), msg.payload.size())},
    };
    std::string text = line.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    dest.append(text.data(), text.data() + text.size());
    dest.push_back('\n');
  }
  std::unique_ptr<spdlog::formatter> clone() const override {
    return std::make_unique<JsonLineFormatter>();
  }
};

// The length of the UTF-8 sequence at text[at] when it is a valid one, else 0. Valid as
// Unicode says (and DuckDB checks): no overlong forms, no surrogates, nothing past U+10FFFF.
size_t Utf8Length(std::string_view text, size_t at) {
  auto byte = [&](size_t i) { return static_cast<unsigned char>(text[i]); };
  unsigned char lead = byte(at);
  size_t length = lead >= 0xF0 && lead <= 0xF4 ? 4 : lead >= 0xE0 ? 3 : lead >= 0xC2 ? 2 : 0;
  if (lead >= 0xF5) length = 0;
  if (length == 0 || at + length > text.size()) return 0;
  // The second byte's range is narrower after these leads (Unicode's table 3-7).
  unsigned char second = byte(at + 1), low = 0x80, high = 0xBF;
  if (lead == 0xE0) low = 0xA0;
  if (lead == 0xED) high = 0x9F;
  if (lead == 0xF0) low = 0x90;
  if (lead == 0xF4) high = 0x8F;
  if (second < low || second > high) return 0;
  for (size_t i = 2; i < length; ++i) {
    if ((byte(at + i) & 0xC0) != 0x80) return 0;
  }
  return length;
}

// `text` with each byte that `escape` chooses (given the byte and whether it starts a valid
// UTF-8 character) written as EscapedByte; the valid characters otherwise as they are.
template <typename Escape>
std::string EscapeBytes(std::string_view text, Escape escape) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size();) {
    unsigned char c = static_cast<unsigned char>(text[i]);
    size_t length = c < 0x80 ? 1 : Utf8Length(text, i);
    if (length == 0 || escape(c)) {
      out += EscapedByte(c);
      ++i;
    } else {
      out.append(text.substr(i, length));
      i += length;
    }
  }
  return out;
}

}  // namespace

std::string EscapedByte(unsigned char byte) {
  char escaped[8];
  std::snprintf(escaped, sizeof escaped, "\\x%02X", byte);
  return escaped;
}

std::string TerminalSafe(std::string_view text) {
  return EscapeBytes(text, [](unsigned char c) {
    return c < 0x80 && ((c < 0x20 && c != '\n' && c != '\t') || c == 0x7F);
  });
}

std::string EscapeUndecodable(std::string_view text) {
  return EscapeBytes(text, [](unsigned char) { return false; });
}

bool IsUtf8(std::string_view text) {
  for (size_t i = 0; i < text.size();) {
    unsigned char c = static_cast<unsigned char>(text[i]);
    size_t length = c < 0x80 ? 1 : Utf8Length(text, i);
    if (length == 0) return false;
    i += length;
  }
  return true;
}

std::optional<size_t> FirstInvalidUtf8(std::string_view text) {
  for (size_t i = 0; i < text.size();) {
    size_t length = static_cast<unsigned char>(text[i]) < 0x80 ? 1 : Utf8Length(text, i);
    if (length == 0) return i;
    i += length;
  }
  return std::nullopt;
}

LogFormat ParseLogFormat(const std::string& name) {
  if (name == "text") return LogFormat::kText;
  if (name == "json") return LogFormat::kJson;
  throw Error(ErrorCode::kUsage, "unknown log format '" + name + "'", "--log-format",
              "use --log-format text or --log-format json");
}

void ReportError(const Error& error, LogFormat format) {
  if (format == LogFormat::kJson) {
    nlohmann::json line = {{"level", "error"},       {"code", ErrorCodeName(error.code())},
                           {"input", error.input()}, {"message", error.message()},
                           {"hint", error.hint()},   {"exit_code", error.exit_code()}};
    std::string text = line.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    std::fprintf(stderr, "%s\n", text.c_str());
    return;
  }
  // A message may quote the input (a file's header, a query): its bytes must not drive the
  // terminal, nor break its UTF-8.
  std::fprintf(stderr, "shoplake: error: %s\n", TerminalSafe(error.what()).c_str());
  if (!error.hint().empty()) {
    std::fprintf(stderr, "  hint: %s\n", TerminalSafe(error.hint()).c_str());
  }
}

bool StderrIsTerminal() { return isatty(STDERR_FILENO) == 1; }

void SetUpLogging(LogFormat format, int verbosity) {
  auto sink = std::make_shared<spdlog::sinks::stderr_color_sink_mt>(
      format == LogFormat::kJson ? spdlog::color_mode::never : spdlog::color_mode::automatic);
  auto logger = std::make_shared<spdlog::logger>("shoplake", sink);
  if (format == LogFormat::kJson) {
    logger->set_formatter(std::make_unique<JsonLineFormatter>());
  } else {
    logger->set_pattern("%H:%M:%S %^%l%$ %v");
  }
  spdlog::level::level_enum level = spdlog::level::info;
  if (verbosity < 0) level = spdlog::level::warn;
  if (verbosity == 1) level = spdlog::level::debug;
  if (verbosity >= 2) level = spdlog::level::trace;
  logger->set_level(level);
  logger->flush_on(spdlog::level::trace);
  spdlog::set_default_logger(logger);
}

}  // namespace shoplake
