// HttpClient over libcurl: handle pool, callbacks, and the mapping from transport failures
// and HTTP statuses to shoplake::Error.
#include "common/http_client.h"

#include <curl/curl.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <exception>
#include <limits>
#include <mutex>
#include <nlohmann/json.hpp>

#include "common/error.h"
#include "common/hash.h"
#include "shoplake/version.h"

namespace shoplake {
namespace {

// Error bodies are only quoted in messages; the first few KiB say all there is to say.
constexpr size_t kErrorBodyLimit = 4096;
// Idle easy handles kept for reuse (each keeps its connections alive).
constexpr size_t kPooledHandles = 16;

void GlobalInit() {
  static std::once_flag once;
  std::call_once(once, [] {
    // Never cleaned up: other threads may still hold handles when static destructors run.
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
      throw Error(ErrorCode::kInternal, "libcurl failed to initialise");
    }
  });
}

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

std::string_view Trim(std::string_view text) {
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.front()))) {
    text.remove_prefix(1);
  }
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back()))) {
    text.remove_suffix(1);
  }
  return text;
}

//! The text of the first <tag>...</tag> in `xml`, or empty. Enough for S3's flat <Error>
//! documents; anything structured is parsed with pugixml by its caller.
std::string XmlElementText(std::string_view xml, std::string_view tag) {
  const std::string open = "<" + std::string(tag) + ">";
  const std::string close = "</" + std::string(tag) + ">";
  size_t start = xml.find(open);
  if (start == std::string_view::npos) return {};
  start += open.size();
  size_t end = xml.find(close, start);
  if (end == std::string_view::npos) return {};
  return std::string(xml.substr(start, end - start));
}

//! What a user needs from an error body: GCS's error JSON reduced to its message, S3's error
//! XML to "Code: Message", anything else cut short and put on one line.
std::string BodyExcerpt(std::string_view body) {
  if (body.find("<Error>") != std::string_view::npos) {
    std::string code = XmlElementText(body, "Code");
    std::string message = XmlElementText(body, "Message");
    if (!code.empty()) return message.empty() ? code : code + ": " + message;
  }
  try {
    auto json = nlohmann::json::parse(body);
    if (json.is_object() && json.contains("error")) {
      const auto& error = json["error"];
      if (error.is_object() && error.contains("message") && error["message"].is_string()) {
        return error["message"].get<std::string>();
      }
      if (error.is_string()) return error.get<std::string>();
    }
  } catch (const nlohmann::json::exception&) {
    // Not JSON: quote it as text below.
  }
  std::string text;
  for (char c : Trim(body.substr(0, 200))) {
    text.push_back(std::isprint(static_cast<unsigned char>(c)) ? c : ' ');
  }
  if (body.size() > 200) text += "...";
  return text;
}

struct CurlDeleter {
  void operator()(CURL* curl) const { curl_easy_cleanup(curl); }
};
using CurlHandle = std::unique_ptr<CURL, CurlDeleter>;

struct SlistDeleter {
  void operator()(curl_slist* list) const { curl_slist_free_all(list); }
};
using HeaderList = std::unique_ptr<curl_slist, SlistDeleter>;

//! One request in flight: what the callbacks share with Fetch.
struct Transfer {
  const HttpRequest& request;
  const HttpSubject& subject;
  const HttpSink* sink;
  size_t max_buffered;

  HttpResponse response;
  bool started = false;        //!< Start() ran: the body goes to the sink or the buffer
  uint64_t skip = 0;           //!< body bytes still to drop (200 answer to a Range request)
  std::string error_body;      //!< the start of a non-2xx body
  std::exception_ptr failure;  //!< thrown inside a callback, rethrown after perform
  uint64_t wanted;             //!< body bytes still wanted (all unless a length was asked)

  bool Succeeded() const { return response.status >= 200 && response.status < 300; }
  bool Ranged() const { return (request.offset > 0 || request.length) && !request.head; }

