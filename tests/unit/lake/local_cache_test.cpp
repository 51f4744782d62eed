// LocalCache: a pass-through for a local lake (nothing copied, publishing is a rename), and
// for a lake without local paths (a FaultyStore hiding a LocalStore's, as S3 has none) a
// cache that downloads once, reuses a copy while the object's size and modification time
// match, fetches again when they change, never leaves a partial copy, and uploads what a
// stage publishes, keeping it as the cached copy.
#include "lake/local_cache.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/stat.h>

#include <filesystem>
#include <vector>

#include "common/error.h"
#include "common/files.h"
#include "lake/faulty_store.h"
#include "lake/local_store.h"
#include "support/temp_folder.h"

namespace shoplake::lake {
namespace {
namespace fs = std::filesystem;
using Operation = FaultyStore::Operation;

class LocalCacheTest : public ::testing::Test {
 protected:
  void SetUp() override {
    local_ = std::make_unique<LocalStore>(folder_.path() / "lake");
    remote_ = std::make_unique<FaultyStore>(*local_);
    remote_->HideLocalPaths();
  }

  // The object's file in the lake, whose time a test moves as a rewrite would.
  fs::path LakeFile(const std::string& key) { return folder_.path() / "lake" / key; }

  fs::path cache_folder() const { return folder_.path() / "cache"; }

  ::shoplake::testing::TempFolder folder_{"shoplake-local-cache"};
  std::unique_ptr<LocalStore> local_;
  std::unique_ptr<FaultyStore> remote_;
};

TEST_F(LocalCacheTest, ALocalLakeIsUsedInPlaceAndPublishingIsARename) {
  local_->WriteAll("raw/shop/a.csv", "id\n1\n");
  LocalCache cache(*local_, cache_folder());
  EXPECT_TRUE(cache.passthrough());
  EXPECT_EQ(cache.root(), folder_.path() / "lake");
  EXPECT_EQ(cache.ReadablePath("raw/shop/a.csv"),
            (folder_.path() / "lake/raw/shop/a.csv").string());
  EXPECT_EQ(cache.WorkFolder("processed/shop/orders"),
            folder_.path() / "lake/processed/shop/orders");

  fs::path work = cache.WorkFolder("processed/shop/orders") / ".tmp-run";
  fs::create_directories(work);
  WriteFileAtomically(work / "part-0.parquet", "PAR1");
  struct stat before {};
  ASSERT_EQ(::stat((work / "part-0.parquet").c_str(), &before), 0);
  EXPECT_EQ(cache.Publish(work / "part-0.parquet", "processed/shop/orders/part-0.parquet"), 4u);
  EXPECT_FALSE(fs::exists(work / "part-0.parquet"));
  struct stat after {};
  ASSERT_EQ(::stat(LakeFile("processed/shop/orders/part-0.parquet").c_str(), &after), 0);
  EXPECT_EQ(after.st_ino, before.st_ino);  // the same file, renamed: nothing copied
  EXPECT_FALSE(fs::exists(cache_folder()));
}

TEST_F(LocalCacheTest, ARemoteObjectIsDownloadedOnceAndItsCopyReused) {
  remote_->WriteAll("processed/shop/orders/year=2026/part-0.parquet", "first version");
  {
    LocalCache cache(*remote_, cache_folder());
    EXPECT_FALSE(cache.passthrough());
    EXPECT_EQ(cache.root(), cache_folder());
    std::string path = cache.ReadablePath("processed/shop/orders/year=2026/part-0.parquet");
    // The key's folders are kept: DuckDB reads Hive partitions from the path.
    EXPECT_EQ(path,
              (cache_folder() / "objects/processed/shop/orders/year=2026/part-0.parquet").string());
    EXPECT_EQ(ReadFile(path), "first version");
    EXPECT_EQ(cache.ReadablePath("processed/shop/orders/year=2026/part-0.parquet"), path);
    EXPECT_EQ(remote_->calls(Operation::kOpen), 1);
    EXPECT_EQ(remote_->calls(Operation::kStat), 1);  // checked once per LocalCache
  }
  // Another run (another LocalCache on the same folder) finds the copy still good.
  LocalCache cache(*remote_, cache_folder());
  cache.ReadablePath("processed/shop/orders/year=2026/part-0.parquet");
  EXPECT_EQ(remote_->calls(Operation::kOpen), 1);
  EXPECT_TRUE(fs::is_empty(cache.staging_folder()));
}

TEST_F(LocalCacheTest, ACopyIsFetchedAgainWhenTheObjectsSizeOrTimeChanged) {
  const std::string key = "results/q.csv";
  remote_->WriteAll(key, "a,b\n1,2\n");
  LocalCache(*remote_, cache_folder()).ReadablePath(key);
  ASSERT_EQ(remote_->calls(Operation::kOpen), 1);

  remote_->WriteAll(key, "a,b\n1,2\n3,4\n");  // another size
  EXPECT_EQ(ReadFile(LocalCache(*remote_, cache_folder()).ReadablePath(key)), "a,b\n1,2\n3,4\n");
  EXPECT_EQ(remote_->calls(Operation::kOpen), 2);

  remote_->WriteAll(key, "a,b\n5,6\n7,8\n");  // the same size, another time
  fs::last_write_time(LakeFile(key), fs::last_write_time(LakeFile(key)) + std::chrono::seconds(5));
  EXPECT_EQ(ReadFile(LocalCache(*remote_, cache_folder()).ReadablePath(key)), "a,b\n5,6\n7,8\n");
  EXPECT_EQ(remote_->calls(Operation::kOpen), 3);
}

TEST_F(LocalCacheTest, AFailedDownloadLeavesNoCopyAndAMissingObjectIsNamed) {
  const std::string key = "raw/shop/orders/2026-01-01.csv";
  remote_->WriteAll(key, std::string(3 << 20, 'x'));  // more than one read
  LocalCache cache(*remote_, cache_folder());
  remote_->FailNext(Operation::kRead, 1, ErrorCode::kNetwork);
  try {
    cache.ReadablePath(key);
    FAIL() << "the download did not fail";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kNetwork);
  }
  EXPECT_FALSE(fs::exists(cache.PathOf(key)));
  EXPECT_TRUE(fs::is_empty(cache.staging_folder()));
  // The next try downloads it whole.
  EXPECT_EQ(fs::file_size(cache.ReadablePath(key)), 3u << 20);

