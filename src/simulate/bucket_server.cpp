// BucketServer over cpp-httplib: routes the GCS JSON API subset by hand (one pre-routing
// handler), streams object bytes from disk in 256 KiB chunks, keeps md5/crc32c per file
// version in memory, and applies the test faults (503s, cut downloads, latency, lies).
#include "simulate/bucket_server.h"

#include <fcntl.h>
#include <httplib.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <cerrno>
#include <condition_variable>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include "common/clock.h"
#include "common/error.h"
#include "common/files.h"
#include "common/hash.h"
#include "common/http_server.h"
#include "common/uri.h"

namespace shoplake::simulate {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

//! Bytes read from disk per step, for hashing and for downloads: memory stays bounded
//! whatever the object's size.
constexpr size_t kChunkBytes = 256 * 1024;
//! GCS caps a list page at 1000 entries; so do we.
constexpr int kMaxListResults = 1000;

//! Reads up to `length` bytes of `fd` at `offset` (fewer only at the end of the file).
//! Returns the count, or -1 with errno set.
ssize_t ReadAt(const UniqueFd& fd, char* buffer, size_t length, uint64_t offset) {
  size_t done = 0;
  while (done < length) {
    ssize_t n = ::pread(fd.get(), buffer + done, length - done, static_cast<off_t>(offset + done));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return -1;
    if (n == 0) break;
    done += static_cast<size_t>(n);
  }
  return static_cast<ssize_t>(done);
}

//! An object resolved to an open regular file under the root. Holding the descriptor pins
//! the bytes this version describes, even if the file is replaced while we stream it.
struct ObjectFile {
  std::string name;
  std::shared_ptr<const UniqueFd> file;
  uint64_t size = 0;
  int64_t mtime_us = 0;  //!< also the object's generation
};

struct Checksums {
  std::string md5;  //!< raw 16 bytes
  uint32_t crc32c = 0;
};

//! md5 and crc32c per file, computed once per (path, size, mtime). Hashing a big file takes
//! seconds, so each file has its own lock: requests for other objects never wait on it.
class ChecksumCache {
 public:
  Checksums Get(const std::string& path, const ObjectFile& object) {
    std::shared_ptr<Entry> entry;
    {
      std::lock_guard lock(mutex_);
      auto& slot = entries_[path];
      if (!slot) slot = std::make_shared<Entry>();
      entry = slot;
    }
    std::lock_guard lock(entry->mutex);
    if (entry->valid && entry->size == object.size && entry->mtime_us == object.mtime_us) {
      return entry->sums;
    }
    entry->valid = false;
    Digest md5(Digest::Algorithm::kMd5);
    Crc32c crc;
    std::vector<char> buffer(kChunkBytes);
    for (uint64_t offset = 0; offset < object.size;) {
      size_t want = static_cast<size_t>(std::min<uint64_t>(kChunkBytes, object.size - offset));
      ssize_t n = ReadAt(*object.file, buffer.data(), want, offset);
      if (n <= 0) {
        throw Error(ErrorCode::kIo,
                    std::string("cannot read for checksums: ") +
                        (n < 0 ? std::strerror(errno) : "file shrank while hashing"),
                    path);
      }
      std::string_view bytes(buffer.data(), static_cast<size_t>(n));
      md5.Update(bytes);
      crc.Update(bytes);
      offset += static_cast<uint64_t>(n);
    }
    entry->sums = Checksums{md5.Finish(), crc.value()};
    entry->size = object.size;
    entry->mtime_us = object.mtime_us;
    entry->valid = true;
    return entry->sums;
  }

