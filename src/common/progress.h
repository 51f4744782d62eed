// Progress: a live line on a terminal ("12/90 objects, 45.1 MiB of 120.0 MiB, 85.2 MiB/s,
// ETA 1s"), or a log line every few seconds when stderr is not a terminal, for work that
// takes long enough to wonder about.
//
// Thread safety: Add* may be called from any thread; Start/Finish from the owner.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <string>
#include <thread>

namespace shoplake {

class Progress {
 public:
  //! `label` starts the line ("ingest shop"); `unit` names the items ("objects").
  Progress(std::string label, std::string unit);
  ~Progress();  //!< calls Finish()
  Progress(const Progress&) = delete;
  Progress& operator=(const Progress&) = delete;

  void SetTotals(uint64_t items, uint64_t bytes);
  void AddItems(uint64_t items) { items_done_ += items; }
  void AddBytes(uint64_t bytes) { bytes_done_ += bytes; }

  //! Starts reporting on a background thread (quietly does nothing when `enabled` is false).
  void Start(bool enabled = true);
  //! Stops reporting and clears the live line.
  void Finish();

  //! "1.5 KiB", "120.0 MiB", ...
  static std::string Bytes(double bytes);

 private:
  std::string Line(double seconds) const;

  std::string label_;
  std::string unit_;
  std::atomic<uint64_t> items_total_{0}, bytes_total_{0}, items_done_{0}, bytes_done_{0};
  std::chrono::steady_clock::time_point start_;
  bool terminal_ = false;
  bool running_ = false;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stop_ = false;
  std::thread thread_;
};

}  // namespace shoplake
