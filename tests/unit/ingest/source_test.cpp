// Sources against real servers on loopback and real files: GcsSource against shoplake's
// bucket server (listing across pages, stated checksums, ranged reads, 404s, injected 503s,
// cut downloads, stalls, STORAGE_EMULATOR_HOST forms, bearer tokens), HttpSource against
// an httplib server (ETag, Range, servers that ignore Range, errors), FileSource over a
// file and a folder, OpenSource's dispatch, RetryPolicy's bounds and the HTTP status mapping.
#include "ingest/source.h"

#include <gtest/gtest.h>
#include <httplib.h>
#include <stdlib.h>
#include <sys/stat.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <random>
#include <thread>

#include "common/error.h"
#include "common/hash.h"
#include "common/http_client.h"
#include "common/retry.h"
#include "ingest/ingestor.h"
#include "lake/local_store.h"
#include "simulate/bucket_server.h"
#include "support/loopback_server.h"
#include "support/temp_folder.h"

namespace shoplake::ingest {
namespace {

namespace fs = std::filesystem;
using simulate::BucketFaults;
using simulate::BucketServer;
using simulate::BucketServerOptions;

// --- Helpers ------------------------------------------------------------------------

using shoplake::testing::LoopbackServer;
using shoplake::testing::TempFolder;

//! Sets (or with nullptr unsets) an environment variable for one scope.
class ScopedEnv {
 public:
  ScopedEnv(const char* name, const char* value) : name_(name) {
    if (const char* old = std::getenv(name)) old_ = old;
    if (value) {
      ::setenv(name, value, 1);
    } else {
      ::unsetenv(name);
    }
  }
  ~ScopedEnv() {
    if (old_) {
      ::setenv(name_.c_str(), old_->c_str(), 1);
    } else {
      ::unsetenv(name_.c_str());
    }
  }
  ScopedEnv(const ScopedEnv&) = delete;
  ScopedEnv& operator=(const ScopedEnv&) = delete;

 private:
  std::string name_;
  std::optional<std::string> old_;
};

void WriteFile(const fs::path& path, const std::string& bytes) {
  fs::create_directories(path.parent_path());
  std::ofstream out(path, std::ios::binary);
  out << bytes;
  ASSERT_TRUE(out.good()) << path;
}

std::string RandomBytes(size_t size, uint32_t seed) {
  std::mt19937 random(seed);
  std::string bytes(size, '\0');
  for (char& c : bytes) c = static_cast<char>(random() & 0xFF);
  return bytes;
}

//! Reads the whole object through `source` in one call.
std::string ReadAll(Source& source, const SourceObject& object, uint64_t offset = 0) {
  std::string bytes;
  source.Read(object, offset, [&](std::string_view chunk) { bytes.append(chunk); });
  return bytes;
}

//! Runs `action`, expecting an Error; returns it (or fails the test).
template <typename Action>
Error ExpectError(Action action) {
  try {
    action();
  } catch (const Error& e) {
    return e;
  }
  ADD_FAILURE() << "expected a shoplake::Error";
  return Error(ErrorCode::kInternal, "no error");
}

bool Contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

// Short enough that a broken test ends soon, long enough for a loaded machine (and
// sanitizers) to list a thousand objects.
SourceOptions FastOptions() {
  SourceOptions options;
  options.connect_timeout = std::chrono::milliseconds(5000);
  options.stall_timeout = std::chrono::milliseconds(10000);
  return options;
}

std::vector<std::string> NamesOf(const std::vector<SourceObject>& objects) {
  std::vector<std::string> names;
  for (const auto& o : objects) names.push_back(o.name);
  return names;
}

const SourceObject& Named(const std::vector<SourceObject>& objects, const std::string& name) {
  for (const auto& o : objects) {
    if (o.name == name) return o;
  }
  throw std::runtime_error("no object named " + name);
}

//! The generation the bucket server states for a file: its mtime in microseconds.
std::string GenerationOf(const fs::path& path) {
  struct stat info {};
  if (::stat(path.c_str(), &info) != 0) throw std::runtime_error("stat failed");
  return std::to_string(static_cast<int64_t>(info.st_mtim.tv_sec) * 1'000'000 +
                        info.st_mtim.tv_nsec / 1000);
}

// --- GcsSource against the bucket server --------------------------------------------

constexpr size_t kBigSize = 1024 * 1024 + 4321;  // several of the server's 256 KiB chunks

class GcsSourceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    for (int day = 1; day <= 3; ++day) {
      files_["orders/2026-01-0" + std::to_string(day) + ".csv"] =
          "order_id,qty\n" + std::to_string(day) + "," + std::to_string(day * 3) + "\n";
    }
    files_["products/snapshot.csv"] = "sku,name\nSKU-7,tea\n";
    files_["big.bin"] = RandomBytes(kBigSize, 7);
    files_["empty.csv"] = "";
    for (const auto& [name, bytes] : files_) WriteFile(root_.path() / name, bytes);
    WriteFile(root_.path() / ".hidden.csv", "not an object\n");
  }

  void StartServer(BucketFaults faults = {}) {
    BucketServerOptions options;
    options.root = root_.path().string();
    options.faults = faults;
    server_ = std::make_unique<BucketServer>(options);
    server_->Start();
    emulator_ = std::make_unique<ScopedEnv>("STORAGE_EMULATOR_HOST", server_->endpoint().c_str());
  }

