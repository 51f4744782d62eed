// AWS Signature Version 4: canonical request, string to sign, signing key, Authorization.
#include "common/aws_sigv4.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <algorithm>

#include "common/clock.h"
#include "common/error.h"
#include "common/hash.h"
#include "common/names.h"
#include "common/uri.h"

namespace shoplake::aws {
namespace {

constexpr std::string_view kAlgorithm = "AWS4-HMAC-SHA256";

//! A header value as SigV4 signs it: trimmed, each run of spaces folded into one.
std::string CanonicalValue(std::string_view value) {
  std::string out;
  bool in_space = false;
  for (char c : value) {
    if (c == ' ' || c == '\t') {
      in_space = true;
      continue;
    }
    if (in_space && !out.empty()) out += ' ';
    in_space = false;
    out += c;
  }
  return out;
}

//! Every header the request signs, names lower-cased, sorted by name.
std::vector<std::pair<std::string, std::string>> HeadersToSign(const SigningRequest& request,
                                                               std::string_view amz_date,
                                                               std::string_view session_token) {
  std::vector<std::pair<std::string, std::string>> headers;
  headers.emplace_back("host", request.host);
  headers.emplace_back("x-amz-date", std::string(amz_date));
  if (request.sign_content_sha256) {
    headers.emplace_back("x-amz-content-sha256", request.payload_sha256);
  }
  if (!session_token.empty()) headers.emplace_back("x-amz-security-token", session_token);
  for (const auto& [name, value] : request.headers) headers.emplace_back(Lower(name), value);
  std::stable_sort(headers.begin(), headers.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });
  return headers;
}

std::string DateOf(std::string_view amz_date) { return std::string(amz_date.substr(0, 8)); }

std::string Scope(std::string_view amz_date, std::string_view region, std::string_view service) {
  return DateOf(amz_date) + "/" + std::string(region) + "/" + std::string(service) +
         "/aws4_request";
}

}  // namespace

std::string UriEncode(std::string_view text, bool keep_slash) {
  // AWS's unreserved set is RFC 3986's, which PercentEncode keeps; paths keep their '/'.
  if (!keep_slash) return PercentEncode(text);
  std::string out;
  size_t start = 0;
  for (size_t slash; (slash = text.find('/', start)) != std::string_view::npos; start = slash + 1) {
    out += PercentEncode(text.substr(start, slash - start)) + "/";
  }
  return out + PercentEncode(text.substr(start));
}

std::string EncodedPath(std::string_view path) {
  return path.empty() ? std::string("/") : UriEncode(path, true);
}

std::string EncodedQuery(const std::vector<std::pair<std::string, std::string>>& query) {
  std::vector<std::pair<std::string, std::string>> encoded;
  encoded.reserve(query.size());
  for (const auto& [name, value] : query) {
    encoded.emplace_back(UriEncode(name, false), UriEncode(value, false));
  }
  std::sort(encoded.begin(), encoded.end());
  std::string out;
  for (const auto& [name, value] : encoded) {
    if (!out.empty()) out += '&';
    out += name + "=" + value;
  }
  return out;
}

std::string SignedHeaderNames(const SigningRequest& request, std::string_view session_token) {
  std::string names;
  for (const auto& [name, value] : HeadersToSign(request, "", session_token)) {
    if (!names.empty()) names += ';';
    names += name;
  }
  return names;
}

std::string CanonicalRequest(const SigningRequest& request, std::string_view amz_date,
                             std::string_view session_token) {
  std::string canonical =
      request.method + "\n" + EncodedPath(request.path) + "\n" + EncodedQuery(request.query) + "\n";
  for (const auto& [name, value] : HeadersToSign(request, amz_date, session_token)) {
    canonical += name + ":" + CanonicalValue(value) + "\n";
  }
  canonical += "\n" + SignedHeaderNames(request, session_token) + "\n" + request.payload_sha256;
  return canonical;
}

std::string StringToSign(std::string_view canonical_request, std::string_view amz_date,
                         std::string_view region, std::string_view service) {
  return std::string(kAlgorithm) + "\n" + std::string(amz_date) + "\n" +
         Scope(amz_date, region, service) + "\n" + HexEncode(Sha256(canonical_request));
}

std::string HmacSha256(std::string_view key, std::string_view data) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  if (HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
           reinterpret_cast<const unsigned char*>(data.data()), data.size(), out,
           &size) == nullptr) {
    throw Error(ErrorCode::kInternal, "HMAC-SHA256 failed in OpenSSL");
  }
  return std::string(reinterpret_cast<const char*>(out), size);
}

std::string Signature(std::string_view secret_access_key, std::string_view string_to_sign,
                      std::string_view amz_date, std::string_view region,
                      std::string_view service) {
  std::string key = HmacSha256("AWS4" + std::string(secret_access_key), DateOf(amz_date));
  key = HmacSha256(key, region);
  key = HmacSha256(key, service);
  key = HmacSha256(key, "aws4_request");
  return HexEncode(HmacSha256(key, string_to_sign));
}

std::string Authorization(const SigningRequest& request, const Credentials& credentials,
                          std::string_view region, std::string_view service,
                          std::string_view amz_date) {
  const std::string canonical = CanonicalRequest(request, amz_date, credentials.session_token);
  const std::string signature =
      Signature(credentials.secret_access_key, StringToSign(canonical, amz_date, region, service),
                amz_date, region, service);
  return std::string(kAlgorithm) + " Credential=" + credentials.access_key_id + "/" +
         Scope(amz_date, region, service) +
         ", SignedHeaders=" + SignedHeaderNames(request, credentials.session_token) +
         ", Signature=" + signature;
}

std::vector<std::string> SignRequest(const SigningRequest& request, const Credentials& credentials,
                                     std::string_view region, std::string_view service,
                                     std::chrono::system_clock::time_point when) {
  const std::string amz_date = ToAmzDate(when);
  std::vector<std::string> lines;
  lines.push_back("x-amz-date: " + amz_date);
  if (request.sign_content_sha256) {
    lines.push_back("x-amz-content-sha256: " + request.payload_sha256);
  }
  if (!credentials.session_token.empty()) {
    lines.push_back("x-amz-security-token: " + credentials.session_token);
  }
  lines.push_back("Authorization: " +
                  Authorization(request, credentials, region, service, amz_date));
  return lines;
}

}  // namespace shoplake::aws
