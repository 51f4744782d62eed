// The Store contract, run against every implementation (LocalStore, FaultyStore with no
// fault armed, and S3Store on a real s3rver), then the failure cases: injected faults, a
// real crash of a writing process, and locks held by another thread or process.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <functional>
#include <thread>

#include "common/error.h"
#include "lake/faulty_store.h"
#include "lake/local_store.h"
#include "lake/s3_store.h"
#include "support/s3rver.h"

namespace shoplake::lake {
namespace {
namespace fs = std::filesystem;
using namespace std::chrono_literals;

fs::path FreshFolder(const std::string& what) {
  static int counter = 0;
  auto folder = fs::temp_directory_path() / ("shoplake-lake-" + std::to_string(::getpid()) + "-" +
                                             what + "-" + std::to_string(counter++));
  fs::remove_all(folder);
  return folder;
}

std::string Pattern(size_t size) {
  std::string bytes(size, '\0');
  for (size_t i = 0; i < size; ++i) bytes[i] = static_cast<char>((i * 131 + i / 977) % 251);
  return bytes;
}

std::vector<std::string> Keys(const std::vector<ObjectInfo>& objects) {
  std::vector<std::string> keys;
  for (const auto& o : objects) keys.push_back(o.key);
  return keys;
}

// A store under test: the folder it lives in (none for S3) and how to view it.
struct StoreUnderTest {
  fs::path folder;
  std::unique_ptr<LocalStore> local;
  std::unique_ptr<FaultyStore> faulty;
  std::unique_ptr<S3Store> s3;
  std::string skip_reason;  //!< set when this store cannot run here
  Store& store() {
    if (s3) return *s3;
    return faulty ? static_cast<Store&>(*faulty) : *local;
  }
  bool has_files() const { return !folder.empty(); }
};

// A fresh prefix of the shared s3rver's bucket for each test: the lake starts empty.
StoreUnderTest S3UnderTest() {
  StoreUnderTest s;
  if (auto reason = testing::S3rverProcess::SkipReason()) {
    s.skip_reason = *reason;
    return s;
  }
  static int counter = 0;
  S3StoreOptions options;
  options.part_size = kS3MinimumPartSize;
  options.lock_poll = 20ms;
  options.client.retry.initial_delay = 10ms;
  s.s3 = std::make_unique<S3Store>(
      testing::S3rverProcess::kBucket,
      "contract-" + std::to_string(::getpid()) + "-" + std::to_string(counter++),
      testing::S3rverProcess::Shared().Config(), options);
  return s;
}

using Factory = std::function<StoreUnderTest()>;

class StoreContract : public ::testing::TestWithParam<std::pair<std::string, Factory>> {
 protected:
  void SetUp() override {
    under_test_ = GetParam().second();
    if (!under_test_.skip_reason.empty()) {
      SHOPLAKE_NEED_S3RVER();  // the one reason a store cannot run here
    }
  }
  void TearDown() override {
    if (under_test_.has_files()) fs::remove_all(under_test_.folder);
  }
  Store& store() { return under_test_.store(); }
  fs::path folder() const { return under_test_.folder; }
  StoreUnderTest under_test_;
};

TEST_P(StoreContract, PublishedBytesReadBackExactly) {
  for (size_t size : {size_t{0}, size_t{1}, size_t{4096}, size_t{3 * 1024 * 1024 + 17}}) {
    std::string key = "processed/shop/orders/part-" + std::to_string(size) + ".bin";
    auto bytes = Pattern(size);
    auto writer = store().Create(key);
    // Appends of odd sizes cross the writer's buffer boundaries.
    for (size_t at = 0; at < bytes.size(); at += 100003) {
      writer->Append(std::string_view(bytes).substr(at, 100003));
    }
    EXPECT_EQ(writer->bytes_written(), size);
    writer->Publish();
    EXPECT_EQ(store().ReadAll(key), bytes) << size;
    auto info = store().Stat(key);
    ASSERT_TRUE(info.has_value());
    EXPECT_EQ(info->size, size);
  }
}

TEST_P(StoreContract, RangedReadsClampToTheObject) {
  auto bytes = Pattern(1000);
  store().WriteAll("a/b.bin", bytes);
  EXPECT_EQ(store().ReadAll("a/b.bin", 10, 5), bytes.substr(10, 5));
  EXPECT_EQ(store().ReadAll("a/b.bin", 990), bytes.substr(990));
  EXPECT_EQ(store().ReadAll("a/b.bin", 990, 100), bytes.substr(990));
  EXPECT_EQ(store().ReadAll("a/b.bin", 1000), "");
  EXPECT_EQ(store().ReadAll("a/b.bin", 5000, 10), "");
}

TEST_P(StoreContract, NothingIsVisibleBeforePublish) {
  auto writer = store().Create("raw/shop/x.csv");
  writer->Append("a,b\n1,2\n");
  EXPECT_FALSE(store().Stat("raw/shop/x.csv").has_value());
  EXPECT_TRUE(store().List("").empty());
  if (under_test_.has_files()) {
    EXPECT_FALSE(fs::exists(folder() / "raw/shop/x.csv"));
  }
  writer->Publish();
  EXPECT_EQ(Keys(store().List("")), std::vector<std::string>{"raw/shop/x.csv"});
}

TEST_P(StoreContract, CleaningStagingSparesLiveWriters) {
  auto writer = store().Create("raw/shop/x.csv");
  writer->Append("in progress");
  EXPECT_EQ(store().CleanStaging(), 0u);
  writer->Publish();
  EXPECT_EQ(store().ReadAll("raw/shop/x.csv"), "in progress");
}

TEST_P(StoreContract, AnUnpublishedWriterLeavesNothing) {
  {
    auto writer = store().Create("raw/shop/x.csv");
    writer->Append(Pattern(10000));
  }
  EXPECT_TRUE(store().List("").empty());
  EXPECT_EQ(store().CleanStaging(), 0u);
}

TEST_P(StoreContract, PublishReplacesAnObjectWhole) {
  store().WriteAll("t/v.txt", "old version");
  auto writer = store().Create("t/v.txt");
  writer->Append("new");
  EXPECT_EQ(store().ReadAll("t/v.txt"), "old version");  // old one until the rename
  writer->Append(" version, longer");
  writer->Publish();
  EXPECT_EQ(store().ReadAll("t/v.txt"), "new version, longer");
}

TEST_P(StoreContract, ListIsSortedRecursiveAndPrefixFiltered) {
  for (const char* key :
       {"raw/shop/ingest_date=2026-01-02/b.csv", "raw/shop/ingest_date=2026-01-01/a.csv",
        "raw/shop/ingest_date=2026-01-10/c.csv", "processed/x.parquet", "raw/other/z.csv"}) {
    store().WriteAll(key, key);
  }
  // A leftover of a crashed writer and a lock file are not objects.
  store().Create("raw/shop/ingest_date=2026-01-01/partial.csv")->Append("x");
  auto lock = store().Acquire("catalog", 0ms);
  EXPECT_EQ(Keys(store().List("raw/shop/")),
            (std::vector<std::string>{"raw/shop/ingest_date=2026-01-01/a.csv",
                                      "raw/shop/ingest_date=2026-01-02/b.csv",
                                      "raw/shop/ingest_date=2026-01-10/c.csv"}));
  // A prefix is a string prefix of keys, not only a folder.
  EXPECT_EQ(Keys(store().List("raw/shop/ingest_date=2026-01-0")),
            (std::vector<std::string>{"raw/shop/ingest_date=2026-01-01/a.csv",
                                      "raw/shop/ingest_date=2026-01-02/b.csv"}));
  EXPECT_EQ(store().List("").size(), 5u);
  EXPECT_TRUE(store().List("nothing/here").empty());
  EXPECT_TRUE(store().List("_staging/").empty());
  EXPECT_TRUE(store().List("_locks/").empty());
}

TEST_P(StoreContract, MissingObjectsAreReportedNotInvented) {
  EXPECT_FALSE(store().Stat("no/such.csv").has_value());
  try {
    store().Open("no/such.csv");
    FAIL() << "opened a missing object";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kNotFound);
    EXPECT_EQ(e.input(), "no/such.csv");
  }
}

TEST_P(StoreContract, DeleteIsIdempotentAndTidiesEmptyFolders) {
  store().WriteAll("processed/t/p=1/a.parquet", "x");
  store().WriteAll("processed/t/p=2/b.parquet", "y");
  store().Delete("processed/t/p=1/a.parquet");
  store().Delete("processed/t/p=1/a.parquet");
  EXPECT_EQ(Keys(store().List("")), std::vector<std::string>{"processed/t/p=2/b.parquet"});
  EXPECT_FALSE(store().Stat("processed/t/p=1/a.parquet").has_value());
  if (under_test_.has_files()) {  // S3 has no folders to tidy
    EXPECT_FALSE(fs::exists(folder() / "processed/t/p=1"));
    EXPECT_TRUE(fs::exists(folder() / "processed/t/p=2"));
  }
}

TEST_P(StoreContract, ManyThreadsWritingDistinctKeysAllLand) {
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 25; ++i) {
        store().WriteAll("c/t" + std::to_string(t) + "/o" + std::to_string(i), Pattern(100 + i));
      }
    });
  }
  for (auto& thread : threads) thread.join();
  auto objects = store().List("c/");
  ASSERT_EQ(objects.size(), 200u);
  for (const auto& object : objects) EXPECT_EQ(store().ReadAll(object.key).size(), object.size);
}

