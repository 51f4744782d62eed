// AwsConfig: environment variables first, then the profile in the shared files.
#include "common/aws_config.h"

#include <cstdlib>
#include <filesystem>

#include "common/error.h"
#include "common/files.h"
#include "common/names.h"

namespace shoplake::aws {
namespace {

constexpr const char* kDefaultRegion = "us-east-1";

std::string_view Trim(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t' || text.front() == '\r')) {
    text.remove_prefix(1);
  }
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t' || text.back() == '\r')) {
    text.remove_suffix(1);
  }
  return text;
}

//! The file a variable names, else ~/.aws/<name>; nullopt when neither exists.
std::optional<std::filesystem::path> SharedFile(const EnvironmentLookup& environment,
                                                const std::string& variable,
                                                const std::string& name) {
  std::filesystem::path path;
  if (auto named = environment(variable)) {
    path = *named;
    if (path.string().starts_with("~/")) {
      if (auto home = environment("HOME")) path = *home + path.string().substr(1);
    }
  } else if (auto home = environment("HOME")) {
    path = std::filesystem::path(*home) / ".aws" / name;
  } else {
    return std::nullopt;
  }
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec)) return std::nullopt;
  return path;
}

struct Profile {
  std::map<std::string, std::string> values;
  std::string where;  //!< "FILE [profile NAME]"
};

//! The profile's section of one file, when there is one. The config file names profiles
//! "[profile NAME]" (but "[default]"); the credentials file names them "[NAME]".
std::optional<Profile> FindProfile(const std::filesystem::path& file, const std::string& profile,
                                   bool config_file) {
  IniSections sections;
  try {
    sections = ParseAwsIni(ReadFile(file), file.string());
  } catch (const Error& e) {
    if (e.code() == ErrorCode::kConfig) throw;
    throw Error(ErrorCode::kConfig, "cannot read the AWS file: " + e.message(), file.string(),
                "check its permissions, or point the variable that names it elsewhere");
  }
  std::vector<std::string> names;
  if (config_file && profile != "default") names.push_back("profile " + profile);
  if (config_file && profile == "default") names = {"default", "profile default"};
  if (!config_file) names.push_back(profile);
  for (const std::string& name : names) {
    auto found = sections.find(name);
    if (found != sections.end()) return Profile{found->second, file.string() + " [" + name + "]"};
  }
  return std::nullopt;
}

std::optional<std::string> Value(const std::optional<Profile>& profile, const std::string& key) {
  if (!profile) return std::nullopt;
  auto found = profile->values.find(key);
  if (found == profile->values.end() || found->second.empty()) return std::nullopt;
  return found->second;
}

}  // namespace

IniSections ParseAwsIni(std::string_view text, const std::string& file_name) {
  IniSections sections;
  std::string section;
  bool in_section = false;
  int line_number = 0;
  for (std::string_view raw : Lines(text)) {
    ++line_number;
    std::string_view line = Trim(raw);
    if (line.empty() || line.front() == '#' || line.front() == ';') continue;
    // Indented lines continue the key above ("s3 =\n  addressing_style = path"): nested
    // settings shoplake does not read.
    if (raw.front() == ' ' || raw.front() == '\t') continue;
    auto where = [&] { return file_name + ":" + std::to_string(line_number); };
    if (line.front() == '[') {
      if (line.back() != ']') {
        throw Error(ErrorCode::kConfig, "a section header without its closing ']'", where(),
                    "write it as [default] or [profile NAME]");
      }
      std::string_view name = Trim(line.substr(1, line.size() - 2));
      // "[profile   x]" is "profile x" to the CLI.
      if (name.starts_with("profile ") || name.starts_with("profile\t")) {
        section = "profile " + std::string(Trim(name.substr(8)));
      } else {
        section = std::string(name);
      }
      sections[section];
      in_section = true;
      continue;
    }
    size_t equals = line.find('=');
    if (equals == std::string_view::npos) {
      throw Error(ErrorCode::kConfig, "neither a [section] nor a key = value line", where(),
                  "fix or remove the line (comments start with # or ;)");
    }
    if (!in_section) {
      throw Error(ErrorCode::kConfig, "a setting before any [section]", where(),
                  "put settings under [default] or [profile NAME]");
    }
    sections[section][std::string(Trim(line.substr(0, equals)))] =
        std::string(Trim(line.substr(equals + 1)));
  }
  return sections;
}

