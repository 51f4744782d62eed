// FaultyStore: counters and armed failures in front of a real Store.
#include "lake/faulty_store.h"

namespace shoplake::lake {
namespace {

const char* NameOf(FaultyStore::Operation operation) {
  static const char* kNames[] = {"list",   "stat",    "open",   "read",   "create",
                                 "append", "publish", "delete", "acquire"};
  return kNames[static_cast<size_t>(operation)];
}

class FaultyReader : public Reader {
 public:
  FaultyReader(FaultyStore& store, std::unique_ptr<Reader> base, std::string key)
      : store_(store), base_(std::move(base)), key_(std::move(key)) {}
  size_t Read(char* buffer, size_t capacity) override {
    store_.Enter(FaultyStore::Operation::kRead, key_);
    return base_->Read(buffer, capacity);
  }

 private:
  FaultyStore& store_;
  std::unique_ptr<Reader> base_;
  std::string key_;
};

class FaultyWriter : public Writer {
 public:
  FaultyWriter(FaultyStore& store, std::unique_ptr<Writer> base, std::string key)
      : store_(store), base_(std::move(base)), key_(std::move(key)) {}
  void Append(std::string_view bytes) override {
    store_.Enter(FaultyStore::Operation::kAppend, key_);
    uint64_t limit = store_.append_limit();
    if (limit > 0 && base_->bytes_written() + bytes.size() > limit) {
      // Write what "fits", as a real full disk would, then fail.
      base_->Append(bytes.substr(0, limit - std::min(limit, base_->bytes_written())));
      throw Error(ErrorCode::kIo, "cannot write: No space left on device (injected)", key_,
                  "free some disk space and run again");
    }
    base_->Append(bytes);
  }
  void Publish() override {
    store_.Enter(FaultyStore::Operation::kPublish, key_);
    base_->Publish();
  }
  uint64_t bytes_written() const override { return base_->bytes_written(); }

 private:
  FaultyStore& store_;
  std::unique_ptr<Writer> base_;
  std::string key_;
};

}  // namespace

void FaultyStore::FailNext(Operation operation, int count, ErrorCode code) {
  std::lock_guard<std::mutex> lock(mutex_);
  failures_[static_cast<size_t>(operation)] = count;
  codes_[static_cast<size_t>(operation)] = code;
}

void FaultyStore::FailAppendAfterBytes(uint64_t bytes) {
  std::lock_guard<std::mutex> lock(mutex_);
  append_limit_ = bytes;
}

uint64_t FaultyStore::append_limit() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return append_limit_;
}

int FaultyStore::calls(Operation operation) const {
  std::lock_guard<std::mutex> lock(mutex_);
  return calls_[static_cast<size_t>(operation)];
}

void FaultyStore::Enter(Operation operation, std::string_view input) {
  std::lock_guard<std::mutex> lock(mutex_);
  auto i = static_cast<size_t>(operation);
  ++calls_[i];
  if (failures_[i] > 0) {
    --failures_[i];
    throw Error(codes_[i], std::string("injected ") + NameOf(operation) + " failure",
                std::string(input));
  }
}

std::vector<ObjectInfo> FaultyStore::List(std::string_view prefix) {
  Enter(Operation::kList, prefix);
  return base_.List(prefix);
}

std::optional<ObjectInfo> FaultyStore::Stat(std::string_view key) {
  Enter(Operation::kStat, key);
  return base_.Stat(key);
}

std::unique_ptr<Reader> FaultyStore::Open(std::string_view key, uint64_t offset,
                                          std::optional<uint64_t> length) {
  Enter(Operation::kOpen, key);
  return std::make_unique<FaultyReader>(*this, base_.Open(key, offset, length), std::string(key));
}

std::unique_ptr<Writer> FaultyStore::Create(std::string_view key) {
  Enter(Operation::kCreate, key);
  return std::make_unique<FaultyWriter>(*this, base_.Create(key), std::string(key));
}

void FaultyStore::Delete(std::string_view key) {
  Enter(Operation::kDelete, key);
  base_.Delete(key);
}

std::unique_ptr<Lock> FaultyStore::Acquire(std::string_view name, std::chrono::milliseconds wait) {
  Enter(Operation::kAcquire, name);
  return base_.Acquire(name, wait);
}

}  // namespace shoplake::lake
