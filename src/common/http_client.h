// HttpClient: the one way shoplake talks HTTP as a client (ingest's sources, the S3 client
// under the S3 store and the s3:// source, the workflow's notify webhooks), a small RAII
// wrapper over libcurl.
//
// It sends GET and HEAD requests (with an optional "Range: bytes=N-" or "bytes=N-M"), POSTs,
// PUTs and DELETEs, streams a response body to a sink or buffers a small one, and turns every
// failure into an Error that names what was asked for and says what to do:
//   - connection refused or reset, timeouts, stalls, short bodies, HTTP 408, 429 and 5xx
//     -> kNetwork (worth another attempt; see retry.h);
//   - HTTP 404 -> kNotFound; 401 and 403 -> kUsage with the credential to set;
//   - other 4xx -> kUsage (400, 405, 414: the request itself is wrong) or kData.
// Bytes reach the sink only from a 2xx answer, so an error page is never taken for data.
// A caller that reads the error bodies itself (S3's XML <Error>) asks for non-2xx answers to
// be returned instead (HttpRequest::return_errors); transport failures still throw.
//
// Thread safety: one HttpClient may be used by several threads at once; it keeps a small
// pool of curl easy handles so that sequential requests reuse their connections.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace shoplake {

//! What a request is about, so that its errors name it and say what to do.
struct HttpSubject {
  std::string name;            //!< named in errors: "gs://bucket/object" or the URL
  std::string auth_hint;       //!< the hint for 401/403: the credential or variable to set
  std::string not_found;       //!< the message for 404; "not found" when empty
  std::string not_found_hint;  //!< the hint for 404
};

//! A response's status line and headers (and its body when it was buffered).
struct HttpResponse {
  long status = 0;
  //! In arrival order, names as sent; only those of the final response after redirects.
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;  //!< the whole body, for Fetch without a sink

  //! The value of header `name` (compared case-insensitively), or nullopt.
  std::optional<std::string> Header(std::string_view name) const;
  //! Every value of header `name` (compared case-insensitively), in arrival order: some
  //! headers, such as x-goog-hash, may be sent more than once.
  std::vector<std::string> Headers(std::string_view name) const;
};

struct HttpRequest {
  std::string url;
  bool head = false;  //!< HEAD instead of GET
  //! Set: POST these bytes instead of GET (say their type in `headers`, e.g.
  //! "Content-Type: application/json"), or send them with `method`.
  std::optional<std::string> body;
  //! Another method than GET/HEAD/POST ("PUT", "DELETE"); empty: as `head` and `body` say.
  std::string method;
  //! > 0 sends "Range: bytes=<offset>-". A 206 answer must start at `offset`; a 200 answer
  //! (a server that ignores ranges) has its first `offset` bytes skipped here, so the sink
  //! sees the same bytes either way.
  uint64_t offset = 0;
  //! Set: at most this many bytes from `offset` ("Range: bytes=<offset>-<offset+length-1>");
  //! a 200 answer is cut to them here. REQUIRES: > 0.
  std::optional<uint64_t> length;
  //! Return non-2xx answers (status, headers, the first KiBs of the body in `body`) instead
  //! of throwing, for callers that map a protocol's own error bodies.
  bool return_errors = false;
  std::vector<std::string> headers;  //!< extra "Name: value" lines
  //! Called once with the status and headers of a 2xx answer, before its first body byte
  //! reaches the sink. May throw (an Error) to refuse the answer, e.g. when the object
  //! changed version.
  std::function<void(const HttpResponse&)> on_headers;
};

struct HttpClientOptions {
  std::chrono::milliseconds connect_timeout{10'000};
  //! A transfer that moves no byte for this long fails with kNetwork (rounded up to whole
  //! seconds: libcurl's low-speed check counts seconds).
  std::chrono::milliseconds stall_timeout{30'000};
  //! Buffered bodies (Fetch without a sink) larger than this fail with kData, so a
  //! misdirected request cannot exhaust memory.
  size_t max_buffered_body = 64 << 20;
};

//! Receives a body in order, in chunks of any size.
using HttpSink = std::function<void(std::string_view bytes)>;

class HttpClient {
 public:
  explicit HttpClient(HttpClientOptions options = {});
  ~HttpClient();
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  //! Sends `request`. With a `sink`, a 2xx body is streamed to it (and `body` stays empty);
  //! without one, the body is buffered into the response.
  //! On success returns the final response (status 2xx). On failure throws Error as the
  //! file comment says, naming `subject`; an exception thrown by `sink` or `on_headers`
  //! aborts the transfer and is rethrown as is. Bytes already given to the sink stay given.
  HttpResponse Fetch(const HttpRequest& request, const HttpSubject& subject,
                     const HttpSink* sink = nullptr);

 private:
  struct Pool;
  HttpClientOptions options_;
  std::unique_ptr<Pool> pool_;
};

//! The Error for a non-2xx `status` whose body began with `body` (GCS's error JSON is
//! reduced to its message, S3's error XML to "Code: Message"), per the mapping in the file
//! comment. Public for tests and for callers that use HttpRequest::return_errors.
[[noreturn]] void ThrowForStatus(long status, std::string_view body, const HttpSubject& subject);

//! An MD5 as GCS states it (md5Hash, x-goog-hash md5=, Content-MD5): base64 of 16 bytes.
//! Returns the raw bytes, or nullopt when `text` is not that.
std::optional<std::string> DecodeBase64Md5(std::string_view text);

//! A CRC32C as GCS states it (crc32c, x-goog-hash crc32c=): base64 of its 4 big-endian
//! bytes. Returns the value, or nullopt when `text` is not that.
std::optional<uint32_t> DecodeBase64Crc32c(std::string_view text);

}  // namespace shoplake