  std::unique_ptr<Source> Open(const std::string& uri) { return OpenSource(uri, FastOptions()); }

  TempFolder root_;
  std::map<std::string, std::string> files_;
  ScopedEnv no_token_{"GOOGLE_OAUTH_ACCESS_TOKEN", nullptr};
  std::unique_ptr<BucketServer> server_;
  std::unique_ptr<ScopedEnv> emulator_;
};

TEST_F(GcsSourceTest, ListsABucketWithFullNamesAndTheChecksumsOfTheFiles) {
  StartServer();
  auto source = Open("gs://shop-exports");
  EXPECT_EQ(source->uri(), "gs://shop-exports");
  auto objects = source->List();
  std::vector<std::string> expected;
  for (const auto& [name, bytes] : files_) expected.push_back(name);  // std::map: sorted
  EXPECT_EQ(NamesOf(objects), expected);
  for (const auto& object : objects) {
    const std::string& bytes = files_.at(object.name);
    EXPECT_EQ(object.uri, "gs://shop-exports/" + object.name);
    EXPECT_EQ(object.size, bytes.size()) << object.name;
    ASSERT_TRUE(object.md5.has_value()) << object.name;
    EXPECT_EQ(HexEncode(*object.md5), HexEncode(Md5(bytes))) << object.name;
    ASSERT_TRUE(object.crc32c.has_value()) << object.name;
    EXPECT_EQ(*object.crc32c, Crc32cOf(bytes)) << object.name;
    EXPECT_EQ(object.version, GenerationOf(root_.path() / object.name)) << object.name;
  }
}

TEST_F(GcsSourceTest, NamesAreTheFullObjectNamesWhateverThePrefix) {
  StartServer();
  std::vector<std::string> expected = {"orders/2026-01-01.csv", "orders/2026-01-02.csv",
                                       "orders/2026-01-03.csv"};
  auto folder = Open("gs://shop-exports/orders/")->List();
  EXPECT_EQ(NamesOf(folder), expected);
  EXPECT_EQ(folder[1].uri, "gs://shop-exports/orders/2026-01-02.csv");
  // A prefix without '/' or ending inside a name: the same names, so one object always
  // lands under one raw key.
  EXPECT_EQ(NamesOf(Open("gs://shop-exports/orders")->List()), expected);
  EXPECT_EQ(NamesOf(Open("gs://shop-exports/orders/2026-01-0")->List()), expected);
}

TEST_F(GcsSourceTest, AnExactObjectUriListsThatOneObject) {
  WriteFile(root_.path() / "orders/2026-01-01.csv.bak", "older copy\n");
  StartServer();
  auto objects = Open("gs://shop-exports/orders/2026-01-01.csv")->List();
  ASSERT_EQ(objects.size(), 1u);
  EXPECT_EQ(objects[0].name, "orders/2026-01-01.csv");
  EXPECT_EQ(objects[0].uri, "gs://shop-exports/orders/2026-01-01.csv");
  EXPECT_EQ(objects[0].size, files_["orders/2026-01-01.csv"].size());
}

TEST_F(GcsSourceTest, FollowsPagesPastTheServersPageLimit) {
  // The server (like GCS) sends at most 1000 items a page.
  constexpr int kMany = 1203;
  for (int i = 0; i < kMany; ++i) {
    char name[32];
    std::snprintf(name, sizeof name, "many/part-%04d.csv", i);
    WriteFile(root_.path() / name, std::to_string(i) + "\n");
  }
  StartServer();
  auto objects = Open("gs://shop-exports/many/")->List();
  ASSERT_EQ(objects.size(), static_cast<size_t>(kMany));
  for (int i = 0; i < kMany; ++i) {
    char name[32];
    std::snprintf(name, sizeof name, "many/part-%04d.csv", i);
    ASSERT_EQ(objects[i].name, name);
    EXPECT_EQ(objects[i].size, std::to_string(i).size() + 1);
    EXPECT_EQ(*objects[i].md5, Md5(std::to_string(i) + "\n"));
  }
}

TEST_F(GcsSourceTest, AnEmptyPrefixIsNotFoundAndAnEmptyBucketListsNothing) {
  StartServer();
  Error e = ExpectError([&] { Open("gs://shop-exports/no-such-prefix/")->List(); });
  EXPECT_EQ(e.code(), ErrorCode::kNotFound);
  EXPECT_TRUE(
      Contains(e.what() + std::string(" ") + e.input(), "gs://shop-exports/no-such-prefix/"))
      << e.what();
  TempFolder empty;
  BucketServerOptions options;
  options.root = empty.path().string();
  BucketServer empty_server(options);
  empty_server.Start();
  ScopedEnv emulator("STORAGE_EMULATOR_HOST", empty_server.endpoint().c_str());
  EXPECT_TRUE(Open("gs://shop-exports")->List().empty());
}

TEST_F(GcsSourceTest, AnUnknownBucketIsNotFoundNamingIt) {
  StartServer();
  Error e = ExpectError([&] { Open("gs://no-such-bucket/orders/")->List(); });
  EXPECT_EQ(e.code(), ErrorCode::kNotFound);
  EXPECT_EQ(e.input(), "gs://no-such-bucket");
  EXPECT_TRUE(Contains(e.message(), "no such bucket")) << e.what();
  EXPECT_TRUE(Contains(e.hint(), "STORAGE_EMULATOR_HOST")) << e.hint();
}

