// S3Client: the S3 REST API calls shoplake makes, on one bucket, signed with SigV4
// (common/aws_sigv4.h) and sent through the one HttpClient. Both the S3 store (the lake on
// s3://bucket/prefix) and ingest's s3:// source use it.
//
// Addressing: with an endpoint (AWS_ENDPOINT_URL[_S3]: s3rver, MinIO, LocalStack) requests
// are path-style, {endpoint}/{bucket}/{key}; without one they go to AWS virtual-hosted style,
// https://{bucket}.s3.{region}.amazonaws.com/{key} (path-style on s3.{region}.amazonaws.com
// for bucket names with dots, which TLS cannot match against *.s3...).
//
// Every payload is hashed and signed (x-amz-content-sha256), parts one by one. Transient
// failures (connection errors, timeouts, 408, 429, 5xx, S3's SlowDown and InternalError) are
// retried with backoff up to the policy's attempts, re-signed each time; a streamed GET is
// retried only until its first byte reaches the sink (the caller resumes from there), a
// buffered one (GetRange) at any point. A failure retried until the attempts ran out is
// thrown as RetriesSpent, so a caller that retries too (ingest) does not try it again
// (common/retry.h).
// Errors name s3://bucket/key, the HTTP status and S3's <Code>: <Message>, and say what to do.
//
// Thread safety: every method may be called from several threads at once.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/aws_config.h"
#include "common/http_client.h"
#include "common/retry.h"

namespace shoplake::lake {

struct S3ClientOptions {
  std::chrono::milliseconds connect_timeout{10'000};
  std::chrono::milliseconds stall_timeout{30'000};
  RetryPolicy retry;
  //! ListObjectsV2's max-keys: S3 answers at most 1000 keys a page; tests page with fewer.
  int list_page_size = 1000;
};

//! An object as S3 lists or HEADs it.
struct S3Object {
  std::string key;  //!< the full key in the bucket
  uint64_t size = 0;
  std::string etag;  //!< without its quotes; "<md5 hex>" for single PUTs, "<hex>-N" multipart
  int64_t modified_unix_ms = 0;
};

//! A multipart upload not yet completed or aborted.
struct S3Upload {
  std::string key;
  std::string upload_id;
  int64_t initiated_unix_ms = 0;
};

class S3Client {
 public:
  S3Client(std::string bucket, aws::AwsConfig config, S3ClientOptions options = {});
  S3Client(const S3Client&) = delete;
  S3Client& operator=(const S3Client&) = delete;

  const std::string& bucket() const { return bucket_; }
  const aws::AwsConfig& config() const { return config_; }
  //! "s3://bucket/key", how errors and logs name an object.
  std::string Uri(std::string_view key) const;

  //! Every object whose key starts with `prefix`, in key order (ListObjectsV2, following
  //! continuation tokens). Throws kNotFound when the bucket does not exist.
  std::vector<S3Object> List(std::string_view prefix);
  //! HEAD: the object, or nullopt when there is none.
  std::optional<S3Object> Head(std::string_view key);
  //! GET bytes [offset, offset + length) (to the end when nullopt) into `sink`. With
  //! `if_match` (an ETag) a replaced object fails with kData instead of splicing versions.
  //! Throws kNotFound for a missing object.
  void Get(std::string_view key, uint64_t offset, std::optional<uint64_t> length,
           const HttpSink& sink, std::string_view if_match = {});
  //! GET bytes [offset, offset + length) into memory, for bounded ranges. Unlike Get, a
  //! transfer that breaks off midway is retried too (from the range's start).
  std::string GetRange(std::string_view key, uint64_t offset, uint64_t length,
                       std::string_view if_match = {});
  //! PUT `body` as the whole object; returns its ETag.
  std::string Put(std::string_view key, std::string_view body);
  //! PUT with "If-None-Match: *": the new object's ETag when it was created, nullopt when
  //! one exists (412) or another conditional write to it is in flight (409). An endpoint
  //! that ignores the condition (s3rver) always writes.
  std::optional<std::string> PutIfAbsent(std::string_view key, std::string_view body);
  //! PUT with "If-Match: `etag`": the new ETag when the object still was that version,
  //! nullopt when it was another or is gone (412) or another conditional write to it is in
  //! flight (409). An endpoint that ignores the condition (s3rver) always writes.
  std::optional<std::string> PutIfMatch(std::string_view key, std::string_view body,
                                        std::string_view etag);
  //! Removes the object; a missing one is not an error (S3 answers 204 either way).
  void Delete(std::string_view key);

  //! CreateMultipartUpload: returns the upload id.
  std::string CreateMultipartUpload(std::string_view key);
  //! UploadPart number `part_number` (1-based); returns its ETag.
  std::string UploadPart(std::string_view key, std::string_view upload_id, int part_number,
                         std::string_view body);
  //! CompleteMultipartUpload with the parts' ETags in order: the object appears whole.
  void CompleteMultipartUpload(std::string_view key, std::string_view upload_id,
                               const std::vector<std::string>& part_etags);
  //! AbortMultipartUpload: the parts are dropped.
  void AbortMultipartUpload(std::string_view key, std::string_view upload_id);
  //! The uploads in progress under `prefix`, or nullopt when the endpoint does not implement
  //! ListMultipartUploads (s3rver answers 501).
  std::optional<std::vector<S3Upload>> ListMultipartUploads(std::string_view prefix);

 private:
  struct Call;
  HttpResponse Send(const Call& call);
  //! Get and GetRange: `restart` (may be empty) takes back what the sink received, which
  //! allows retrying a transfer that broke off midway.
  void GetInto(std::string_view key, uint64_t offset, std::optional<uint64_t> length,
               const HttpSink& sink, std::string_view if_match, std::function<void()> restart);
  [[noreturn]] void ThrowFor(const HttpResponse& response, const Call& call) const;
  //! A PUT on the condition `header`: `value`; see PutIfAbsent.
  std::optional<std::string> ConditionalPut(std::string_view key, std::string_view body,
                                            const char* header, std::string value);

  std::string bucket_;
  aws::AwsConfig config_;
  S3ClientOptions options_;
  std::string base_url_;   //!< scheme://host[:port] requests go to
  std::string host_;       //!< the Host header, as signed
  std::string path_base_;  //!< "/bucket" for path-style, "" for virtual-hosted
  HttpClient http_;
};

}  // namespace shoplake::lake
