// Error: the message layout ("input: message") and the exit-code mapping.
#include "common/error.h"

namespace shoplake {
namespace {

std::string WhatOf(const std::string& message, const std::string& input) {
  return input.empty() ? message : input + ": " + message;
}

}  // namespace

const char* ErrorCodeName(ErrorCode code) {
  switch (code) {
    case ErrorCode::kUsage:
      return "usage";
    case ErrorCode::kConfig:
      return "config";
    case ErrorCode::kNotFound:
      return "not_found";
    case ErrorCode::kIo:
      return "io";
    case ErrorCode::kNetwork:
      return "network";
    case ErrorCode::kData:
      return "data";
    case ErrorCode::kConflict:
      return "conflict";
    case ErrorCode::kInternal:
      return "internal";
  }
  return "unknown";
}

Error::Error(ErrorCode code, std::string message, std::string input, std::string hint)
    : std::runtime_error(WhatOf(message, input)),
      code_(code),
      message_(std::move(message)),
      input_(std::move(input)),
      hint_(std::move(hint)) {}

int Error::exit_code() const {
  // What the user named does not exist: like a usage mistake, the command must change.
  return code_ == ErrorCode::kUsage || code_ == ErrorCode::kConfig || code_ == ErrorCode::kNotFound
             ? 2
             : 1;
}

void Check(bool condition, const std::string& what) {
  if (!condition) {
    throw Error(ErrorCode::kInternal, "internal error: " + what, {},
                "this is a bug in shoplake; please report it with the command you ran");
  }
}

}  // namespace shoplake
