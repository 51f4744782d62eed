// Source: where ingest copies objects from. One implementation per kind of location:
// gs:// (the GCS JSON API, honouring STORAGE_EMULATOR_HOST), s3:// (the S3 API through the
// S3 store's client, honouring AWS_ENDPOINT_URL), http(s):// (one object), file:// and plain
// paths (a file or a folder).
//
// A Source lists the objects under its URI with what the source states about each
// (size, version, checksums) and streams an object's bytes from any offset, so an
// interrupted download resumes instead of starting over.
//
// Thread safety: List and Read may be called from several threads at once.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace shoplake::ingest {

//! One object as its source describes it.
struct SourceObject {
  std::string uri;   //!< the object's own URI, e.g. gs://shop-exports/orders/2026-01-01.csv
  std::string name;  //!< its name relative to the source URI, '/'-separated: the part of
                     //!< the raw key after ingest_date=...; for a single object, its
                     //!< base name
  uint64_t size = 0;
  std::string version;             //!< what changes when the object changes: GCS generation, S3
                                   //!< and HTTP ETag (or Last-Modified), file mtime in ns + size
  std::optional<std::string> md5;  //!< raw 16 bytes, when the source states it
  std::optional<uint32_t> crc32c;  //!< when the source states it
};

//! How sources reach the network. Defaults suit the loopback bucket server and real GCS.
struct SourceOptions {
  std::chrono::milliseconds connect_timeout{10'000};
  //! A transfer that moves no byte for this long is abandoned (and retried).
  std::chrono::milliseconds stall_timeout{30'000};
};

//! Receives an object's bytes in order, in chunks of any size.
using ByteSink = std::function<void(std::string_view bytes)>;

class Source {
 public:
  virtual ~Source() = default;

  //! The URI this source was opened with.
  virtual std::string uri() const = 0;

  //! Every object under the source URI, sorted by name.
  //! On failure throws Error: kNotFound when the bucket, prefix, file or URL does not
  //! exist (naming it), kUsage when credentials are refused (naming the credential or
  //! variable to set), kNetwork for failures worth retrying (connection refused or reset,
  //! timeouts, HTTP 429 and 5xx).
  virtual std::vector<SourceObject> List() = 0;

  //! Streams `object`'s bytes from byte `offset` to the end into `sink`, using a Range
  //! request when offset > 0. Bytes reach `sink` only from a successful response, in
  //! order; when the transfer breaks off, the bytes already given stay given and the
  //! call throws Error(kNetwork) — the caller resumes from offset + what it received.
  //! Other failures throw as List does (kNotFound for a 404 naming the object).
  virtual void Read(const SourceObject& object, uint64_t offset, const ByteSink& sink) = 0;
};

//! Opens the source for `uri`: gs://bucket[/prefix], s3://bucket[/prefix],
//! http(s)://host/path, file:///path or a plain path. Throws Error(kUsage) for an
//! unsupported scheme, or an s3:// URI without AWS credentials.
std::unique_ptr<Source> OpenSource(const std::string& uri, const SourceOptions& options = {});

}  // namespace shoplake::ingest
