// FaultyStore: wraps any Store and makes chosen operations fail, for tests that prove
// the pipeline survives a failing lake (a full disk mid-write, a flaky list, a failed
// publish) without leaving partial output. It can also hide the base store's local paths,
// so that a local folder behaves as a remote lake does (every stage through the cache). A real
// crash (kill -9) is tested with a real child process instead; see
// tests/unit/lake/store_contract_test.cpp.
//
// Thread safety: as lake::Store; arming faults is also thread-safe.
#pragma once

#include <array>
#include <atomic>
#include <mutex>

#include "common/error.h"
#include "lake/store.h"

namespace shoplake::lake {

class FaultyStore : public Store {
 public:
  enum class Operation {
    kList,
    kStat,
    kOpen,
    kRead,
    kCreate,
    kAppend,
    kPublish,
    kDelete,
    kAcquire
  };
  static constexpr size_t kOperationCount = 9;

  //! Wraps `base`, which must outlive this store. No fault is armed at first.
  explicit FaultyStore(Store& base) : base_(base) {}

  //! The next `count` calls of `operation` throw Error(`code`) before reaching the base
  //! store (a failed Publish leaves the object unpublished).
  void FailNext(Operation operation, int count = 1, ErrorCode code = ErrorCode::kIo);
  //! Every writer throws Error(kIo, "No space left on device") once it has been asked to
  //! hold more than `bytes` bytes, as a full disk would. 0 disarms.
  void FailAppendAfterBytes(uint64_t bytes);
  //! How many times `operation` was called (failed calls included).
  int calls(Operation operation) const;
  //! From now on LocalPath gives nothing, as a remote store's does, so the stages go through
  //! the local cache (lake/local_cache.h) and the catalog's copy (lake/catalog_file.h): tests
  //! run them on a "remote" lake without S3.
  void HideLocalPaths() { local_paths_hidden_ = true; }

  std::string uri() const override { return base_.uri(); }
  std::vector<ObjectInfo> List(std::string_view prefix) override;
  std::optional<ObjectInfo> Stat(std::string_view key) override;
  std::unique_ptr<Reader> Open(std::string_view key, uint64_t offset,
                               std::optional<uint64_t> length) override;
  std::unique_ptr<Writer> Create(std::string_view key) override;
  void Delete(std::string_view key) override;
  std::unique_ptr<Lock> Acquire(std::string_view name, std::chrono::milliseconds wait) override;
  size_t CleanStaging() override { return base_.CleanStaging(); }
  std::optional<std::string> LocalPath(std::string_view key) const override {
    if (local_paths_hidden_) return std::nullopt;
    return base_.LocalPath(key);
  }

  //! Counts the call and throws when a fault is armed for `operation`. Used by the
  //! wrapped readers and writers too.
  void Enter(Operation operation, std::string_view input);
  uint64_t append_limit() const;

 private:
  Store& base_;
  mutable std::mutex mutex_;
  std::array<int, kOperationCount> calls_{};
  std::array<int, kOperationCount> failures_{};
  std::array<ErrorCode, kOperationCount> codes_{};
  uint64_t append_limit_ = 0;
  std::atomic<bool> local_paths_hidden_{false};
};

}  // namespace shoplake::lake
