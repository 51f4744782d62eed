// Clocks and RFC 3339 timestamps for the workflow interpreter.
#include "workflow/clock.h"

#include <algorithm>
#include <thread>

#include "common/clock.h"

namespace shoplake::workflow {

Clock::TimePoint SystemClock::Now() { return std::chrono::system_clock::now(); }

bool SystemClock::SleepFor(std::chrono::milliseconds duration, const Cancellation* cancellation) {
  // Polling keeps cancellation simple; 5 ms is far below any ASL time unit (seconds).
  constexpr auto kPoll = std::chrono::milliseconds(5);
  auto end = std::chrono::steady_clock::now() + duration;
  for (;;) {
    if (cancellation != nullptr && cancellation->IsCancelled()) return false;
    auto now = std::chrono::steady_clock::now();
    if (now >= end) return true;
    std::this_thread::sleep_for(std::min<std::chrono::steady_clock::duration>(end - now, kPoll));
  }
}

SystemClock& SystemClock::Instance() {
  static SystemClock clock;
  return clock;
}

ManualClock::ManualClock(TimePoint start) : now_(start) {}

Clock::TimePoint ManualClock::Now() {
  std::lock_guard lock(mutex_);
  return now_;
}

bool ManualClock::SleepFor(std::chrono::milliseconds duration, const Cancellation* cancellation) {
  if (cancellation != nullptr && cancellation->IsCancelled()) return false;
  std::lock_guard lock(mutex_);
  now_ += duration;
  sleeps_.push_back(duration);
  return true;
}

void ManualClock::Advance(std::chrono::milliseconds duration) {
  std::lock_guard lock(mutex_);
  now_ += duration;
}

std::vector<std::chrono::milliseconds> ManualClock::sleeps() const {
  std::lock_guard lock(mutex_);
  return sleeps_;
}

// The one RFC 3339 reader (common/clock.h); ASL's rules (upper-case T and Z) are its own.
std::optional<Clock::TimePoint> ParseTimestamp(std::string_view text) { return ParseIso(text); }

std::string FormatTimestamp(Clock::TimePoint time) { return ToIso(time); }

}  // namespace shoplake::workflow