 private:
  struct Entry {
    std::mutex mutex;
    bool valid = false;
    uint64_t size = 0;
    int64_t mtime_us = 0;
    Checksums sums;
  };
  std::mutex mutex_;
  std::map<std::string, std::shared_ptr<Entry>> entries_;
};

//! What one request did, for its log line. httplib serves a request (route, stream, log) on
//! one thread and its logger only sees the headers, so the streamed byte count and the start
//! time travel in thread-local state set by our handler.
struct RequestTrace {
  bool active = false;
  Clock::time_point start;
  uint64_t streamed_bytes = 0;
};
thread_local RequestTrace g_trace;

// --- Names and text -------------------------------------------------------------------

//! An object's mtime (microseconds since the epoch, as GCS counts) as a time.
std::chrono::system_clock::time_point MtimeOf(int64_t micros) {
  return std::chrono::system_clock::time_point(std::chrono::microseconds(micros));
}

std::string ContentTypeFor(std::string_view name) {
  auto ends_with = [&](std::string_view suffix) { return name.ends_with(suffix); };
  if (ends_with(".csv")) return "text/csv";
  if (ends_with(".json")) return "application/json";
  if (ends_with(".jsonl") || ends_with(".ndjson")) return "application/x-ndjson";
  if (ends_with(".txt")) return "text/plain";
  if (ends_with(".gz")) return "application/gzip";
  return "application/octet-stream";
}

//! GCS's object etag: base64 of the protobuf-style varints of generation (field 1) and
//! metageneration (field 2), e.g. "CKih16GjycICEAE=". Clients treat it as opaque.
std::string Etag(int64_t generation) {
  std::string bytes;
  auto varint = [&](uint64_t value) {
    do {
      uint8_t low = value & 0x7F;
      value >>= 7;
      bytes += static_cast<char>(value ? (low | 0x80) : low);
    } while (value);
  };
  bytes += '\x08';
  varint(static_cast<uint64_t>(generation));
  bytes += '\x10';
  varint(1);
  return Base64Encode(bytes);
}

//! Files that a writer has not finished (WriteFileAtomically's "name.tmp-PID", editors'
//! and downloaders' leftovers) are not objects yet.
bool IsTemporaryFileName(std::string_view segment) {
  return segment.find(".tmp-") != std::string_view::npos || segment.ends_with(".tmp") ||
         segment.ends_with("~") || segment.ends_with(".part") || segment.ends_with(".partial") ||
         segment.ends_with(".swp");
}

//! True when `name` may be an object: relative, '/'-separated, no empty, ".", ".." or
//! hidden segments, no NUL, and not a temporary file.
bool IsServableName(std::string_view name) {
  if (name.empty() || name.find('\0') != std::string_view::npos) return false;
  size_t start = 0;
  for (;;) {
    size_t end = name.find('/', start);
    std::string_view segment =
        name.substr(start, end == std::string_view::npos ? name.npos : end - start);
    if (segment.empty() || segment.front() == '.') return false;  // also rejects "." and ".."
    if (end == std::string_view::npos) return !IsTemporaryFileName(segment);
    start = end + 1;
  }
}

// --- Responses ------------------------------------------------------------------------

//! JSON text that never throws: a file name that is not UTF-8 shows with U+FFFD instead of
//! failing the whole response.
std::string JsonText(const nlohmann::json& value) {
  return value.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

//! Answers with GCS's error JSON: {"error":{"code":..,"message":..,"errors":[..]}}.
void SendError(httplib::Response& res, int status, const std::string& message,
               const std::string& reason) {
  nlohmann::json error = {
      {"error",
       {{"code", status},
        {"message", message},
        {"errors", nlohmann::json::array(
                       {{{"message", message}, {"domain", "global"}, {"reason", reason}}})}}}};
  res.status = status;
  res.set_content(JsonText(error), "application/json; charset=UTF-8");
}

void SendJson(httplib::Response& res, const nlohmann::json& body) {
  res.status = 200;
  res.set_content(JsonText(body), "application/json; charset=UTF-8");
}

//! A single byte range resolved against an object's size.
struct ByteRange {
  enum class Kind { kWhole, kPart, kUnsatisfiable } kind = Kind::kWhole;
  uint64_t first = 0;
  uint64_t last = 0;  //!< inclusive
};

//! Parses "bytes=a-b", "bytes=a-" and "bytes=-n" (RFC 9110 14.1.2). A header that is not
//! one such range is ignored, as RFC 9110 allows and GCS does for several ranges.
ByteRange ResolveRange(const std::string& header, uint64_t size) {
  ByteRange range;
  constexpr std::string_view kUnit = "bytes=";
  if (header.empty() || !std::string_view(header).starts_with(kUnit)) return range;
  std::string_view spec = std::string_view(header).substr(kUnit.size());
  size_t dash = spec.find('-');
  if (dash == spec.npos || spec.find(',') != spec.npos) return range;
  auto number = [](std::string_view digits) -> std::optional<uint64_t> {
    if (digits.empty() || digits.size() > 19) return std::nullopt;
    uint64_t value = 0;
    for (char c : digits) {
      if (c < '0' || c > '9') return std::nullopt;
      value = value * 10 + static_cast<uint64_t>(c - '0');
    }
    return value;
  };
  std::string_view first_text = spec.substr(0, dash);
  std::string_view last_text = spec.substr(dash + 1);
  range.kind = ByteRange::Kind::kPart;
  if (first_text.empty()) {  // suffix: the last n bytes
    auto suffix = number(last_text);
    if (!suffix) return ByteRange{};
    if (*suffix == 0 || size == 0) return ByteRange{ByteRange::Kind::kUnsatisfiable};
    range.first = size - std::min(*suffix, size);
    range.last = size - 1;
    return range;
  }
  auto first = number(first_text);
  if (!first) return ByteRange{};
  std::optional<uint64_t> last;
  if (!last_text.empty()) {
    last = number(last_text);
    if (!last) return ByteRange{};
    if (*last < *first) return ByteRange{ByteRange::Kind::kUnsatisfiable};
  }
  if (*first >= size) return ByteRange{ByteRange::Kind::kUnsatisfiable};
  range.first = *first;
  range.last = last ? std::min(*last, size - 1) : size - 1;
  return range;
}

//! The request target's path, split off the query and not yet decoded.
std::string_view RawPath(const std::string& target) {
  std::string_view path(target);
  size_t query = path.find('?');
  return query == path.npos ? path : path.substr(0, query);
}

}  // namespace

// --- The server -----------------------------------------------------------------------

struct BucketServer::Impl {
  BucketServerOptions options;
  fs::path root;  //!< canonical
  int port = 0;
  HttpServer server;
  ChecksumCache checksums;

