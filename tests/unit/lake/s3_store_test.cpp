// What only the S3 store has, on a real s3rver: paging through listings, multipart uploads
// that appear only when completed, aborted uploads that leave nothing, ranged reads across
// the reader's chunks, errors that name bucket, key, status and S3's code, and awscli (an
// independent S3 client) reading back what the store wrote.
#include "lake/s3_store.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <mutex>
#include <thread>
#include <utility>

#include "common/clock.h"
#include "common/error.h"
#include "common/files.h"
#include "common/hash.h"
#include "common/subprocess.h"
#include "support/loopback_server.h"
#include "support/s3rver.h"

namespace shoplake::lake {
namespace {
using namespace std::chrono_literals;

std::string Pattern(size_t size, unsigned seed = 7) {
  std::string bytes(size, '\0');
  for (size_t i = 0; i < size; ++i) bytes[i] = static_cast<char>((i * 131 + i / 977 + seed) % 251);
  return bytes;
}

class S3StoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    SHOPLAKE_NEED_S3RVER();
    static int counter = 0;
    prefix_ = "s3test-" + std::to_string(::getpid()) + "-" + std::to_string(counter++);
    store_ = Open(prefix_);
  }
  std::unique_ptr<S3Store> Open(const std::string& prefix, S3StoreOptions options = {}) {
    options.part_size = kS3MinimumPartSize;
    options.client.retry.initial_delay = 10ms;
    return std::make_unique<S3Store>(testing::S3rverProcess::kBucket, prefix,
                                     testing::S3rverProcess::Shared().Config(), options);
  }
  Error ExpectError(const std::function<void()>& body) {
    try {
      body();
    } catch (const Error& e) {
      return e;
    }
    ADD_FAILURE() << "no error";
    return Error(ErrorCode::kInternal, "");
  }
  std::string prefix_;
  std::unique_ptr<S3Store> store_;
};

TEST_F(S3StoreTest, ListingsPageThroughContinuationTokens) {
  for (int i = 0; i < 23; ++i) {
    char key[32];
    std::snprintf(key, sizeof key, "raw/k%03d.csv", i);
    store_->WriteAll(key, std::to_string(i));
  }
  store_->WriteAll("zz/outside.csv", "not under raw/");
  S3StoreOptions small_pages;
  small_pages.client.list_page_size = 5;  // 23 keys: five pages
  auto paged = Open(prefix_, small_pages);
  auto objects = paged->List("raw/");
  ASSERT_EQ(objects.size(), 23u);
  for (int i = 0; i < 23; ++i) {
    char key[32];
    std::snprintf(key, sizeof key, "raw/k%03d.csv", i);
    EXPECT_EQ(objects[i].key, key);
    EXPECT_EQ(objects[i].size, std::to_string(i).size());
    EXPECT_GT(objects[i].modified_unix_ms, 1'600'000'000'000);
  }
  EXPECT_EQ(paged->List("").size(), 24u);
}

TEST_F(S3StoreTest, LargeObjectsGoUpInPartsAndAppearOnlyWhenComplete) {
  const std::string bytes = Pattern(2 * kS3MinimumPartSize + 123457);
  auto writer = store_->Create("processed/big.parquet");
  for (size_t at = 0; at < bytes.size(); at += 1000003) {
    writer->Append(std::string_view(bytes).substr(at, 1000003));
  }
  // Two parts are uploaded by now, and still nothing is visible.
  EXPECT_FALSE(store_->Stat("processed/big.parquet").has_value());
  EXPECT_TRUE(store_->List("").empty());
  writer->Publish();
  auto info = store_->Stat("processed/big.parquet");
  ASSERT_TRUE(info.has_value());
  EXPECT_EQ(info->size, bytes.size());
  EXPECT_TRUE(store_->ReadAll("processed/big.parquet") == bytes);
}