TEST_F(GcsSourceTest, ReadsWholeAndFromAnOffset) {
  StartServer();
  auto source = Open("gs://shop-exports");
  auto objects = source->List();
  const SourceObject& big = Named(objects, "big.bin");
  EXPECT_EQ(ReadAll(*source, big), files_["big.bin"]);
  EXPECT_EQ(ReadAll(*source, big, 300001), files_["big.bin"].substr(300001));
  EXPECT_EQ(ReadAll(*source, big, kBigSize - 1), files_["big.bin"].substr(kBigSize - 1));
  EXPECT_EQ(ReadAll(*source, big, kBigSize), "");  // nothing left: no request, no 416
  EXPECT_EQ(ReadAll(*source, Named(objects, "empty.csv")), "");
  // Sinks see the bytes in order, in bounded chunks.
  size_t chunks = 0;
  std::string bytes;
  source->Read(big, 0, [&](std::string_view chunk) {
    ++chunks;
    bytes.append(chunk);
  });
  EXPECT_EQ(bytes, files_["big.bin"]);
  EXPECT_GT(chunks, 1u);
}

TEST_F(GcsSourceTest, AMissingObjectIsNotFoundNamingIt) {
  StartServer();
  auto source = Open("gs://shop-exports/orders/");
  SourceObject missing;
  missing.uri = "gs://shop-exports/orders/2030-01-01.csv";
  missing.name = "orders/2030-01-01.csv";
  missing.size = 10;
  missing.version = "1";
  Error e = ExpectError([&] { ReadAll(*source, missing); });
  EXPECT_EQ(e.code(), ErrorCode::kNotFound);
  EXPECT_TRUE(Contains(e.what(), "gs://shop-exports/orders/2030-01-01.csv")) << e.what();
}

TEST_F(GcsSourceTest, AReplacedObjectIsNotReadAsTheVersionListed) {
  StartServer();
  auto source = Open("gs://shop-exports/orders/");
  auto objects = source->List();
  const fs::path file = root_.path() / "orders/2026-01-01.csv";
  WriteFile(file, "order_id,qty\n9,9\n");
  fs::last_write_time(file, fs::last_write_time(file) + std::chrono::seconds(5));
  Error e = ExpectError([&] { ReadAll(*source, objects[0], 3); });
  EXPECT_EQ(e.code(), ErrorCode::kNotFound);
  EXPECT_TRUE(Contains(e.message(), "generation " + objects[0].version)) << e.what();
  EXPECT_TRUE(Contains(e.hint(), "run ingest again")) << e.hint();
}

TEST_F(GcsSourceTest, A503IsTransientAndTheNextAttemptSucceeds) {
  BucketFaults faults;
  faults.fail_first_requests = 1;
  StartServer(faults);
  auto source = Open("gs://shop-exports/orders/");
  auto objects = source->List();  // listing is never failed by the server
  std::string received;
  Error e = ExpectError([&] { ReadAll(*source, objects[0]); });
  EXPECT_EQ(e.code(), ErrorCode::kNetwork);
  EXPECT_TRUE(IsTransient(e));
  EXPECT_TRUE(Contains(e.message(), "HTTP 503")) << e.what();
  EXPECT_TRUE(Contains(e.message(), "Backend Error")) << e.what();  // GCS's message, unwrapped
  EXPECT_EQ(e.input(), "gs://shop-exports/orders/2026-01-01.csv");
  EXPECT_EQ(ReadAll(*source, objects[0]), files_["orders/2026-01-01.csv"]);
}

TEST_F(GcsSourceTest, ACutDownloadIsTransientAndResumesToTheExactBytes) {
  constexpr uint64_t kCut = 300000;
  BucketFaults faults;
  faults.cut_after_bytes = kCut;
  StartServer(faults);
  auto source = Open("gs://shop-exports/big.bin");
  auto objects = source->List();
  ASSERT_EQ(objects.size(), 1u);
  std::string received;
  int attempts = 0;
  while (received.size() < objects[0].size && attempts < 20) {
    ++attempts;
    try {
      source->Read(objects[0], received.size(),
                   [&](std::string_view chunk) { received.append(chunk); });
    } catch (const Error& e) {
      EXPECT_EQ(e.code(), ErrorCode::kNetwork) << e.what();
      EXPECT_EQ(e.input(), "gs://shop-exports/big.bin");
    }
  }
  EXPECT_EQ(received, files_["big.bin"]);
  EXPECT_EQ(attempts, static_cast<int>((kBigSize + kCut - 1) / kCut));
}

TEST_F(GcsSourceTest, AStalledTransferIsAbandonedAsTransient) {
  // The server answers only after 6 s; a 1 s stall limit must give up first (were it
  // ignored, the listing would succeed and the test fail). 1 s is the shortest stall limit
  // libcurl checks (whole seconds); the server's stop cuts the 6 s short.
  BucketFaults faults;
  faults.latency = std::chrono::milliseconds(6000);
  StartServer(faults);
  SourceOptions options = FastOptions();
  options.stall_timeout = std::chrono::milliseconds(1000);
  Error e = ExpectError([&] { OpenSource("gs://shop-exports", options)->List(); });
  EXPECT_EQ(e.code(), ErrorCode::kNetwork) << e.what();
}

