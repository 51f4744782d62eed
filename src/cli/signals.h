// StopSignals: how a verb that serves until Ctrl-C (simulate serve, serve) waits for SIGINT
// or SIGTERM without being killed mid-request, and how a workflow run turns them into a stop.
#pragma once

#include <pthread.h>
#include <signal.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <optional>
#include <string>

#include "common/error.h"

namespace shoplake::cli {

//! Blocks SIGINT and SIGTERM in this thread (and the threads it starts afterwards) for its
//! lifetime, so the signals queue up for Wait() instead of killing the process mid-request.
//! Create it before starting a server's threads, so they inherit the mask.
class BlockedStopSignals {
 public:
  BlockedStopSignals() {
    sigemptyset(&set_);
    sigaddset(&set_, SIGINT);
    sigaddset(&set_, SIGTERM);
    int err = pthread_sigmask(SIG_BLOCK, &set_, &previous_);
    if (err != 0) {
      throw Error(ErrorCode::kInternal, std::string("cannot block signals: ") + std::strerror(err));
    }
  }
  ~BlockedStopSignals() { pthread_sigmask(SIG_SETMASK, &previous_, nullptr); }
  BlockedStopSignals(const BlockedStopSignals&) = delete;
  BlockedStopSignals& operator=(const BlockedStopSignals&) = delete;

  //! Lets the signals through to this thread again, with their default action: after the
  //! first one, so that a second ends the process at once when stopping takes too long.
  void Unblock() const { pthread_sigmask(SIG_UNBLOCK, &set_, nullptr); }

  //! The signal that arrived within `timeout`, or nullopt (a waiter that must also notice
  //! its work ending polls with this).
  std::optional<int> WaitFor(std::chrono::milliseconds timeout) const {
    timespec wait{static_cast<time_t>(timeout.count() / 1000),
                  static_cast<long>(timeout.count() % 1000 * 1'000'000)};
    int signal = sigtimedwait(&set_, nullptr, &wait);
    if (signal > 0) return signal;
    if (errno == EAGAIN || errno == EINTR) return std::nullopt;
    throw Error(ErrorCode::kInternal, std::string("sigtimedwait failed: ") + std::strerror(errno));
  }

  //! Returns the signal that arrived.
  int Wait() const {
    for (;;) {
      int signal = 0;
      int err = sigwait(&set_, &signal);
      if (err == 0) return signal;
      if (err != EINTR) {
        throw Error(ErrorCode::kInternal, std::string("sigwait failed: ") + std::strerror(err));
      }
    }
  }

 private:
  sigset_t set_{};
  sigset_t previous_{};
};

}  // namespace shoplake::cli