TEST_F(S3StoreTest, AnUnpublishedMultipartWriterLeavesNothingVisible) {
  store_->WriteAll("t/v.bin", "old");
  {
    auto writer = store_->Create("t/v.bin");
    writer->Append(Pattern(kS3MinimumPartSize + 10));  // one part uploaded
    writer->Append("more");
  }  // destroyed unpublished: the upload is aborted (s3rver cannot; it stays invisible)
  EXPECT_EQ(store_->ReadAll("t/v.bin"), "old");
  EXPECT_EQ(store_->List("").size(), 1u);
  EXPECT_EQ(store_->CleanStaging(), 0u);
}

TEST_F(S3StoreTest, RangedReadsCrossTheReadersChunks) {
  const std::string bytes = Pattern(19 << 20, 3);  // three 8 MiB chunks
  store_->WriteAll("r/big.bin", bytes);
  const uint64_t from = (8 << 20) - 5;
  EXPECT_TRUE(store_->ReadAll("r/big.bin", from, 9 << 20) == bytes.substr(from, 9 << 20));
  EXPECT_TRUE(store_->ReadAll("r/big.bin", 17 << 20) == bytes.substr(17 << 20));
  auto reader = store_->Open("r/big.bin", 3, 4);
  char out[16];
  size_t n = reader->Read(out, sizeof out);
  EXPECT_EQ(std::string(out, n), bytes.substr(3, 4));
  EXPECT_EQ(reader->Read(out, sizeof out), 0u);
}

TEST_F(S3StoreTest, ErrorsNameBucketKeyStatusAndS3sCode) {
  S3Store missing_bucket("no-such-bucket", "lake", testing::S3rverProcess::Shared().Config());
  Error no_bucket = ExpectError([&] { missing_bucket.List(""); });
  EXPECT_EQ(no_bucket.code(), ErrorCode::kNotFound);
  EXPECT_EQ(no_bucket.input(), "s3://no-such-bucket");
  EXPECT_NE(no_bucket.message().find("HTTP 404 NoSuchBucket"), std::string::npos)
      << no_bucket.message();
  EXPECT_NE(no_bucket.hint().find("aws s3 mb s3://no-such-bucket"), std::string::npos);

  aws::AwsConfig wrong = testing::S3rverProcess::Shared().Config();
  wrong.credentials.access_key_id = "NOT-A-KEY";
  wrong.credentials_source = "the environment (AWS_ACCESS_KEY_ID)";
  S3Store refused(testing::S3rverProcess::kBucket, prefix_, wrong);
  Error denied = ExpectError([&] { refused.WriteAll("a/b.csv", "x"); });
  EXPECT_EQ(denied.code(), ErrorCode::kUsage);
  EXPECT_EQ(denied.input(), "s3://shoplake-test/" + prefix_ + "/a/b.csv");
  EXPECT_NE(denied.message().find("HTTP 403 InvalidAccessKeyId"), std::string::npos)
      << denied.message();
  EXPECT_NE(denied.message().find("(PUT)"), std::string::npos) << denied.message();
  EXPECT_NE(denied.hint().find("the environment (AWS_ACCESS_KEY_ID)"), std::string::npos)
      << denied.hint();

  Error missing = ExpectError([&] { store_->Open("no/such.csv", 0, std::nullopt); });
  EXPECT_EQ(missing.code(), ErrorCode::kNotFound);
  EXPECT_EQ(missing.input(), "no/such.csv");
  EXPECT_NE(missing.hint().find("s3://shoplake-test/" + prefix_), std::string::npos);

  S3StoreOptions tiny_parts;
  tiny_parts.part_size = 1 << 20;  // under S3's 5 MiB
  Error too_small = ExpectError([&] {
    S3Store store(testing::S3rverProcess::kBucket, prefix_,
                  testing::S3rverProcess::Shared().Config(), tiny_parts);
  });
  EXPECT_EQ(too_small.code(), ErrorCode::kUsage);
  EXPECT_EQ(too_small.input(), "s3://shoplake-test/" + prefix_);
}

