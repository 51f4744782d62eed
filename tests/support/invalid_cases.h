// The runner for folders of invalid config files (tests/data/<kind>/invalid/*.yaml): each
// file states in header comments where the error must point and what it must say,
//   # expect-at: 7:5
//   # expect-error: unknown key 'datasets.orders.sourse'
// and loading it must fail with Error(kConfig) whose input starts with "file:7:5" and
// whose message holds the text.
#pragma once

#include <gtest/gtest.h>

#include <filesystem>
#include <functional>
#include <string>

#include "common/error.h"
#include "common/files.h"

namespace shoplake::testing {

//! The value of a "# key: value" header line of a case file, or "".
inline std::string Expectation(const std::string& text, const std::string& key) {
  auto start = text.find("# " + key + ": ");
  if (start == std::string::npos) return {};
  start += key.size() + 4;
  return text.substr(start, text.find('\n', start) - start);
}

//! Runs `load` on every file in `folder`; returns how many cases ran.
inline int CheckInvalidCases(const std::filesystem::path& folder,
                             const std::function<void(const std::filesystem::path&)>& load) {
  int cases = 0;
  for (const auto& entry : std::filesystem::directory_iterator(folder)) {
    ++cases;
    auto text = ReadFile(entry.path());
    auto at = Expectation(text, "expect-at");
    auto message = Expectation(text, "expect-error");
    EXPECT_FALSE(at.empty() || message.empty()) << entry.path() << " lacks its expectations";
    try {
      load(entry.path());
      ADD_FAILURE() << entry.path() << " was accepted";
    } catch (const Error& e) {
      EXPECT_EQ(e.code(), ErrorCode::kConfig) << entry.path();
      EXPECT_EQ(e.exit_code(), 2);
      std::string where = entry.path().string() + ":" + at;
      EXPECT_EQ(e.input().rfind(where, 0), 0u)
          << entry.path().filename() << ": input [" << e.input() << "] should start with " << where
          << " (message: " << e.message() << ")";
      EXPECT_NE(e.message().find(message), std::string::npos)
          << entry.path() << ": message [" << e.message() << "] lacks [" << message << "]";
    }
  }
  return cases;
}

}  // namespace shoplake::testing
