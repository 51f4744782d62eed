// GcsSource: gs://bucket[/prefix] through the GCS JSON API, the way the Google Cloud SDKs
// call it, so it works against Google Storage and against any emulator named by the
// standard STORAGE_EMULATOR_HOST variable (shoplake's own bucket server included).
//
// Listing: GET {endpoint}/storage/v1/b/{bucket}/o?prefix=P, following nextPageToken.
// Reading: GET {endpoint}/download/storage/v1/b/{bucket}/o/{name}?alt=media&generation=G,
// with "Range: bytes=N-" to resume. Pinning the generation listed means a resumed read
// never splices two versions of an object: a replaced object answers 404 instead.
#include <algorithm>
#include <cstdlib>
#include <nlohmann/json.hpp>
#include <set>

#include "common/environment.h"
#include "common/error.h"
#include "common/http_client.h"
#include "common/numbers.h"
#include "common/uri.h"
#include "ingest/source.h"

namespace shoplake::ingest {
namespace {

using nlohmann::json;

constexpr const char* kGoogleEndpoint = "https://storage.googleapis.com";
constexpr const char* kCredentialHint = "set GOOGLE_OAUTH_ACCESS_TOKEN or STORAGE_EMULATOR_HOST";

//! STORAGE_EMULATOR_HOST as the SDKs accept it: "host:port" or "http://host:port".
std::string EmulatorEndpoint(std::string value) {
  while (!value.empty() && (value.back() == '/' || value.back() == ' ')) value.pop_back();
  if (value.find("://") == std::string::npos) value = "http://" + value;
  return value;
}

uint64_t ParseUint(const json& value, const std::string& field, const std::string& object) {
  // GCS sends 64-bit values as strings; accept numbers too, as some emulators send them.
  if (value.is_number_unsigned()) return value.get<uint64_t>();
  if (value.is_string()) {
    if (auto number = ParseUnsigned(value.get_ref<const std::string&>())) return *number;
  }
  throw Error(ErrorCode::kData, "the listing states an invalid " + field + ": " + value.dump(),
              object, "the server is not speaking the GCS JSON API as expected");
}

[[noreturn]] void InvalidChecksum(const std::string& field, const json& value,
                                  const std::string& object) {
  throw Error(ErrorCode::kData, "the listing states an invalid " + field + ": " + value.dump(),
              object, "the server is not speaking the GCS JSON API as expected");
}

std::string Text(const json& value) {
  if (value.is_string()) return value.get<std::string>();
  return value.dump();
}

class GcsSource final : public Source {
 public:
  GcsSource(const Uri& uri, const SourceOptions& options)
      : bucket_(uri.authority),
        prefix_(uri.path),
        http_(HttpClientOptions{options.connect_timeout, options.stall_timeout}) {
    if (auto emulator = EnvironmentVariable("STORAGE_EMULATOR_HOST")) {
      endpoint_ = EmulatorEndpoint(*emulator);
      emulator_ = *emulator;
    } else {
      endpoint_ = kGoogleEndpoint;
    }
    if (auto token = EnvironmentVariable("GOOGLE_OAUTH_ACCESS_TOKEN")) {
      headers_.push_back("Authorization: Bearer " + *token);
    }
  }

  std::string uri() const override {
    return "gs://" + bucket_ + (prefix_.empty() ? "" : "/" + prefix_);
  }

  std::vector<SourceObject> List() override {
    // Names are the objects' full names in the bucket ("orders/2026-01-01.csv" whether
    // the URI was gs://b, gs://b/orders/ or the object itself), so one object lands under
    // one raw key however it was asked for.
    std::vector<SourceObject> objects;
    std::set<std::string> tokens_seen;
    std::string token;
    do {
      std::string url = endpoint_ + "/storage/v1/b/" + PercentEncode(bucket_) +
                        "/o?prefix=" + PercentEncode(prefix_) +
                        "&fields=items(name,size,generation,md5Hash,crc32c),nextPageToken";
      if (!token.empty()) url += "&pageToken=" + PercentEncode(token);
      HttpSubject subject = Subject("gs://" + bucket_);
      subject.not_found = "no such bucket";
      subject.not_found_hint =
          emulator_ ? "the server at STORAGE_EMULATOR_HOST=" + *emulator_ +
                          " serves another bucket; check its --bucket"
                    : "check the bucket name (gcloud storage ls gs://" + bucket_ + ")";
      HttpRequest request;
      request.url = url;
      request.headers = headers_;
      HttpResponse response = http_.Fetch(request, subject);
      json page;
      try {
        page = json::parse(response.body);
      } catch (const json::exception& e) {
        throw Error(ErrorCode::kData, std::string("the listing is not JSON: ") + e.what(), url,
                    "is STORAGE_EMULATOR_HOST pointing at a GCS endpoint?");
      }
      if (!page.is_object()) {
        throw Error(ErrorCode::kData, "the listing is not a JSON object", url,
                    "is STORAGE_EMULATOR_HOST pointing at a GCS endpoint?");
      }
      if (page.contains("items")) {
        for (const json& item : page["items"]) {
          if (!item.is_object() || !item.contains("name") || !item["name"].is_string()) {
            throw Error(ErrorCode::kData, "a listed item has no name", url);
          }
          const std::string name = item["name"].get<std::string>();
          // "folder/" placeholders (made by the console) are not data, and no lake key
          // can end in '/'.
          if (name.ends_with('/')) continue;
          objects.push_back(ObjectFrom(item, name, name));
        }
      }
      token = page.contains("nextPageToken") ? Text(page["nextPageToken"]) : "";
      if (!token.empty() && !tokens_seen.insert(token).second) {
        throw Error(ErrorCode::kData, "the listing repeats the page token " + token, url,
                    "the server is paging in a loop");
      }
    } while (!token.empty());

    // gs://b/orders/2026-01-01.csv names one object, even when others share its prefix.
    if (!prefix_.empty()) {
      for (const SourceObject& object : objects) {
        if (object.uri == "gs://" + bucket_ + "/" + prefix_) return {object};
      }
    }
    if (objects.empty() && !prefix_.empty()) {
      // GCS has no folders: an empty listing under a prefix is a mistyped prefix far more
      // often than an intended no-op.
      throw Error(ErrorCode::kNotFound, "no objects under this prefix", uri(),
                  "check the prefix (list the bucket: gcloud storage ls gs://" + bucket_ + ")");
    }
    std::sort(objects.begin(), objects.end(),
              [](const SourceObject& a, const SourceObject& b) { return a.name < b.name; });
    return objects;
  }

