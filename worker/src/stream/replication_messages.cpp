#include "stream/replication_messages.h"

#include <fmt/format.h>

namespace pgduplex {

uint64_t ReadBigEndian64(const char* data) {
  uint64_t value = 0;
  for (int i = 0; i < 8; ++i) value = (value << 8) | static_cast<unsigned char>(data[i]);
  return value;
}

void WriteBigEndian64(uint64_t value, char* out) {
  for (int i = 7; i >= 0; --i) {
    out[i] = static_cast<char>(value & 0xff);
    value >>= 8;
  }
}

ServerMessage ParseServerMessage(const char* data, size_t size) {
  ServerMessage message;
  if (size == 0) {
    message.error = "empty CopyData message";
    return message;
  }
  switch (data[0]) {
    case 'w':
      if (size < kXLogDataHeaderSize) {
        message.error = fmt::format("XLogData message of {} bytes is shorter than its header", size);
        return message;
      }
      message.kind = ServerMessage::kXLogData;
      message.data_start = ReadBigEndian64(data + 1);
      message.wal_end = ReadBigEndian64(data + 9);
      message.send_time = static_cast<PgTimestamp>(ReadBigEndian64(data + 17));
      message.payload = data + kXLogDataHeaderSize;
      message.payload_size = size - kXLogDataHeaderSize;
      return message;
    case 'k':
      if (size < kKeepaliveSize) {
        message.error = fmt::format("keepalive message of {} bytes is truncated", size);
        return message;
      }
      message.kind = ServerMessage::kKeepalive;
      message.wal_end = ReadBigEndian64(data + 1);
      message.send_time = static_cast<PgTimestamp>(ReadBigEndian64(data + 9));
      message.reply_requested = data[17] != 0;
      return message;
    default:
      message.error = fmt::format("unexpected CopyData message type 0x{:02x}", static_cast<unsigned char>(data[0]));
      return message;
  }
}

std::string BuildStandbyStatus(const StandbyStatus& status) {
  std::string out(kStandbyStatusSize, '\0');
  out[0] = 'r';
  WriteBigEndian64(status.write, &out[1]);
  WriteBigEndian64(status.flush, &out[9]);
  WriteBigEndian64(status.apply, &out[17]);
  WriteBigEndian64(static_cast<uint64_t>(status.send_time), &out[25]);
  out[33] = status.reply_requested ? 1 : 0;
  return out;
}

}  // namespace pgduplex
