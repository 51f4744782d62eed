// BucketServer: the simulated shop's bucket, served over the subset of the Google Cloud
// Storage JSON API that clients use, so gs:// URIs work through STORAGE_EMULATOR_HOST.
//
// Serves the files under a root folder as the objects of one bucket (object name = path
// relative to the root, '/'-separated). Endpoints:
//   GET /storage/v1/b/{bucket}                       bucket resource
//   GET /storage/v1/b/{bucket}/o?prefix=&delimiter=&pageToken=&maxResults=
//   GET /storage/v1/b/{bucket}/o/{object}            metadata (JSON)
//   GET /storage/v1/b/{bucket}/o/{object}?alt=media  bytes, with Range
//   GET /download/storage/v1/b/{bucket}/o/{object}?alt=media (same, as the SDKs call it)
// Object metadata carries size, md5Hash and crc32c (base64, as GCS gives them),
// generation (the file's mtime in microseconds), updated (RFC 3339), contentType, etag.
//
// Hidden files, temporary files and anything outside the root (via "..", or a symlink
// whose target is outside) are not objects. Test switches (BucketFaults) make it misbehave
// in the ways ingest must survive. docs/bucket-server.md has the details.
//
// Thread safety: Start/Stop from one thread; requests are served on the server's own
// thread pool.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

namespace shoplake::simulate {

//! Misbehaviour for tests. All off by default.
struct BucketFaults {
  //! Answer the first N media or metadata requests for each object with 503.
  int fail_first_requests = 0;
  //! Close the connection after sending this many body bytes of a media download
  //! (0 = never). Applies to every download, so a client must resume with Range.
  uint64_t cut_after_bytes = 0;
  //! Sleep this long before answering each request.
  std::chrono::milliseconds latency{0};
  //! State a wrong md5Hash (and crc32c) in object metadata.
  bool lie_about_md5 = false;
};

struct BucketServerOptions {
  std::string root;  //!< folder whose files are the objects
  std::string bucket = "shop-exports";
  std::string host = "127.0.0.1";
  int port = 0;  //!< 0 picks a free port
  BucketFaults faults;
};

class BucketServer {
 public:
  //! Validates the options (root must be a folder) and binds the port; throws
  //! Error(kUsage) for a bad root, Error(kIo) when the port cannot be bound.
  explicit BucketServer(BucketServerOptions options);
  ~BucketServer();  //!< stops the server
  BucketServer(const BucketServer&) = delete;
  BucketServer& operator=(const BucketServer&) = delete;

  //! The bound port (useful when options.port was 0).
  int port() const;
  //! "http://127.0.0.1:PORT": the value for STORAGE_EMULATOR_HOST.
  std::string endpoint() const;

  //! Serves on background threads; returns at once. Clients may connect as soon as the
  //! constructor returns (the port is already listening).
  void Start();
  //! Serves on this thread until Stop() is called from another thread (for instance one
  //! that waits for SIGINT/SIGTERM). REQUIRES: not combined with Start(); called once.
  void Run();
  //! Stops serving: in-flight downloads end, the port is closed, Run() returns and Start()'s
  //! thread is joined. Bounded (idle keep-alive connections end within 2 s). Idempotent;
  //! fine before Start()/Run() too.
  void Stop();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace shoplake::simulate
