// The CopyBoth sub-protocol of a walsender in logical replication mode
// (PostgreSQL "Streaming Replication Protocol"), as plain bytes:
//
//   server -> client  'w' XLogData:   u64 data_start, u64 wal_end, i64 send_time, payload
//                     'k' keepalive:  u64 wal_end, i64 send_time, u8 reply_requested
//   client -> server  'r' standby status update:
//                     u64 write, u64 flush, u64 apply, i64 send_time, u8 reply_requested
//
// All integers are big-endian; times are PostgreSQL TimestampTz. This file
// only parses and builds messages; ReplicationStream does the I/O.
//
// Contract: ParseServerMessage never throws; it returns kInvalid (and an
// error text) for anything truncated or of an unknown type, so a corrupt
// stream is an error, never silently skipped.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "common/lsn.h"
#include "common/pg_time.h"

namespace pgduplex {

constexpr size_t kXLogDataHeaderSize = 25;   // 'w' + 3 x 8 bytes
constexpr size_t kKeepaliveSize = 18;        // 'k' + 8 + 8 + 1
constexpr size_t kStandbyStatusSize = 34;    // 'r' + 4 x 8 + 1

struct ServerMessage {
  enum Kind { kInvalid, kXLogData, kKeepalive } kind = kInvalid;
  Lsn data_start = kInvalidLsn;   // XLogData: WAL position of the payload
  Lsn wal_end = kInvalidLsn;      // server's sent/end position
  PgTimestamp send_time = 0;
  bool reply_requested = false;   // keepalive only
  const char* payload = nullptr;  // XLogData only; points into the input
  size_t payload_size = 0;
  std::string error;              // kInvalid only
};

ServerMessage ParseServerMessage(const char* data, size_t size);

struct StandbyStatus {
  Lsn write = kInvalidLsn;
  Lsn flush = kInvalidLsn;
  Lsn apply = kInvalidLsn;
  PgTimestamp send_time = 0;
  bool reply_requested = false;
};

// Exactly kStandbyStatusSize bytes.
std::string BuildStandbyStatus(const StandbyStatus& status);

// Big-endian helpers (exposed for tests).
uint64_t ReadBigEndian64(const char* data);
void WriteBigEndian64(uint64_t value, char* out);

}  // namespace pgduplex