TEST_F(GcsSourceTest, AClosedPortIsTransient) {
  int port = 0;
  {
    BucketServerOptions options;
    options.root = root_.path().string();
    BucketServer closed(options);
    port = closed.port();
  }
  std::string host = "127.0.0.1:" + std::to_string(port);
  ScopedEnv emulator("STORAGE_EMULATOR_HOST", host.c_str());
  Error e = ExpectError([&] { Open("gs://shop-exports")->List(); });
  EXPECT_EQ(e.code(), ErrorCode::kNetwork);
  EXPECT_TRUE(IsTransient(e));
  EXPECT_EQ(e.input(), "gs://shop-exports");
}

TEST_F(GcsSourceTest, TheEmulatorHostMayOmitTheSchemeOrEndInASlash) {
  StartServer();
  std::string bare = "127.0.0.1:" + std::to_string(server_->port());
  {
    ScopedEnv emulator("STORAGE_EMULATOR_HOST", bare.c_str());
    EXPECT_EQ(Open("gs://shop-exports/orders/")->List().size(), 3u);
  }
  std::string slash = server_->endpoint() + "/";
  {
    ScopedEnv emulator("STORAGE_EMULATOR_HOST", slash.c_str());
    auto source = Open("gs://shop-exports/orders/");
    auto objects = source->List();
    ASSERT_EQ(objects.size(), 3u);
    EXPECT_EQ(ReadAll(*source, objects[2]), files_["orders/2026-01-03.csv"]);
  }
}

TEST_F(GcsSourceTest, TheIngestorCopiesEverythingThroughFaults) {
  BucketFaults faults;
  faults.fail_first_requests = 1;
  faults.cut_after_bytes = 400000;
  StartServer(faults);
  TempFolder lake_folder;
  lake::LocalStore lake(lake_folder.path());
  fs::create_directories(lake_folder.path() / "_catalog");
  IngestLedger ledger((lake_folder.path() / "_catalog/catalog.db").string());
  IngestOptions options;
  options.source_name = "shop";
  options.ingest_date = "2026-01-04";
  options.progress = false;
  options.retry.initial_delay = std::chrono::milliseconds(1);
  options.retry.max_attempts = 8;
  options.seed = 3;
  auto source = Open("gs://shop-exports");
  IngestSummary summary = Ingestor(lake, ledger, options).Run(*source);
  EXPECT_EQ(summary.objects_failed, 0) << summary.objects[0].error;
  EXPECT_EQ(summary.objects_new, static_cast<int>(files_.size()));
  for (const auto& [name, bytes] : files_) {
    EXPECT_EQ(lake.ReadAll("raw/shop/ingest_date=2026-01-04/" + name), bytes) << name;
  }
  for (const auto& o : summary.objects) {
    // Every object: one 503 first. big.bin then arrives in three cut pieces.
    EXPECT_EQ(o.attempts, o.object.name == "big.bin" ? 1 + 3 : 2) << o.object.name;
  }
  auto again = Ingestor(lake, ledger, options).Run(*source);
  EXPECT_EQ(again.objects_unchanged, static_cast<int>(files_.size()));
}

// --- GCS credentials, against a stand-in that wants a bearer token --------------------

TEST(GcsCredentials, ATokenIsSentAsBearerAndARefusalSaysWhatToSet) {
  httplib::Server* raw = nullptr;
  auto fake = std::make_unique<LoopbackServer>();
  raw = &fake->server();
  raw->Get("/storage/v1/b/private/o", [](const httplib::Request& req, httplib::Response& res) {
    if (req.get_header_value("Authorization") != "Bearer secret-token") {
      res.status = 401;
      res.set_content(R"({"error":{"code":401,"message":"Anonymous caller"}})", "application/json");
      return;
    }
    res.set_content(R"({"items":[{"name":"a.csv","size":"3","generation":"17",)"
                    R"("md5Hash":"","crc32c":"AAAAAA=="}]})",
                    "application/json");
  });
  ScopedEnv emulator("STORAGE_EMULATOR_HOST", fake->host().c_str());
  {
    ScopedEnv token("GOOGLE_OAUTH_ACCESS_TOKEN", nullptr);
    Error e = ExpectError([] { OpenSource("gs://private", FastOptions())->List(); });
    EXPECT_EQ(e.code(), ErrorCode::kUsage);
    EXPECT_EQ(e.exit_code(), 2);
    EXPECT_TRUE(Contains(e.message(), "HTTP 401: Anonymous caller")) << e.what();
    EXPECT_TRUE(Contains(e.hint(), "set GOOGLE_OAUTH_ACCESS_TOKEN or STORAGE_EMULATOR_HOST"))
        << e.hint();
  }
  {
    ScopedEnv token("GOOGLE_OAUTH_ACCESS_TOKEN", "secret-token");
    // An empty md5Hash is not 16 bytes: refused as a malformed listing, naming the object.
    Error e = ExpectError([] { OpenSource("gs://private", FastOptions())->List(); });
    EXPECT_EQ(e.code(), ErrorCode::kData);
    EXPECT_EQ(e.input(), "gs://private/a.csv");
  }
  raw->Get("/storage/v1/b/private2/o", [](const httplib::Request& req, httplib::Response& res) {
    EXPECT_EQ(req.get_header_value("Authorization"), "Bearer secret-token");
    res.set_content(R"({"items":[{"name":"a.csv","size":"3","generation":"17"}]})",
                    "application/json");
  });
  ScopedEnv token("GOOGLE_OAUTH_ACCESS_TOKEN", "secret-token");
  auto objects = OpenSource("gs://private2", FastOptions())->List();
  ASSERT_EQ(objects.size(), 1u);
  EXPECT_EQ(objects[0].size, 3u);
  EXPECT_EQ(objects[0].version, "17");
  EXPECT_FALSE(objects[0].md5.has_value());  // composite objects state none
  EXPECT_FALSE(objects[0].crc32c.has_value());
}

