// HttpSource: one object at an http(s):// URL. HEAD states its size, its version (ETag, or
// Last-Modified) and, when the server sends them, its checksums (Content-MD5, or GCS's
// x-goog-hash); GET with Range reads it from any offset.
#include <spdlog/spdlog.h>

#include <algorithm>

#include "common/error.h"
#include "common/http_client.h"
#include "common/numbers.h"
#include "common/uri.h"
#include "ingest/source.h"

namespace shoplake::ingest {
namespace {

//! What changes when the object changes: its ETag, else its Last-Modified.
std::optional<std::string> VersionOf(const HttpResponse& response) {
  if (auto etag = response.Header("ETag"); etag && !etag->empty()) return etag;
  if (auto modified = response.Header("Last-Modified"); modified && !modified->empty()) {
    return modified;
  }
  return std::nullopt;
}

//! The last path segment of `path` (query and fragment dropped), percent-decoded; empty
//! when there is none a lake key could use.
std::string BaseName(const std::string& path) {
  std::string_view text = path;
  text = text.substr(0, text.find_first_of("?#"));
  text = text.substr(text.rfind('/') == std::string_view::npos ? 0 : text.rfind('/') + 1);
  std::optional<std::string> decoded = PercentDecode(text);
  if (!decoded || *decoded == "." || *decoded == ".." ||
      decoded->find_first_of(std::string_view("/\0", 2)) != std::string::npos) {
    return std::string(text);  // keep the escapes rather than make a path of them
  }
  return *decoded;
}

//! Warns about a checksum header that cannot be used: not worth failing over, as the bytes
//! are hashed anyway, but worth knowing.
void WarnMalformed(const std::string& url, const std::string& what, std::string_view value) {
  spdlog::warn("{}: ignoring a malformed {} header value '{}'", url, what, std::string(value));
}

class HttpSource final : public Source {
 public:
  HttpSource(const Uri& uri, const SourceOptions& options)
      : url_(uri.ToString()),
        name_(BaseName(uri.path)),
        http_(HttpClientOptions{options.connect_timeout, options.stall_timeout}) {
    if (name_.empty()) {
      throw Error(ErrorCode::kUsage, "the URL names no file", url_,
                  "give the URL of one object, such as https://host/exports/orders.csv");
    }
  }

  std::string uri() const override { return url_; }

  std::vector<SourceObject> List() override {
    HttpRequest head;
    head.url = url_;
    head.head = true;
    HttpResponse response = http_.Fetch(head, Subject());
    SourceObject object;
    object.uri = url_;
    object.name = name_;
    auto length = response.Header("Content-Length");
    std::optional<uint64_t> size = length ? ParseUnsigned(*length) : std::nullopt;
    if (!size) {
      throw Error(ErrorCode::kData, "the server states no valid Content-Length for it", url_,
                  "ingest needs the size to verify the copy; serve the file with its length");
    }
    object.size = *size;
    if (auto version = VersionOf(response)) {
      object.version = *version;
    } else {
      // Without ETag or Last-Modified a changed object can only be told by its size.
      spdlog::warn(
          "{}: the server states neither ETag nor Last-Modified; a change that keeps "
          "the size will not be noticed",
          url_);
      object.version = "size-" + std::to_string(*size);
    }
    for (const std::string& value : response.Headers("Content-MD5")) {
      object.md5 = DecodeBase64Md5(value);
      if (!object.md5) WarnMalformed(url_, "Content-MD5", value);
    }
    // "crc32c=BASE64,md5=BASE64", possibly split over several x-goog-hash headers.
    for (const std::string& value : response.Headers("x-goog-hash")) {
      std::string_view rest = value;
      while (!rest.empty()) {
        std::string_view part = rest.substr(0, rest.find(','));
        rest.remove_prefix(std::min(rest.size(), part.size() + 1));
        while (!part.empty() && part.front() == ' ') part.remove_prefix(1);
        if (part.starts_with("md5=")) {
          object.md5 = DecodeBase64Md5(part.substr(4));
          if (!object.md5) WarnMalformed(url_, "x-goog-hash", part);
        } else if (part.starts_with("crc32c=")) {
          object.crc32c = DecodeBase64Crc32c(part.substr(7));
          if (!object.crc32c) WarnMalformed(url_, "x-goog-hash", part);
        }
      }
    }
    return {object};
  }

  void Read(const SourceObject& object, uint64_t offset, const ByteSink& sink) override {
    if (offset > 0 && offset >= object.size) return;  // a Range past the end is a 416
    HttpRequest request;
    request.url = object.uri;
    request.offset = offset;
    // A resumed read must continue the version that was listed, never splice in another.
    request.on_headers = [&object](const HttpResponse& response) {
      // Matching either header is enough: a server may send an ETag on GET but not on HEAD.
      auto etag = response.Header("ETag");
      auto modified = response.Header("Last-Modified");
      if (object.version.starts_with("size-") || (!etag && !modified) || object.version == etag ||
          object.version == modified) {
        return;
      }
      throw Error(ErrorCode::kData,
                  "the object changed since it was listed (version " + object.version + ", now " +
                      etag.value_or(modified.value_or("?")) + ")",
                  object.uri, "run ingest again to copy its current version");
    };
    http_.Fetch(request, Subject(), &sink);
  }

 private:
  HttpSubject Subject() const {
    HttpSubject subject;
    subject.name = url_;
    subject.not_found = "no such object";
    subject.not_found_hint = "check the URL";
    subject.auth_hint =
        "the server wants credentials; ingest sends none for http(s):// sources, so copy the "
        "file somewhere it can read or use a gs:// source";
    return subject;
  }

  std::string url_;
  std::string name_;
  HttpClient http_;
};

}  // namespace

std::unique_ptr<Source> OpenHttpSource(const Uri& uri, const SourceOptions& options) {
  return std::make_unique<HttpSource>(uri, options);
}

}  // namespace shoplake::ingest
