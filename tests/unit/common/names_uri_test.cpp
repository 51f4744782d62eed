// Name suggestions, URI parsing and the error type's exit-code mapping.
#include <gtest/gtest.h>

#include <filesystem>

#include "common/error.h"
#include "common/names.h"
#include "common/uri.h"

namespace shoplake {
namespace {

TEST(Names, SuggestsOnlyLikelyTypos) {
  EXPECT_EQ(EditDistance("kitten", "sitting"), 3u);
  std::vector<std::string> keys = {"sources", "datasets", "lake", "paths"};
  EXPECT_EQ(ClosestName("soruces", keys), "sources");
  EXPECT_EQ(ClosestName("lak", keys), "lake");
  EXPECT_EQ(ClosestName("warehouse", keys), std::nullopt);
  EXPECT_EQ(DidYouMean("dataset", keys), ", did you mean 'datasets'?");
  EXPECT_EQ(DidYouMean("zzz", keys), "");
}

struct UriCase {
  std::string text, scheme, authority, path;
};

TEST(Names, LinesEndAtEachNewlineAndAFinalOneAddsNoEmptyLine) {
  using V = std::vector<std::string_view>;
  EXPECT_EQ(Lines(""), V{});
  EXPECT_EQ(Lines("a"), V{"a"});
  EXPECT_EQ(Lines("a\n"), V{"a"});
  EXPECT_EQ(Lines("a\n\nb"), (V{"a", "", "b"}));
  EXPECT_EQ(Lines("\n"), V{""});
}

TEST(Uri, ParsesEverySupportedForm) {
  auto cwd = std::filesystem::current_path().string();
  std::vector<UriCase> cases = {
      {"gs://shop-exports/orders/", "gs", "shop-exports", "orders/"},
      {"gs://shop-exports", "gs", "shop-exports", ""},
      {"s3://lake/prefix/x.csv", "s3", "lake", "prefix/x.csv"},
      {"https://example.test/a/b.csv", "https", "example.test", "a/b.csv"},
      {"http://127.0.0.1:8080/x", "http", "127.0.0.1:8080", "x"},
      {"file:///tmp/../tmp/lake", "file", "", "/tmp/lake"},
      {"/abs/lake", "file", "", "/abs/lake"},
      {"rel/lake", "file", "", cwd + "/rel/lake"},
  };
  for (const auto& c : cases) {
    auto uri = ParseUri(c.text);
    EXPECT_EQ(uri.scheme, c.scheme) << c.text;
    EXPECT_EQ(uri.authority, c.authority) << c.text;
    EXPECT_EQ(uri.path, c.path) << c.text;
  }
  EXPECT_EQ(ParseUri("gs://b/p").ToString(), "gs://b/p");
  EXPECT_EQ(ParseUri("/x/y").ToString(), "file:///x/y");
}

TEST(Uri, RefusesWhatItCannotServe) {
  for (const char* text : {"", "ftp://host/x", "gs://", "gs:///x", "file://relative"}) {
    try {
      ParseUri(text);
      ADD_FAILURE() << "accepted " << text;
    } catch (const Error& e) {
      EXPECT_EQ(e.code(), ErrorCode::kUsage) << text;
      EXPECT_FALSE(e.hint().empty()) << text;
    }
  }
}

TEST(Error, MapsCodesToExitCodesAndNamesTheInput) {
  Error usage(ErrorCode::kUsage, "bad flag", "--days", "use a number");
  EXPECT_EQ(usage.exit_code(), 2);
  EXPECT_STREQ(usage.what(), "--days: bad flag");
  EXPECT_EQ(Error(ErrorCode::kConfig, "x").exit_code(), 2);
  EXPECT_EQ(Error(ErrorCode::kIo, "x").exit_code(), 1);
  EXPECT_EQ(Error(ErrorCode::kData, "x").exit_code(), 1);
  EXPECT_STREQ(Error(ErrorCode::kData, "no input").what(), "no input");
  EXPECT_THROW(Check(false, "invariant"), Error);
}

TEST(Uri, PercentEncodingRoundTrips) {
  EXPECT_EQ(PercentEncode("orders/2026-01-01 v~1.csv"), "orders%2F2026-01-01%20v~1.csv");
  EXPECT_EQ(PercentDecode("orders%2F2026-01-01%20v~1.csv"), "orders/2026-01-01 v~1.csv");
  EXPECT_EQ(PercentDecode("bad%2"), std::nullopt);
  EXPECT_EQ(PercentDecode("bad%zz"), std::nullopt);
}

}  // namespace
}  // namespace shoplake
