// RetryPolicy: exponential backoff with full jitter and bounded attempts, for the
// transient failures of remote endpoints (connection errors, timeouts, 429, 5xx): ingest's
// sources and the S3 client.
//
// One layer retries a failure, never two. Layers nest (ingest's copy loop calls an S3
// source, whose S3Client retries on its own), and two layers each making max_attempts
// would multiply to max_attempts^2 tries (25 with the default 5). So a layer that retried
// a transient failure until its policy ran out throws it as RetriesSpent (GiveUp), and
// IsTransient is false for that, so no layer above tries it again. The total budget for an
// operation is therefore the max_attempts of the one layer that retried it: 5 attempts
// that bring nothing, whatever the nesting. A layer whose policy allows one attempt
// (max_attempts = 1) retried nothing, so its failures stay transient for the layer above.
// Progress is not a failure: ingest resumes a transfer that delivered new bytes without
// spending an attempt (ingest/ingestor.h), and its S3 client then starts a fresh budget
// for the rest of the object.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <random>
#include <string>

#include "common/error.h"

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

//! A transient failure that a layer retried until its attempts ran out: the same code,
//! message, input and hint as the last failure, marked so that no layer above retries it.
class RetriesSpent : public Error {
 public:
  RetriesSpent(const Error& last, int attempts);
  //! How many attempts the layer that gave up made.
  int attempts() const { return attempts_; }

 private:
  int attempts_;
};

//! True for errors worth another attempt: ErrorCode::kNetwork, unless a layer below has
//! already spent its retries on it (RetriesSpent).
bool IsTransient(const std::exception& error);

//! For a catch block whose layer will make no further attempt after `attempts`: rethrows the
//! error being handled, as RetriesSpent when it is transient and this layer did retry it
//! (attempts > 1), as it is otherwise. REQUIRES: called while handling `error`.
[[noreturn]] void GiveUp(const std::exception& error, int attempts);

}  // namespace shoplake
