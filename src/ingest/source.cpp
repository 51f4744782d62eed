// OpenSource: picks the Source implementation for a URI's scheme.
#include "ingest/source.h"

#include "common/error.h"
#include "common/uri.h"

namespace shoplake::ingest {

// Each kind lives in its own file (gcs_source.cpp, s3_source.cpp, http_source.cpp,
// file_source.cpp) and is reached only through OpenSource, so these factories are its private
// interface.
std::unique_ptr<Source> OpenGcsSource(const Uri& uri, const SourceOptions& options);
std::unique_ptr<Source> OpenHttpSource(const Uri& uri, const SourceOptions& options);
std::unique_ptr<Source> OpenFileSource(const Uri& uri);
std::unique_ptr<Source> OpenS3Source(const Uri& uri, const SourceOptions& options);

std::unique_ptr<Source> OpenSource(const std::string& uri, const SourceOptions& options) {
  Uri parsed = ParseUri(uri);
  if (parsed.scheme == "gs") return OpenGcsSource(parsed, options);
  if (parsed.scheme == "http" || parsed.scheme == "https") return OpenHttpSource(parsed, options);
  if (parsed.scheme == "file") return OpenFileSource(parsed);
  if (parsed.scheme == "s3") return OpenS3Source(parsed, options);
  throw Error(ErrorCode::kUsage, "unsupported source scheme '" + parsed.scheme + "'", uri,
              "use gs://bucket/prefix, s3://bucket/prefix, https://host/path, file:///path or a "
              "plain path");
}

}  // namespace shoplake::ingest