TEST_F(S3StoreTest, KeysLiveUnderThePrefixAndLocksUnderLocks) {
  store_->WriteAll("raw/a b+c=d.csv", "odd characters");
  auto objects = store_->client().List(prefix_ + "/");
  ASSERT_EQ(objects.size(), 1u);
  EXPECT_EQ(objects[0].key, prefix_ + "/raw/a b+c=d.csv");
  EXPECT_EQ(store_->ReadAll("raw/a b+c=d.csv"), "odd characters");
  EXPECT_EQ(store_->uri(), "s3://shoplake-test/" + prefix_);
  EXPECT_EQ(store_->LocalPath("raw/a b+c=d.csv"), std::nullopt);
  {
    auto lock = store_->Acquire("catalog", 0ms);
    auto note = store_->client().Head(prefix_ + "/_locks/catalog.lock");
    ASSERT_TRUE(note.has_value());
    EXPECT_EQ(store_->List("").size(), 1u);  // the lock is not an object of the lake
  }
  EXPECT_FALSE(store_->client().Head(prefix_ + "/_locks/catalog.lock").has_value());
}

std::string ReadObject(S3Client& client, const std::string& key) {
  std::string text;
  HttpSink sink = [&](std::string_view bytes) { text.append(bytes); };
  client.Get(key, 0, std::nullopt, sink);
  return text;
}

// The "expires" line of a lock's note: when its lease ends (Unix ms).
int64_t LeaseEnd(const std::string& note) {
  size_t at = note.find("\nexpires ");
  return at == std::string::npos ? 0 : std::stoll(note.substr(at + 9));
}