AwsConfig LoadAwsConfig(const EnvironmentLookup& environment) {
  AwsConfig config;
  config.profile = environment("AWS_PROFILE").value_or("default");
  auto credentials_file = SharedFile(environment, "AWS_SHARED_CREDENTIALS_FILE", "credentials");
  auto config_file = SharedFile(environment, "AWS_CONFIG_FILE", "config");
  std::optional<Profile> from_credentials, from_config;
  if (credentials_file) from_credentials = FindProfile(*credentials_file, config.profile, false);
  if (config_file) from_config = FindProfile(*config_file, config.profile, true);

  // Credentials: the environment as a whole, else one file's profile as a whole; mixing a
  // key from one place with a secret from another would sign with a pair that never was.
  auto key_id = environment("AWS_ACCESS_KEY_ID");
  auto secret = environment("AWS_SECRET_ACCESS_KEY");
  if (key_id && secret) {
    config.credentials = {*key_id, *secret, environment("AWS_SESSION_TOKEN").value_or("")};
    config.credentials_source = "the environment (AWS_ACCESS_KEY_ID)";
  } else if (key_id || secret) {
    throw Error(ErrorCode::kUsage,
                std::string("only ") + (key_id ? "AWS_ACCESS_KEY_ID" : "AWS_SECRET_ACCESS_KEY") +
                    " is set; AWS credentials need both",
                key_id ? "AWS_SECRET_ACCESS_KEY" : "AWS_ACCESS_KEY_ID",
                "set both variables (and AWS_SESSION_TOKEN for temporary credentials), or unset "
                "the one to use a profile from ~/.aws/credentials");
  } else {
    for (const auto* profile : {&from_credentials, &from_config}) {
      auto id = Value(*profile, "aws_access_key_id");
      auto key = Value(*profile, "aws_secret_access_key");
      if (!id && !key) continue;
      if (!id || !key) {
        throw Error(ErrorCode::kConfig,
                    std::string("the profile has ") +
                        (id ? "aws_access_key_id but no aws_secret_access_key"
                            : "aws_secret_access_key but no aws_access_key_id"),
                    (*profile)->where, "add the missing key to the profile");
      }
      config.credentials = {*id, *key, Value(*profile, "aws_session_token").value_or("")};
      config.credentials_source = (*profile)->where;
      break;
    }
  }
  if (config.credentials.access_key_id.empty()) {
    std::string looked = "AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, ";
    looked += credentials_file ? credentials_file->string() : "no credentials file";
    looked += ", ";
    looked += config_file ? config_file->string() : "no config file";
    throw Error(
        ErrorCode::kUsage, "no AWS credentials for profile '" + config.profile + "'", looked,
        "set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (plus AWS_SESSION_TOKEN for "
        "temporary credentials), or add aws_access_key_id and aws_secret_access_key to [" +
            config.profile +
            "] in ~/.aws/credentials (AWS_SHARED_CREDENTIALS_FILE names another file, "
            "AWS_PROFILE another profile); instance and container roles are not supported yet");
  }

  if (auto region = environment("AWS_REGION")) {
    config.region = *region;
    config.region_source = "AWS_REGION";
  } else if (auto default_region = environment("AWS_DEFAULT_REGION")) {
    config.region = *default_region;
    config.region_source = "AWS_DEFAULT_REGION";
  } else if (auto profile_region = Value(from_config, "region")) {
    config.region = *profile_region;
    config.region_source = from_config->where;
  } else if (auto credentials_region = Value(from_credentials, "region")) {
    config.region = *credentials_region;
    config.region_source = from_credentials->where;
  } else {
    config.region = kDefaultRegion;
    config.region_source = "the default";
  }

  if (auto endpoint = environment("AWS_ENDPOINT_URL_S3")) {
    config.endpoint = *endpoint;
  } else if (auto any_endpoint = environment("AWS_ENDPOINT_URL")) {
    config.endpoint = *any_endpoint;
  } else if (auto profile_endpoint = Value(from_config, "endpoint_url")) {
    config.endpoint = *profile_endpoint;
  }
  while (!config.endpoint.empty() && config.endpoint.back() == '/') config.endpoint.pop_back();
  return config;
}

}  // namespace shoplake::aws
