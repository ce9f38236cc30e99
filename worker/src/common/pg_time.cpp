#include "common/pg_time.h"

#include <cstdio>
#include <ctime>

namespace pgduplex {

PgTimestamp PgTimestampFromSystem(std::chrono::system_clock::time_point time) {
  auto micros = std::chrono::duration_cast<std::chrono::microseconds>(time.time_since_epoch()).count();
  return static_cast<PgTimestamp>(micros) - kPostgresEpochOffsetMicros;
}

PgTimestamp PgNow() { return PgTimestampFromSystem(std::chrono::system_clock::now()); }

std::string FormatPgTimestamp(PgTimestamp timestamp) {
  int64_t unix_micros = timestamp + kPostgresEpochOffsetMicros;
  int64_t seconds = unix_micros / 1000000;
  int64_t fraction = unix_micros % 1000000;
  if (fraction < 0) {  // before 1970: floor division
    fraction += 1000000;
    seconds -= 1;
  }
  std::time_t t = static_cast<std::time_t>(seconds);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%04d-%02d-%02d %02d:%02d:%02d.%06lld+00", tm.tm_year + 1900, tm.tm_mon + 1,
                tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, static_cast<long long>(fraction));
  return buf;
}

double SecondsBetween(PgTimestamp earlier, PgTimestamp later) {
  return static_cast<double>(later - earlier) / 1e6;
}

}  // namespace pgduplex
