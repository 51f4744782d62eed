// A suite's shared setup whose failure fails its tests. GoogleTest reports the tests of a
// suite whose SetUpTestSuite threw or failed as SKIPPED, and ctest (gtest_discover_tests)
// counts SKIPPED as skipped, not failed: a broken fixture would pass unnoticed. Run the
// setup through SuiteSetUp::Run in SetUpTestSuite and call Check() from SetUp(): every
// test then fails with what the setup threw.
#pragma once

#include <gtest/gtest.h>

#include <exception>
#include <functional>
#include <string>

namespace shoplake::testing {

class SuiteSetUp {
 public:
  void Run(const std::function<void()>& setup) {
    try {
      setup();
    } catch (const std::exception& e) {
      error_ = e.what();
    } catch (...) {
      error_ = "a non-standard exception";
    }
  }
  //! Fails the calling test (from its SetUp) when the suite's setup threw.
  void Check() const { ASSERT_EQ(error_, "") << "the suite's setup threw"; }

 private:
  std::string error_;
};

}  // namespace shoplake::testing
