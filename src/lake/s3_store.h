// S3Store: the lake on s3://bucket/prefix, through the S3 REST API (lake/s3_client.h).
//
// A key K is the object "prefix/K". How the Store contract holds on S3:
//   - Nothing partial is visible: a Writer keeps up to one part in memory; an object smaller
//     than the part size is one PUT at Publish, a larger one a multipart upload whose object
//     appears only at CompleteMultipartUpload. An unpublished Writer aborts its upload on
//     destruction; a crashed one leaves an incomplete upload (never listed), which
//     CleanStaging aborts once it is older than `stale_upload_age`.
//   - Locks are objects "prefix/_locks/NAME.lock" holding the holder's note. S3 gives mutual
//     exclusion only through conditional writes: Acquire PUTs with "If-None-Match: *" (AWS
//     S3 answers 412 when the lock exists). An endpoint that ignores the condition (s3rver
//     does) gets check-then-put with a read-back of the note, which narrows the race but
//     does not close it. A lock outlives a crashed holder (no process to die with): the
//     error says how to remove it.
//   - LocalPath is nullopt: engines that need files stage through a local cache.
//
// Thread safety: as lake::Store.
#pragma once

#include <chrono>
#include <cstdint>

#include "common/aws_config.h"
#include "lake/s3_client.h"
#include "lake/store.h"

namespace shoplake::lake {

struct S3StoreOptions {
  S3ClientOptions client;
  //! Bytes a Writer gathers before uploading a part. S3 refuses parts (other than the last)
  //! under 5 MiB; an object smaller than this is written with a single PUT.
  uint64_t part_size = 16ull << 20;
  //! CleanStaging aborts incomplete multipart uploads older than this: a live writer
  //! uploads a part at least every few minutes, and S3 cannot say whether its process lives.
  std::chrono::minutes stale_upload_age{24 * 60};
  //! How often Acquire looks again while a lock is held.
  std::chrono::milliseconds lock_poll{100};
  //! A lock's lease: its holder renews it every quarter of this while it holds the lock;
  //! half a lease after it ran out unrenewed (a holder killed, a Lambda timed out; the half
  //! for clocks that differ), Acquire takes the lock over.
  std::chrono::milliseconds lock_lease{std::chrono::minutes(2)};
};

//! S3's smallest part but the last.
inline constexpr uint64_t kS3MinimumPartSize = 5ull << 20;

class S3Store : public Store {
 public:
  //! Serves s3://`bucket`/`prefix` (leading and trailing '/' ignored; empty: the whole
  //! bucket). Throws Error(kUsage) for a part size under kS3MinimumPartSize. Talks to S3
  //! only when called.
  S3Store(std::string bucket, std::string prefix, aws::AwsConfig config,
          S3StoreOptions options = {});

  std::string uri() const override;
  std::vector<ObjectInfo> List(std::string_view prefix) override;
  std::optional<ObjectInfo> Stat(std::string_view key) override;
  std::unique_ptr<Reader> Open(std::string_view key, uint64_t offset,
                               std::optional<uint64_t> length) override;
  std::unique_ptr<Writer> Create(std::string_view key) override;
  //! S3 has no folders, so there are none to tidy.
  void Delete(std::string_view key) override;
  std::unique_ptr<Lock> Acquire(std::string_view name, std::chrono::milliseconds wait) override;
  //! Aborts the lake's incomplete multipart uploads older than `stale_upload_age`. Returns
  //! 0 when the endpoint cannot list uploads (s3rver); a bucket lifecycle rule
  //! (AbortIncompleteMultipartUpload) then does the same job.
  size_t CleanStaging() override;
  std::optional<std::string> LocalPath(std::string_view key) const override;

  S3Client& client() { return client_; }
  //! The object key in the bucket for lake key `key`.
  std::string ObjectKey(std::string_view key) const;

 private:
  std::string prefix_;  //!< without leading or trailing '/'
  S3StoreOptions options_;
  S3Client client_;
};

}  // namespace shoplake::lake