  try {
    cache.ReadablePath("raw/shop/orders/missing.csv");
    FAIL() << "a missing object gave a path";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kNotFound);
    EXPECT_EQ(e.input(), "raw/shop/orders/missing.csv");
  }
}

TEST_F(LocalCacheTest, PublishingToARemoteLakeUploadsAndKeepsTheFileAsItsCopy) {
  LocalCache cache(*remote_, cache_folder());
  fs::path work = cache.WorkFolder("processed/shop/orders") / ".tmp-run";
  EXPECT_EQ(work, cache_folder() / "work/processed/shop/orders/.tmp-run");
  fs::create_directories(work);
  std::string bytes(2 << 20, 'p');
  WriteFileAtomically(work / "part-0.parquet", bytes);
  const std::string key = "processed/shop/orders/part-run-0.parquet";
  EXPECT_EQ(cache.Publish(work / "part-0.parquet", key), bytes.size());
  EXPECT_FALSE(fs::exists(work / "part-0.parquet"));
  EXPECT_EQ(local_->ReadAll(key), bytes);
  // Reading it back fetches nothing, in this run or the next.
  EXPECT_EQ(ReadFile(cache.ReadablePath(key)), bytes);
  EXPECT_EQ(ReadFile(LocalCache(*remote_, cache_folder()).ReadablePath(key)), bytes);
  EXPECT_EQ(remote_->calls(Operation::kOpen), 0);

  // A failed upload publishes nothing.
  WriteFileAtomically(work / "part-1.parquet", bytes);
  remote_->FailNext(Operation::kPublish);
  EXPECT_THROW(cache.Publish(work / "part-1.parquet", "processed/shop/orders/part-run-1.parquet"),
               Error);
  EXPECT_FALSE(local_->Stat("processed/shop/orders/part-run-1.parquet"));
}

// ReadablePaths fetches many objects a few at a time: each path in the keys' order, each
// copy the object's bytes; a missing object fails the call, named.
TEST_F(LocalCacheTest, ManyObjectsAreFetchedTogetherInTheirOrder) {
  std::vector<std::string> keys;
  for (int i = 0; i < 40; ++i) {
    keys.push_back("processed/shop/t/day=" + std::to_string(i) + "/part-0.parquet");
    remote_->WriteAll(keys.back(), "bytes of " + std::to_string(i));
  }
  LocalCache cache(*remote_, cache_folder());
  std::vector<std::string> paths = cache.ReadablePaths(keys);
  ASSERT_EQ(paths.size(), keys.size());
  for (size_t i = 0; i < keys.size(); ++i) {
    EXPECT_EQ(paths[i], cache.PathOf(keys[i]));
    EXPECT_EQ(ReadFile(paths[i]), "bytes of " + std::to_string(i));
  }
  EXPECT_EQ(remote_->calls(Operation::kOpen), 40);
  EXPECT_TRUE(cache.ReadablePaths({}).empty());

  keys.insert(keys.begin() + 20, "processed/shop/t/day=99/gone.parquet");
  try {
    LocalCache again(*remote_, cache_folder());
    again.ReadablePaths(keys);
    ADD_FAILURE() << "a missing object among many";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kNotFound);
    EXPECT_EQ(e.input(), "processed/shop/t/day=99/gone.parquet");
  }
}

// Sets when a cached copy was last handed out (its access time), as if `hours` ago.
void HandedOutHoursAgo(const fs::path& path, int hours) {
  struct timespec times[2];
  times[0].tv_sec = ::time(nullptr) - hours * 3600;
  times[0].tv_nsec = 0;
  times[1].tv_sec = 0;
  times[1].tv_nsec = UTIME_OMIT;
  ASSERT_EQ(::utimensat(AT_FDCWD, path.c_str(), times, 0), 0) << path;
}

