// PostgreSQL TimestampTz values (microseconds since 2000-01-01 00:00:00 UTC,
// the wire format's time unit) converted to and from this process's clock
// and to timestamptz text that any server parses regardless of its TimeZone.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

namespace pgduplex {

using PgTimestamp = int64_t;  // microseconds since 2000-01-01 UTC

// Microseconds between the Unix epoch and the PostgreSQL epoch.
constexpr int64_t kPostgresEpochOffsetMicros = 946684800LL * 1000000LL;

PgTimestamp PgTimestampFromSystem(std::chrono::system_clock::time_point time);
PgTimestamp PgNow();
// "2024-05-01 12:34:56.123456+00" (always UTC, always six fraction digits).
std::string FormatPgTimestamp(PgTimestamp timestamp);
// Seconds from `earlier` to `later` (negative when the clocks disagree).
double SecondsBetween(PgTimestamp earlier, PgTimestamp later);

}  // namespace pgduplex