// --- HttpSource against an httplib server -------------------------------------------

class HttpSourceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto& server = fake_.server();
    // "/plain/..." ignores Range, as some servers do: drop httplib's own range handling.
    server.set_pre_routing_handler([](const httplib::Request& req, httplib::Response&) {
      if (req.path.starts_with("/plain/")) const_cast<httplib::Request&>(req).ranges.clear();
      return httplib::Server::HandlerResponse::Unhandled;
    });
    auto serve = [this](const httplib::Request&, httplib::Response& res) {
      res.set_header("ETag", etag_.load() == 1 ? "\"v1\"" : "\"v2\"");
      res.set_header("Content-MD5", Base64Encode(Md5(bytes_)));
      res.set_content(bytes_, "text/csv");
    };
    server.Get("/exports/orders.csv", serve);
    server.Get("/plain/orders.csv", serve);
    server.Get("/goog/data file.bin", [this](const httplib::Request&, httplib::Response& res) {
      res.set_header("x-goog-hash", "crc32c=" + Base64Encode(Crc32cBytes(Crc32cOf(bytes_))) +
                                        ",md5=" + Base64Encode(Md5(bytes_)));
      res.set_header("Last-Modified", "Wed, 21 Oct 2026 07:28:00 GMT");
      res.set_content(bytes_, "application/octet-stream");
    });
    server.Get("/odd.csv", [this](const httplib::Request&, httplib::Response& res) {
      res.set_header("ETag", "\"odd\"");
      res.set_header("x-goog-hash", "crc32c=???,md5=" + Base64Encode(Md5(bytes_)));
      res.set_content(bytes_, "text/csv");
    });
    server.Get("/busy.csv", [](const httplib::Request&, httplib::Response& res) {
      res.status = 503;
      res.set_content("try later", "text/plain");
    });
    server.Get("/secret.csv", [](const httplib::Request&, httplib::Response& res) {
      res.status = 403;
      res.set_content("<html>Forbidden</html>", "text/html");
    });
    server.Get("/gone.csv", [](const httplib::Request&, httplib::Response& res) {
      res.status = 410;
      res.set_content("gone for good", "text/plain");
    });
  }

  std::unique_ptr<Source> Open(const std::string& path) {
    return OpenSource(fake_.url(path), FastOptions());
  }

  const std::string bytes_ = "order_id,qty\n" + std::string(5000, '7') + "\n";
  std::atomic<int> etag_{1};
  LoopbackServer fake_;
};

TEST_F(HttpSourceTest, ListsOneObjectWithSizeEtagAndContentMd5) {
  auto source = Open("/exports/orders.csv");
  EXPECT_EQ(source->uri(), fake_.url("/exports/orders.csv"));
  auto objects = source->List();
  ASSERT_EQ(objects.size(), 1u);
  EXPECT_EQ(objects[0].name, "orders.csv");
  EXPECT_EQ(objects[0].uri, fake_.url("/exports/orders.csv"));
  EXPECT_EQ(objects[0].size, bytes_.size());
  EXPECT_EQ(objects[0].version, "\"v1\"");
  EXPECT_EQ(objects[0].md5, Md5(bytes_));
  EXPECT_FALSE(objects[0].crc32c.has_value());
}

TEST_F(HttpSourceTest, ReadsWholeAndByRange) {
  auto source = Open("/exports/orders.csv");
  auto object = source->List().at(0);
  EXPECT_EQ(ReadAll(*source, object), bytes_);
  EXPECT_EQ(ReadAll(*source, object, 13), bytes_.substr(13));
  EXPECT_EQ(ReadAll(*source, object, bytes_.size()), "");
}

TEST_F(HttpSourceTest, AServerThatIgnoresRangeStillYieldsTheRest) {
  auto source = Open("/plain/orders.csv");
  auto object = source->List().at(0);
  EXPECT_EQ(ReadAll(*source, object, 13), bytes_.substr(13));
  EXPECT_EQ(ReadAll(*source, object, 4000), bytes_.substr(4000));
}

TEST_F(HttpSourceTest, AnObjectThatChangedVersionIsRefused) {
  auto source = Open("/exports/orders.csv");
  auto object = source->List().at(0);
  etag_ = 2;
  std::string received;
  Error e = ExpectError(
      [&] { source->Read(object, 13, [&](std::string_view chunk) { received.append(chunk); }); });
  EXPECT_EQ(e.code(), ErrorCode::kData);
  EXPECT_TRUE(Contains(e.message(), "changed since it was listed")) << e.what();
  EXPECT_EQ(received, "");  // not one byte of the other version
}

TEST_F(HttpSourceTest, GoogleHashesAndLastModifiedAndAnEscapedName) {
  auto objects = Open("/goog/data%20file.bin")->List();
  ASSERT_EQ(objects.size(), 1u);
  EXPECT_EQ(objects[0].name, "data file.bin");
  EXPECT_EQ(objects[0].version, "Wed, 21 Oct 2026 07:28:00 GMT");
  EXPECT_EQ(objects[0].md5, Md5(bytes_));
  EXPECT_EQ(objects[0].crc32c, Crc32cOf(bytes_));
}