  std::mutex fault_mutex;
  std::map<std::string, int> failures_by_object;  //!< 503s already sent per object name

  std::atomic<bool> stop_requested{false};
  //! Wakes requests held back by the latency fault when the server stops, so a stop (and a
  //! test's end) never waits out the latency.
  std::mutex stop_mutex;
  std::condition_variable stop_wake;
  std::atomic<bool> serving{false};
  std::thread thread;

  explicit Impl(BucketServerOptions opts) : options(std::move(opts)) {}

  std::string Endpoint() const { return "http://" + options.host + ":" + std::to_string(port); }

  //! "http://host:port" as the client reached us, for selfLink and mediaLink.
  std::string BaseUrl(const httplib::Request& req) const {
    std::string host = req.get_header_value("Host");
    return host.empty() ? Endpoint() : "http://" + host;
  }

  void Serve() {
    serving = true;
    if (!stop_requested) server.Listen();
    serving = false;
  }

  //! Opens object `name` if it is a servable regular file inside the root (after resolving
  //! symlinks), else nullopt.
  std::optional<ObjectFile> OpenObject(const std::string& name) const {
    if (!IsServableName(name)) return std::nullopt;
    std::error_code ec;
    fs::path real = fs::canonical(root / name, ec);
    if (ec) return std::nullopt;
    const std::string& real_text = real.native();
    const std::string& root_text = root.native();
    // Symlinks may point anywhere; only targets inside the root are served.
    if (real_text.size() <= root_text.size() || !real_text.starts_with(root_text) ||
        (root_text != "/" && real_text[root_text.size()] != '/')) {
      return std::nullopt;
    }
    auto file =
        std::make_shared<const UniqueFd>(::open(real.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW));
    if (!file->valid()) return std::nullopt;
    struct stat info {};
    if (::fstat(file->get(), &info) != 0 || !S_ISREG(info.st_mode)) return std::nullopt;
    ObjectFile object;
    object.name = name;
    object.file = std::move(file);
    object.size = static_cast<uint64_t>(info.st_size);
    object.mtime_us = static_cast<int64_t>(info.st_mtim.tv_sec) * 1'000'000 +
                      static_cast<int64_t>(info.st_mtim.tv_nsec) / 1000;
    return object;
  }

  //! The checksums this server states for an object: the true ones, or with lie_about_md5
  //! the md5 and crc32c of other bytes (the true digests themselves), so a client that
  //! verifies what it downloaded must notice.
  Checksums StatedChecksums(const ObjectFile& object) {
    Checksums sums = checksums.Get((root / object.name).string(), object);
    if (options.faults.lie_about_md5) {
      sums = Checksums{Md5(sums.md5), Crc32cOf(Crc32cBytes(sums.crc32c))};
    }
    return sums;
  }

