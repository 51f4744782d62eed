// AwsConfig: which credentials, region and endpoint an AWS client uses, found where the AWS
// CLI and SDKs look, in the same order, so a machine set up for `aws` works for shoplake:
//
//   credentials  AWS_ACCESS_KEY_ID + AWS_SECRET_ACCESS_KEY (+ AWS_SESSION_TOKEN: Lambda's
//                environment, STS), else the profile's aws_access_key_id/... in the shared
//                credentials file (AWS_SHARED_CREDENTIALS_FILE, ~/.aws/credentials), else in
//                the config file (AWS_CONFIG_FILE, ~/.aws/config);
//   profile      AWS_PROFILE, else "default" ([default] in both files; [profile NAME] in the
//                config file, [NAME] in the credentials file);
//   region       AWS_REGION, AWS_DEFAULT_REGION, the profile's `region`, else us-east-1;
//   endpoint     AWS_ENDPOINT_URL_S3, AWS_ENDPOINT_URL, the profile's `endpoint_url`; none
//                means AWS itself.
//
// Not supported (yet): IAM roles through the instance metadata service or the ECS/EKS
// container endpoint, SSO, credential_process and assume-role profiles. Errors say so.
//
// Thread safety: LoadAwsConfig reads files and the environment; the result is a value.
#pragma once

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "common/aws_sigv4.h"
#include "common/environment.h"

namespace shoplake::aws {

struct AwsConfig {
  Credentials credentials;
  //! Where the credentials came from, for error messages: "environment (AWS_ACCESS_KEY_ID)",
  //! "/root/.aws/credentials [profile default]".
  std::string credentials_source;
  std::string region;
  std::string region_source;  //!< "AWS_REGION", "default", ...
  std::string endpoint;       //!< "http://127.0.0.1:4569"; empty for AWS itself
  std::string profile;
};

//! Reads a variable; nullopt when unset or empty. Tests pass their own.
using EnvironmentLookup = std::function<std::optional<std::string>(const std::string& name)>;

//! The sections of an AWS INI file: section name -> key -> value. Comments ('#', ';' at a
//! line's start or after whitespace), blank lines and whitespace around names and values are
//! ignored; keys are case-sensitive as in the CLI; a nested "key =\n  sub = v" block (used
//! for s3 settings) is skipped. Throws Error(kConfig) naming the file and line of a line
//! that is none of these.
using IniSections = std::map<std::string, std::map<std::string, std::string>>;
IniSections ParseAwsIni(std::string_view text, const std::string& file_name);

//! Finds the configuration as the file comment says (the endpoint variables are S3's).
//! Throws Error(kUsage) when no credentials are found or they are
//! half set, saying which variables and files were looked at and what to set; Error(kConfig)
//! for an unreadable or malformed file.
AwsConfig LoadAwsConfig(const EnvironmentLookup& environment = EnvironmentVariable);

}  // namespace shoplake::aws
