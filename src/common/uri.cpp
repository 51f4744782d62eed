// ParseUri: the few URI forms shoplake accepts, with errors that list them.
#include "common/uri.h"

#include <filesystem>

#include "common/error.h"

namespace shoplake {

std::string Uri::ToString() const {
  if (scheme == "file") return "file://" + path;
  return scheme + "://" + authority + (path.empty() ? "" : "/" + path);
}

Uri ParseUri(std::string_view text) {
  const std::string input(text);
  if (text.empty()) {
    throw Error(ErrorCode::kUsage, "empty location", {},
                "give a path or a URI such as gs://bucket/prefix");
  }
  auto separator = text.find("://");
  Uri uri;
  if (separator == std::string_view::npos) {
    uri.scheme = "file";
    uri.path = std::filesystem::absolute(std::filesystem::path(input)).lexically_normal().string();
    return uri;
  }
  uri.scheme = std::string(text.substr(0, separator));
  std::string_view rest = text.substr(separator + 3);
  if (uri.scheme == "file") {
    if (rest.empty() || rest.front() != '/') {
      throw Error(ErrorCode::kUsage, "a file URI needs an absolute path", input,
                  "write file:///absolute/path, or give the path without file://");
    }
    uri.path = std::filesystem::path(std::string(rest)).lexically_normal().string();
    return uri;
  }
  if (uri.scheme != "gs" && uri.scheme != "s3" && uri.scheme != "http" && uri.scheme != "https") {
    throw Error(ErrorCode::kUsage, "unsupported scheme '" + uri.scheme + "'", input,
                "use a path, file://, gs://, s3://, http:// or https://");
  }
  auto slash = rest.find('/');
  uri.authority = std::string(rest.substr(0, slash));
  if (uri.authority.empty()) {
    throw Error(ErrorCode::kUsage, "missing bucket or host", input,
                "write " + uri.scheme + "://NAME/path");
  }
  if (slash != std::string_view::npos) uri.path = std::string(rest.substr(slash + 1));
  return uri;
}

std::string PercentEncode(std::string_view text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(text.size());
  for (unsigned char c : text) {
    bool unreserved = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                      c == '-' || c == '_' || c == '.' || c == '~';
    if (unreserved) {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

std::optional<std::string> PercentDecode(std::string_view text) {
  auto hex = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '%') {
      out += text[i];
      continue;
    }
    if (i + 2 >= text.size()) return std::nullopt;
    int high = hex(text[i + 1]);
    int low = hex(text[i + 2]);
    if (high < 0 || low < 0) return std::nullopt;
    out += static_cast<char>(high * 16 + low);
    i += 2;
  }
  return out;
}

}  // namespace shoplake