TEST_P(StoreContract, ALockIsExclusiveAndNamesItsHolder) {
  {
    auto held = store().Acquire("transform-orders", 0ms);
    std::string message;
    std::thread other([&] {
      try {
        store().Acquire("transform-orders", 100ms);
      } catch (const Error& e) {
        EXPECT_EQ(e.code(), ErrorCode::kConflict);
        message = e.what();
      }
    });
    other.join();
    EXPECT_NE(message.find("lock 'transform-orders' is held by pid " + std::to_string(::getpid())),
              std::string::npos)
        << message;
    // Other names are independent.
    EXPECT_NO_THROW(store().Acquire("ingest-shop", 0ms));
  }
  EXPECT_NO_THROW(store().Acquire("transform-orders", 0ms));  // released on destruction
}

// Every key the store refuses, and why.
TEST_P(StoreContract, RefusesKeysThatAreNotRelativeLakePaths) {
  for (const char* key : {"", "/etc/passwd", "a//b", "a/../../etc", "./a", "a/.", "a\\b",
                          "_staging/x", "_locks/catalog.lock", "a/"}) {
    try {
      store().Create(key);
      ADD_FAILURE() << "accepted key [" << key << "]";
    } catch (const Error& e) {
      EXPECT_EQ(e.code(), ErrorCode::kUsage) << key;
    }
    EXPECT_THROW(store().Stat(key), Error) << key;
  }
}