  nlohmann::json ObjectResource(const ObjectFile& object, const std::string& base_url) {
    Checksums sums = StatedChecksums(object);
    std::string generation = std::to_string(object.mtime_us);
    std::string encoded = PercentEncode(object.name);
    std::string time = ToIso(MtimeOf(object.mtime_us));
    const std::string& bucket = options.bucket;
    return {
        {"kind", "storage#object"},
        {"id", bucket + "/" + object.name + "/" + generation},
        {"selfLink", base_url + "/storage/v1/b/" + bucket + "/o/" + encoded},
        {"mediaLink", base_url + "/download/storage/v1/b/" + bucket + "/o/" + encoded +
                          "?generation=" + generation + "&alt=media"},
        {"name", object.name},
        {"bucket", bucket},
        {"generation", generation},
        {"metageneration", "1"},
        {"contentType", ContentTypeFor(object.name)},
        {"storageClass", "STANDARD"},
        {"size", std::to_string(object.size)},
        {"md5Hash", Base64Encode(sums.md5)},
        {"crc32c", Base64Encode(Crc32cBytes(sums.crc32c))},
        {"etag", Etag(object.mtime_us)},
        {"timeCreated", time},
        {"updated", time},
        {"timeStorageClassUpdated", time},
    };
  }

  //! Every servable object name under the root, in GCS's order (bytewise).
  std::vector<std::string> ObjectNames() const {
    std::vector<std::string> names;
    std::error_code ec;
    fs::recursive_directory_iterator it(root, fs::directory_options::skip_permission_denied, ec);
    if (ec) {
      throw Error(ErrorCode::kIo, "cannot list the bucket root: " + ec.message(), root.string());
    }
    for (; it != fs::recursive_directory_iterator(); it.increment(ec)) {
      if (ec) break;  // reported below: a listing must never be silently short
      const fs::directory_entry& entry = *it;
      // Lexically: fs::relative would resolve symlinks and list a link under its target.
      std::string name = entry.path().lexically_relative(root).generic_string();
      std::string_view base = std::string_view(name).substr(name.rfind('/') + 1);
      if (entry.is_directory(ec) && !entry.is_symlink(ec)) {
        if (base.starts_with('.')) it.disable_recursion_pending();
        continue;
      }
      if (!IsServableName(name)) continue;
      if (entry.is_symlink(ec)) {
        // Listed only when OpenObject would serve it: a regular file inside the root.
        if (!OpenObject(name)) continue;
      } else if (!entry.is_regular_file(ec)) {
        continue;
      }
      names.push_back(std::move(name));
    }
    if (ec) {
      throw Error(ErrorCode::kIo, "cannot list the bucket root: " + ec.message(), root.string());
    }
    std::sort(names.begin(), names.end());
    return names;
  }

  // --- Handlers -----------------------------------------------------------------------

  void HandleBucket(const httplib::Request& req, httplib::Response& res) {
    SendJson(res, {{"kind", "storage#bucket"},
                   {"id", options.bucket},
                   {"name", options.bucket},
                   {"selfLink", BaseUrl(req) + "/storage/v1/b/" + options.bucket},
                   {"location", "US"},
                   {"storageClass", "STANDARD"},
                   {"metageneration", "1"}});
  }

