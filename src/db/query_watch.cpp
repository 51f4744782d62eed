// QueryWatch: one watcher thread per query, asleep on a condition variable until the
// deadline, a cancellation or the next look at the client.
#include "db/query_watch.h"

#include <fmt/core.h>

namespace shoplake::db {
namespace {

constexpr std::chrono::milliseconds kClientPoll{100};
constexpr std::chrono::milliseconds kInterruptAgain{50};

//! "60 s", "1.5 s": the limit as the user set it.
std::string Seconds(std::chrono::milliseconds limit) {
  return fmt::format("{:g} s", static_cast<double>(limit.count()) / 1000.0);
}

}  // namespace

std::chrono::milliseconds QueryTimeout(std::optional<double> flag_seconds,
                                       std::optional<int> project_seconds,
                                       std::chrono::milliseconds fallback) {
  if (flag_seconds) {
    if (!(*flag_seconds >= 0)) {
      throw Error(ErrorCode::kUsage, "--query-timeout must be 0 (no limit) or more seconds",
                  fmt::format("--query-timeout {}", *flag_seconds),
                  "for example: --query-timeout 120");
    }
    return std::chrono::milliseconds(static_cast<int64_t>(*flag_seconds * 1000));
  }
  if (project_seconds) return std::chrono::seconds(*project_seconds);
  return fallback;
}

QueryWatch::QueryWatch(std::function<void()> interrupt, std::chrono::milliseconds timeout,
                       std::function<bool()> client_gone)
    : interrupt_(std::move(interrupt)), timeout_(timeout), client_gone_(std::move(client_gone)) {
  watcher_ = std::thread([this] { Watch(); });
}

QueryWatch::~QueryWatch() {
  {
    std::lock_guard lock(mutex_);
    done_ = true;
  }
  wake_.notify_all();
  watcher_.join();
}

void QueryWatch::Cancel(const std::string& why) {
  {
    std::lock_guard lock(mutex_);
    if (cancelled_.empty() && !timed_out_) cancelled_ = why;
  }
  wake_.notify_all();
}

bool QueryWatch::stopped() const {
  std::lock_guard lock(mutex_);
  return timed_out_ || !cancelled_.empty();
}

void QueryWatch::Watch() {
  using Clock = std::chrono::steady_clock;
  const auto deadline = timeout_.count() > 0 ? Clock::now() + timeout_ : Clock::time_point::max();
  std::unique_lock lock(mutex_);
  while (!done_) {
    bool stopped = timed_out_ || !cancelled_.empty();
    if (!stopped && Clock::now() >= deadline) timed_out_ = stopped = true;
    if (!stopped && client_gone_) {
      lock.unlock();
      bool gone = client_gone_();
      lock.lock();
      if (gone && cancelled_.empty() && !timed_out_) cancelled_ = "its client went away";
      stopped = timed_out_ || !cancelled_.empty();
    }
    if (stopped) {
      lock.unlock();
      interrupt_();
      lock.lock();
      wake_.wait_for(lock, kInterruptAgain, [this] { return done_; });
      continue;
    }
    auto next = client_gone_ ? std::min(deadline, Clock::now() + kClientPoll) : deadline;
    wake_.wait_until(lock, next, [this] { return done_ || !cancelled_.empty(); });
  }
}

void QueryWatch::ThrowStopped(const std::string& input) const {
  std::lock_guard lock(mutex_);
  if (timed_out_) {
    throw QueryStopped(
        true, "the query ran past its time limit of " + Seconds(timeout_) + " and was stopped",
        input, kQueryTimeoutHint);
  }
  throw QueryStopped(false, "the query was stopped: " + cancelled_, input,
                     "run it again when the server is back");
}

}  // namespace shoplake::db