  //! Checks a 2xx answer against the request before any body byte is delivered.
  void Start() {
    started = true;
    if (request.length) wanted = *request.length;
    if (Ranged()) {
      if (response.status == 206) {
        // "bytes a-b/size": a server that answers another range than asked would
        // silently corrupt the resumed copy.
        auto range = response.Header("Content-Range");
        uint64_t first = 0;
        bool parsed = false;
        if (range && range->starts_with("bytes ")) {
          const char* begin = range->data() + 6;
          auto [end, error] = std::from_chars(begin, range->data() + range->size(), first);
          parsed = error == std::errc() && end != begin && *end == '-';
        }
        if (!parsed || first != request.offset) {
          throw Error(ErrorCode::kData,
                      "asked for bytes from " + std::to_string(request.offset) +
                          " but the server answered Content-Range: " + range.value_or("(none)"),
                      subject.name, "the server does not honour Range requests correctly");
        }
      } else {
        skip = request.offset;  // the whole body came back: drop what we already have
      }
    }
    if (request.on_headers) request.on_headers(response);
  }

  size_t OnBody(const char* data, size_t size) {
    if (!Succeeded()) {
      size_t keep = std::min(size, kErrorBodyLimit - std::min(kErrorBodyLimit, error_body.size()));
      error_body.append(data, keep);
      // Enough to quote; stop downloading the rest of an error page.
      return error_body.size() >= kErrorBodyLimit ? 0 : size;
    }
    try {
      if (!started) Start();
      std::string_view bytes(data, size);
      if (skip > 0) {
        size_t dropped = static_cast<size_t>(std::min<uint64_t>(skip, bytes.size()));
        bytes.remove_prefix(dropped);
        skip -= dropped;
      }
      // A server that ignored the range sends past its end too.
      bytes = bytes.substr(0, static_cast<size_t>(std::min<uint64_t>(wanted, bytes.size())));
      wanted -= bytes.size();
      if (bytes.empty()) return size;
      if (sink) {
        (*sink)(bytes);
      } else {
        if (response.body.size() + bytes.size() > max_buffered) {
          throw Error(ErrorCode::kData,
                      "the response is larger than " + std::to_string(max_buffered) + " bytes",
                      subject.name, "this is not the listing or metadata that was expected");
        }
        response.body.append(bytes);
      }
      return size;
    } catch (...) {
      failure = std::current_exception();
      return 0;  // aborts the transfer with CURLE_WRITE_ERROR
    }
  }

  void OnHeaderLine(std::string_view line) {
    line = Trim(line);
    if (line.starts_with("HTTP/")) {
      // A new response (after a redirect or a 100 Continue): forget the previous one.
      response.headers.clear();
      size_t space = line.find(' ');
      response.status = space == std::string_view::npos
                            ? 0
                            : std::strtol(std::string(line.substr(space + 1)).c_str(), nullptr, 10);
      return;
    }
    size_t colon = line.find(':');
    if (colon == std::string_view::npos) return;
    response.headers.emplace_back(std::string(Trim(line.substr(0, colon))),
                                  std::string(Trim(line.substr(colon + 1))));
  }
};

size_t WriteCallback(char* data, size_t size, size_t count, void* user) {
  return static_cast<Transfer*>(user)->OnBody(data, size * count);
}

size_t HeaderCallback(char* data, size_t size, size_t count, void* user) {
  auto* transfer = static_cast<Transfer*>(user);
  try {
    transfer->OnHeaderLine(std::string_view(data, size * count));
  } catch (...) {  // nothing may unwind through libcurl
    transfer->failure = std::current_exception();
    return 0;
  }
  return size * count;
}

