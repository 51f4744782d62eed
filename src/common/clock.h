// Wall-clock time as shoplake records it: UTC, ISO 8601, millisecond precision. One
// place, so every table, log and file name spells time the same way.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

namespace shoplake {

//! "2026-11-25T00:41:07.123Z"
std::string UtcNowIso();
//! "2026-11-25"
std::string UtcToday();
//! Now, as milliseconds since the Unix epoch (how S3 lock leases and Lambda deadlines count).
int64_t UnixMsNow();
//! `time` as "2026-11-25T00:41:07.123Z".
std::string ToIso(std::chrono::system_clock::time_point time);
//! A run id that sorts by time and is unique enough across processes:
//! "20261125T004107Z-3f9a1c".
std::string NewRunId();
//! True when `text` is a real calendar date written YYYY-MM-DD.
bool IsIsoDate(const std::string& text);

}  // namespace shoplake
