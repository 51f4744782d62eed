// Wall-clock time as shoplake records it and as the protocols it speaks spell it, in one
// place: every table, log, file name, HTTP header and AWS signature writes UTC the same way,
// and every timestamp read from a server or a definition is parsed here.
//
// Formats: RFC 3339 / ISO 8601 in UTC ("2026-11-25T00:41:07.123Z"), HTTP's IMF-fixdate
// (RFC 7231, "Wed, 25 Nov 2026 00:41:07 GMT"), and AWS SigV4's basic-format stamp
// ("20261125T004107Z"). All are computed from the proleptic Gregorian calendar of
// <chrono>, never through the C library's locale or time zone: a German locale still
// writes "Wed" and "Nov", and a TZ setting changes nothing.
//
// Thread safety: every function may be called from several threads at once.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace shoplake {

//! "2026-11-25T00:41:07.123Z"
std::string UtcNowIso();
//! "2026-11-25"
std::string UtcToday();
//! Now, as milliseconds since the Unix epoch (how S3 lock leases and Lambda deadlines count).
int64_t UnixMsNow();

//! `time` as milliseconds since the Unix epoch, rounded down (also before 1970).
int64_t ToUnixMs(std::chrono::system_clock::time_point time);
//! The time `unix_ms` milliseconds after the Unix epoch.
std::chrono::system_clock::time_point FromUnixMs(int64_t unix_ms);

//! `time` as "2026-11-25T00:41:07.123Z" (RFC 3339, UTC, milliseconds rounded down).
std::string ToIso(std::chrono::system_clock::time_point time);
//! `time` as "2026-11-25T00:41:07Z" (RFC 3339, UTC, whole seconds).
std::string ToIsoSeconds(std::chrono::system_clock::time_point time);
//! `time` as "Wed, 25 Nov 2026 00:41:07 GMT" (RFC 7231 IMF-fixdate: Date, Last-Modified).
std::string ToHttpDate(std::chrono::system_clock::time_point time);
//! `time` as "20261125T004107Z" (AWS SigV4's X-Amz-Date; run ids start with it).
std::string ToAmzDate(std::chrono::system_clock::time_point time);

//! Parses an RFC 3339 timestamp: "2016-03-14T01:59:00Z", an optional fraction of 1 to 9
//! digits, then "Z" or an offset "+HH:MM" / "-HH:MM"; upper-case T and Z (as ASL and S3
//! write them). nullopt when `text` is not exactly one, or names a day or time that does
//! not exist ("2026-02-29", "24:00:00", a leap second).
std::optional<std::chrono::system_clock::time_point> ParseIso(std::string_view text);
//! Parses an RFC 7231 IMF-fixdate ("Fri, 27 Nov 2026 09:21:46 GMT", English names, GMT
//! only; the day name must be one, though it is not checked against the date). nullopt
//! when `text` is not exactly one.
std::optional<std::chrono::system_clock::time_point> ParseHttpDate(std::string_view text);

//! `day` as "2026-11-25".
std::string ToIsoDate(std::chrono::sys_days day);
//! The day `text` names when it is a real calendar date written YYYY-MM-DD (digits where
//! digits belong, nothing around it); nullopt otherwise.
std::optional<std::chrono::sys_days> ParseIsoDate(std::string_view text);

//! A run id that sorts by time and is unique enough across processes:
//! "20261125T004107Z-3f9a1c".
std::string NewRunId();
//! True when `text` is a real calendar date written YYYY-MM-DD (ParseIsoDate would read it).
bool IsIsoDate(std::string_view text);

}  // namespace shoplake
