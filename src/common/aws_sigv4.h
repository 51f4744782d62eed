// AWS Signature Version 4: the Authorization header every S3 request carries, built exactly
// as AWS specifies it (docs.aws.amazon.com/IAM/latest/UserGuide/create-signed-request.html):
//
//   canonical request = METHOD \n URI \n QUERY \n HEADERS \n SIGNED-HEADERS \n PAYLOAD-HASH
//   string to sign    = AWS4-HMAC-SHA256 \n DATE-TIME \n SCOPE \n hex(sha256(canonical request))
//   signing key       = HMAC(HMAC(HMAC(HMAC("AWS4" + secret, date), region), service),
//                            "aws4_request")
//
// The URI is the path as sent, each segment URI-encoded once (S3 does not double-encode);
// the query is sorted by encoded name then value, every name and value encoded, a bare name
// given "="; headers are lower-cased, trimmed, inner runs of spaces folded, sorted. Kept apart
// from HTTP so that it is checked against AWS's published examples byte for byte
// (tests/unit/common/aws_sigv4_test.cpp).
//
// Thread safety: free functions without shared state.
#pragma once

#include <chrono>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace shoplake::aws {

//! The SHA-256 of the empty payload, hex: what a GET, HEAD or DELETE signs.
inline constexpr std::string_view kEmptyPayloadSha256 =
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

//! An access key pair, and the session token that comes with temporary credentials (STS,
//! Lambda's execution role).
struct Credentials {
  std::string access_key_id;
  std::string secret_access_key;
  std::string session_token;  //!< empty for long-term keys
};

//! One request to sign, before encoding: the signer encodes path and query itself so that
//! what is signed and what is sent cannot differ (see EncodedPath and EncodedQuery).
struct SigningRequest {
  std::string method;  //!< "GET", "PUT", ...
  std::string host;    //!< the Host header: "bucket.s3.eu-west-1.amazonaws.com", "127.0.0.1:4569"
  std::string path;    //!< decoded, starting with '/': "/bucket/raw/a b.csv"
  std::vector<std::pair<std::string, std::string>> query;    //!< decoded names and values
  std::vector<std::pair<std::string, std::string>> headers;  //!< more headers to sign
  std::string payload_sha256;  //!< hex; kEmptyPayloadSha256 for no body
  //! S3 wants the payload hash in an x-amz-content-sha256 header, signed; other services
  //! (and AWS's generic test suite) do not.
  bool sign_content_sha256 = true;
};

//! AWS's UriEncode: every byte but A-Z a-z 0-9 - . _ ~ as %XY (upper-case hex), which is
//! PercentEncode (common/uri.h); '/' kept when `keep_slash`, for paths.
std::string UriEncode(std::string_view text, bool keep_slash);
//! The path as it goes on the wire and into the canonical request.
std::string EncodedPath(std::string_view path);
//! The query as it goes on the wire and into the canonical request: sorted, encoded, "n=v"
//! joined by '&' ("uploads=" for a bare name).
std::string EncodedQuery(const std::vector<std::pair<std::string, std::string>>& query);

//! The canonical request for `request` sent at `amz_date` with `session_token` (empty: none).
std::string CanonicalRequest(const SigningRequest& request, std::string_view amz_date,
                             std::string_view session_token = {});
//! "host;x-amz-content-sha256;x-amz-date": the names CanonicalRequest signs.
std::string SignedHeaderNames(const SigningRequest& request, std::string_view session_token = {});
//! The string to sign for a canonical request.
std::string StringToSign(std::string_view canonical_request, std::string_view amz_date,
                         std::string_view region, std::string_view service);
//! The hex signature of `string_to_sign`.
std::string Signature(std::string_view secret_access_key, std::string_view string_to_sign,
                      std::string_view amz_date, std::string_view region, std::string_view service);

//! Signs `request` at `when`: returns the header lines to send with it ("Name: value"):
//! x-amz-date, x-amz-content-sha256 (when signed), x-amz-security-token (with a session
//! token) and Authorization. The request's own `headers` are not repeated.
std::vector<std::string> SignRequest(const SigningRequest& request, const Credentials& credentials,
                                     std::string_view region, std::string_view service,
                                     std::chrono::system_clock::time_point when);

//! The Authorization header's value alone, for tests and logs.
std::string Authorization(const SigningRequest& request, const Credentials& credentials,
                          std::string_view region, std::string_view service,
                          std::string_view amz_date);

//! HMAC-SHA256 of `data` under `key`: raw 32 bytes.
std::string HmacSha256(std::string_view key, std::string_view data);

}  // namespace shoplake::aws