// The lock note at `key` once it is whole. s3rver writes an object's file in place, so a GET
// racing a renewal's PUT can read it half written (S3 itself never serves a partial PUT);
// read again, a bounded number of times, until the note ends with its lease.
std::string ReadWholeNote(S3Client& client, const std::string& key) {
  std::string note;
  for (int i = 0; i < 50; ++i) {
    note = ReadObject(client, key);
    if (LeaseEnd(note) != 0 && note.ends_with("\n")) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  return note;
}

// A holder renews its lock's lease while it holds it: three leases later the lock is still
// its own, and another store cannot take it until it is released.
TEST_F(S3StoreTest, AHoldersLeaseIsRenewedWhileItHoldsTheLock) {
  // Leases long enough that a loaded machine (the sanitizer build) renews well in time
  // (every 50 ms), short enough that the test waits a third of a second, not three.
  S3StoreOptions options;
  options.lock_lease = 200ms;
  options.lock_poll = 20ms;
  auto store = Open(prefix_, options);
  auto other = Open(prefix_, options);
  const std::string key = prefix_ + "/_locks/catalog.lock";
  {
    auto lock = store->Acquire("catalog", 0ms);
    int64_t first_end = LeaseEnd(ReadWholeNote(store->client(), key));
    EXPECT_GT(first_end, UnixMsNow());
    // Past the first lease and the half lease after it, when an unrenewed lock may be taken
    // over: still held only if renewed. Bounded: 10 s.
    for (int i = 0; i < 1000 && UnixMsNow() <= first_end + 100; ++i) {
      std::this_thread::sleep_for(10ms);
    }
    std::string note = ReadWholeNote(store->client(), key);
    EXPECT_GT(LeaseEnd(note), first_end) << note;
    EXPECT_GT(LeaseEnd(note), UnixMsNow()) << note;
    Error held = ExpectError([&] { other->Acquire("catalog", 100ms); });
    EXPECT_EQ(held.code(), ErrorCode::kConflict);
    EXPECT_NE(held.message().find("is held by pid " + std::to_string(::getpid())),
              std::string::npos)
        << held.message();
    EXPECT_NE(held.hint().find("taken over half a lease after its lease ran out"),
              std::string::npos)
        << held.hint();
  }
  EXPECT_FALSE(store->client().Head(key).has_value()) << "released";
  EXPECT_NO_THROW(other->Acquire("catalog", 0ms));
}

// A holder killed while it held a lock leaves the object; once its lease has run out (and
// half a lease more, for clocks that differ) Acquire takes it over. Before that, and for a
// note with no lease at all (an older shoplake's), it waits and says who holds it.
TEST_F(S3StoreTest, ALockWhoseLeaseRanOutIsTakenOver) {
  S3StoreOptions options;
  options.lock_lease = 4000ms;  // taken over 2 s after it ran out
  options.lock_poll = 20ms;
  auto store = Open(prefix_, options);
  const std::string dead =
      "pid 999999 on elsewhere (shoplake transform orders) since "
      "2026-11-27T00:00:00Z\ntoken dead\n";
  const std::string key = prefix_ + "/_locks/transform-shop.orders.lock";

  store->client().Put(key, dead + "expires " + std::to_string(UnixMsNow() - 5000) + "\n");
  {
    auto lock = store->Acquire("transform-shop.orders", 2s);
    std::string note = ReadObject(store->client(), key);
    EXPECT_EQ(note.rfind("pid " + std::to_string(::getpid()) + " on ", 0), 0u) << note;
    EXPECT_EQ(note.find("token dead"), std::string::npos) << note;
  }
  EXPECT_FALSE(store->client().Head(key).has_value()) << "the taken-over lock is released";

  // Ran out 100 ms ago: within the half lease of grace.
  store->client().Put(key, dead + "expires " + std::to_string(UnixMsNow() - 100) + "\n");
  Error recent = ExpectError([&] { store->Acquire("transform-shop.orders", 0ms); });
  EXPECT_EQ(recent.code(), ErrorCode::kConflict);
  EXPECT_NE(recent.message().find("is held by pid 999999 on elsewhere"), std::string::npos)
      << recent.message();

  // No lease: never taken over; the hint says how to remove it.
  store->client().Put(key, dead);
  Error legacy = ExpectError([&] { store->Acquire("transform-shop.orders", 50ms); });
  EXPECT_EQ(legacy.code(), ErrorCode::kConflict);
  EXPECT_NE(legacy.hint().find("aws s3 rm s3://shoplake-test/" + key), std::string::npos)
      << legacy.hint();
  EXPECT_EQ(ReadObject(store->client(), key), dead) << "the lease-less note is left alone";
}

// awscli, an independent S3 client, reads back byte for byte what the store wrote: a single
// PUT and a multipart upload.
TEST_F(S3StoreTest, AwsCliReadsBackWhatTheStoreWrote) {
  ASSERT_EQ(::access("/usr/bin/aws", X_OK), 0)
      << "awscli is missing (scripts/bootstrap installs it)";
  const std::string small = "order_id,qty\n1,2\n";
  const std::string large = Pattern(kS3MinimumPartSize + 4321, 11);
  store_->WriteAll("raw/shop/small.csv", small);
  store_->WriteAll("raw/shop/large.bin", large);
  testing::TempFolder out("shoplake-awscli");
  const std::string environment =
      "AWS_ACCESS_KEY_ID=S3RVER AWS_SECRET_ACCESS_KEY=S3RVER AWS_DEFAULT_REGION=us-east-1 "
      "AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null ";
  for (const char* name : {"small.csv", "large.bin"}) {
    const std::string command = environment + "/usr/bin/aws --endpoint-url " +
                                testing::S3rverProcess::Shared().endpoint() + " s3 cp s3://" +
                                testing::S3rverProcess::kBucket + "/" + prefix_ + "/raw/shop/" +
                                name + " " + (out.path() / name).string() + " 2>&1";
    CommandOutcome outcome = RunShellCommand(command, "", 120s);
    ASSERT_EQ(outcome.exit_code, 0) << command << "\n" << outcome.output;
  }
  EXPECT_EQ(HexEncode(Sha256(ReadFile(out.path() / "small.csv"))), HexEncode(Sha256(small)));
  EXPECT_EQ(HexEncode(Sha256(ReadFile(out.path() / "large.bin"))), HexEncode(Sha256(large)));
}

// --- against a scripted endpoint: retries, signing of payloads, region errors ----------

aws::AwsConfig LoopbackConfig(const testing::LoopbackServer& server) {
  aws::AwsConfig config;
  config.credentials = {"AKIDEXAMPLE", "secret", "session"};
  config.credentials_source = "the test";
  config.region = "us-east-1";
  config.region_source = "the test";
  config.endpoint = server.url("");
  return config;
}

constexpr const char* kListing =
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?><ListBucketResult>"
    "<Contents><Key>p/a.csv</Key><Size>3</Size><ETag>&quot;abc&quot;</ETag>"
    "<LastModified>2026-11-27T09:21:46.250Z</LastModified></Contents>"
    "<IsTruncated>false</IsTruncated></ListBucketResult>";

TEST(S3ClientRequests, TransientAnswersAreRetriedSignedAfreshThenSucceed) {
  testing::LoopbackServer server;
  std::atomic<int> requests{0};
  std::vector<std::string> authorizations;
  std::mutex mutex;
  server.server().Get("/bucket", [&](const httplib::Request& req, httplib::Response& res) {
    std::lock_guard lock(mutex);
    authorizations.push_back(req.get_header_value("Authorization"));
    EXPECT_EQ(req.get_header_value("x-amz-security-token"), "session");
    EXPECT_EQ(req.get_param_value("list-type"), "2");
    EXPECT_EQ(req.get_param_value("prefix"), "p/");
    if (++requests <= 2) {
      res.status = 503;
      res.set_content(
          "<Error><Code>SlowDown</Code><Message>Please reduce your request rate."
          "</Message></Error>",
          "application/xml");
      return;
    }
    res.set_content(kListing, "application/xml");
  });
  S3ClientOptions options;
  options.retry.initial_delay = 1ms;
  S3Client client("bucket", LoopbackConfig(server), options);
  auto objects = client.List("p/");
  ASSERT_EQ(objects.size(), 1u);
  EXPECT_EQ(objects[0].key, "p/a.csv");
  EXPECT_EQ(objects[0].size, 3u);
  EXPECT_EQ(objects[0].etag, "abc");
  EXPECT_EQ(objects[0].modified_unix_ms, 1795771306250);
  EXPECT_EQ(requests.load(), 3);
  for (const auto& authorization : authorizations) {
    EXPECT_TRUE(authorization.starts_with("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/"))
        << authorization;
    EXPECT_NE(authorization.find("SignedHeaders=host;x-amz-content-sha256;x-amz-date;"
                                 "x-amz-security-token, Signature="),
              std::string::npos)
        << authorization;
  }
}

TEST(S3ClientRequests, RetriesAreBoundedAndTheErrorSaysWhatS3Said) {
  testing::LoopbackServer server;
  std::atomic<int> requests{0};
  server.server().Get("/bucket", [&](const httplib::Request&, httplib::Response& res) {
    ++requests;
    res.status = 503;
    res.set_content(
        "<Error><Code>SlowDown</Code><Message>Please reduce your request rate."
        "</Message></Error>",
        "application/xml");
  });
  server.server().Get("/bucket/elsewhere", [&](const httplib::Request&, httplib::Response& res) {
    res.status = 301;
    res.set_header("x-amz-bucket-region", "eu-west-1");
    res.set_content(
        "<Error><Code>PermanentRedirect</Code><Message>The bucket you are "
        "attempting to access must be addressed using the specified endpoint."
        "</Message></Error>",
        "application/xml");
  });
  S3ClientOptions options;
  options.retry.max_attempts = 3;
  options.retry.initial_delay = 1ms;
  S3Client client("bucket", LoopbackConfig(server), options);
  try {
    client.List("p/");
    FAIL() << "a listing that always fails succeeded";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kNetwork);
    EXPECT_EQ(e.input(), "s3://bucket/p/");
    EXPECT_NE(e.message().find("HTTP 503 SlowDown: Please reduce your request rate. (GET)"),
              std::string::npos)
        << e.message();
  }
  EXPECT_EQ(requests.load(), 3);
  try {
    std::string bytes;
    client.Get("elsewhere", 0, std::nullopt, [&](std::string_view b) { bytes.append(b); });
    FAIL() << "a redirect was taken for data";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kUsage);
    EXPECT_NE(e.message().find("PermanentRedirect"), std::string::npos) << e.message();
    EXPECT_NE(e.hint().find("set AWS_REGION=eu-west-1"), std::string::npos) << e.hint();
  }
}

