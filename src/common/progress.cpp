// Progress: a reporter thread that redraws a line (terminal) or logs (otherwise).
#include "common/progress.h"

#include <spdlog/spdlog.h>

#include <cstdio>

#include "common/log.h"

namespace shoplake {

Progress::Progress(std::string label, std::string unit)
    : label_(std::move(label)), unit_(std::move(unit)), start_(std::chrono::steady_clock::now()) {}

Progress::~Progress() { Finish(); }

void Progress::SetTotals(uint64_t items, uint64_t bytes) {
  items_total_ = items;
  bytes_total_ = bytes;
}

std::string Progress::Bytes(double bytes) {
  static const char* kUnits[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  int unit = 0;
  while (bytes >= 1024 && unit < 4) {
    bytes /= 1024;
    ++unit;
  }
  char text[32];
  std::snprintf(text, sizeof text, unit == 0 ? "%.0f %s" : "%.1f %s", bytes, kUnits[unit]);
  return text;
}

std::string Progress::Line(double seconds) const {
  double done = static_cast<double>(bytes_done_.load());
  double total = static_cast<double>(bytes_total_.load());
  double rate = seconds > 0 ? done / seconds : 0;
  std::string line = label_ + ": " + std::to_string(items_done_.load()) + "/" +
                     std::to_string(items_total_.load()) + " " + unit_ + ", " + Bytes(done);
  if (total > 0) line += " of " + Bytes(total);
  line += ", " + Bytes(rate) + "/s";
  if (total > done && rate > 0) {
    line += ", ETA " + std::to_string(static_cast<long>((total - done) / rate) + 1) + "s";
  }
  return line;
}

void Progress::Start(bool enabled) {
  if (!enabled || running_) return;
  running_ = true;
  terminal_ = StderrIsTerminal();
  start_ = std::chrono::steady_clock::now();
  thread_ = std::thread([this] {
    auto period = terminal_ ? std::chrono::milliseconds(250) : std::chrono::milliseconds(5000);
    std::unique_lock<std::mutex> lock(mutex_);
    while (!wake_.wait_for(lock, period, [this] { return stop_; })) {
      double seconds =
          std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
      if (terminal_) {
        std::fprintf(stderr, "\r\033[K%s", Line(seconds).c_str());
        std::fflush(stderr);
      } else {
        spdlog::info("{}", Line(seconds));
      }
    }
  });
}

void Progress::Finish() {
  if (!running_) return;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stop_ = true;
  }
  wake_.notify_all();
  thread_.join();
  running_ = false;
  if (terminal_) {
    std::fprintf(stderr, "\r\033[K");
    std::fflush(stderr);
  }
}

}  // namespace shoplake
