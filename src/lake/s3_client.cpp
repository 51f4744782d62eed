// S3Client: addressing, signing, retries, and S3's XML (pugixml) and error mapping.
#include "lake/s3_client.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <functional>
#include <pugixml.hpp>
#include <random>
#include <set>
#include <sstream>
#include <thread>

#include "common/aws_sigv4.h"
#include "common/clock.h"
#include "common/error.h"
#include "common/hash.h"
#include "common/numbers.h"

namespace shoplake::lake {
namespace {

using Query = std::vector<std::pair<std::string, std::string>>;

std::string Unquoted(std::string etag) {
  if (etag.size() >= 2 && etag.front() == '"' && etag.back() == '"') {
    etag = etag.substr(1, etag.size() - 2);
  }
  return etag;
}

uint64_t ParseSize(std::string_view text, const std::string& where) {
  auto value = ParseUnsigned(text);
  if (!value) {
    throw Error(ErrorCode::kData, "S3 stated an invalid size '" + std::string(text) + "'", where,
                "the endpoint is not speaking the S3 API as expected");
  }
  return *value;
}

//! An S3 time (RFC 3339 in LastModified and Initiated, an HTTP date in the Last-Modified
//! header) as Unix milliseconds; 0 when the server wrote none we can read.
int64_t UnixMsOf(std::optional<std::chrono::system_clock::time_point> time) {
  return time ? ToUnixMs(*time) : 0;
}

pugi::xml_document ParseXml(const std::string& body, const std::string& where) {
  pugi::xml_document document;
  pugi::xml_parse_result parsed = document.load_buffer(body.data(), body.size());
  if (!parsed) {
    throw Error(ErrorCode::kData,
                std::string("S3 answered XML that does not parse: ") + parsed.description(), where,
                "the endpoint is not speaking the S3 API as expected");
  }
  return document;
}

//! The (host, whether it carries a non-default port) of "scheme://host[:port][/...]".
std::string HostOf(const std::string& url) {
  size_t start = url.find("://");
  start = start == std::string::npos ? 0 : start + 3;
  std::string host = url.substr(start, url.find('/', start) - start);
  // curl leaves a default port out of the Host header; the signature must say the same.
  if (url.starts_with("http://") && host.ends_with(":80")) host.resize(host.size() - 3);
  if (url.starts_with("https://") && host.ends_with(":443")) host.resize(host.size() - 4);
  return host;
}

bool IsTransientCode(const std::string& code) {
  return code == "SlowDown" || code == "InternalError" || code == "RequestTimeout" ||
         code == "ServiceUnavailable" || code == "RequestTimeTooSkewed";
}

}  // namespace

//! One S3 request, as built by a method and sent (and re-sent) by Send.
struct S3Client::Call {
  std::string method;
  std::string key;    //!< empty for bucket-level calls
  std::string named;  //!< what errors name for a bucket-level call (a listing's prefix)
  Query query;
  std::optional<std::string_view> body;                      //!< PUT/POST payload
  std::vector<std::pair<std::string, std::string>> headers;  //!< signed, sent as is
  const HttpSink* sink = nullptr;                            //!< streams a 2xx body (GET)
  //! Set: the sink's bytes can be taken back; called before a retry after some arrived.
  std::function<void()> restart;
  uint64_t offset = 0;
  std::optional<uint64_t> length;
  bool head = false;
  std::vector<long> accepted;  //!< non-2xx statuses returned to the caller, not thrown
};

S3Client::S3Client(std::string bucket, aws::AwsConfig config, S3ClientOptions options)
    : bucket_(std::move(bucket)),
      config_(std::move(config)),
      options_(options),
      http_(HttpClientOptions{options.connect_timeout, options.stall_timeout}) {
  if (bucket_.empty()) {
    throw Error(ErrorCode::kUsage, "an S3 URI needs a bucket", "s3://", "write s3://BUCKET/prefix");
  }
  if (!config_.endpoint.empty()) {
    if (!config_.endpoint.starts_with("http://") && !config_.endpoint.starts_with("https://")) {
      throw Error(ErrorCode::kUsage, "the S3 endpoint is not an http(s) URL", config_.endpoint,
                  "set AWS_ENDPOINT_URL to e.g. http://127.0.0.1:4569");
    }
    base_url_ = config_.endpoint;
    path_base_ = "/" + bucket_;
  } else if (bucket_.find('.') != std::string::npos) {
    base_url_ = "https://s3." + config_.region + ".amazonaws.com";
    path_base_ = "/" + bucket_;
  } else {
    base_url_ = "https://" + bucket_ + ".s3." + config_.region + ".amazonaws.com";
  }
  // An endpoint with a path ("http://host/s3") keeps it in front of every request.
  size_t scheme_end = base_url_.find("://") + 3;
  size_t path_start = base_url_.find('/', scheme_end);
  if (path_start != std::string::npos) {
    path_base_ = base_url_.substr(path_start) + path_base_;
    base_url_.resize(path_start);
  }
  host_ = HostOf(base_url_);
}

std::string S3Client::Uri(std::string_view key) const {
  return "s3://" + bucket_ + (key.empty() ? "" : "/" + std::string(key));
}

HttpResponse S3Client::Send(const Call& call) {
  aws::SigningRequest signing;
  signing.method = call.head ? "HEAD" : call.method;
  signing.host = host_;
  // Bucket-level calls go to "/bucket" path-style (as the SDKs send them), "/" virtual-hosted.
  if (!call.key.empty()) {
    signing.path = path_base_ + "/" + call.key;
  } else {
    signing.path = path_base_.empty() ? "/" : path_base_;
  }
  signing.query = call.query;
  signing.headers = call.headers;
  signing.payload_sha256 =
      call.body ? HexEncode(Sha256(*call.body)) : std::string(aws::kEmptyPayloadSha256);

  HttpRequest request;
  request.url = base_url_ + aws::EncodedPath(signing.path);
  std::string query = aws::EncodedQuery(call.query);
  if (!query.empty()) request.url += "?" + query;
  request.head = call.head;
  if (!call.head && call.method != "GET" && call.method != "POST") request.method = call.method;
  if (call.body) {
    request.body = std::string(*call.body);
  } else if (call.method == "POST") {
    request.body = std::string();
  }
  request.offset = call.offset;
  request.length = call.length;
  request.return_errors = true;

  HttpSubject subject;
  subject.name = Uri(call.key.empty() ? call.named : call.key);

  // Bytes already given to the caller's sink cannot be taken back: past them, the caller
  // resumes rather than this loop retrying.
  uint64_t delivered = 0;
  HttpSink counting;
  if (call.sink) {
    counting = [&](std::string_view bytes) {
      delivered += bytes.size();
      (*call.sink)(bytes);
    };
  }
  std::mt19937_64 jitter(std::random_device{}());
  for (int attempt = 1;; ++attempt) {
    request.headers.clear();
    for (const auto& [name, value] : call.headers) request.headers.push_back(name + ": " + value);
    // libcurl would add these on its own: a form Content-Type S3 would store, and an
    // Expect: 100-continue round trip.
    if (call.body || call.method == "POST") {
      bool typed = std::any_of(call.headers.begin(), call.headers.end(),
                               [](const auto& header) { return header.first == "Content-Type"; });
      if (!typed) request.headers.push_back("Content-Type: application/octet-stream");
      request.headers.push_back("Expect:");
    }
    for (std::string& line : aws::SignRequest(signing, config_.credentials, config_.region, "s3",
                                              std::chrono::system_clock::now())) {
      request.headers.push_back(std::move(line));
    }
    try {
      HttpResponse response = http_.Fetch(request, subject, call.sink ? &counting : nullptr);
      if (response.status >= 200 && response.status < 300) return response;
      if (std::find(call.accepted.begin(), call.accepted.end(), response.status) !=
          call.accepted.end()) {
        return response;
      }
      ThrowFor(response, call);
    } catch (const Error& e) {
      // Bytes delivered are progress: the caller resumes, and no budget of ours is spent.
      if (!IsTransient(e) || (delivered > 0 && !call.restart)) throw;
      if (attempt >= options_.retry.max_attempts) GiveUp(e, attempt);
      if (delivered > 0) call.restart();
      delivered = 0;
      auto delay = options_.retry.DelayBefore(attempt + 1, jitter);
      spdlog::debug("{}; retrying {} in {} ms (attempt {} of {})", e.what(), signing.method,
                    delay.count(), attempt + 1, options_.retry.max_attempts);
      std::this_thread::sleep_for(delay);
    }
  }
}

void S3Client::ThrowFor(const HttpResponse& response, const Call& call) const {
  const long status = response.status;
  std::string code, message;
  if (!response.body.empty()) {
    pugi::xml_document document;
    if (document.load_buffer(response.body.data(), response.body.size())) {
      code = document.child("Error").child_value("Code");
      message = document.child("Error").child_value("Message");
    }
  }
  const std::string where = Uri(call.key.empty() ? call.named : call.key);
  std::string said = "HTTP " + std::to_string(status);
  if (!code.empty()) said += " " + code;
  if (!message.empty()) said += ": " + message;
  const std::string method = call.head ? "HEAD" : call.method;
  said += " (" + method + ")";

  if (code == "PermanentRedirect" || code == "AuthorizationHeaderMalformed" ||
      code == "IllegalLocationConstraintException" || status == 301) {
    auto region = response.Header("x-amz-bucket-region");
    throw Error(ErrorCode::kUsage, "the bucket lives in another region: " + said, where,
                region ? "set AWS_REGION=" + *region + " (the region now is " + config_.region +
                             ", from " + config_.region_source + ")"
                       : "set AWS_REGION to the bucket's region (the region now is " +
                             config_.region + ", from " + config_.region_source + ")");
  }
  if (status == 401 || status == 403) {
    std::string hint = "check the credentials from " + config_.credentials_source;
    if (code == "ExpiredToken" || code == "InvalidToken") {
      hint = "the session token from " + config_.credentials_source +
             " expired; get fresh temporary credentials (AWS_SESSION_TOKEN)";
    } else if (code == "AccessDenied") {
      hint = "the credentials from " + config_.credentials_source + " lack the s3:" +
             (method == "GET" || method == "HEAD" ? "GetObject/ListBucket"
                                                  : "PutObject/DeleteObject") +
             " permission on " + Uri("");
    } else if (code == "SignatureDoesNotMatch") {
      hint =
          "the secret key from " + config_.credentials_source + " does not match its access key id";
    }
    throw Error(ErrorCode::kUsage, "access refused: " + said, where, hint);
  }
  if (status == 404) {
    if (code == "NoSuchBucket") {
      throw Error(
          ErrorCode::kNotFound, "no such bucket: " + said, Uri(""),
          "check the bucket name" +
              (config_.endpoint.empty() ? std::string() : " and the endpoint " + config_.endpoint) +
              ", or create it (aws s3 mb " + Uri("") + ")");
    }
    if (code == "NoSuchUpload") {
      throw Error(ErrorCode::kNotFound, "the multipart upload is gone: " + said, where,
                  "it was aborted or completed by another process (CleanStaging?); write again");
    }
    throw Error(ErrorCode::kNotFound, "no such object: " + said, where,
                "it was deleted, or the key is wrong");
  }
  if (status == 412) {
    throw Error(ErrorCode::kConflict, "a precondition failed: " + said, where,
                "the object changed or appeared meanwhile; run again");
  }
  if (status == 416) {
    throw Error(ErrorCode::kData, "the range is outside the object: " + said, where,
                "the object is shorter than expected; it changed since it was listed");
  }
  if (status == 405 || status == 501 || code == "NotImplemented") {
    throw Error(ErrorCode::kUsage, "the endpoint does not implement this S3 operation: " + said,
                where, "use AWS S3 or a fuller S3-compatible server");
  }
  if (status == 408 || status == 429 || status >= 500 || IsTransientCode(code)) {
    throw Error(ErrorCode::kNetwork, "S3 answered " + said, where,
                "a transient S3 failure; it was retried with backoff, run again later");
  }
  throw Error(status >= 400 && status < 500 ? ErrorCode::kUsage : ErrorCode::kData,
              "S3 refused the request: " + said, where,
              "check the bucket, the key and the endpoint (" +
                  (config_.endpoint.empty() ? std::string("AWS") : config_.endpoint) + ")");
}

std::vector<S3Object> S3Client::List(std::string_view prefix) {
  std::vector<S3Object> objects;
  std::set<std::string> tokens_seen;
  std::string token;
  do {
    Call call;
    call.method = "GET";
    call.query = {{"list-type", "2"},
                  {"prefix", std::string(prefix)},
                  {"max-keys", std::to_string(options_.list_page_size)}};
    call.named = prefix;
    if (!token.empty()) call.query.emplace_back("continuation-token", token);
    HttpResponse response = Send(call);
    const std::string where = Uri(prefix);
    pugi::xml_document document = ParseXml(response.body, where);
    pugi::xml_node result = document.child("ListBucketResult");
    if (!result) {
      throw Error(ErrorCode::kData, "the listing is not a ListBucketResult", where,
                  "the endpoint is not speaking the S3 API as expected");
    }
    for (pugi::xml_node item : result.children("Contents")) {
      S3Object object;
      object.key = item.child_value("Key");
      object.size = ParseSize(item.child_value("Size"), Uri(object.key));
      object.etag = Unquoted(item.child_value("ETag"));
      object.modified_unix_ms = UnixMsOf(ParseIso(item.child_value("LastModified")));
      objects.push_back(std::move(object));
    }
    bool truncated = std::string_view(result.child_value("IsTruncated")) == "true";
    token = truncated ? result.child_value("NextContinuationToken") : "";
    if (truncated && token.empty()) {
      throw Error(ErrorCode::kData, "a truncated listing without a continuation token", where,
                  "the endpoint is not speaking ListObjectsV2 as expected");
    }
    if (!token.empty() && !tokens_seen.insert(token).second) {
      throw Error(ErrorCode::kData, "the listing repeats the continuation token " + token, where,
                  "the endpoint is paging in a loop");
    }
  } while (!token.empty());
  // S3 lists in UTF-8 binary order already; sorting makes it a promise whatever the endpoint.
  std::sort(objects.begin(), objects.end(),
            [](const S3Object& a, const S3Object& b) { return a.key < b.key; });
  return objects;
}

std::optional<S3Object> S3Client::Head(std::string_view key) {
  Call call;
  call.method = "HEAD";
  call.head = true;
  call.key = key;
  call.accepted = {404};
  HttpResponse response = Send(call);
  if (response.status == 404) return std::nullopt;
  S3Object object;
  object.key = key;
  object.size = ParseSize(response.Header("Content-Length").value_or(""), Uri(key));
  object.etag = Unquoted(response.Header("ETag").value_or(""));
  object.modified_unix_ms = UnixMsOf(ParseHttpDate(response.Header("Last-Modified").value_or("")));
  return object;
}

void S3Client::Get(std::string_view key, uint64_t offset, std::optional<uint64_t> length,
                   const HttpSink& sink, std::string_view if_match) {
  GetInto(key, offset, length, sink, if_match, nullptr);
}

std::string S3Client::GetRange(std::string_view key, uint64_t offset, uint64_t length,
                               std::string_view if_match) {
  std::string bytes;
  HttpSink sink = [&bytes](std::string_view chunk) { bytes.append(chunk); };
  GetInto(key, offset, length, sink, if_match, [&bytes] { bytes.clear(); });
  return bytes;
}

void S3Client::GetInto(std::string_view key, uint64_t offset, std::optional<uint64_t> length,
                       const HttpSink& sink, std::string_view if_match,
                       std::function<void()> restart) {
  Call call;
  call.method = "GET";
  call.key = key;
  call.sink = &sink;
  call.restart = std::move(restart);
  call.offset = offset;
  call.length = length;
  if (!if_match.empty()) call.headers.emplace_back("If-Match", "\"" + std::string(if_match) + "\"");
  try {
    Send(call);
  } catch (const Error& e) {
    if (e.code() == ErrorCode::kConflict && !if_match.empty()) {
      throw Error(
          ErrorCode::kData,
          "the object changed while it was read (ETag " + std::string(if_match) + " is gone)",
          Uri(key), "read it again; it was replaced by another writer");
    }
    throw;
  }
}

std::string S3Client::Put(std::string_view key, std::string_view body) {
  Call call;
  call.method = "PUT";
  call.key = key;
  call.body = body;
  // S3 checks the bytes against Content-MD5 and refuses a damaged upload (BadDigest).
  call.headers.emplace_back("Content-MD5", Base64Encode(Md5(body)));
  return Unquoted(Send(call).Header("ETag").value_or(""));
}

std::optional<std::string> S3Client::PutIfAbsent(std::string_view key, std::string_view body) {
  return ConditionalPut(key, body, "If-None-Match", "*");
}

std::optional<std::string> S3Client::PutIfMatch(std::string_view key, std::string_view body,
                                                std::string_view etag) {
  return ConditionalPut(key, body, "If-Match", "\"" + std::string(etag) + "\"");
}

std::optional<std::string> S3Client::ConditionalPut(std::string_view key, std::string_view body,
                                                    const char* header, std::string value) {
  Call call;
  call.method = "PUT";
  call.key = key;
  call.body = body;
  call.headers.emplace_back(header, std::move(value));
  // 412: the condition does not hold. 409 ConditionalRequestConflict: another conditional
  // write to the key is in flight; either way someone else got there first.
  call.accepted = {412, 409};
  HttpResponse response = Send(call);
  if (response.status < 200 || response.status >= 300) return std::nullopt;
  return Unquoted(response.Header("ETag").value_or(""));
}

void S3Client::Delete(std::string_view key) {
  Call call;
  call.method = "DELETE";
  call.key = key;
  call.accepted = {404};
  Send(call);
}

std::string S3Client::CreateMultipartUpload(std::string_view key) {
  Call call;
  call.method = "POST";
  call.key = key;
  call.query = {{"uploads", ""}};
  HttpResponse response = Send(call);
  pugi::xml_document document = ParseXml(response.body, Uri(key));
  std::string upload_id = document.child("InitiateMultipartUploadResult").child_value("UploadId");
  if (upload_id.empty()) {
    throw Error(ErrorCode::kData, "CreateMultipartUpload answered no UploadId", Uri(key),
                "the endpoint is not speaking the S3 API as expected");
  }
  return upload_id;
}

std::string S3Client::UploadPart(std::string_view key, std::string_view upload_id, int part_number,
                                 std::string_view body) {
  Call call;
  call.method = "PUT";
  call.key = key;
  call.query = {{"partNumber", std::to_string(part_number)}, {"uploadId", std::string(upload_id)}};
  call.body = body;
  call.headers.emplace_back("Content-MD5", Base64Encode(Md5(body)));
  std::string etag = Unquoted(Send(call).Header("ETag").value_or(""));
  if (etag.empty()) {
    throw Error(ErrorCode::kData,
                "UploadPart answered no ETag for part " + std::to_string(part_number), Uri(key),
                "the endpoint is not speaking the S3 API as expected");
  }
  return etag;
}

void S3Client::CompleteMultipartUpload(std::string_view key, std::string_view upload_id,
                                       const std::vector<std::string>& part_etags) {
  pugi::xml_document request;
  pugi::xml_node root = request.append_child("CompleteMultipartUpload");
  root.append_attribute("xmlns") = "http://s3.amazonaws.com/doc/2006-03-01/";
  for (size_t i = 0; i < part_etags.size(); ++i) {
    pugi::xml_node part = root.append_child("Part");
    part.append_child("PartNumber").text().set(static_cast<unsigned>(i + 1));
    part.append_child("ETag").text().set(("\"" + part_etags[i] + "\"").c_str());
  }
  std::ostringstream xml;
  request.save(xml, "", pugi::format_raw | pugi::format_no_declaration);
  const std::string body = xml.str();

  Call call;
  call.method = "POST";
  call.key = key;
  call.query = {{"uploadId", std::string(upload_id)}};
  call.body = body;
  call.headers.emplace_back("Content-Type", "application/xml");
  HttpResponse response = Send(call);
  // S3 may answer 200 and still fail: the error then comes as the body.
  pugi::xml_document answer = ParseXml(response.body, Uri(key));
  if (answer.child("Error")) {
    HttpResponse failed = response;
    failed.status = 500;
    ThrowFor(failed, call);
  }
}

void S3Client::AbortMultipartUpload(std::string_view key, std::string_view upload_id) {
  Call call;
  call.method = "DELETE";
  call.key = key;
  call.query = {{"uploadId", std::string(upload_id)}};
  call.accepted = {404};  // already gone: what was wanted
  Send(call);
}

std::optional<std::vector<S3Upload>> S3Client::ListMultipartUploads(std::string_view prefix) {
  std::vector<S3Upload> uploads;
  std::string key_marker, upload_marker;
  for (;;) {
    Call call;
    call.method = "GET";
    call.query = {{"uploads", ""}, {"prefix", std::string(prefix)}};
    call.named = prefix;
    if (!key_marker.empty()) call.query.emplace_back("key-marker", key_marker);
    if (!upload_marker.empty()) call.query.emplace_back("upload-id-marker", upload_marker);
    call.accepted = {501, 405};
    HttpResponse response = Send(call);
    if (response.status == 501 || response.status == 405) return std::nullopt;
    pugi::xml_document document = ParseXml(response.body, Uri(prefix));
    pugi::xml_node result = document.child("ListMultipartUploadsResult");
    for (pugi::xml_node item : result.children("Upload")) {
      uploads.push_back({item.child_value("Key"), item.child_value("UploadId"),
                         UnixMsOf(ParseIso(item.child_value("Initiated")))});
    }
    if (std::string_view(result.child_value("IsTruncated")) != "true") break;
    std::string next_key = result.child_value("NextKeyMarker");
    std::string next_upload = result.child_value("NextUploadIdMarker");
    if (next_key == key_marker && next_upload == upload_marker) break;  // no progress
    key_marker = next_key;
    upload_marker = next_upload;
  }
  return uploads;
}

}  // namespace shoplake::lake