// Every payload is hashed and signed: what the endpoint receives hashes to the
// x-amz-content-sha256 it was signed with, for a single PUT and for each part.
TEST(S3ClientRequests, PayloadsAreHashedAndSignedPartByPart) {
  testing::LoopbackServer server;
  std::vector<std::string> bodies;
  std::mutex mutex;
  auto check = [&](const httplib::Request& req, httplib::Response& res) {
    std::lock_guard lock(mutex);
    EXPECT_EQ(req.get_header_value("x-amz-content-sha256"), HexEncode(Sha256(req.body)));
    EXPECT_EQ(req.get_header_value("Content-MD5"), Base64Encode(Md5(req.body)));
    EXPECT_EQ(req.get_header_value("Expect"), "");
    bodies.push_back(req.body);
    res.set_header("ETag", "\"" + HexEncode(Md5(req.body)) + "\"");
  };
  server.server().Put("/bucket/lake/raw/a b.csv", check);
  server.server().Put("/bucket/lake/big.bin", check);
  server.server().Post("/bucket/lake/big.bin", [&](const httplib::Request& req,
                                                   httplib::Response& res) {
    if (req.has_param("uploads")) {
      res.set_content(
          "<InitiateMultipartUploadResult><UploadId>up-1</UploadId>"
          "</InitiateMultipartUploadResult>",
          "application/xml");
      return;
    }
    EXPECT_EQ(req.get_param_value("uploadId"), "up-1");
    EXPECT_EQ(req.get_header_value("x-amz-content-sha256"), HexEncode(Sha256(req.body)));
    EXPECT_NE(req.body.find("<PartNumber>2</PartNumber><ETag>\""), std::string::npos) << req.body;
    res.set_content(
        "<CompleteMultipartUploadResult><ETag>x-2</ETag>"
        "</CompleteMultipartUploadResult>",
        "application/xml");
  });
  S3StoreOptions options;
  options.part_size = kS3MinimumPartSize;
  S3Store store("bucket", "lake", LoopbackConfig(server), options);
  store.WriteAll("raw/a b.csv", "a,b\n1,2\n");
  auto writer = store.Create("big.bin");
  writer->Append(Pattern(kS3MinimumPartSize));  // a whole part: uploaded now
  writer->Append("the tail");
  writer->Publish();  // the last part, then CompleteMultipartUpload
  ASSERT_EQ(bodies.size(), 3u);
  EXPECT_EQ(bodies[0], "a,b\n1,2\n");
  EXPECT_EQ(bodies[1], Pattern(kS3MinimumPartSize));
  EXPECT_EQ(bodies[2], "the tail");
}