TEST_F(HttpSourceTest, AMalformedChecksumHeaderIsIgnoredNotFatal) {
  auto objects = Open("/odd.csv")->List();
  ASSERT_EQ(objects.size(), 1u);
  EXPECT_FALSE(objects[0].crc32c.has_value());
  EXPECT_EQ(objects[0].md5, Md5(bytes_));
}

TEST_F(HttpSourceTest, ErrorsNameTheUrlAndMapToCodes) {
  Error missing = ExpectError([&] { Open("/exports/nope.csv")->List(); });
  EXPECT_EQ(missing.code(), ErrorCode::kNotFound);
  EXPECT_TRUE(Contains(missing.what(), fake_.url("/exports/nope.csv"))) << missing.what();
  EXPECT_TRUE(Contains(missing.message(), "HTTP 404")) << missing.what();

  Error busy = ExpectError([&] { Open("/busy.csv")->List(); });
  EXPECT_EQ(busy.code(), ErrorCode::kNetwork);

  Error secret = ExpectError([&] { Open("/secret.csv")->List(); });
  EXPECT_EQ(secret.code(), ErrorCode::kUsage);
  EXPECT_TRUE(Contains(secret.hint(), "credentials")) << secret.hint();

  Error gone = ExpectError([&] { Open("/gone.csv")->List(); });
  EXPECT_EQ(gone.code(), ErrorCode::kData);
  EXPECT_TRUE(Contains(gone.message(), "HTTP 410")) << gone.what();

  // Reading a listed object that has since disappeared.
  SourceObject vanished;
  vanished.uri = fake_.url("/exports/vanished.csv");
  vanished.size = 5;
  vanished.version = "\"v1\"";
  auto source = Open("/exports/orders.csv");
  std::string received;
  Error read = ExpectError(
      [&] { source->Read(vanished, 0, [&](std::string_view chunk) { received.append(chunk); }); });
  EXPECT_EQ(read.code(), ErrorCode::kNotFound);
  EXPECT_EQ(received, "");  // the 404 page never reaches the sink

  Error no_name = ExpectError([&] { Open("/"); });
  EXPECT_EQ(no_name.code(), ErrorCode::kUsage);
}

// --- FileSource ---------------------------------------------------------------------

std::string FileVersion(const fs::path& path) {
  struct stat info {};
  if (::stat(path.c_str(), &info) != 0) throw std::runtime_error("stat failed");
  return std::to_string(static_cast<int64_t>(info.st_mtim.tv_sec) * 1'000'000'000 +
                        info.st_mtim.tv_nsec) +
         "-" + std::to_string(info.st_size);
}

TEST(FileSource, AFolderListsEveryFileButHiddenOnesSortedAndRelative) {
  TempFolder folder;
  const fs::path root = folder.path() / "exports";
  WriteFile(root / "orders/2026-01-02.csv", "b\n");
  WriteFile(root / "orders/2026-01-01.csv", "a\n");
  WriteFile(root / "_manifest.json", "{}");
  WriteFile(root / ".DS_Store", "x");
  WriteFile(root / ".git/config", "x");
  WriteFile(root / "orders/.2026-01-03.csv.swp", "x");
  auto source = OpenSource((root.string() + "/"));
  EXPECT_EQ(source->uri(), "file://" + root.string());
  auto objects = source->List();
  EXPECT_EQ(NamesOf(objects), (std::vector<std::string>{"_manifest.json", "orders/2026-01-01.csv",
                                                        "orders/2026-01-02.csv"}));
  const auto& first = objects[1];
  EXPECT_EQ(first.uri, "file://" + (root / "orders/2026-01-01.csv").string());
  EXPECT_EQ(first.size, 2u);
  EXPECT_EQ(first.version, FileVersion(root / "orders/2026-01-01.csv"));
  EXPECT_FALSE(first.md5.has_value());
  EXPECT_FALSE(first.crc32c.has_value());
  EXPECT_EQ(ReadAll(*source, first), "a\n");
}

TEST(FileSource, AFileIsOneObjectReadInChunksFromAnyOffset) {
  TempFolder folder;
  const fs::path path = folder.path() / "big.bin";
  const std::string bytes = RandomBytes(3 * 1024 * 1024 + 17, 5);
  WriteFile(path, bytes);
  auto source = OpenSource("file://" + path.string());
  auto objects = source->List();
  ASSERT_EQ(objects.size(), 1u);
  EXPECT_EQ(objects[0].name, "big.bin");
  EXPECT_EQ(objects[0].size, bytes.size());
  size_t chunks = 0;
  std::string received;
  source->Read(objects[0], 0, [&](std::string_view chunk) {
    ++chunks;
    EXPECT_LE(chunk.size(), 1u << 20);
    received.append(chunk);
  });
  EXPECT_EQ(received, bytes);
  EXPECT_EQ(chunks, 4u);
  EXPECT_EQ(ReadAll(*source, objects[0], 1234567), bytes.substr(1234567));
  EXPECT_EQ(ReadAll(*source, objects[0], bytes.size()), "");
}