// Trim removes the copies handed out least recently until the rest fit, but never one its
// own LocalCache handed out, nor one handed out within the grace; a removed copy is simply
// fetched again.
TEST_F(LocalCacheTest, TrimRemovesTheCopiesUsedLeastRecentlyAndNoneInUse) {
  const std::vector<std::string> keys = {"processed/a.parquet", "processed/b.parquet",
                                         "processed/c.parquet", "processed/d.parquet"};
  for (const auto& key : keys) remote_->WriteAll(key, std::string(1000, 'x'));
  std::vector<std::string> paths;
  {
    LocalCache first(*remote_, cache_folder());
    for (const auto& key : keys) paths.push_back(first.ReadablePath(key));
    EXPECT_EQ(first.Trim(0, std::chrono::seconds(0)), 0u) << "all four are in use by this run";
  }
  for (size_t i = 0; i < paths.size(); ++i) HandedOutHoursAgo(paths[i], 4 - static_cast<int>(i));

  LocalCache second(*remote_, cache_folder());
  EXPECT_EQ(second.Trim(2500, std::chrono::hours(5)), 0u) << "all within the grace";
  EXPECT_EQ(second.Trim(2500, std::chrono::seconds(0)), 2000u);
  EXPECT_FALSE(fs::exists(paths[0]));
  EXPECT_FALSE(fs::exists(paths[1]));
  EXPECT_TRUE(fs::exists(paths[2]));
  EXPECT_TRUE(fs::exists(paths[3]));
  int opens = remote_->calls(Operation::kOpen);
  EXPECT_EQ(ReadFile(second.ReadablePath(keys[0])), std::string(1000, 'x'));
  EXPECT_EQ(remote_->calls(Operation::kOpen), opens + 1) << "a trimmed copy is fetched again";
}

// With SHOPLAKE_CACHE_MAX_MB, a download that takes the copies past it trims them to three
// quarters of it (a Lambda function's /tmp holds a few hundred MB).
TEST_F(LocalCacheTest, ADownloadPastTheCapTrimsTheCopiesUsedLeastRecently) {
  const std::string block(400 << 10, 'y');
  for (const char* key : {"raw/e.csv", "raw/f.csv", "raw/g.csv", "raw/h.csv"}) {
    remote_->WriteAll(key, block);
  }
  ::setenv("SHOPLAKE_CACHE_MAX_MB", "1", 1);
  std::vector<std::string> old;
  {
    LocalCache first(*remote_, cache_folder());
    for (const char* key : {"raw/e.csv", "raw/f.csv", "raw/g.csv"}) {
      old.push_back(first.ReadablePath(key));
    }
    for (const auto& path : old) EXPECT_TRUE(fs::exists(path)) << "its own copies stay";
  }
  for (size_t i = 0; i < old.size(); ++i) HandedOutHoursAgo(old[i], 3 - static_cast<int>(i));
  LocalCache second(*remote_, cache_folder());
  std::string h = second.ReadablePath("raw/h.csv");
  ::unsetenv("SHOPLAKE_CACHE_MAX_MB");
  for (const auto& path : old) EXPECT_FALSE(fs::exists(path)) << path;
  EXPECT_TRUE(fs::exists(h));

  ::setenv("SHOPLAKE_CACHE_MAX_MB", "lots", 1);
  try {
    LocalCache third(*remote_, cache_folder());
    ADD_FAILURE() << "a cap that is not a number";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kUsage);
    EXPECT_EQ(e.input(), "SHOPLAKE_CACHE_MAX_MB");
  }
  ::unsetenv("SHOPLAKE_CACHE_MAX_MB");
}

TEST_F(LocalCacheTest, EachLakeHasItsOwnFolderUnderTheConfiguredBase) {
  const char* saved = std::getenv("SHOPLAKE_CACHE_DIR");
  std::string restore = saved ? saved : "";
  ::setenv("SHOPLAKE_CACHE_DIR", (folder_.path() / "base").c_str(), 1);
  fs::path a = LocalCache::DefaultFolder("s3://bucket/lake");
  fs::path b = LocalCache::DefaultFolder("s3://bucket/other");
  ::unsetenv("SHOPLAKE_CACHE_DIR");
  ::setenv("XDG_CACHE_HOME", (folder_.path() / "xdg").c_str(), 1);
  fs::path xdg = LocalCache::DefaultFolder("s3://bucket/lake");
  ::unsetenv("XDG_CACHE_HOME");
  if (saved) ::setenv("SHOPLAKE_CACHE_DIR", restore.c_str(), 1);

  EXPECT_EQ(a.parent_path(), folder_.path() / "base");
  EXPECT_EQ(a.filename().string().size(), 16u);
  EXPECT_NE(a, b);
  EXPECT_EQ(xdg, folder_.path() / "xdg/shoplake" / a.filename());
}

}  // namespace
}  // namespace shoplake::lake
