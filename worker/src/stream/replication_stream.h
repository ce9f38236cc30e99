// ReplicationStream: a walsender client on one libpq connection opened with
// replication=database (model: PostgreSQL's pg_recvlogical.c).
//
// Lifecycle: Connect -> [IdentifySystem] -> [SlotExists / CreateSlot] ->
// StartReplication -> Receive / SendStatus ... -> Finish (or destroy).
// Only the simple query protocol works on such a connection.
//
// Exported snapshots (initial sync): CreateSlot(..., SnapshotAction::kExport)
// returns the snapshot name and the slot's consistent point. The snapshot
// stays valid only while this connection issues no other command, so copy
// the data on other connections with
//   BEGIN ISOLATION LEVEL REPEATABLE READ; SET TRANSACTION SNAPSHOT '<name>';
// and call StartReplication on this same object afterwards (with the
// consistent point, or 0/0 to start at the slot's confirmed position).
//
// Contract: every failure throws ConnectionError (server/network gone;
// retryable) or PgError (the server refused: SQLSTATE kept). Messages name
// the cluster label. Not copyable.
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <libpq-fe.h>

#include "common/pg_connection.h"
#include "common/lsn.h"
#include "stream/replication_messages.h"

namespace pgduplex {

struct SystemIdentity {
  std::string system_id;
  int timeline = 0;
  Lsn xlog_position = kInvalidLsn;
  std::string dbname;
};

enum class SnapshotAction { kNothing, kExport, kUse };

struct CreatedSlot {
  std::string slot_name;
  Lsn consistent_point = kInvalidLsn;
  std::string snapshot_name;  // empty unless SnapshotAction::kExport
};

using PluginOptions = std::vector<std::pair<std::string, std::string>>;

// The START_REPLICATION command text (exposed for tests).
std::string BuildStartReplicationCommand(const std::string& slot, Lsn start, const PluginOptions& options);

class ReplicationStream {
 public:
  enum class ReceiveStatus { kMessage, kNoData };

  static ReplicationStream Connect(const std::string& conninfo, const std::string& label);

  ReplicationStream(ReplicationStream&&) noexcept = default;
  ReplicationStream& operator=(ReplicationStream&&) noexcept = default;
  ReplicationStream(const ReplicationStream&) = delete;
  ReplicationStream& operator=(const ReplicationStream&) = delete;
  ~ReplicationStream();

  SystemIdentity IdentifySystem();
  std::string ServerEncoding();
  bool SlotExists(const std::string& slot);
  CreatedSlot CreateSlot(const std::string& slot, const std::string& plugin, SnapshotAction action);
  void StartReplication(const std::string& slot, Lsn start, const PluginOptions& options);

  // Returns the next message, waiting at most timeout_ms for one (0 = do not
  // wait). The message's payload stays valid until the next Receive. A
  // signal interrupting the wait returns kNoData.
  ReceiveStatus Receive(int timeout_ms, ServerMessage* message);
  // Hands over the buffer of the message Receive returned last, so its
  // payload stays valid for as long as the caller keeps it (a large record
  // is held once, not copied out of it).
  struct PqFree {
    void operator()(char* buffer) const noexcept { PQfreemem(buffer); }
  };
  using Buffer = std::unique_ptr<char, PqFree>;
  Buffer TakeBuffer() { return Buffer(std::exchange(buffer_, nullptr)); }
  void SendStatus(const StandbyStatus& status);
  // When the server last sent anything: a message, or bytes of one.
  std::chrono::steady_clock::time_point last_activity() const { return last_activity_; }
  // Ends the COPY cleanly (best effort) and closes the connection.
  void Finish();

  PgConnection& connection() { return *conn_; }
  const std::string& label() const { return conn_->label(); }
  bool streaming() const { return streaming_; }

 private:
  explicit ReplicationStream(PgConnection conn);
  void FreeBuffer();

  std::unique_ptr<PgConnection> conn_;
  char* buffer_ = nullptr;  // last PQgetCopyData buffer
  bool streaming_ = false;
  std::chrono::steady_clock::time_point last_activity_ = std::chrono::steady_clock::now();
};

}  // namespace pgduplex