TEST(FileSource, AMissingPathIsNotFoundNamingIt) {
  TempFolder folder;
  const fs::path path = folder.path() / "no-such-folder";
  Error e = ExpectError([&] { OpenSource(path.string())->List(); });
  EXPECT_EQ(e.code(), ErrorCode::kNotFound);
  EXPECT_EQ(e.input(), path.string());
}

TEST(FileSource, AFileChangedSinceListingIsRefused) {
  TempFolder folder;
  const fs::path path = folder.path() / "orders.csv";
  WriteFile(path, "a,b\n1,2\n");
  auto source = OpenSource(path.string());
  auto object = source->List().at(0);
  WriteFile(path, "a,b\n1,2\n3,4\n");
  Error e = ExpectError([&] { ReadAll(*source, object); });
  EXPECT_EQ(e.code(), ErrorCode::kData);
  EXPECT_TRUE(Contains(e.message(), "changed since it was listed")) << e.what();
  fs::remove(path);
  Error gone = ExpectError([&] { ReadAll(*source, object); });
  EXPECT_EQ(gone.code(), ErrorCode::kNotFound);
  EXPECT_EQ(gone.input(), path.string());
}

// --- s3:// ------------------------------------------------------------------------------

// Against a scripted S3 endpoint: the ETag is the version; it is the md5 only when it is a
// plain MD5 (a multipart ETag "<hex>-N" is not); a resumed read pins the ETag listed.
TEST(S3Source, StatesMd5OnlyForPlainEtagsAndPinsTheVersion) {
  LoopbackServer server;
  server.server().Get("/exports", [](const httplib::Request& req, httplib::Response& res) {
    EXPECT_EQ(req.get_param_value("prefix"), "daily/");
    res.set_content(
        "<ListBucketResult>"
        "<Contents><Key>daily/a.csv</Key><Size>3</Size>"
        "<ETag>&quot;900150983cd24fb0d6963f7d28e17f72&quot;</ETag></Contents>"
        "<Contents><Key>daily/big.bin</Key><Size>5</Size>"
        "<ETag>&quot;0123456789abcdef0123456789abcdef-2&quot;</ETag></Contents>"
        "<Contents><Key>daily/folder/</Key><Size>0</Size><ETag>&quot;x&quot;</ETag></Contents>"
        "<IsTruncated>false</IsTruncated></ListBucketResult>",
        "application/xml");
  });
  server.server().Get(
      "/exports/daily/a.csv", [](const httplib::Request& req, httplib::Response& res) {
        if (req.get_header_value("If-Match") != "\"900150983cd24fb0d6963f7d28e17f72\"") {
          res.status = 412;
          return;
        }
        EXPECT_EQ(req.get_header_value("Range"), "bytes=1-");
        res.set_content("abc", "text/csv");  // httplib answers the range: 206, "bc"
      });
  ScopedEnv key("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE"), secret("AWS_SECRET_ACCESS_KEY", "secret"),
      endpoint("AWS_ENDPOINT_URL", server.url("").c_str()),
      s3_endpoint("AWS_ENDPOINT_URL_S3", nullptr);
  auto source = OpenSource("s3://exports/daily/");
  auto objects = source->List();
  ASSERT_EQ(objects.size(), 2u);
  EXPECT_EQ(objects[0].uri, "s3://exports/daily/a.csv");
  EXPECT_EQ(objects[0].name, "daily/a.csv");
  EXPECT_EQ(objects[0].size, 3u);
  EXPECT_EQ(objects[0].version, "900150983cd24fb0d6963f7d28e17f72");
  EXPECT_EQ(objects[0].md5, Md5("abc"));
  EXPECT_EQ(objects[1].version, "0123456789abcdef0123456789abcdef-2");
  EXPECT_EQ(objects[1].md5, std::nullopt);
  std::string bytes;
  source->Read(objects[0], 1, [&](std::string_view b) { bytes.append(b); });
  EXPECT_EQ(bytes, "bc");
  // Another version than the one listed: refused, not spliced.
  SourceObject changed = objects[0];
  changed.version = "ffffffffffffffffffffffffffffffff";
  Error refused = ExpectError([&] { source->Read(changed, 1, [](std::string_view) {}); });
  EXPECT_EQ(refused.code(), ErrorCode::kData);
  EXPECT_EQ(refused.input(), "s3://exports/daily/a.csv");
}

// --- OpenSource ---------------------------------------------------------------------

TEST(OpenSource, DispatchesOnTheScheme) {
  ScopedEnv emulator("STORAGE_EMULATOR_HOST", "127.0.0.1:9");
  EXPECT_EQ(OpenSource("gs://shop-exports/orders/")->uri(), "gs://shop-exports/orders/");
  EXPECT_EQ(OpenSource("https://example.com/exports/orders.csv")->uri(),
            "https://example.com/exports/orders.csv");
  TempFolder folder;
  EXPECT_EQ(OpenSource(folder.path().string())->uri(), "file://" + folder.path().string());
  EXPECT_EQ(OpenSource("file://" + folder.path().string())->uri(),
            "file://" + folder.path().string());

  {
    ScopedEnv key("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE");
    ScopedEnv secret("AWS_SECRET_ACCESS_KEY", "secret");
    ScopedEnv endpoint("AWS_ENDPOINT_URL", "http://127.0.0.1:9");
    EXPECT_EQ(OpenSource("s3://bucket/exports/")->uri(), "s3://bucket/exports/");
  }
  {
    // No credentials anywhere: the error says which variables and files to set.
    ScopedEnv key("AWS_ACCESS_KEY_ID", nullptr), secret("AWS_SECRET_ACCESS_KEY", nullptr),
        profile("AWS_PROFILE", nullptr), credentials("AWS_SHARED_CREDENTIALS_FILE", nullptr),
        config("AWS_CONFIG_FILE", nullptr), home("HOME", folder.path().c_str());
    Error s3 = ExpectError([] { OpenSource("s3://bucket/exports/"); });
    EXPECT_EQ(s3.code(), ErrorCode::kUsage);
    EXPECT_EQ(s3.message(), "no AWS credentials for profile 'default'");
    EXPECT_NE(s3.hint().find("AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY"), std::string::npos)
        << s3.hint();
  }

  Error ftp = ExpectError([] { OpenSource("ftp://host/file.csv"); });
  EXPECT_EQ(ftp.code(), ErrorCode::kUsage);
}

