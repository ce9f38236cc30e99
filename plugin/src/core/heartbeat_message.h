// The content of a 'pgduplex.heartbeat' logical message, as written by
// pgduplex.heartbeat(task): "<task>|<source clock, microseconds since
// 2000-01-01 00:00:00 UTC>". The task name may itself contain '|'; the
// clock is what follows the last one.
#ifndef PGDUPLEX_CORE_HEARTBEAT_MESSAGE_H_
#define PGDUPLEX_CORE_HEARTBEAT_MESSAGE_H_

#include <cstddef>
#include <cstdint>
#include <string>

#include "core/message_prefixes.h"
#include "core/status.h"

namespace pgduplex {

struct HeartbeatMessage {
  std::string task;
  int64_t source_time = 0;
};

Status ParseHeartbeatMessage(const char* data, size_t size,
                             HeartbeatMessage* out) noexcept;

}  // namespace pgduplex

#endif  // PGDUPLEX_CORE_HEARTBEAT_MESSAGE_H_
