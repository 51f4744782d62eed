// S3Source: s3://bucket[/prefix] through the same S3Client as the S3 store (lake/s3_client.h),
// so credentials, endpoint (AWS_ENDPOINT_URL for s3rver, MinIO, LocalStack), signing and
// retries are the store's.
//
// Listing: ListObjectsV2 under the prefix. Names are the objects' full keys, as for gs://,
// so one object lands under one raw key however it was asked for. An object's version is
// its ETag; its md5 is the ETag when that is a plain MD5 (single-part uploads without
// SSE-KMS), never for multipart ETags ("<hex>-<parts>").
// Reading: GET with "Range: bytes=N-" to resume and "If-Match: <ETag>", so a resumed read
// never splices two versions of an object: a replaced object fails instead.
#include <algorithm>

#include "common/error.h"
#include "common/uri.h"
#include "ingest/source.h"
#include "lake/s3_client.h"

namespace shoplake::ingest {
namespace {

//! The 16 bytes of `etag` when it is 32 hex digits, else nullopt.
std::optional<std::string> Md5OfEtag(const std::string& etag) {
  if (etag.size() != 32) return std::nullopt;
  std::string bytes;
  for (size_t i = 0; i < 32; i += 2) {
    auto hex = [](char c) -> int {
      if (c >= '0' && c <= '9') return c - '0';
      if (c >= 'a' && c <= 'f') return c - 'a' + 10;
      if (c >= 'A' && c <= 'F') return c - 'A' + 10;
      return -1;
    };
    int high = hex(etag[i]), low = hex(etag[i + 1]);
    if (high < 0 || low < 0) return std::nullopt;
    bytes.push_back(static_cast<char>(high * 16 + low));
  }
  return bytes;
}

class S3Source final : public Source {
 public:
  S3Source(const Uri& uri, const SourceOptions& options)
      : prefix_(uri.path),
        client_(uri.authority, aws::LoadAwsConfig(),
                lake::S3ClientOptions{options.connect_timeout, options.stall_timeout, {}, 1000}) {}

  std::string uri() const override { return client_.Uri(prefix_); }

  std::vector<SourceObject> List() override {
    std::vector<SourceObject> objects;
    for (const lake::S3Object& object : client_.List(prefix_)) {
      // "folder/" placeholders (made by consoles) are not data, and no lake key ends in '/'.
      if (object.key.ends_with('/')) continue;
      SourceObject source_object;
      source_object.uri = client_.Uri(object.key);
      source_object.name = object.key;
      source_object.size = object.size;
      source_object.version = object.etag;
      source_object.md5 = Md5OfEtag(object.etag);
      // s3://b/orders/2026-01-01.csv names one object, even when others share its prefix.
      if (!prefix_.empty() && object.key == prefix_) return {source_object};
      objects.push_back(std::move(source_object));
    }
    if (objects.empty() && !prefix_.empty()) {
      // S3 has no folders: an empty listing under a prefix is a mistyped prefix far more
      // often than an intended no-op.
      throw Error(ErrorCode::kNotFound, "no objects under this prefix", uri(),
                  "check the prefix (list the bucket: aws s3 ls " + client_.Uri("") + "/)");
    }
    return objects;  // S3Client::List sorts by key, which is the name
  }

  void Read(const SourceObject& object, uint64_t offset, const ByteSink& sink) override {
    const std::string bucket_uri = client_.Uri("") + "/";
    Check(object.uri.starts_with(bucket_uri) && object.uri.size() > bucket_uri.size(),
          "S3Source::Read given an object of another bucket: " + object.uri);
    // Nothing left to read (a transfer broke off after its last byte); a Range past the
    // end would be answered 416.
    if (offset > 0 && offset >= object.size) return;
    client_.Get(object.uri.substr(bucket_uri.size()), offset, std::nullopt, sink, object.version);
  }

 private:
  std::string prefix_;
  lake::S3Client client_;
};

}  // namespace

std::unique_ptr<Source> OpenS3Source(const Uri& uri, const SourceOptions& options) {
  return std::make_unique<S3Source>(uri, options);
}

}  // namespace shoplake::ingest