[[noreturn]] void ThrowForCurl(CURLcode code, const char* detail, const HttpRequest& request,
                               const HttpSubject& subject) {
  std::string reason = detail[0] ? detail : curl_easy_strerror(code);
  switch (code) {
    case CURLE_URL_MALFORMAT:
    case CURLE_UNSUPPORTED_PROTOCOL:
      throw Error(ErrorCode::kUsage, "not a URL libcurl can fetch: " + reason, subject.name,
                  "check the URI; ingest reads http://, https:// and gs://");
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_CERTPROBLEM:
      throw Error(ErrorCode::kUsage, "TLS certificate refused: " + reason, subject.name,
                  "the server's certificate is not trusted by this machine's CA store");
    default:
      break;
  }
  std::string hint =
      code == CURLE_COULDNT_CONNECT || code == CURLE_COULDNT_RESOLVE_HOST
          ? "check that the server is running and reachable at " + request.url
          : "a network failure; ingest retries it and resumes from the bytes received";
  throw Error(ErrorCode::kNetwork, reason, subject.name, hint);
}

}  // namespace

std::optional<std::string> HttpResponse::Header(std::string_view name) const {
  for (const auto& [key, value] : headers) {
    if (EqualsIgnoreCase(key, name)) return value;
  }
  return std::nullopt;
}

std::vector<std::string> HttpResponse::Headers(std::string_view name) const {
  std::vector<std::string> values;
  for (const auto& [key, value] : headers) {
    if (EqualsIgnoreCase(key, name)) values.push_back(value);
  }
  return values;
}

struct HttpClient::Pool {
  std::mutex mutex;
  std::vector<CurlHandle> idle;

  CurlHandle Take() {
    {
      std::lock_guard lock(mutex);
      if (!idle.empty()) {
        CurlHandle handle = std::move(idle.back());
        idle.pop_back();
        return handle;
      }
    }
    CurlHandle handle(curl_easy_init());
    if (!handle) throw Error(ErrorCode::kInternal, "curl_easy_init failed");
    return handle;
  }

  void Give(CurlHandle handle) {
    // Reset drops the options but keeps the connection cache, which is the point.
    curl_easy_reset(handle.get());
    std::lock_guard lock(mutex);
    if (idle.size() < kPooledHandles) idle.push_back(std::move(handle));
  }
};

HttpClient::HttpClient(HttpClientOptions options)
    : options_(options), pool_(std::make_unique<Pool>()) {
  GlobalInit();
}

HttpClient::~HttpClient() = default;