INSTANTIATE_TEST_SUITE_P(
    Stores, StoreContract,
    ::testing::Values(std::make_pair(std::string("Local"), Factory([] {
                                       StoreUnderTest s;
                                       s.folder = FreshFolder("local");
                                       s.local = std::make_unique<LocalStore>(s.folder);
                                       return s;
                                     })),
                      std::make_pair(std::string("FaultyUnarmed"), Factory([] {
                                       StoreUnderTest s;
                                       s.folder = FreshFolder("faulty");
                                       s.local = std::make_unique<LocalStore>(s.folder);
                                       s.faulty = std::make_unique<FaultyStore>(*s.local);
                                       return s;
                                     })),
                      std::make_pair(std::string("S3"), Factory(S3UnderTest))),
    [](const auto& info) { return info.param.first; });

// --- failures -------------------------------------------------------------------------

// Signalled by a ChildProcess's body when it has done what the test waits for.
int g_ready_fd = -1;
void child_ready() {
  (void)!::write(g_ready_fd, "x", 1);
  ::pause();  // stays, holding what it took, until the test kills it
  ::_exit(0);
}

// A forked process running `body` (which ends by calling child_ready()); the constructor
// returns once the body got there. Kill() is kill -9: no destructor runs in the child.
class ChildProcess {
 public:
  explicit ChildProcess(const std::function<void()>& body) {
    int ready[2];
    if (::pipe(ready) != 0) throw std::runtime_error("pipe failed");
    pid_ = ::fork();
    if (pid_ == 0) {
      g_ready_fd = ready[1];
      body();
      ::_exit(1);  // the body did not reach child_ready()
    }
    char c;
    bool arrived = pid_ > 0 && ::read(ready[0], &c, 1) == 1;
    ::close(ready[0]);
    ::close(ready[1]);
    if (!arrived) throw std::runtime_error("the child process did not get ready");
  }
  ~ChildProcess() { Kill(); }
  pid_t pid() const { return pid_; }
  void Kill() {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, nullptr, 0);
    pid_ = -1;
  }

 private:
  pid_t pid_ = -1;
};

class StoreFailures : public ::testing::Test {
 protected:
  void SetUp() override {
    folder_ = FreshFolder("failures");
    local_ = std::make_unique<LocalStore>(folder_);
    faulty_ = std::make_unique<FaultyStore>(*local_);
  }
  void TearDown() override { fs::remove_all(folder_); }
  fs::path folder_;
  std::unique_ptr<LocalStore> local_;
  std::unique_ptr<FaultyStore> faulty_;
};

