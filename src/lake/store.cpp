// The Store conveniences, key validation and the URI -> Store factory.
#include "lake/store.h"

#include <unistd.h>

#include <algorithm>
#include <chrono>

#include "common/aws_config.h"
#include "common/clock.h"
#include "common/error.h"
#include "common/files.h"
#include "common/uri.h"
#include "lake/local_store.h"
#include "lake/s3_store.h"

namespace shoplake::lake {

void ValidateKey(std::string_view key) {
  auto refuse = [&](const std::string& why) {
    throw Error(ErrorCode::kUsage, "invalid lake key: " + why, std::string(key),
                "keys are relative paths like raw/shop/orders/2026-01-01.csv");
  };
  if (key.empty()) refuse("it is empty");
  if (key.front() == '/') refuse("it is absolute");
  if (key.find('\0') != std::string_view::npos) refuse("it contains a NUL byte");
  if (key.find('\\') != std::string_view::npos) refuse("it contains a backslash");
  size_t start = 0;
  while (start <= key.size()) {
    size_t end = key.find('/', start);
    if (end == std::string_view::npos) end = key.size();
    auto segment = key.substr(start, end - start);
    if (segment.empty()) refuse("it has an empty segment");
    if (segment == "." || segment == "..")
      refuse("it has a '" + std::string(segment) + "' segment");
    start = end + 1;
  }
  auto first = key.substr(0, key.find('/'));
  if (first == "_staging" || first == "_locks") {
    refuse("'" + std::string(first) + "/' belongs to the store itself");
  }
}

std::string Store::ReadAll(std::string_view key, uint64_t offset, std::optional<uint64_t> length) {
  auto reader = Open(key, offset, length);
  std::string bytes;
  char buffer[1 << 16];
  while (size_t n = reader->Read(buffer, sizeof buffer)) bytes.append(buffer, n);
  return bytes;
}

void Store::WriteAll(std::string_view key, std::string_view bytes) {
  auto writer = Create(key);
  writer->Append(bytes);
  writer->Publish();
}

void ValidateLockName(std::string_view name) {
  if (name.empty() || name.find('/') != std::string_view::npos || name.front() == '.') {
    throw Error(ErrorCode::kUsage, "invalid lock name", std::string(name),
                "a lock name is one word such as 'catalog' or 'ingest-shop'");
  }
}

std::string LockHolderNote() {
  std::string command;
  try {
    command = ReadFile("/proc/self/cmdline");
    std::replace(command.begin(), command.end(), '\0', ' ');
    while (!command.empty() && command.back() == ' ') command.pop_back();
  } catch (const Error&) {
    command = "?";
  }
  char host[256] = "?";
  ::gethostname(host, sizeof host - 1);
  std::string since = ToIsoSeconds(std::chrono::system_clock::now());
  return "pid " + std::to_string(::getpid()) + " on " + host + " (" + command + ") since " + since;
}

std::unique_ptr<Store> OpenStore(const std::string& uri) {
  Uri parsed = ParseUri(uri);
  if (parsed.scheme == "file") return std::make_unique<LocalStore>(parsed.path);
  if (parsed.scheme == "s3") {
    return std::make_unique<S3Store>(parsed.authority, parsed.path, aws::LoadAwsConfig());
  }
  throw Error(ErrorCode::kUsage, "a lake cannot live at a " + parsed.scheme + ":// location", uri,
              "use a local folder, a file:// URI or s3://bucket/prefix");
}

}  // namespace shoplake::lake
