#include "core/heartbeat_message.h"

#include <exception>
#include <limits>

#include "core/utf8.h"
#include "core/no_postgres.h"

namespace pgduplex {

Status ParseHeartbeatMessage(const char* data, size_t size,
                             HeartbeatMessage* out) noexcept {
  size_t bar = size;
  while (bar > 0 && data[bar - 1] != '|') --bar;
  if (bar == 0) return Status::Error("heartbeat message has no '|'");
  const char* p = data + bar;
  const char* end = data + size;
  bool negative = false;
  if (p < end && *p == '-') {
    negative = true;
    ++p;
  }
  if (p == end) return Status::Error("heartbeat message has no clock after '|'");
  // Accumulate as a negative number so INT64_MIN fits.
  int64_t value = 0;
  const int64_t kMin = std::numeric_limits<int64_t>::min();
  for (; p < end; ++p) {
    if (*p < '0' || *p > '9')
      return Status::Error("heartbeat clock is not an integer");
    int digit = *p - '0';
    if (value < (kMin + digit) / 10) return Status::Error("heartbeat clock out of range");
    value = value * 10 - digit;
  }
  if (!negative) {
    if (value == kMin) return Status::Error("heartbeat clock out of range");
    value = -value;
  }
  if (!IsValidUtf8(data, bar - 1)) return Status::Error("heartbeat task is not UTF-8");
  try {
    out->task.assign(data, bar - 1);
  } catch (...) {
    return Status::Error("out of memory parsing a heartbeat message");
  }
  out->source_time = value;
  return Status::OK();
}

}  // namespace pgduplex
