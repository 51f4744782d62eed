// QueryWatch: the limits a running query answers to. It stops a query (through DuckDB's
// interrupt) when its time limit passes, when its client goes away, or when someone asks
// (a server that is shutting down), and turns the error DuckDB then raises into one that
// says which limit stopped the query and how to raise it.
//
// Thread safety: Cancel may be called from any thread; Run from the thread that owns the
// connection being watched.
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "common/error.h"

namespace shoplake::db {

//! The hint of a query stopped by its time limit: how to raise it.
inline constexpr const char* kQueryTimeoutHint =
    "raise the limit with --query-timeout SECONDS or query.timeout_seconds in shoplake.yaml "
    "(0: no limit), or make the query read less";

//! The error of a query that a QueryWatch stopped. code() is kData (a limit, like a size
//! limit); timed_out() tells a time limit from a cancellation.
class QueryStopped : public Error {
 public:
  QueryStopped(bool timed_out, std::string message, std::string input, std::string hint)
      : Error(ErrorCode::kData, std::move(message), std::move(input), std::move(hint)),
        timed_out_(timed_out) {}
  bool timed_out() const { return timed_out_; }

 private:
  bool timed_out_;
};

//! The time limit a verb gives its queries: `flag_seconds` (--query-timeout) when given,
//! else `project_seconds` (shoplake.yaml's query.timeout_seconds), else `fallback`; zero
//! means none. Throws Error(kUsage) for a negative flag.
std::chrono::milliseconds QueryTimeout(std::optional<double> flag_seconds,
                                       std::optional<int> project_seconds,
                                       std::chrono::milliseconds fallback);

class QueryWatch {
 public:
  //! Starts watching. `interrupt` stops whatever runs on the watched connection (e.g.
  //! QueryEngine::Interrupt); it is called at `timeout` after now (zero: never), when
  //! Cancel is called, or when `client_gone` (polled every 100 ms, may be empty) says yes,
  //! and again every 50 ms until the watch ends: DuckDB forgets an interrupt that lands
  //! between two statements.
  QueryWatch(std::function<void()> interrupt, std::chrono::milliseconds timeout,
             std::function<bool()> client_gone = {});
  //! Stops watching; joins the watcher thread.
  ~QueryWatch();
  QueryWatch(const QueryWatch&) = delete;
  QueryWatch& operator=(const QueryWatch&) = delete;

  //! Stops the query; `why` ends up in its error ("the server is stopping").
  void Cancel(const std::string& why);

  //! True once the query was stopped (its time limit, its client, Cancel).
  bool stopped() const;

  //! Runs `work`. When the watch stopped the query, throws QueryStopped naming the reason
  //! (and for the time limit, the limit and kQueryTimeoutHint), `input` naming the query:
  //! whether `work` threw (DuckDB's "Interrupted") or swallowed the interrupt (a dashboard
  //! that skips a failed panel). Other errors pass through.
  template <typename Work>
  auto Run(Work&& work, const std::string& input) {
    try {
      auto result = work();
      if (stopped()) ThrowStopped(input);
      return result;
    } catch (const QueryStopped&) {
      throw;
    } catch (const std::exception&) {
      if (!stopped()) throw;
      ThrowStopped(input);
    }
  }

 private:
  [[noreturn]] void ThrowStopped(const std::string& input) const;
  void Watch();

  std::function<void()> interrupt_;
  std::chrono::milliseconds timeout_;
  std::function<bool()> client_gone_;
  mutable std::mutex mutex_;
  std::condition_variable wake_;
  bool done_ = false;
  bool timed_out_ = false;
  std::string cancelled_;  //!< why, once cancelled
  std::thread watcher_;
};

}  // namespace shoplake::db
