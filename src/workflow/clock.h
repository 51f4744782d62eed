// Time for the workflow interpreter: an injectable clock (Wait states, retry back-off,
// timeouts all go through it, so tests run on a ManualClock and never sleep), a
// cancellation flag that sleeping and running code polls, and RFC 3339 timestamps.
#pragma once

#include <atomic>
#include <chrono>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace shoplake::workflow {

//! A flag raised once to stop work early (a sibling branch failed, the execution timed out,
//! a task was abandoned). A child is cancelled when its parent is. Thread-safe.
class Cancellation {
 public:
  explicit Cancellation(std::shared_ptr<const Cancellation> parent = nullptr)
      : parent_(std::move(parent)) {}
  void Cancel() { cancelled_.store(true); }
  bool IsCancelled() const { return cancelled_.load() || (parent_ && parent_->IsCancelled()); }

 private:
  std::shared_ptr<const Cancellation> parent_;
  std::atomic<bool> cancelled_{false};
};

//! The interpreter's clock. Implementations are thread-safe.
class Clock {
 public:
  using TimePoint = std::chrono::system_clock::time_point;
  virtual ~Clock() = default;
  virtual TimePoint Now() = 0;
  //! Sleeps for `duration`, returning early when `cancellation` (may be null) is raised.
  //! Returns false when cancelled, true when the full duration passed.
  virtual bool SleepFor(std::chrono::milliseconds duration, const Cancellation* cancellation) = 0;
};

//! Real time; sleeps poll the cancellation flag every few milliseconds.
class SystemClock : public Clock {
 public:
  TimePoint Now() override;
  bool SleepFor(std::chrono::milliseconds duration, const Cancellation* cancellation) override;
  //! One shared instance.
  static SystemClock& Instance();
};

//! Test time: starts at a fixed instant; SleepFor returns at once, advances the time by the
//! duration and records it, so a test can assert the sequence of back-off delays.
class ManualClock : public Clock {
 public:
  explicit ManualClock(TimePoint start = TimePoint(std::chrono::seconds(1700000000)));
  TimePoint Now() override;
  bool SleepFor(std::chrono::milliseconds duration, const Cancellation* cancellation) override;
  void Advance(std::chrono::milliseconds duration);
  //! Every duration SleepFor was called with, in call order.
  std::vector<std::chrono::milliseconds> sleeps() const;

 private:
  mutable std::mutex mutex_;
  TimePoint now_;
  std::vector<std::chrono::milliseconds> sleeps_;
};

//! Parses an RFC 3339 timestamp ("2016-03-14T01:59:00Z", optional fraction, "Z" or an
//! offset, upper-case T and Z as ASL requires). nullopt when `text` is not one.
std::optional<Clock::TimePoint> ParseTimestamp(std::string_view text);
//! "2016-03-14T01:59:00.123Z".
std::string FormatTimestamp(Clock::TimePoint time);

}  // namespace shoplake::workflow