TEST_F(StoreFailures, AFullDiskMidWritePublishesNothing) {
  faulty_->FailAppendAfterBytes(1000);
  try {
    auto writer = faulty_->Create("raw/shop/big.csv");
    writer->Append(Pattern(600));
    writer->Append(Pattern(600));
    FAIL() << "the write did not fail";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kIo);
    EXPECT_NE(std::string(e.what()).find("No space left"), std::string::npos);
    EXPECT_EQ(e.input(), "raw/shop/big.csv");
  }
  EXPECT_TRUE(local_->List("").empty());
  EXPECT_EQ(local_->CleanStaging(), 0u);  // the failed writer removed its staged bytes
}

TEST_F(StoreFailures, AFailedPublishLeavesTheOldObject) {
  local_->WriteAll("t/v.txt", "old");
  faulty_->FailNext(FaultyStore::Operation::kPublish);
  {
    auto writer = faulty_->Create("t/v.txt");
    writer->Append("new");
    EXPECT_THROW(writer->Publish(), Error);
  }
  EXPECT_EQ(local_->ReadAll("t/v.txt"), "old");
  EXPECT_EQ(faulty_->calls(FaultyStore::Operation::kPublish), 1);
}

TEST_F(StoreFailures, ArmedFaultsFireExactlyAsOftenAsAsked) {
  local_->WriteAll("a.txt", "x");
  faulty_->FailNext(FaultyStore::Operation::kList, 2, ErrorCode::kNetwork);
  for (int i = 0; i < 2; ++i) {
    try {
      faulty_->List("");
      FAIL();
    } catch (const Error& e) {
      EXPECT_EQ(e.code(), ErrorCode::kNetwork);
    }
  }
  EXPECT_EQ(faulty_->List("").size(), 1u);
  EXPECT_EQ(faulty_->calls(FaultyStore::Operation::kList), 3);
  faulty_->FailNext(FaultyStore::Operation::kRead);
  auto reader = faulty_->Open("a.txt", 0, std::nullopt);
  char c;
  EXPECT_THROW(reader->Read(&c, 1), Error);
  EXPECT_EQ(reader->Read(&c, 1), 1u);
}

// A process killed while writing leaves only a staging leftover: never listed, removed
// by CleanStaging, and the object is written whole by the next run.
TEST_F(StoreFailures, AKilledWriterLeavesNothingVisible) {
  local_->WriteAll("raw/shop/a.csv", "previous");
  ChildProcess child([&] {
    LocalStore store(folder_);
    auto writer = store.Create("raw/shop/a.csv");
    writer->Append(Pattern(1 << 20));
    child_ready();  // killed after this, mid-write
  });
  child.Kill();

  EXPECT_EQ(Keys(local_->List("")), std::vector<std::string>{"raw/shop/a.csv"});
  EXPECT_EQ(local_->ReadAll("raw/shop/a.csv"), "previous");
  EXPECT_EQ(local_->CleanStaging(), 1u);
  EXPECT_TRUE(fs::is_empty(folder_ / "_staging"));
  local_->WriteAll("raw/shop/a.csv", Pattern(1 << 20));
  EXPECT_EQ(local_->ReadAll("raw/shop/a.csv"), Pattern(1 << 20));
}

TEST_F(StoreFailures, ALockHeldByAnotherProcessNamesItAndDiesWithIt) {
  ChildProcess child([&] {
    LocalStore store(folder_);
    auto lock = store.Acquire("catalog", 0ms);
    child_ready();
  });
  try {
    local_->Acquire("catalog", 50ms);
    ADD_FAILURE() << "took a lock another process holds";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kConflict);
    EXPECT_NE(std::string(e.what()).find("held by pid " + std::to_string(child.pid())),
              std::string::npos)
        << e.what();
    EXPECT_FALSE(e.hint().empty());
  }
  child.Kill();
  EXPECT_NO_THROW(local_->Acquire("catalog", 2000ms));
}

TEST(OpenStore, ChoosesTheStoreByUri) {
  auto folder = FreshFolder("open");
  auto by_path = OpenStore(folder.string());
  EXPECT_EQ(by_path->uri(), "file://" + folder.string());
  EXPECT_TRUE(fs::is_directory(folder));
  EXPECT_EQ(OpenStore("file://" + folder.string())->uri(), "file://" + folder.string());
  for (const char* uri : {"gs://bucket/lake", "ftp://x/y"}) {
    try {
      OpenStore(uri);
      ADD_FAILURE() << uri;
    } catch (const Error& e) {
      EXPECT_EQ(e.code(), ErrorCode::kUsage) << uri;
    }
  }
  fs::remove_all(folder);
}

}  // namespace
}  // namespace shoplake::lake
