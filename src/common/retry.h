// RetryPolicy: exponential backoff with full jitter and bounded attempts, for the
// transient failures of remote endpoints (connection errors, timeouts, 429, 5xx): ingest's
// sources and the S3 client.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <random>
#include <string>

namespace shoplake {

struct RetryPolicy {
  int max_attempts = 5;  //!< 1 means no retry
  std::chrono::milliseconds initial_delay{200};
  std::chrono::milliseconds max_delay{10'000};
  double multiplier = 2.0;

  //! The pause before attempt `attempt` (2, 3, ...): uniformly random in
  //! [0, min(max_delay, initial_delay * multiplier^(attempt-2))] ("full jitter").
  std::chrono::milliseconds DelayBefore(int attempt, std::mt19937_64& random) const;
};

//! True for errors worth another attempt (ErrorCode::kNetwork).
bool IsTransient(const std::exception& error);

}  // namespace shoplake