// --- RetryPolicy --------------------------------------------------------------------

TEST(RetryPolicy, DelaysAreFullJitterUnderADoublingCappedBound) {
  RetryPolicy policy;  // 200 ms, doubling, capped at 10 s
  std::mt19937_64 random(1);
  EXPECT_EQ(policy.DelayBefore(1, random).count(), 0);
  for (int attempt = 2; attempt <= 12; ++attempt) {
    const int64_t bound = std::min<int64_t>(10'000, int64_t{200} << (attempt - 2));
    int64_t low = bound, high = 0;
    for (int i = 0; i < 2000; ++i) {
      int64_t delay = policy.DelayBefore(attempt, random).count();
      ASSERT_GE(delay, 0);
      ASSERT_LE(delay, bound) << "attempt " << attempt;
      low = std::min(low, delay);
      high = std::max(high, delay);
    }
    // Full jitter: the draws cover the whole range, not just its top.
    EXPECT_LT(low, bound / 10) << "attempt " << attempt;
    EXPECT_GT(high, bound * 9 / 10) << "attempt " << attempt;
  }
  EXPECT_LE(policy.DelayBefore(5000, random).count(), 10'000);  // no overflow
  std::mt19937_64 a(42), b(42);
  EXPECT_EQ(policy.DelayBefore(4, a), policy.DelayBefore(4, b));  // seeded: reproducible
}

TEST(RetryPolicy, OnlyNetworkErrorsAreTransient) {
  EXPECT_TRUE(IsTransient(Error(ErrorCode::kNetwork, "reset")));
  EXPECT_FALSE(IsTransient(Error(ErrorCode::kNotFound, "gone")));
  EXPECT_FALSE(IsTransient(Error(ErrorCode::kData, "md5 mismatch")));
  EXPECT_FALSE(IsTransient(std::runtime_error("bug")));
}

// --- HTTP status mapping and URL encoding ------------------------------------------

TEST(HttpStatus, MapsToErrorCodesAndQuotesTheServer) {
  HttpSubject subject{"gs://b/o", "set TOKEN", "no such object", "check it"};
  struct Case {
    long status;
    ErrorCode code;
  };
  for (const Case& c :
       {Case{404, ErrorCode::kNotFound}, Case{401, ErrorCode::kUsage}, Case{403, ErrorCode::kUsage},
        Case{408, ErrorCode::kNetwork}, Case{429, ErrorCode::kNetwork},
        Case{500, ErrorCode::kNetwork}, Case{503, ErrorCode::kNetwork},
        Case{400, ErrorCode::kUsage}, Case{416, ErrorCode::kData}, Case{418, ErrorCode::kData}}) {
    Error e = ExpectError(
        [&] { ThrowForStatus(c.status, "{\"error\":{\"message\":\"why\"}}", subject); });
    EXPECT_EQ(e.code(), c.code) << c.status;
    EXPECT_EQ(e.input(), "gs://b/o");
    EXPECT_TRUE(Contains(e.message(), "HTTP " + std::to_string(c.status) + ": why")) << e.what();
  }
  Error denied = ExpectError([&] { ThrowForStatus(403, "", subject); });
  EXPECT_EQ(denied.hint(), "set TOKEN");
  Error html =
      ExpectError([&] { ThrowForStatus(502, "<html>\n" + std::string(500, 'x'), subject); });
  EXPECT_TRUE(Contains(html.message(), "HTTP 502: <html> xxx")) << html.what();
  EXPECT_LT(html.message().size(), 300u);
}

TEST(HttpStatus, GcsChecksumsDecodeOnlyWhenWellFormed) {
  EXPECT_EQ(DecodeBase64Md5(Base64Encode(Md5("abc"))), Md5("abc"));
  EXPECT_EQ(DecodeBase64Md5(Base64Encode("short")), std::nullopt);
  EXPECT_EQ(DecodeBase64Md5("not base64!"), std::nullopt);
  EXPECT_EQ(DecodeBase64Crc32c(Base64Encode(Crc32cBytes(0x01020304u))), 0x01020304u);
  EXPECT_EQ(DecodeBase64Crc32c(Base64Encode(Crc32cBytes(Crc32cOf("abc")))), Crc32cOf("abc"));
  EXPECT_EQ(DecodeBase64Crc32c(""), std::nullopt);
  EXPECT_EQ(DecodeBase64Crc32c(Base64Encode("12345")), std::nullopt);
}

}  // namespace
}  // namespace shoplake::ingest