// A GET that breaks off midway: a buffered range (the store's reader) is fetched again
// whole; a streamed one (ingest's source) stops with kNetwork, as the caller resumes it.
TEST(S3ClientRequests, BrokenTransfersRetryWhenBufferedAndStopWhenStreamed) {
  testing::LoopbackServer server;
  std::atomic<int> requests{0};
  server.server().Get("/bucket/k", [&](const httplib::Request&, httplib::Response& res) {
    bool cut = ++requests % 2 == 1;  // every other answer breaks off after 3 bytes
    res.set_content_provider(6, "application/octet-stream",
                             [cut](size_t offset, size_t, httplib::DataSink& sink) {
                               if (offset > 0 && cut) return false;
                               sink.write(offset == 0 ? "abc" : "def", 3);
                               return true;
                             });
  });
  S3ClientOptions options;
  options.retry.initial_delay = 1ms;
  S3Client client("bucket", LoopbackConfig(server), options);
  EXPECT_EQ(client.GetRange("k", 0, 6), "abcdef");
  EXPECT_EQ(requests.load(), 2);

  std::string streamed;
  try {
    client.Get("k", 0, std::nullopt, [&](std::string_view bytes) { streamed.append(bytes); });
    FAIL() << "a transfer that broke off succeeded";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kNetwork) << e.what();
    EXPECT_EQ(e.input(), "s3://bucket/k");
  }
  EXPECT_EQ(streamed, "abc");  // what arrived stays given; the caller resumes from byte 3
  EXPECT_EQ(requests.load(), 3);
}