HttpResponse HttpClient::Fetch(const HttpRequest& request, const HttpSubject& subject,
                               const HttpSink* sink) {
  Transfer transfer{request, subject, sink, options_.max_buffered_body,          {}, false,
                    0,       {},      {},   std::numeric_limits<uint64_t>::max()};

  HeaderList headers;
  for (const auto& line : request.headers) {
    curl_slist* appended = curl_slist_append(headers.get(), line.c_str());
    if (!appended) throw Error(ErrorCode::kInternal, "curl_slist_append failed");
    headers.release();
    headers.reset(appended);
  }
  const std::string range =
      std::to_string(request.offset) + "-" +
      (request.length ? std::to_string(request.offset + *request.length - 1) : std::string());
  const std::string user_agent = std::string("shoplake/") + kVersion;
  // libcurl's low-speed check works in whole seconds; round up so a short stall timeout
  // still means "at least this long".
  const long stall_seconds =
      std::max<long>(1, static_cast<long>((options_.stall_timeout.count() + 999) / 1000));
  char detail[CURL_ERROR_SIZE] = {};

  CurlHandle handle = pool_->Take();
  CURL* curl = handle.get();
  curl_easy_setopt(curl, CURLOPT_URL, request.url.c_str());
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);  // we run on worker threads
  curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(curl, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 1L);
  curl_easy_setopt(curl, CURLOPT_MAXREDIRS, 5L);
  curl_easy_setopt(curl, CURLOPT_USERAGENT, user_agent.c_str());
  curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS,
                   static_cast<long>(std::max<int64_t>(1, options_.connect_timeout.count())));
  curl_easy_setopt(curl, CURLOPT_LOW_SPEED_LIMIT, 1L);
  curl_easy_setopt(curl, CURLOPT_LOW_SPEED_TIME, stall_seconds);
  curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, detail);
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers.get());
  curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, HeaderCallback);
  curl_easy_setopt(curl, CURLOPT_HEADERDATA, &transfer);
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, WriteCallback);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &transfer);
  if (request.head) curl_easy_setopt(curl, CURLOPT_NOBODY, 1L);
  if (request.body) {
    curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE,
                     static_cast<curl_off_t>(request.body->size()));
    curl_easy_setopt(curl, CURLOPT_POSTFIELDS, request.body->data());
  }
  if (!request.method.empty())
    curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, request.method.c_str());
  if (transfer.Ranged()) curl_easy_setopt(curl, CURLOPT_RANGE, range.c_str());

  CURLcode code = curl_easy_perform(curl);
  long status = 0;
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
  curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, nullptr);  // `detail` dies with this frame
  pool_->Give(std::move(handle));

  if (transfer.failure) std::rethrow_exception(transfer.failure);
  if (status > 0) transfer.response.status = status;
  const long final_status = transfer.response.status;
  // A final error status explains the failure better than the transport does (we may have
  // stopped reading its body on purpose).
  if (request.return_errors && final_status >= 300) {
    transfer.response.body = std::move(transfer.error_body);
    return std::move(transfer.response);
  }
  if (final_status >= 400) ThrowForStatus(final_status, transfer.error_body, subject);
  if (code != CURLE_OK) ThrowForCurl(code, detail, request, subject);
  if (!transfer.Succeeded()) ThrowForStatus(final_status, transfer.error_body, subject);
  if (!transfer.started) transfer.Start();  // HEAD, or an empty body
  return std::move(transfer.response);
}

void ThrowForStatus(long status, std::string_view body, const HttpSubject& subject) {
  const std::string excerpt = BodyExcerpt(body);
  const std::string code = "HTTP " + std::to_string(status);
  const std::string said = excerpt.empty() ? code : code + ": " + excerpt;
  if (status == 404) {
    throw Error(ErrorCode::kNotFound,
                (subject.not_found.empty() ? std::string("not found") : subject.not_found) + " (" +
                    said + ")",
                subject.name, subject.not_found_hint);
  }
  if (status == 401 || status == 403) {
    throw Error(ErrorCode::kUsage, "access refused (" + said + ")", subject.name,
                subject.auth_hint.empty() ? "the server wants credentials this source does not send"
                                          : subject.auth_hint);
  }
  if (status == 408 || status == 429 || status >= 500) {
    throw Error(ErrorCode::kNetwork, "the server answered " + said, subject.name,
                "a transient server failure; ingest retries it with backoff");
  }
  if (status == 400 || status == 405 || status == 411 || status == 414 || status == 431) {
    throw Error(ErrorCode::kUsage, "the request was refused (" + said + ")", subject.name,
                "check the URI; the server does not accept this request");
  }
  if (status == 412 || status == 416) {
    throw Error(ErrorCode::kData, "the object changed while it was read (" + said + ")",
                subject.name, "run ingest again to copy its current version");
  }
  throw Error(ErrorCode::kData, "unexpected answer (" + said + ")", subject.name);
}

std::optional<std::string> DecodeBase64Md5(std::string_view text) {
  try {
    std::string bytes = Base64Decode(text);
    if (bytes.size() == 16) return bytes;
  } catch (const Error&) {
    // not base64: nullopt below
  }
  return std::nullopt;
}

std::optional<uint32_t> DecodeBase64Crc32c(std::string_view text) {
  try {
    std::string bytes = Base64Decode(text);
    if (bytes.size() != 4) return std::nullopt;
    uint32_t value = 0;
    for (char c : bytes) value = value << 8 | static_cast<unsigned char>(c);
    return value;
  } catch (const Error&) {
    return std::nullopt;
  }
}

}  // namespace shoplake
