// The retry rule of common/retry.h: the layer that retried a failure until its attempts ran
// out marks it spent, and no layer above takes it for transient again.
#include "common/retry.h"

#include <gtest/gtest.h>

namespace shoplake {
namespace {

// What a catch block that gives up after `attempts` throws for `error`.
std::exception_ptr GivenUp(const Error& error, int attempts) {
  try {
    try {
      throw error;
    } catch (const Error& e) {
      GiveUp(e, attempts);
    }
  } catch (...) {
    return std::current_exception();
  }
  return nullptr;
}

bool Transient(std::exception_ptr thrown) {
  try {
    std::rethrow_exception(thrown);
  } catch (const std::exception& e) {
    return IsTransient(e);
  }
}

TEST(Retry, ALayerThatRetriedMarksTheFailureSpent) {
  Error refused(ErrorCode::kNetwork, "HTTP 503", "s3://b/k", "run again later");
  EXPECT_TRUE(IsTransient(refused));
  std::exception_ptr spent = GivenUp(refused, 5);
  EXPECT_FALSE(Transient(spent));
  try {
    std::rethrow_exception(spent);
  } catch (const RetriesSpent& e) {
    EXPECT_EQ(e.attempts(), 5);
    EXPECT_EQ(e.code(), ErrorCode::kNetwork);
    EXPECT_EQ(e.message(), "HTTP 503");
    EXPECT_EQ(e.input(), "s3://b/k");
    EXPECT_EQ(e.hint(), "run again later");
    EXPECT_STREQ(e.what(), refused.what());
  }
}

TEST(Retry, ALayerThatMadeOneAttemptLeavesTheRetryToTheLayerAbove) {
  Error refused(ErrorCode::kNetwork, "connection refused", "http://127.0.0.1:9/x");
  EXPECT_TRUE(Transient(GivenUp(refused, 1)));
  Error missing(ErrorCode::kNotFound, "no such object", "s3://b/k");
  EXPECT_FALSE(Transient(GivenUp(missing, 5)));
  try {
    std::rethrow_exception(GivenUp(missing, 5));
  } catch (const RetriesSpent&) {
    ADD_FAILURE() << "only transient failures are marked spent";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kNotFound);
  }
}

}  // namespace
}  // namespace shoplake