  void HandleList(const httplib::Request& req, httplib::Response& res) {
    std::string prefix = req.get_param_value("prefix");
    std::string delimiter = req.get_param_value("delimiter");
    std::string start_offset = req.get_param_value("startOffset");
    std::string end_offset = req.get_param_value("endOffset");
    int max_results = kMaxListResults;
    if (req.has_param("maxResults")) {
      const std::string text = req.get_param_value("maxResults");
      char* end = nullptr;
      errno = 0;
      long value = std::strtol(text.c_str(), &end, 10);
      if (text.empty() || *end != '\0' || errno != 0 || value <= 0) {
        SendError(res, 400, "Invalid value for maxResults: " + text, "invalid");
        return;
      }
      max_results = static_cast<int>(std::min<long>(value, kMaxListResults));
    }
    std::optional<std::string> after;  // the last name or prefix of the previous page
    if (req.has_param("pageToken") && !req.get_param_value("pageToken").empty()) {
      try {
        after = Base64Decode(req.get_param_value("pageToken"));
      } catch (const Error&) {
        SendError(res, 400, "Invalid page token.", "invalid");
        return;
      }
    }

    std::string base_url = BaseUrl(req);
    nlohmann::json items = nlohmann::json::array();
    nlohmann::json prefixes = nlohmann::json::array();
    std::string last_key;
    std::optional<std::string> next_token;
    int count = 0;
    // Names are sorted and each entry's key (its name, or the common prefix that hides it)
    // never decreases along them, so a page ends at a key and the next starts after it.
    for (const std::string& name : ObjectNames()) {
      if (!name.starts_with(prefix)) continue;
      if (!start_offset.empty() && name < start_offset) continue;
      if (!end_offset.empty() && name >= end_offset) continue;
      std::string key = name;
      bool is_prefix = false;
      if (!delimiter.empty()) {
        size_t at = name.find(delimiter, prefix.size());
        if (at != std::string::npos) {
          key = name.substr(0, at + delimiter.size());
          is_prefix = true;
        }
      }
      if (after && key <= *after) continue;
      if (is_prefix && key == last_key) continue;
      if (count == max_results) {
        next_token = Base64Encode(last_key);
        break;
      }
      if (is_prefix) {
        prefixes.push_back(key);
      } else {
        std::optional<ObjectFile> object = OpenObject(name);
        if (!object) continue;  // removed since we listed the folder
        items.push_back(ObjectResource(*object, base_url));
      }
      last_key = std::move(key);
      ++count;
    }
    // Like GCS, empty lists are left out rather than sent as [].
    nlohmann::json body = {{"kind", "storage#objects"}};
    if (!items.empty()) body["items"] = std::move(items);
    if (!prefixes.empty()) body["prefixes"] = std::move(prefixes);
    if (next_token) body["nextPageToken"] = *next_token;
    SendJson(res, body);
  }

  //! True (and the 503 sent) while `name` still has failures to hand out.
  bool InjectFailure(const std::string& name, httplib::Response& res) {
    if (options.faults.fail_first_requests <= 0) return false;
    {
      std::lock_guard lock(fault_mutex);
      int& failed = failures_by_object[name];
      if (failed >= options.faults.fail_first_requests) return false;
      ++failed;
    }
    SendError(res, 503, "Backend Error (injected by --fail-first)", "backendError");
    return true;
  }

  void HandleObject(const httplib::Request& req, httplib::Response& res, const std::string& name,
                    bool media) {
    if (InjectFailure(name, res)) return;
    std::optional<ObjectFile> object = OpenObject(name);
    if (!object) {
      SendError(res, 404, "No such object: " + options.bucket + "/" + name, "notFound");
      return;
    }
    std::string generation = std::to_string(object->mtime_us);
    if (req.has_param("generation") && req.get_param_value("generation") != generation) {
      SendError(res, 404,
                "No such object: " + options.bucket + "/" + name + "#" +
                    req.get_param_value("generation"),
                "notFound");
      return;
    }
    if (req.has_param("ifGenerationMatch") &&
        req.get_param_value("ifGenerationMatch") != generation) {
      SendError(res, 412, "At least one of the pre-conditions you specified did not hold.",
                "conditionNotMet");
      return;
    }
    if (!media) {
      SendJson(res, ObjectResource(*object, BaseUrl(req)));
      return;
    }
    SendMedia(req, res, *object);
  }

