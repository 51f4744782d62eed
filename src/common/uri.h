// Uri: the locations shoplake names (lake roots, sources) split into scheme, authority
// and path. Plain paths are file URIs.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace shoplake {

struct Uri {
  std::string scheme;     //!< "file", "gs", "s3", "http", "https"
  std::string authority;  //!< bucket or host[:port]; empty for files
  std::string path;       //!< for files the absolute path; otherwise the key or path without
                          //!< the leading '/'
  //! Back to text: "gs://bucket/path", "file:///abs/path".
  std::string ToString() const;
};

//! Parses `text`. A plain path (relative paths are made absolute against the current
//! folder) and `file:///abs` give scheme "file". Throws Error(kUsage) for an unknown
//! scheme or a URI without a bucket/host.
Uri ParseUri(std::string_view text);

//! Percent-encodes every byte but RFC 3986's unreserved ones (A-Z a-z 0-9 - . _ ~), as an
//! object name must be inside a URL path segment or a query value (GCS's own encoding).
std::string PercentEncode(std::string_view text);

//! Decodes %XX escapes ('+' stays '+', as in paths); nullopt when an escape is malformed.
std::optional<std::string> PercentDecode(std::string_view text);

}  // namespace shoplake
