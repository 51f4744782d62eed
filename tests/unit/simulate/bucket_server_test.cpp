// BucketServer answers a real HTTP client (libcurl) the way GCS does: listing with prefix,
// delimiter and pages; metadata whose md5/crc32c match the bytes on disk and on the wire;
// ranged downloads; GCS error JSON; and each test fault (503s, cut downloads, latency, lies).
#include "simulate/bucket_server.h"

#include <curl/curl.h>
#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/stat.h>

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "common/error.h"
#include "common/hash.h"
#include "support/temp_folder.h"

namespace shoplake::simulate {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

// --- A small libcurl client ---------------------------------------------------------

struct HttpResult {
  CURLcode code = CURLE_OK;
  long status = 0;
  std::string body;
  std::map<std::string, std::string> headers;  //!< names lowercased
};

size_t AppendBody(char* data, size_t size, size_t count, void* out) {
  static_cast<std::string*>(out)->append(data, size * count);
  return size * count;
}

size_t AppendHeader(char* data, size_t size, size_t count, void* out) {
  std::string line(data, size * count);
  size_t colon = line.find(':');
  if (colon != std::string::npos) {
    std::string name = line.substr(0, colon);
    std::transform(name.begin(), name.end(), name.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    std::string value = line.substr(colon + 1);
    value.erase(0, value.find_first_not_of(" \t"));
    value.erase(value.find_last_not_of(" \t\r\n") + 1);
    (*static_cast<std::map<std::string, std::string>*>(out))[name] = value;
  }
  return size * count;
}

//! GET `url` with optional extra headers; every call bounded by a 30 s timeout. `path_as_is`
//! sends "/../" as written instead of letting curl resolve it.
HttpResult Get(const std::string& url, const std::vector<std::string>& headers = {},
               bool path_as_is = false) {
  std::unique_ptr<CURL, decltype(&curl_easy_cleanup)> curl(curl_easy_init(), curl_easy_cleanup);
  std::unique_ptr<curl_slist, decltype(&curl_slist_free_all)> list(nullptr, curl_slist_free_all);
  for (const auto& header : headers) list.reset(curl_slist_append(list.release(), header.c_str()));
  HttpResult result;
  curl_easy_setopt(curl.get(), CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl.get(), CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl.get(), CURLOPT_PATH_AS_IS, path_as_is ? 1L : 0L);
  curl_easy_setopt(curl.get(), CURLOPT_TIMEOUT, 30L);
  curl_easy_setopt(curl.get(), CURLOPT_HTTPHEADER, list.get());
  curl_easy_setopt(curl.get(), CURLOPT_WRITEFUNCTION, AppendBody);
  curl_easy_setopt(curl.get(), CURLOPT_WRITEDATA, &result.body);
  curl_easy_setopt(curl.get(), CURLOPT_HEADERFUNCTION, AppendHeader);
  curl_easy_setopt(curl.get(), CURLOPT_HEADERDATA, &result.headers);
  result.code = curl_easy_perform(curl.get());
  curl_easy_getinfo(curl.get(), CURLINFO_RESPONSE_CODE, &result.status);
  return result;
}

std::string Escape(const std::string& text) {
  std::unique_ptr<char, decltype(&curl_free)> escaped(
      curl_easy_escape(nullptr, text.c_str(), static_cast<int>(text.size())), curl_free);
  return escaped.get();
}

// --- Fixture ------------------------------------------------------------------------

using shoplake::testing::TempFolder;

void WriteFile(const fs::path& path, const std::string& bytes) {
  fs::create_directories(path.parent_path());
  std::ofstream out(path, std::ios::binary);
  out << bytes;
  ASSERT_TRUE(out.good()) << path;
}

std::string ReadFile(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

std::string RandomBytes(size_t size, uint32_t seed) {
  std::mt19937 random(seed);
  std::string bytes(size, '\0');
  for (char& c : bytes) c = static_cast<char>(random() & 0xFF);
  return bytes;
}

std::string OrderDay(int day) {
  char name[40];
  std::snprintf(name, sizeof name, "orders/2026-01-%02d.csv", day);
  return name;
}

//! "2026-01-02T03:04:05.678Z": the shape of GCS's timestamps.
bool IsRfc3339WithMillis(const std::string& text) {
  const std::string shape = "dddd-dd-ddTdd:dd:dd.dddZ";
  if (text.size() != shape.size()) return false;
  for (size_t i = 0; i < shape.size(); ++i) {
    bool ok = shape[i] == 'd' ? std::isdigit(static_cast<unsigned char>(text[i])) != 0
                              : text[i] == shape[i];
    if (!ok) return false;
  }
  return true;
}

constexpr size_t kBigSize = 1024 * 1024 + 12345;  // several 256 KiB chunks, not aligned
constexpr int kOrderDays = 7;

class BucketServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const fs::path& root = root_.path();
    for (int day = 1; day <= kOrderDays; ++day) {
      WriteFile(root / OrderDay(day), "order_id,sku,qty\n" + std::to_string(day) + ",SKU-" +
                                          std::to_string(day * 7) + "," + std::to_string(day) +
                                          "\n");
    }
    WriteFile(root / "products/snapshot.csv", "sku,name\nSKU-7,tea\n");
    WriteFile(root / "big.bin", RandomBytes(kBigSize, 42));
    WriteFile(root / "empty.csv", "");
    // Not objects: hidden, temporary, or outside the root.
    WriteFile(root / ".hidden.csv", "secret\n");
    WriteFile(root / ".cache/x.csv", "secret\n");
    WriteFile(root / "orders/2026-01-08.csv.tmp-1234", "half-written\n");
    WriteFile(outside_.path() / "secret.csv", "outside\n");
    fs::create_symlink(outside_.path() / "secret.csv", root / "escape.csv");
    fs::create_symlink(outside_.path(), root / "escape-dir");
    // A symlink that stays inside the root is an ordinary object.
    fs::create_symlink(root / "products/snapshot.csv", root / "products/latest.csv");
  }

  //! Starts a server on 127.0.0.1, any free port, over the fixture's root.
  std::unique_ptr<BucketServer> StartServer(BucketFaults faults = {}) {
    BucketServerOptions options;
    options.root = root_.path().string();
    options.faults = faults;
    auto server = std::make_unique<BucketServer>(options);
    server->Start();
    return server;
  }

  static std::string ObjectUrl(const BucketServer& server, const std::string& name,
                               const std::string& query = "") {
    return server.endpoint() + "/storage/v1/b/shop-exports/o/" + Escape(name) + query;
  }

  //! Names (items) and prefixes of all pages of a listing; bounded in pages.
  static std::pair<std::vector<std::string>, std::vector<std::string>> ListAll(
      const BucketServer& server, const std::string& query, int* pages) {
    std::vector<std::string> names;
    std::vector<std::string> prefixes;
    std::string token;
    *pages = 0;
    for (int page = 0; page < 100; ++page) {
      std::string url = server.endpoint() + "/storage/v1/b/shop-exports/o?" + query;
      if (!token.empty()) url += "&pageToken=" + Escape(token);
      HttpResult result = Get(url);
      EXPECT_EQ(result.code, CURLE_OK);
      EXPECT_EQ(result.status, 200) << result.body;
      json body = json::parse(result.body);
      EXPECT_EQ(body["kind"], "storage#objects");
      ++*pages;
      for (const auto& item : body.value("items", json::array())) names.push_back(item["name"]);
      for (const auto& prefix : body.value("prefixes", json::array())) prefixes.push_back(prefix);
      if (!body.contains("nextPageToken")) break;
      token = body["nextPageToken"];
    }
    return {names, prefixes};
  }

  TempFolder root_;
  TempFolder outside_;
};

std::vector<std::string> AllOrderNames() {
  std::vector<std::string> names;
  for (int day = 1; day <= kOrderDays; ++day) names.push_back(OrderDay(day));
  return names;
}

// --- Listing ------------------------------------------------------------------------

TEST_F(BucketServerTest, ListsEveryObjectInNameOrderSkippingHiddenTempAndEscapingFiles) {
  auto server = StartServer();
  int pages = 0;
  auto [names, prefixes] = ListAll(*server, "", &pages);
  std::vector<std::string> expected = {"big.bin", "empty.csv"};
  for (const auto& name : AllOrderNames()) expected.push_back(name);
  expected.push_back("products/latest.csv");
  expected.push_back("products/snapshot.csv");
  EXPECT_EQ(names, expected);
  EXPECT_TRUE(prefixes.empty());
  EXPECT_EQ(pages, 1);
}

TEST_F(BucketServerTest, ListsWithPrefixAcrossSeveralPages) {
  auto server = StartServer();
  int pages = 0;
  auto [names, prefixes] = ListAll(*server, "prefix=orders%2F&maxResults=3", &pages);
  EXPECT_EQ(names, AllOrderNames());
  EXPECT_EQ(pages, 3);  // 3 + 3 + 1
  ListAll(*server, "prefix=orders%2F&maxResults=7", &pages);
  EXPECT_EQ(pages, 1) << "an exactly full last page has no nextPageToken";
}

TEST_F(BucketServerTest, DelimiterGroupsCommonPrefixesAlsoAcrossPages) {
  auto server = StartServer();
  int pages = 0;
  auto [names, prefixes] = ListAll(*server, "delimiter=%2F", &pages);
  EXPECT_EQ(names, (std::vector<std::string>{"big.bin", "empty.csv"}));
  EXPECT_EQ(prefixes, (std::vector<std::string>{"orders/", "products/"}));
  EXPECT_EQ(pages, 1);

  // One entry per page: a prefix counts as one entry and is never repeated.
  auto [paged_names, paged_prefixes] = ListAll(*server, "delimiter=%2F&maxResults=1", &pages);
  EXPECT_EQ(paged_names, names);
  EXPECT_EQ(paged_prefixes, prefixes);
  EXPECT_EQ(pages, 4);

  auto [inside, none] = ListAll(*server, "delimiter=%2F&prefix=products%2F", &pages);
  EXPECT_EQ(inside, (std::vector<std::string>{"products/latest.csv", "products/snapshot.csv"}));
  EXPECT_TRUE(none.empty());
}

TEST_F(BucketServerTest, ListItemsCarryTheObjectResource) {
  auto server = StartServer();
  HttpResult result =
      Get(server->endpoint() + "/storage/v1/b/shop-exports/o?prefix=products%2Fsnap");
  ASSERT_EQ(result.status, 200);
  json body = json::parse(result.body);
  ASSERT_EQ(body["items"].size(), 1u);
  const json& item = body["items"][0];
  std::string bytes = ReadFile(root_.path() / "products/snapshot.csv");
  EXPECT_EQ(item["kind"], "storage#object");
  EXPECT_EQ(item["name"], "products/snapshot.csv");
  EXPECT_EQ(item["bucket"], "shop-exports");
  EXPECT_EQ(item["size"], std::to_string(bytes.size()));
  EXPECT_EQ(item["md5Hash"], Base64Encode(Md5(bytes)));
  EXPECT_EQ(item["crc32c"], Base64Encode(Crc32cBytes(Crc32cOf(bytes))));
  EXPECT_FALSE(body.contains("prefixes"));
  EXPECT_FALSE(body.contains("nextPageToken"));
}

TEST_F(BucketServerTest, ListingSurvivesAFileNameThatIsNotUtf8) {
  WriteFile(root_.path() / "odd-\xff.csv", "x\n");
  auto server = StartServer();
  HttpResult result = Get(server->endpoint() + "/storage/v1/b/shop-exports/o?prefix=odd");
  ASSERT_EQ(result.status, 200) << result.body;
  json body = json::parse(result.body);
  ASSERT_EQ(body["items"].size(), 1u);
  EXPECT_EQ(body["items"][0]["size"], "2");
}

TEST_F(BucketServerTest, BadListArgumentsAre400) {
  auto server = StartServer();
  EXPECT_EQ(Get(server->endpoint() + "/storage/v1/b/shop-exports/o?maxResults=0").status, 400);
  EXPECT_EQ(Get(server->endpoint() + "/storage/v1/b/shop-exports/o?maxResults=x").status, 400);
  EXPECT_EQ(Get(server->endpoint() + "/storage/v1/b/shop-exports/o?pageToken=%21%21").status, 400);
}

// --- Metadata and downloads ---------------------------------------------------------

TEST_F(BucketServerTest, MetadataMatchesTheFileOnDiskAndTheBytesServed) {
  auto server = StartServer();
  const std::string name = OrderDay(3);
  const fs::path path = root_.path() / name;
  HttpResult meta = Get(ObjectUrl(*server, name));
  ASSERT_EQ(meta.status, 200) << meta.body;
  EXPECT_NE(ObjectUrl(*server, name).find("orders%2F2026-01-03.csv"), std::string::npos);
  json object = json::parse(meta.body);

  struct stat info {};
  ASSERT_EQ(::stat(path.c_str(), &info), 0);
  int64_t mtime_us = int64_t{info.st_mtim.tv_sec} * 1'000'000 + info.st_mtim.tv_nsec / 1000;
  std::string on_disk = ReadFile(path);

  EXPECT_EQ(object["kind"], "storage#object");
  EXPECT_EQ(object["name"], name);
  EXPECT_EQ(object["bucket"], "shop-exports");
  EXPECT_EQ(object["id"], "shop-exports/" + name + "/" + std::to_string(mtime_us));
  EXPECT_EQ(object["size"], std::to_string(on_disk.size()));
  EXPECT_EQ(object["generation"], std::to_string(mtime_us));
  EXPECT_EQ(object["metageneration"], "1");
  EXPECT_EQ(object["contentType"], "text/csv");
  EXPECT_EQ(object["md5Hash"], Base64Encode(Md5(on_disk)));
  EXPECT_EQ(object["crc32c"], Base64Encode(Crc32cBytes(Crc32cOf(on_disk))));
  EXPECT_TRUE(IsRfc3339WithMillis(object["updated"])) << object["updated"];
  EXPECT_EQ(object["timeCreated"], object["updated"]);
  EXPECT_FALSE(object["etag"].get<std::string>().empty());
  EXPECT_EQ(object["selfLink"], ObjectUrl(*server, name));

  // The mediaLink is what SDKs download from; it must serve exactly these bytes.
  HttpResult media = Get(object["mediaLink"]);
  ASSERT_EQ(media.status, 200);
  EXPECT_EQ(media.body, on_disk);
  EXPECT_EQ(object["md5Hash"], Base64Encode(Md5(media.body)));
  EXPECT_EQ(object["crc32c"], Base64Encode(Crc32cBytes(Crc32cOf(media.body))));
  EXPECT_EQ(media.headers["x-goog-hash"], "crc32c=" + object["crc32c"].get<std::string>() +
                                              ",md5=" + object["md5Hash"].get<std::string>());
  EXPECT_EQ(media.headers["x-goog-generation"], std::to_string(mtime_us));
  EXPECT_EQ(media.headers["content-length"], std::to_string(on_disk.size()));
  EXPECT_EQ(media.headers["content-type"], "text/csv");
}

TEST_F(BucketServerTest, DownloadsABigFileWholeAndByRanges) {
  auto server = StartServer();
  const std::string bytes = ReadFile(root_.path() / "big.bin");
  ASSERT_EQ(bytes.size(), kBigSize);
  std::string url = ObjectUrl(*server, "big.bin", "?alt=media");

  HttpResult whole = Get(url);
  ASSERT_EQ(whole.code, CURLE_OK);
  EXPECT_EQ(whole.status, 200);
  EXPECT_TRUE(whole.body == bytes);
  json meta = json::parse(Get(ObjectUrl(*server, "big.bin")).body);
  EXPECT_EQ(meta["md5Hash"], Base64Encode(Md5(whole.body)));
  EXPECT_EQ(meta["crc32c"], Base64Encode(Crc32cBytes(Crc32cOf(whole.body))));
  EXPECT_EQ(meta["contentType"], "application/octet-stream");

  struct Case {
    std::string range;
    size_t first;
    size_t last;
  };
  const size_t n = kBigSize;
  for (const Case& c : std::vector<Case>{{"bytes=0-0", 0, 0},
                                         {"bytes=100-299999", 100, 299999},
                                         {"bytes=262143-262144", 262143, 262144},
                                         {"bytes=1000000-", 1000000, n - 1},
                                         {"bytes=-500", n - 500, n - 1},
                                         {"bytes=5-99999999", 5, n - 1},
                                         {"bytes=-99999999", 0, n - 1}}) {
    HttpResult part = Get(url, {"Range: " + c.range});
    EXPECT_EQ(part.code, CURLE_OK) << c.range;
    EXPECT_EQ(part.status, 206) << c.range;
    EXPECT_EQ(part.headers["content-range"], "bytes " + std::to_string(c.first) + "-" +
                                                 std::to_string(c.last) + "/" + std::to_string(n))
        << c.range;
    EXPECT_EQ(part.headers["content-length"], std::to_string(c.last - c.first + 1)) << c.range;
    EXPECT_TRUE(part.body == bytes.substr(c.first, c.last - c.first + 1)) << c.range;
    // x-goog-hash always describes the whole object.
    EXPECT_EQ(part.headers["x-goog-hash"], "crc32c=" + meta["crc32c"].get<std::string>() +
                                               ",md5=" + meta["md5Hash"].get<std::string>());
  }

  // The SDKs' download path serves the same bytes.
  HttpResult sdk =
      Get(server->endpoint() + "/download/storage/v1/b/shop-exports/o/big.bin?alt=media",
          {"Range: bytes=10-19"});
  EXPECT_EQ(sdk.status, 206);
  EXPECT_EQ(sdk.body, bytes.substr(10, 10));
}

TEST_F(BucketServerTest, ConcurrentClientsGetTheSameChecksumsAndBytes) {
  auto server = StartServer();
  const std::string bytes = ReadFile(root_.path() / "big.bin");
  const std::string md5 = Base64Encode(Md5(bytes));
  constexpr int kClients = 4;
  std::vector<HttpResult> metas(kClients);
  std::vector<HttpResult> medias(kClients);
  {
    // The first requests race to fill the checksum cache for the same file.
    std::vector<std::thread> clients;
    for (int i = 0; i < kClients; ++i) {
      clients.emplace_back([&, i] {
        metas[i] = Get(ObjectUrl(*server, "big.bin"));
        medias[i] = Get(ObjectUrl(*server, "big.bin", "?alt=media"));
      });
    }
    for (auto& client : clients) client.join();
  }
  for (int i = 0; i < kClients; ++i) {
    ASSERT_EQ(metas[i].status, 200) << i;
    EXPECT_EQ(json::parse(metas[i].body)["md5Hash"], md5) << i;
    EXPECT_EQ(medias[i].code, CURLE_OK) << i;
    EXPECT_TRUE(medias[i].body == bytes) << i;
  }
}

TEST_F(BucketServerTest, EmptyObjectDownloadsAsZeroBytes) {
  auto server = StartServer();
  HttpResult media = Get(ObjectUrl(*server, "empty.csv", "?alt=media"));
  EXPECT_EQ(media.code, CURLE_OK);
  EXPECT_EQ(media.status, 200);
  EXPECT_EQ(media.body, "");
  json meta = json::parse(Get(ObjectUrl(*server, "empty.csv")).body);
  EXPECT_EQ(meta["size"], "0");
  EXPECT_EQ(meta["md5Hash"], "1B2M2Y8AsgTpgAmY7PhCfg==");  // md5 of nothing
  EXPECT_EQ(meta["crc32c"], "AAAAAA==");
}

TEST_F(BucketServerTest, UnsatisfiableRangeIs416) {
  auto server = StartServer();
  std::string url = ObjectUrl(*server, "big.bin", "?alt=media");
  for (const std::string& range : std::vector<std::string>{
           "bytes=" + std::to_string(kBigSize) + "-", "bytes=99999999-99999999", "bytes=-0"}) {
    HttpResult result = Get(url, {"Range: " + range});
    EXPECT_EQ(result.status, 416) << range;
    EXPECT_EQ(result.headers["content-range"], "bytes */" + std::to_string(kBigSize)) << range;
    EXPECT_EQ(json::parse(result.body)["error"]["code"], 416) << range;
  }
}

TEST_F(BucketServerTest, MissingObjectsAndBucketsAre404WithGcsErrorJson) {
  auto server = StartServer();
  HttpResult missing = Get(ObjectUrl(*server, "orders/2030-01-01.csv"));
  EXPECT_EQ(missing.status, 404);
  json error = json::parse(missing.body)["error"];
  EXPECT_EQ(error["code"], 404);
  EXPECT_EQ(error["message"], "No such object: shop-exports/orders/2030-01-01.csv");
  ASSERT_EQ(error["errors"].size(), 1u);
  EXPECT_EQ(error["errors"][0]["reason"], "notFound");
  EXPECT_EQ(error["errors"][0]["message"], error["message"]);

  EXPECT_EQ(Get(ObjectUrl(*server, "orders/2030-01-01.csv", "?alt=media")).status, 404);
  HttpResult bucket = Get(server->endpoint() + "/storage/v1/b/other-bucket/o");
  EXPECT_EQ(bucket.status, 404);
  EXPECT_EQ(json::parse(bucket.body)["error"]["code"], 404);
}

TEST_F(BucketServerTest, NeverServesHiddenTempOrOutsideFiles) {
  auto server = StartServer();
  for (const std::string& name : std::vector<std::string>{
           ".hidden.csv", ".cache/x.csv", "orders/2026-01-08.csv.tmp-1234", "escape.csv",
           "escape-dir/secret.csv", "../" + outside_.path().filename().string() + "/secret.csv",
           "orders/../products/snapshot.csv", "orders//2026-01-01.csv", "orders"}) {
    HttpResult result = Get(ObjectUrl(*server, name, "?alt=media"));
    EXPECT_EQ(result.status, 404) << name;
    EXPECT_EQ(result.body.find("outside"), std::string::npos) << name;
  }
  // A literal ".." in the path (not encoded) is refused as well.
  HttpResult raw =
      Get(server->endpoint() + "/storage/v1/b/shop-exports/o/orders/../big.bin", {}, true);
  EXPECT_EQ(raw.status, 404);
  EXPECT_EQ(Get(ObjectUrl(*server, "products/latest.csv", "?alt=media")).body,
            "sku,name\nSKU-7,tea\n");
}

// --- Faults -------------------------------------------------------------------------

TEST_F(BucketServerTest, FailFirstAnswers503PerObjectThenServes) {
  BucketFaults faults;
  faults.fail_first_requests = 2;
  auto server = StartServer(faults);
  const std::string a = OrderDay(1);
  const std::string b = OrderDay(2);

  HttpResult first = Get(ObjectUrl(*server, a));
  EXPECT_EQ(first.status, 503);
  EXPECT_EQ(json::parse(first.body)["error"]["code"], 503);
  // The count is per object and spans metadata and media requests.
  EXPECT_EQ(Get(ObjectUrl(*server, b, "?alt=media")).status, 503);
  EXPECT_EQ(Get(ObjectUrl(*server, a, "?alt=media")).status, 503);
  HttpResult served = Get(ObjectUrl(*server, a, "?alt=media"));
  EXPECT_EQ(served.status, 200);
  EXPECT_EQ(served.body, ReadFile(root_.path() / a));
  EXPECT_EQ(Get(ObjectUrl(*server, a)).status, 200);
  EXPECT_EQ(Get(ObjectUrl(*server, b)).status, 503);
  EXPECT_EQ(Get(ObjectUrl(*server, b)).status, 200);
  // Listing is not an object request.
  EXPECT_EQ(Get(server->endpoint() + "/storage/v1/b/shop-exports/o").status, 200);
}

TEST_F(BucketServerTest, CutDownloadSendsExactlyKBytesAndRangeResumesComplete) {
  constexpr uint64_t kCut = 300000;
  BucketFaults faults;
  faults.cut_after_bytes = kCut;
  auto server = StartServer(faults);
  const std::string bytes = ReadFile(root_.path() / "big.bin");
  std::string url = ObjectUrl(*server, "big.bin", "?alt=media");

  HttpResult first = Get(url);
  EXPECT_EQ(first.status, 200);
  EXPECT_EQ(first.code, CURLE_PARTIAL_FILE) << curl_easy_strerror(first.code);
  EXPECT_EQ(first.headers["content-length"], std::to_string(kBigSize));
  ASSERT_EQ(first.body.size(), kCut);

  // Resume like a client would, until the object is complete; each part is cut again.
  std::string assembled = first.body;
  int resumes = 0;
  while (assembled.size() < bytes.size() && resumes < 20) {
    HttpResult part = Get(url, {"Range: bytes=" + std::to_string(assembled.size()) + "-"});
    ASSERT_EQ(part.status, 206);
    ASSERT_GT(part.body.size(), 0u);
    EXPECT_LE(part.body.size(), kCut);
    assembled += part.body;
    ++resumes;
  }
  EXPECT_EQ(resumes, 3);  // 1 MiB + 12345 bytes in 300000-byte pieces: 4 requests
  EXPECT_TRUE(assembled == bytes);
  json meta = json::parse(Get(ObjectUrl(*server, "big.bin")).body);
  EXPECT_EQ(meta["md5Hash"], Base64Encode(Md5(assembled)));

  // Bodies no longer than the cut arrive whole.
  HttpResult small = Get(ObjectUrl(*server, OrderDay(1), "?alt=media"));
  EXPECT_EQ(small.code, CURLE_OK);
  EXPECT_EQ(small.body, ReadFile(root_.path() / OrderDay(1)));
}

TEST_F(BucketServerTest, LatencyStillAnswers) {
  BucketFaults faults;
  faults.latency = std::chrono::milliseconds(30);
  auto server = StartServer(faults);
  HttpResult result = Get(ObjectUrl(*server, OrderDay(1), "?alt=media"));
  EXPECT_EQ(result.status, 200);
  EXPECT_EQ(result.body, ReadFile(root_.path() / OrderDay(1)));
}

TEST_F(BucketServerTest, LieAboutMd5StatesChecksumsOfOtherBytes) {
  BucketFaults faults;
  faults.lie_about_md5 = true;
  auto server = StartServer(faults);
  const std::string name = OrderDay(4);
  json meta = json::parse(Get(ObjectUrl(*server, name)).body);
  HttpResult media = Get(ObjectUrl(*server, name, "?alt=media"));
  ASSERT_EQ(media.status, 200);
  EXPECT_EQ(media.body, ReadFile(root_.path() / name)) << "the bytes themselves are right";
  std::string md5 = meta["md5Hash"];
  std::string crc = meta["crc32c"];
  EXPECT_NE(md5, Base64Encode(Md5(media.body)));
  EXPECT_NE(crc, Base64Encode(Crc32cBytes(Crc32cOf(media.body))));
  EXPECT_EQ(Base64Decode(md5).size(), 16u) << "still a well-formed md5";
  EXPECT_EQ(media.headers["x-goog-hash"], "crc32c=" + crc + ",md5=" + md5);
}

// --- Lifecycle ----------------------------------------------------------------------

TEST_F(BucketServerTest, StopsAndFreesThePort) {
  int port = 0;
  {
    auto server = StartServer();
    port = server->port();
    EXPECT_GT(port, 0);
    EXPECT_EQ(server->endpoint(), "http://127.0.0.1:" + std::to_string(port));
    EXPECT_EQ(Get(server->endpoint() + "/storage/v1/b/shop-exports").status, 200);
    server->Stop();
    server->Stop();  // idempotent
  }
  HttpResult after = Get("http://127.0.0.1:" + std::to_string(port) + "/storage/v1/b/x/o");
  EXPECT_EQ(after.code, CURLE_COULDNT_CONNECT);

  // Constructed but never started: destruction must not hang.
  BucketServerOptions options;
  options.root = root_.path().string();
  BucketServer idle(options);
  EXPECT_GT(idle.port(), 0);
}

TEST_F(BucketServerTest, RejectsABadRootOrBucketName) {
  BucketServerOptions options;
  options.root = (root_.path() / "no-such-folder").string();
  try {
    BucketServer server(options);
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kUsage);
  }
  options.root = root_.path().string();
  options.bucket = "Bad Bucket";
  EXPECT_THROW(BucketServer server(options), Error);
}

}  // namespace
}  // namespace shoplake::simulate