  void SendMedia(const httplib::Request& req, httplib::Response& res, const ObjectFile& object) {
    Checksums sums = StatedChecksums(object);
    ByteRange range = ResolveRange(req.get_header_value("Range"), object.size);
    if (range.kind == ByteRange::Kind::kUnsatisfiable) {
      SendError(res, 416, "The requested range cannot be satisfied.",
                "requestedRangeNotSatisfiable");
      res.set_header("Content-Range", "bytes */" + std::to_string(object.size));
      return;
    }
    std::string generation = std::to_string(object.mtime_us);
    // The hashes describe the whole object even for a range, as GCS's do.
    res.set_header("x-goog-hash", "crc32c=" + Base64Encode(Crc32cBytes(sums.crc32c)) +
                                      ",md5=" + Base64Encode(sums.md5));
    res.set_header("x-goog-generation", generation);
    res.set_header("x-goog-metageneration", "1");
    res.set_header("x-goog-stored-content-length", std::to_string(object.size));
    res.set_header("x-goog-stored-content-encoding", "identity");
    res.set_header("x-goog-storage-class", "STANDARD");
    res.set_header("ETag", "\"" + Etag(object.mtime_us) + "\"");
    res.set_header("Last-Modified", ToHttpDate(MtimeOf(object.mtime_us)));
    res.set_header("Accept-Ranges", "bytes");

    uint64_t first = 0;
    uint64_t length = object.size;
    if (range.kind == ByteRange::Kind::kPart) {
      first = range.first;
      length = range.last - range.first + 1;
      res.status = 206;
      res.set_header("Content-Range", "bytes " + std::to_string(range.first) + "-" +
                                          std::to_string(range.last) + "/" +
                                          std::to_string(object.size));
    } else {
      res.status = 200;
    }
    std::string content_type = ContentTypeFor(object.name);
    if (length == 0) {
      res.set_content("", content_type);
      return;
    }
    // cut_after_bytes: the body stops after this many bytes and the provider fails, which
    // makes httplib close the connection short of the promised Content-Length.
    uint64_t cut = options.faults.cut_after_bytes;
    uint64_t send = (cut > 0 && cut < length) ? cut : length;
    std::shared_ptr<const UniqueFd> file = object.file;
    // One buffer per download, reused for every chunk (httplib copies the provider).
    auto buffer = std::make_shared<std::vector<char>>();
    res.set_content_provider(
        static_cast<size_t>(length), content_type,
        [file, buffer, first, send](size_t offset, size_t /*remaining*/, httplib::DataSink& sink) {
          if (offset >= send) return false;  // the cut: stop here, connection closes
          buffer->resize(static_cast<size_t>(std::min<uint64_t>(kChunkBytes, send - offset)));
          ssize_t n = ReadAt(*file, buffer->data(), buffer->size(), first + offset);
          if (n <= 0) return false;  // file shrank or failed: end the connection short
          if (!sink.write(buffer->data(), static_cast<size_t>(n))) return false;
          g_trace.streamed_bytes += static_cast<uint64_t>(n);
          // A cut lands exactly on `send`; the next call returns false.
          return true;
        });
  }

  //! Routes every request. Returns Handled always: nothing falls through to httplib's own
  //! routing, so its Range handling never touches our bodies.
  httplib::Server::HandlerResponse Route(const httplib::Request& req, httplib::Response& res) {
    g_trace = RequestTrace{true, Clock::now(), 0};
    // httplib parsed Range into req.ranges and would slice our bodies by it; we resolve
    // ranges ourselves (to control cut-offs), so drop its copy. The Request object itself
    // is not const; httplib only hands it to handlers as const.
    const_cast<httplib::Request&>(req).ranges.clear();
    if (options.faults.latency.count() > 0) {
      std::unique_lock lock(stop_mutex);
      stop_wake.wait_for(lock, options.faults.latency, [this] { return stop_requested.load(); });
    }
    try {
      RouteOrThrow(req, res);
    } catch (const Error& e) {
      spdlog::warn("{} {}: {}{}", req.method, req.target, e.input().empty() ? "" : e.input() + ": ",
                   e.message());
      SendError(res, 500, e.message(), "internalError");
    } catch (const std::exception& e) {
      spdlog::warn("{} {}: {}", req.method, req.target, e.what());
      SendError(res, 500, "Internal Error", "internalError");
    }
    return httplib::Server::HandlerResponse::Handled;
  }

  void RouteOrThrow(const httplib::Request& req, httplib::Response& res) {
    if (req.method != "GET" && req.method != "HEAD") {
      SendError(res, 405, "This bucket is read-only: " + req.method + " is not supported.",
                "methodNotAllowed");
      return;
    }
    std::string_view path = RawPath(req.target);
    bool download = false;
    constexpr std::string_view kDownload = "/download";
    if (path.starts_with(kDownload)) {
      download = true;
      path.remove_prefix(kDownload.size());
    }
    constexpr std::string_view kApi = "/storage/v1/b/";
    if (!path.starts_with(kApi)) {
      SendError(res, 404, "Not Found: " + std::string(RawPath(req.target)), "notFound");
      return;
    }
    path.remove_prefix(kApi.size());
    size_t slash = path.find('/');
    std::optional<std::string> bucket = PercentDecode(path.substr(0, slash));
    if (!bucket) {
      SendError(res, 400, "Invalid bucket name encoding.", "invalid");
      return;
    }
    if (*bucket != options.bucket) {
      SendError(res, 404, "The specified bucket does not exist.", "notFound");
      return;
    }
    std::string_view rest = slash == path.npos ? std::string_view() : path.substr(slash);
    if (rest.empty() || rest == "/") {
      if (download) {
        SendError(res, 404, "Not Found", "notFound");
      } else {
        HandleBucket(req, res);
      }
      return;
    }
    if (rest == "/o" || rest == "/o/") {
      HandleList(req, res);
      return;
    }
    if (!rest.starts_with("/o/")) {
      SendError(res, 404, "Not Found: " + std::string(RawPath(req.target)), "notFound");
      return;
    }
    // Clients encode '/' in names as %2F; a raw '/' is accepted too.
    std::optional<std::string> name = PercentDecode(rest.substr(3));
    if (!name) {
      SendError(res, 400, "Invalid object name encoding.", "invalid");
      return;
    }
    std::string alt = req.get_param_value("alt");
    if (!alt.empty() && alt != "json" && alt != "media") {
      SendError(res, 400, "Invalid value for alt: " + alt, "invalid");
      return;
    }
    HandleObject(req, res, *name, download || alt == "media");
  }

