// The process environment, read one way: a variable set to the empty string counts as unset,
// as the AWS and Google SDKs and XDG treat theirs.
#pragma once

#include <optional>
#include <string>

namespace shoplake {

//! The value of environment variable `name`; nullopt when it is unset or empty.
std::optional<std::string> EnvironmentVariable(const std::string& name);

}  // namespace shoplake
