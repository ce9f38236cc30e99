#include "stream/replication_stream.h"

#include <fmt/format.h>
#include <poll.h>

#include <cerrno>

namespace pgduplex {

namespace {
std::string QuoteOptionValue(const std::string& value) {
  std::string out = "'";
  for (char c : value) {
    if (c == '\'') out += '\'';
    out += c;
  }
  return out + "'";
}

std::string QuoteName(const std::string& name) {
  std::string out = "\"";
  for (char c : name) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}
}  // namespace

std::string BuildStartReplicationCommand(const std::string& slot, Lsn start, const PluginOptions& options) {
  std::string command = fmt::format("START_REPLICATION SLOT {} LOGICAL {}", QuoteName(slot), LsnToString(start));
  if (!options.empty()) {
    command += " (";
    for (size_t i = 0; i < options.size(); ++i) {
      if (i) command += ", ";
      command += QuoteName(options[i].first) + " " + QuoteOptionValue(options[i].second);
    }
    command += ")";
  }
  return command;
}

ReplicationStream::ReplicationStream(PgConnection conn) : conn_(std::make_unique<PgConnection>(std::move(conn))) {}

ReplicationStream::~ReplicationStream() { FreeBuffer(); }

ReplicationStream ReplicationStream::Connect(const std::string& conninfo, const std::string& label) {
  return ReplicationStream(PgConnection::Connect(conninfo, label, /*replication=*/true));
}

void ReplicationStream::FreeBuffer() {
  if (buffer_) {
    PQfreemem(buffer_);
    buffer_ = nullptr;
  }
}

SystemIdentity ReplicationStream::IdentifySystem() {
  PgResult result = conn_->Exec("IDENTIFY_SYSTEM");
  if (result.rows() != 1 || result.columns() < 4) {
    throw PgError(fmt::format("cluster {}: IDENTIFY_SYSTEM returned {} rows and {} columns", label(),
                              result.rows(), result.columns()),
                  sqlstate::kInternalError);
  }
  SystemIdentity identity;
  identity.system_id = result.Get(0, 0);
  identity.timeline = std::stoi(result.Get(0, 1));
  if (!ParseLsn(result.Get(0, 2), &identity.xlog_position)) {
    throw PgError(fmt::format("cluster {}: IDENTIFY_SYSTEM returned an invalid position", label()), sqlstate::kInternalError);
  }
  identity.dbname = result.GetOptional(0, 3).value_or("");
  if (identity.dbname.empty()) {
    throw PgError(fmt::format("cluster {}: the replication connection is not bound to a database", label()),
                  sqlstate::kInternalError);
  }
  return identity;
}

std::string ReplicationStream::ServerEncoding() {
  return conn_->Scalar("SHOW server_encoding").value_or("UTF8");
}

bool ReplicationStream::SlotExists(const std::string& slot) {
  PgResult result = conn_->Exec("SELECT 1 FROM pg_catalog.pg_replication_slots WHERE slot_name = " +
                                conn_->QuoteLiteral(slot));
  return result.rows() > 0;
}

CreatedSlot ReplicationStream::CreateSlot(const std::string& slot, const std::string& plugin,
                                          SnapshotAction action) {
  const char* snapshot = action == SnapshotAction::kExport ? "export"
                         : action == SnapshotAction::kUse  ? "use"
                                                           : "nothing";
  PgResult result = conn_->Exec(fmt::format("CREATE_REPLICATION_SLOT {} LOGICAL {} (SNAPSHOT '{}')",
                                            QuoteName(slot), QuoteName(plugin), snapshot));
  CreatedSlot created;
  if (result.rows() != 1 || result.columns() < 3) {
    throw PgError(fmt::format("cluster {}: CREATE_REPLICATION_SLOT returned no row", label()), sqlstate::kInternalError);
  }
  created.slot_name = result.Get(0, 0);
  if (!ParseLsn(result.Get(0, 1), &created.consistent_point)) {
    throw PgError(fmt::format("cluster {}: CREATE_REPLICATION_SLOT returned an invalid consistent point",
                              label()),
                  sqlstate::kInternalError);
  }
  created.snapshot_name = result.GetOptional(0, 2).value_or("");
  return created;
}

void ReplicationStream::StartReplication(const std::string& slot, Lsn start, const PluginOptions& options) {
  std::string command = BuildStartReplicationCommand(slot, start, options);
  PgResult result(PQexec(conn_->get(), command.c_str()));
  if (PQresultStatus(result.raw()) != PGRES_COPY_BOTH) {
    conn_->ThrowError(result.raw(), fmt::format("START_REPLICATION of slot {}", slot));
  }
  streaming_ = true;
  last_activity_ = std::chrono::steady_clock::now();
}

ReplicationStream::ReceiveStatus ReplicationStream::Receive(int timeout_ms, ServerMessage* message) {
  FreeBuffer();
  for (int attempt = 0;; ++attempt) {
    int size = PQgetCopyData(conn_->get(), &buffer_, /*async=*/1);
    if (size > 0) {
      *message = ParseServerMessage(buffer_, static_cast<size_t>(size));
      last_activity_ = std::chrono::steady_clock::now();
      if (message->kind == ServerMessage::kInvalid) {
        throw PgError(fmt::format("cluster {}: replication stream: {}", label(), message->error), sqlstate::kProtocolViolation);
      }
      return ReceiveStatus::kMessage;
    }
    if (size == -1) {  // the server ended the COPY: it reports why in the final result
      streaming_ = false;
      PgResult result(PQgetResult(conn_->get()));
      if (result.raw() && PQresultStatus(result.raw()) == PGRES_FATAL_ERROR) {
        conn_->ThrowError(result.raw(), "replication stream");
      }
      throw ConnectionError(fmt::format("cluster {}: the server ended the replication stream", label()));
    }
    if (size == -2) {
      streaming_ = false;
      conn_->ThrowError(nullptr, "reading the replication stream");
    }
    // Nothing complete is buffered. First read whatever the socket has
    // without waiting; then, if allowed, wait once.
    if (attempt == 1) {
      if (timeout_ms == 0) return ReceiveStatus::kNoData;
      pollfd pfd{PQsocket(conn_->get()), POLLIN, 0};
      int ready = poll(&pfd, 1, timeout_ms);
      if (ready < 0) {
        if (errno == EINTR) return ReceiveStatus::kNoData;
        throw ConnectionError(fmt::format("cluster {}: poll on the replication socket failed", label()));
      }
      if (ready == 0) return ReceiveStatus::kNoData;
      last_activity_ = std::chrono::steady_clock::now();
    } else if (attempt >= 2) {
      return ReceiveStatus::kNoData;  // a partial message; the rest is on its way
    } else {
      // Bytes of a message too long for one read count as a sign of life.
      pollfd pfd{PQsocket(conn_->get()), POLLIN, 0};
      if (poll(&pfd, 1, 0) > 0) last_activity_ = std::chrono::steady_clock::now();
    }
    if (!PQconsumeInput(conn_->get())) {
      streaming_ = false;
      conn_->ThrowError(nullptr, "reading the replication stream");
    }
  }
}

void ReplicationStream::SendStatus(const StandbyStatus& status) {
  std::string bytes = BuildStandbyStatus(status);
  if (PQputCopyData(conn_->get(), bytes.data(), static_cast<int>(bytes.size())) <= 0 || PQflush(conn_->get())) {
    streaming_ = false;
    conn_->ThrowError(nullptr, "sending a standby status update");
  }
}

void ReplicationStream::Finish() {
  FreeBuffer();
  if (streaming_ && PQstatus(conn_->get()) == CONNECTION_OK) {
    // Tell the walsender we are done; it answers with its own CopyDone and
    // a command result. Do not wait for it: closing is enough once the
    // last status update has been flushed.
    PQputCopyEnd(conn_->get(), nullptr);
    PQflush(conn_->get());
  }
  streaming_ = false;
}

}  // namespace pgduplex
