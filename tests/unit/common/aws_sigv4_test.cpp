// SigV4 against AWS's published examples, byte for byte: "get-vanilla" of the SigV4 test
// suite (docs.aws.amazon.com/general/latest/gr/signature-v4-test-suite.html) and the four
// worked examples of the S3 API reference (sig-v4-header-based-auth.html: GET Object with
// Range, PUT Object, GET Bucket Lifecycle, GET Bucket / List Objects). Then the AWS
// configuration files and variables (common/aws_config.h).
#include "common/aws_sigv4.h"

#include <gtest/gtest.h>

#include <fstream>
#include <map>

#include "common/aws_config.h"
#include "common/error.h"
#include "common/hash.h"
#include "support/temp_folder.h"

namespace shoplake::aws {
namespace {

// The S3 reference's example keys (note "/bPxR"; the generic suite's has "+bPxR").
const Credentials kS3Example{"AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
                             ""};
constexpr const char* kS3Date = "20130524T000000Z";

std::string SignatureOf(const std::string& authorization) {
  return authorization.substr(authorization.find("Signature=") + 10);
}

TEST(SigV4, GetVanillaFromTheTestSuite) {
  SigningRequest request;
  request.method = "GET";
  request.host = "example.amazonaws.com";
  request.path = "/";
  request.payload_sha256 = std::string(kEmptyPayloadSha256);
  request.sign_content_sha256 = false;  // the generic suite signs no payload header
  const std::string date = "20150830T123600Z";
  const std::string canonical = CanonicalRequest(request, date);
  EXPECT_EQ(canonical,
            "GET\n/\n\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\n"
            "host;x-amz-date\n"
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(StringToSign(canonical, date, "us-east-1", "service"),
            "AWS4-HMAC-SHA256\n20150830T123600Z\n20150830/us-east-1/service/aws4_request\n"
            "bb579772317eb040ac9ed261061d46c1f17a8133879d6129b6e1c25292927e63");
  Credentials suite{"AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", ""};
  EXPECT_EQ(Authorization(request, suite, "us-east-1", "service", date),
            "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, "
            "SignedHeaders=host;x-amz-date, "
            "Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31");
}

TEST(SigV4, S3GetObjectWithRange) {
  SigningRequest request;
  request.method = "GET";
  request.host = "examplebucket.s3.amazonaws.com";
  request.path = "/test.txt";
  request.headers = {{"Range", "bytes=0-9"}};
  request.payload_sha256 = std::string(kEmptyPayloadSha256);
  const std::string canonical = CanonicalRequest(request, kS3Date);
  EXPECT_EQ(canonical,
            "GET\n/test.txt\n\nhost:examplebucket.s3.amazonaws.com\nrange:bytes=0-9\n"
            "x-amz-content-sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
            "\nx-amz-date:20130524T000000Z\n\nhost;range;x-amz-content-sha256;x-amz-date\n"
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(StringToSign(canonical, kS3Date, "us-east-1", "s3"),
            "AWS4-HMAC-SHA256\n20130524T000000Z\n20130524/us-east-1/s3/aws4_request\n"
            "7344ae5b7ee6c3e7e6b0fe0640412a37625d1fbfff95c48bbb2dc43964946972");
  EXPECT_EQ(Authorization(request, kS3Example, "us-east-1", "s3", kS3Date),
            "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/"
            "aws4_request, SignedHeaders=host;range;x-amz-content-sha256;x-amz-date, "
            "Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41");
}

TEST(SigV4, S3PutObjectEncodesThePathAndHashesThePayload) {
  const std::string payload = "Welcome to Amazon S3.";
  SigningRequest request;
  request.method = "PUT";
  request.host = "examplebucket.s3.amazonaws.com";
  request.path = "/test$file.text";
  request.headers = {{"Date", "Fri, 24 May 2013 00:00:00 GMT"},
                     {"x-amz-storage-class", "REDUCED_REDUNDANCY"}};
  request.payload_sha256 = HexEncode(Sha256(payload));
  EXPECT_EQ(request.payload_sha256,
            "44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072");
  const std::string canonical = CanonicalRequest(request, kS3Date);
  EXPECT_EQ(canonical.substr(0, canonical.find('\n', 4)), "PUT\n/test%24file.text");
  EXPECT_EQ(StringToSign(canonical, kS3Date, "us-east-1", "s3"),
            "AWS4-HMAC-SHA256\n20130524T000000Z\n20130524/us-east-1/s3/aws4_request\n"
            "9e0e90d9c76de8fa5b200d8c849cd5b8dc7a3be3951ddb7f6a76b4158342019d");
  std::string authorization = Authorization(request, kS3Example, "us-east-1", "s3", kS3Date);
  EXPECT_NE(authorization.find(
                "SignedHeaders=date;host;x-amz-content-sha256;x-amz-date;x-amz-storage-class,"),
            std::string::npos)
      << authorization;
  EXPECT_EQ(SignatureOf(authorization),
            "98ad721746da40c64f1a55b78f14c238d841ea1380cd77a1b5971af0ece108bd");
}

TEST(SigV4, S3GetBucketLifecycleSignsABareQueryName) {
  SigningRequest request;
  request.method = "GET";
  request.host = "examplebucket.s3.amazonaws.com";
  request.path = "/";
  request.query = {{"lifecycle", ""}};
  request.payload_sha256 = std::string(kEmptyPayloadSha256);
  EXPECT_EQ(CanonicalRequest(request, kS3Date).substr(0, 16), "GET\n/\nlifecycle=");
  EXPECT_EQ(SignatureOf(Authorization(request, kS3Example, "us-east-1", "s3", kS3Date)),
            "fea454ca298b7da1c68078a5d1bdbfbbe0d65c699e0f91ac7a200a0136783543");
}

TEST(SigV4, S3ListObjectsSortsTheQuery) {
  SigningRequest request;
  request.method = "GET";
  request.host = "examplebucket.s3.amazonaws.com";
  request.path = "/";
  request.query = {{"prefix", "J"}, {"max-keys", "2"}};  // unsorted on purpose
  request.payload_sha256 = std::string(kEmptyPayloadSha256);
  EXPECT_EQ(EncodedQuery(request.query), "max-keys=2&prefix=J");
  EXPECT_EQ(SignatureOf(Authorization(request, kS3Example, "us-east-1", "s3", kS3Date)),
            "34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7");
}

TEST(SigV4, EncodingFollowsAwsRules) {
  EXPECT_EQ(UriEncode("a-b_c.d~e", false), "a-b_c.d~e");
  EXPECT_EQ(UriEncode("a b+c=d/e*!'()", false), "a%20b%2Bc%3Dd%2Fe%2A%21%27%28%29");
  EXPECT_EQ(UriEncode("\xC3\xA9", false), "%C3%A9");  // UTF-8 bytes, upper-case hex
  EXPECT_EQ(EncodedPath("/bucket/raw/ingest_date=2026-01-01/a b.csv"),
            "/bucket/raw/ingest_date%3D2026-01-01/a%20b.csv");
  EXPECT_EQ(EncodedQuery({{"uploadId", "a/b+c=="}, {"partNumber", "2"}}),
            "partNumber=2&uploadId=a%2Fb%2Bc%3D%3D");
  EXPECT_EQ(EncodedQuery({{"uploads", ""}}), "uploads=");
}

TEST(SigV4, SessionTokensAreSentAndSigned) {
  SigningRequest request;
  request.method = "GET";
  request.host = "b.s3.eu-west-1.amazonaws.com";
  request.path = "/k";
  request.payload_sha256 = std::string(kEmptyPayloadSha256);
  Credentials lambda{"ASIAEXAMPLE", "secret", "token/with+chars"};
  auto when = std::chrono::system_clock::from_time_t(1369353600);  // 2013-05-24T00:00:00Z
  auto lines = SignRequest(request, lambda, "eu-west-1", "s3", when);
  ASSERT_EQ(lines.size(), 4u);
  EXPECT_EQ(lines[0], "x-amz-date: 20130524T000000Z");
  EXPECT_EQ(lines[1], "x-amz-content-sha256: " + std::string(kEmptyPayloadSha256));
  EXPECT_EQ(lines[2], "x-amz-security-token: token/with+chars");
  EXPECT_NE(lines[3].find("SignedHeaders=host;x-amz-content-sha256;x-amz-date;"
                          "x-amz-security-token, "),
            std::string::npos)
      << lines[3];
  // The token is part of what is signed: another token, another signature.
  Credentials other = lambda;
  other.session_token = "another";
  EXPECT_NE(SignatureOf(lines[3]),
            SignatureOf(Authorization(request, other, "eu-west-1", "s3", kS3Date)));
  EXPECT_EQ(SignatureOf(lines[3]),
            SignatureOf(Authorization(request, lambda, "eu-west-1", "s3", kS3Date)));
}

// --- AwsConfig -------------------------------------------------------------------------

class AwsConfigTest : public ::testing::Test {
 protected:
  EnvironmentLookup Environment() {
    return [this](const std::string& name) -> std::optional<std::string> {
      auto found = variables_.find(name);
      if (found == variables_.end()) return std::nullopt;
      return found->second;
    };
  }
  void Write(const std::string& name, const std::string& text) {
    std::filesystem::create_directories(home_.path() / ".aws");
    std::ofstream(home_.path() / ".aws" / name) << text;
  }
  Error ExpectError() {
    try {
      LoadAwsConfig(Environment());
    } catch (const Error& e) {
      return e;
    }
    ADD_FAILURE() << "LoadAwsConfig did not throw";
    return Error(ErrorCode::kInternal, "");
  }
  testing::TempFolder home_{"shoplake-aws-home"};
  std::map<std::string, std::string> variables_{{"HOME", home_.path().string()}};
};

TEST_F(AwsConfigTest, MissingCredentialsSayWhatToSet) {
  Error e = ExpectError();
  EXPECT_EQ(e.code(), ErrorCode::kUsage);
  EXPECT_EQ(e.message(), "no AWS credentials for profile 'default'");
  EXPECT_NE(e.input().find("AWS_ACCESS_KEY_ID"), std::string::npos) << e.input();
  EXPECT_NE(e.hint().find("set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY"), std::string::npos);
  EXPECT_NE(e.hint().find("~/.aws/credentials"), std::string::npos) << e.hint();
  EXPECT_EQ(e.exit_code(), 2);

  variables_["AWS_ACCESS_KEY_ID"] = "AKID";
  Error half = ExpectError();
  EXPECT_EQ(half.message(), "only AWS_ACCESS_KEY_ID is set; AWS credentials need both");
  EXPECT_EQ(half.input(), "AWS_SECRET_ACCESS_KEY");
}

TEST_F(AwsConfigTest, TheEnvironmentWinsAndCarriesLambdasSessionToken) {
  Write("credentials", "[default]\naws_access_key_id = FILEKEY\naws_secret_access_key = F\n");
  variables_["AWS_ACCESS_KEY_ID"] = "ASIAENV";
  variables_["AWS_SECRET_ACCESS_KEY"] = "envsecret";
  variables_["AWS_SESSION_TOKEN"] = "lambda-token";
  variables_["AWS_REGION"] = "eu-central-1";
  variables_["AWS_DEFAULT_REGION"] = "us-west-2";
  AwsConfig config = LoadAwsConfig(Environment());
  EXPECT_EQ(config.credentials.access_key_id, "ASIAENV");
  EXPECT_EQ(config.credentials.secret_access_key, "envsecret");
  EXPECT_EQ(config.credentials.session_token, "lambda-token");
  EXPECT_EQ(config.region, "eu-central-1");
  EXPECT_EQ(config.endpoint, "");
}

TEST_F(AwsConfigTest, ProfilesComeFromTheSharedFiles) {
  Write("credentials",
        "# written by aws configure\n"
        "[default]\n"
        "aws_access_key_id=DEFAULTKEY\n"
        "aws_secret_access_key=defaultsecret\n"
        "\n"
        "  ; a comment after blank space\n"
        "[ ci ]\n"
        "aws_access_key_id   =   CIKEY   \n"
        "aws_secret_access_key = ci/secret+with=signs\n"
        "aws_session_token = citoken\n");
  Write("config",
        "[default]\nregion = us-west-2\n"
        "[profile ci]\n"
        "region = eu-west-1\n"
        "endpoint_url = http://127.0.0.1:4569/\n"
        "s3 =\n"
        "  addressing_style = path\n");
  AwsConfig by_default = LoadAwsConfig(Environment());
  EXPECT_EQ(by_default.credentials.access_key_id, "DEFAULTKEY");
  EXPECT_EQ(by_default.region, "us-west-2");
  EXPECT_NE(by_default.credentials_source.find("[default]"), std::string::npos);

  variables_["AWS_PROFILE"] = "ci";
  AwsConfig ci = LoadAwsConfig(Environment());
  EXPECT_EQ(ci.credentials.access_key_id, "CIKEY");
  EXPECT_EQ(ci.credentials.secret_access_key, "ci/secret+with=signs");
  EXPECT_EQ(ci.credentials.session_token, "citoken");
  EXPECT_EQ(ci.region, "eu-west-1");
  EXPECT_EQ(ci.endpoint, "http://127.0.0.1:4569");
  // The variables still beat the profile.
  variables_["AWS_ENDPOINT_URL_S3"] = "http://localhost:9000";
  variables_["AWS_ENDPOINT_URL"] = "http://ignored:1";
  variables_["AWS_DEFAULT_REGION"] = "ap-south-1";
  AwsConfig overridden = LoadAwsConfig(Environment());
  EXPECT_EQ(overridden.endpoint, "http://localhost:9000");
  EXPECT_EQ(overridden.region, "ap-south-1");

  variables_["AWS_PROFILE"] = "nobody";
  EXPECT_EQ(ExpectError().message(), "no AWS credentials for profile 'nobody'");
}

TEST_F(AwsConfigTest, FilesNamedByVariablesAndConfigOnlyCredentials) {
  auto elsewhere = home_.path() / "elsewhere.ini";
  std::ofstream(elsewhere) << "[profile build]\naws_access_key_id = K\n"
                              "aws_secret_access_key = S\nregion = sa-east-1\n";
  variables_["AWS_CONFIG_FILE"] = elsewhere.string();
  variables_["AWS_PROFILE"] = "build";
  AwsConfig config = LoadAwsConfig(Environment());
  EXPECT_EQ(config.credentials.access_key_id, "K");
  EXPECT_EQ(config.region, "sa-east-1");
  EXPECT_EQ(config.credentials_source, elsewhere.string() + " [profile build]");
}

TEST_F(AwsConfigTest, MalformedFilesNameTheLine) {
  Write("credentials", "[default]\naws_access_key_id = K\nthis line is wrong\n");
  Error e = ExpectError();
  EXPECT_EQ(e.code(), ErrorCode::kConfig);
  EXPECT_EQ(e.input(), (home_.path() / ".aws" / "credentials").string() + ":3");
  EXPECT_THROW(ParseAwsIni("[a\n", "f"), Error);
  EXPECT_THROW(ParseAwsIni("key = before any section\n", "f"), Error);
}

}  // namespace
}  // namespace shoplake::aws