  void Read(const SourceObject& object, uint64_t offset, const ByteSink& sink) override {
    const std::string bucket_uri = "gs://" + bucket_ + "/";
    Check(object.uri.starts_with(bucket_uri) && object.uri.size() > bucket_uri.size(),
          "GcsSource::Read given an object of another bucket: " + object.uri);
    // Nothing left to read (a transfer broke off after its last byte); a Range past the
    // end would be answered 416.
    if (offset > 0 && offset >= object.size) return;
    const std::string name = object.uri.substr(bucket_uri.size());
    HttpRequest request;
    request.url = endpoint_ + "/download/storage/v1/b/" + PercentEncode(bucket_) + "/o/" +
                  PercentEncode(name) + "?alt=media";
    if (!object.version.empty()) request.url += "&generation=" + PercentEncode(object.version);
    request.offset = offset;
    request.headers = headers_;
    HttpSubject subject = Subject(object.uri);
    subject.not_found =
        "no such object, or generation " + object.version + " is no longer its current version";
    subject.not_found_hint =
        "the object was deleted or replaced since it was listed; run ingest again to copy "
        "what is there now";
    http_.Fetch(request, subject, &sink);
  }

 private:
  HttpSubject Subject(std::string name) const {
    HttpSubject subject;
    subject.name = std::move(name);
    if (emulator_) {
      subject.auth_hint = std::string(kCredentialHint) +
                          "; the server at STORAGE_EMULATOR_HOST=" + *emulator_ + " refused access";
    } else if (headers_.empty()) {
      subject.auth_hint = std::string(kCredentialHint) +
                          " (e.g. GOOGLE_OAUTH_ACCESS_TOKEN=$(gcloud auth print-access-token))";
    } else {
      subject.auth_hint = std::string(kCredentialHint) +
                          ": the token in GOOGLE_OAUTH_ACCESS_TOKEN was refused (expired, or "
                          "without storage.objects.list/get on the bucket); refresh it";
    }
    return subject;
  }

  SourceObject ObjectFrom(const json& item, const std::string& full_name, std::string name) const {
    SourceObject object;
    object.uri = "gs://" + bucket_ + "/" + full_name;
    object.name = std::move(name);
    if (!item.contains("size") || !item.contains("generation")) {
      throw Error(ErrorCode::kData, "the listing states no size or generation", object.uri,
                  "the server is not speaking the GCS JSON API as expected");
    }
    object.size = ParseUint(item["size"], "size", object.uri);
    object.version = Text(item["generation"]);
    // Composite objects have no md5Hash; every object has a crc32c.
    if (item.contains("md5Hash")) {
      object.md5 = DecodeBase64Md5(Text(item["md5Hash"]));
      if (!object.md5) InvalidChecksum("md5Hash", item["md5Hash"], object.uri);
    }
    if (item.contains("crc32c")) {
      object.crc32c = DecodeBase64Crc32c(Text(item["crc32c"]));
      if (!object.crc32c) InvalidChecksum("crc32c", item["crc32c"], object.uri);
    }
    return object;
  }

  std::string bucket_;
  std::string prefix_;
  std::string endpoint_;
  std::optional<std::string> emulator_;  //!< STORAGE_EMULATOR_HOST as given, when set
  std::vector<std::string> headers_;     //!< the Authorization header, when a token is set
  HttpClient http_;
};

}  // namespace

std::unique_ptr<Source> OpenGcsSource(const Uri& uri, const SourceOptions& options) {
  return std::make_unique<GcsSource>(uri, options);
}

}  // namespace shoplake::ingest