  void Log(const httplib::Request& req, const httplib::Response& res) {
    uint64_t bytes = res.body.size();
    double ms = 0;
    if (g_trace.active) {
      bytes += g_trace.streamed_bytes;
      ms = std::chrono::duration<double, std::milli>(Clock::now() - g_trace.start).count();
    }
    g_trace = RequestTrace{};
    // The Range shows in the log so a resumed download can be told from a fresh one.
    std::string range = req.get_header_value("Range");
    spdlog::info("{} {} {} {}B {:.1f}ms{}", req.method, req.target, res.status, bytes, ms,
                 range.empty() ? "" : " range=" + range);
  }
};

BucketServer::BucketServer(BucketServerOptions options)
    : impl_(std::make_unique<Impl>(std::move(options))) {
  Impl& impl = *impl_;
  const BucketServerOptions& o = impl.options;
  std::error_code ec;
  if (o.root.empty() || !fs::is_directory(o.root, ec)) {
    throw Error(ErrorCode::kUsage, "the bucket root is not a folder", o.root,
                "pass --root DIR, a folder holding the shop's exports");
  }
  impl.root = fs::canonical(o.root, ec);
  if (ec) throw Error(ErrorCode::kIo, "cannot resolve the bucket root: " + ec.message(), o.root);
  // GCS bucket names: 3-63 of [a-z0-9._-], starting and ending with a letter or digit.
  auto valid_char = [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.';
  };
  const std::string& b = o.bucket;
  if (b.size() < 3 || b.size() > 63 || !std::all_of(b.begin(), b.end(), valid_char) ||
      !std::isalnum(static_cast<unsigned char>(b.front())) ||
      !std::isalnum(static_cast<unsigned char>(b.back()))) {
    throw Error(ErrorCode::kUsage, "not a valid bucket name", b,
                "use 3-63 lowercase letters, digits, '-', '_' or '.', e.g. shop-exports");
  }
  if (o.faults.fail_first_requests < 0 || o.faults.latency.count() < 0) {
    throw Error(ErrorCode::kUsage, "fault settings must not be negative");
  }

  auto& server = impl.server;
  // A short keep-alive so Stop() is not held up by idle client connections.
  server.set_keep_alive_timeout(2);
  server.set_pre_routing_handler([&impl](const httplib::Request& req, httplib::Response& res) {
    return impl.Route(req, res);
  });
  server.set_logger(
      [&impl](const httplib::Request& req, const httplib::Response& res) { impl.Log(req, res); });
  impl.port = server.Bind(o.host, o.port);
}

BucketServer::~BucketServer() {
  Stop();
  impl_->server.CloseListeningSocket();
}

int BucketServer::port() const { return impl_->port; }

std::string BucketServer::endpoint() const { return impl_->Endpoint(); }

void BucketServer::Start() {
  if (impl_->thread.joinable()) return;
  impl_->thread = std::thread([this] { impl_->Serve(); });
}

void BucketServer::Run() { impl_->Serve(); }

void BucketServer::Stop() {
  Impl& impl = *impl_;
  {
    std::lock_guard lock(impl.stop_mutex);
    impl.stop_requested = true;
  }
  impl.stop_wake.notify_all();
  impl.server.StopListening(impl.serving);
  if (impl.thread.joinable() && impl.thread.get_id() != std::this_thread::get_id()) {
    impl.thread.join();
  }
}

}  // namespace shoplake::simulate