// CleanStaging aborts the lake's incomplete uploads that are older than the stale age, and
// spares younger ones: a live writer's upload is young.
TEST(S3ClientRequests, CleanStagingAbortsOnlyStaleUploadsUnderTheLake) {
  testing::LoopbackServer server;
  std::vector<std::string> aborted;
  std::mutex mutex;
  const std::string now = ToIso(std::chrono::system_clock::now());
  const std::string old = ToIso(std::chrono::system_clock::now() - std::chrono::hours(48));
  server.server().Get("/bucket", [&](const httplib::Request& req, httplib::Response& res) {
    EXPECT_TRUE(req.has_param("uploads"));
    EXPECT_EQ(req.get_param_value("prefix"), "lake/");
    res.set_content(
        "<ListMultipartUploadsResult>"
        "<Upload><Key>lake/raw/crashed.csv</Key><UploadId>stale-1</UploadId>"
        "<Initiated>" +
            old +
            "</Initiated></Upload>"
            "<Upload><Key>lake/raw/writing.csv</Key><UploadId>live-2</UploadId>"
            "<Initiated>" +
            now +
            "</Initiated></Upload>"
            "<IsTruncated>false</IsTruncated></ListMultipartUploadsResult>",
        "application/xml");
  });
  server.server().Delete(R"(/bucket/lake/raw/(.+))",
                         [&](const httplib::Request& req, httplib::Response& res) {
                           std::lock_guard lock(mutex);
                           aborted.push_back(req.path + "?" + req.get_param_value("uploadId"));
                           res.status = 204;
                         });
  S3Store store("bucket", "lake", LoopbackConfig(server));
  EXPECT_EQ(store.CleanStaging(), 1u);
  EXPECT_EQ(aborted, std::vector<std::string>{"/bucket/lake/raw/crashed.csv?stale-1"});
}

