// RetryPolicy: exponential backoff with full jitter (AWS's "Exponential Backoff And
// Jitter"): spreading retries uniformly below the exponential bound keeps many workers
// that failed together from retrying together.
#include "common/retry.h"

#include <algorithm>
#include <cmath>

namespace shoplake {

std::chrono::milliseconds RetryPolicy::DelayBefore(int attempt, std::mt19937_64& random) const {
  if (attempt < 2) return std::chrono::milliseconds(0);
  // In double: initial * multiplier^n overflows any integer long before max_delay caps it.
  double bound =
      static_cast<double>(initial_delay.count()) * std::pow(std::max(1.0, multiplier), attempt - 2);
  bound = std::min(bound, static_cast<double>(max_delay.count()));
  if (!(bound > 0)) return std::chrono::milliseconds(0);
  std::uniform_int_distribution<int64_t> uniform(0, static_cast<int64_t>(bound));
  return std::chrono::milliseconds(uniform(random));
}

RetriesSpent::RetriesSpent(const Error& last, int attempts)
    : Error(last.code(), last.message(), last.input(), last.hint()), attempts_(attempts) {}

bool IsTransient(const std::exception& error) {
  const auto* shoplake_error = dynamic_cast<const Error*>(&error);
  return shoplake_error != nullptr && shoplake_error->code() == ErrorCode::kNetwork &&
         dynamic_cast<const RetriesSpent*>(&error) == nullptr;
}

void GiveUp(const std::exception& error, int attempts) {
  if (attempts > 1 && IsTransient(error)) {
    throw RetriesSpent(dynamic_cast<const Error&>(error), attempts);
  }
  throw;
}

}  // namespace shoplake