// One lock object behind an endpoint that honours If-None-Match and If-Match as S3 does
// (s3rver ignores both): the lock's writes as AWS would judge them. A lock is created only
// where there is none, renewed only while it is still the holder's version, and taken over
// only from the very version whose lease ran out: a note replaced in between wins.
TEST(S3ClientRequests, LockWritesAreConditionalAsS3JudgesThem) {
  testing::LoopbackServer server;
  std::mutex mutex;
  std::optional<std::string> body;
  std::string etag;
  int version = 0;
  std::vector<std::string> puts;              // each PUT's condition
  std::optional<std::string> replace_before;  // a note another writer puts just before ours
  auto store_note = [&](std::string text) {
    body = std::move(text);
    etag = "v" + std::to_string(++version);
  };
  const std::string path = R"(/bucket/lake/_locks/catalog\.lock)";
  server.server().Get(path, [&](const httplib::Request& req, httplib::Response& res) {
    std::lock_guard lock(mutex);
    if (!body) {
      res.status = 404;
      return;
    }
    if (req.has_header("If-Match") && req.get_header_value("If-Match") != "\"" + etag + "\"") {
      res.status = 412;
      return;
    }
    res.set_header("ETag", "\"" + etag + "\"");
    res.set_header("Last-Modified", "Fri, 27 Nov 2026 12:00:00 GMT");
    res.set_content(*body, "application/octet-stream");
  });
  server.server().Put(path, [&](const httplib::Request& req, httplib::Response& res) {
    std::lock_guard lock(mutex);
    if (replace_before) store_note(*std::exchange(replace_before, std::nullopt));
    if (req.has_header("If-None-Match")) {
      puts.push_back("If-None-Match " + req.get_header_value("If-None-Match"));
      if (body) {
        res.status = 412;
        return;
      }
    } else if (req.has_header("If-Match")) {
      puts.push_back("If-Match " + req.get_header_value("If-Match"));
      if (!body || req.get_header_value("If-Match") != "\"" + etag + "\"") {
        res.status = 412;
        return;
      }
    } else {
      puts.push_back("unconditional");
    }
    store_note(req.body);
    res.set_header("ETag", "\"" + etag + "\"");
  });
  server.server().Delete(path, [&](const httplib::Request&, httplib::Response& res) {
    std::lock_guard lock(mutex);
    body.reset();
    res.status = 204;
  });
  S3StoreOptions options;
  options.lock_lease = 200ms;
  options.lock_poll = 20ms;
  S3Store store("bucket", "lake", LoopbackConfig(server), options);
  auto held_puts = [&] {
    std::lock_guard lock(mutex);
    return puts;
  };

  {
    auto lock = store.Acquire("catalog", 0ms);
    for (int i = 0; i < 1000 && held_puts().size() < 2; ++i) {  // renewed once; bounded: 10 s
      std::this_thread::sleep_for(10ms);
    }
  }
  auto first = held_puts();
  ASSERT_GE(first.size(), 2u);
  EXPECT_EQ(first[0], "If-None-Match *");
  EXPECT_EQ(first[1], "If-Match \"v1\"") << "a renewal names the version the holder wrote";
  EXPECT_FALSE(body.has_value()) << "released";

  const std::string dead = "pid 999999 on elsewhere (x) since 2026-11-27T00:00:00Z\ntoken dead\n";
  auto stale = [&] { return dead + "expires " + std::to_string(UnixMsNow() - 5000) + "\n"; };
  {
    std::lock_guard lock(mutex);
    store_note(stale());
    puts.clear();
  }
  std::string stale_version = "v" + std::to_string(version);
  {
    auto lock = store.Acquire("catalog", 0ms);
    EXPECT_EQ(held_puts().at(0), "If-Match \"" + stale_version + "\"")
        << "taken over from the version whose lease ran out";
  }

  // Another process takes the lock over first (its note replaces the stale one just before
  // our write): ours is refused, and the lock is theirs.
  const std::string theirs =
      "pid 4242 on other (y) since 2026-11-27T00:00:00Z\ntoken live\nexpires " +
      std::to_string(UnixMsNow() + 60000) + "\n";
  {
    std::lock_guard lock(mutex);
    store_note(stale());
    replace_before = theirs;
  }
  Error lost = [&] {
    try {
      store.Acquire("catalog", 0ms);
    } catch (const Error& e) {
      return e;
    }
    ADD_FAILURE() << "took over a lock another process had just taken";
    return Error(ErrorCode::kInternal, "");
  }();
  EXPECT_EQ(lost.code(), ErrorCode::kConflict);
  EXPECT_NE(lost.message().find("held by pid 4242 on other"), std::string::npos) << lost.message();
  std::lock_guard lock(mutex);
  EXPECT_EQ(body, theirs);
}

TEST(OpenStoreS3, OpensAnS3StoreWithTheEnvironmentsConfiguration) {
  const char* saved[] = {"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_ENDPOINT_URL"};
  std::vector<std::optional<std::string>> old;
  for (const char* name : saved) {
    const char* value = std::getenv(name);
    old.push_back(value ? std::optional<std::string>(value) : std::nullopt);
  }
  ::setenv("AWS_ACCESS_KEY_ID", "AKID", 1);
  ::setenv("AWS_SECRET_ACCESS_KEY", "secret", 1);
  ::setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:9/", 1);
  auto store = OpenStore("s3://bucket/lake/");
  EXPECT_EQ(store->uri(), "s3://bucket/lake");
  EXPECT_EQ(store->LocalPath("a/b"), std::nullopt);
  for (size_t i = 0; i < 3; ++i) {
    if (old[i]) {
      ::setenv(saved[i], old[i]->c_str(), 1);
    } else {
      ::unsetenv(saved[i]);
    }
  }
}

}  // namespace
}  // namespace shoplake::lake
