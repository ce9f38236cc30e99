// StreamWorker: the `pgduplex run` loop for one direction.
//
//   connect target (Applier::Setup: origin, start LSN)
//   connect source (replication), create the slot if absent,
//   START_REPLICATION from the origin's durable progress
//   loop: records -> Applier; keepalives answered; standby status updates
//         every second with flush = what is durable on the target;
//         pgduplex.heartbeat(task) on the source every
//         sync.heartbeat_interval_sec; batches committed when the stream
//         goes idle
//   on SIGTERM/SIGINT: commit what is complete, report, exit 0
//
// Failures (judged by ClassifyFailure, run/session_failure.h):
// ConnectionError (either side) is retried with backoff for
// retry.connection_retry_minutes, anything else for
// retry.error_retry_minutes (RetryPolicy; a finished initial copy, a
// committed batch and a minute of streaming start the backoff afresh); then
// exit 4 with the reason. Each failure is recorded, with its time, as the
// last error in worker_status (last_error.h), where it stays until the
// direction carries something again: a committed batch, or a heartbeat
// that the session wrote on the source arriving at the target. Authentication
// failures are not retried. A half-open connection is a ConnectionError
// too: the reader's receive timeout (retry.receive_timeout_sec,
// stream/stream_reader.h), a heartbeat left unanswered (pg_connection.h,
// BoundQueries). ConflictStop (policy fail) exits 3 at once;
// SetupRefused (extension too old for sync.apply_as_table_owner) exits 2;
// an invariant failure (std::logic_error) exits 4 at once, never retried.
//
// Messages under the extension's prefixes and heartbeats go through
// MessageScreen (wire/message_screen.h): forgeries are ignored with one
// warning and counted, never applied, never a reason to stop.
//
// Metrics: the WorkerMetrics passed in are updated as the loop runs (state,
// applied counts, conflicts, lag, slot lag, forged messages); whoever
// serves them (metrics endpoint) only reads them.
#pragma once

#include <atomic>
#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "apply/applier.h"
#include "apply/retry_policy.h"
#include "common/config.h"
#include "common/pg_connection.h"
#include "wire/message_screen.h"
#include "wire/value_assembler.h"
#include "stream/replication_stream.h"
#include "stream/stream_reader.h"
#include "common/worker_metrics.h"
#include "run/session_failure.h"
#include "run/session_options.h"
#include "run/stream_spool.h"

namespace pgduplex {

class StreamWorker {
 public:
  StreamWorker(const TaskConfig& config, Direction direction, WorkerMetrics& metrics,
               const std::atomic<bool>& stop_requested);
  StreamWorker(const StreamWorker&) = delete;
  StreamWorker& operator=(const StreamWorker&) = delete;

  // Runs until stopped or failed; returns the process exit code.
  int Run();

 private:
  using Clock = std::chrono::steady_clock;

  // One session and its orderly end; the failure that ended it, if any.
  std::optional<SessionFailure> RunSession();
  // Connects, sets up and streams until stopped; throws what ended it.
  void Session();
  std::string Connect();
  void EnsureSlot(Lsn start);
  OperatorActionRequired SlotLost(Lsn start) const;
  Lsn OriginProgress() const;
  void StartReplication(Lsn start);
  void MarkStreaming();
  void StartReader();
  void Stream();
  void MaybeInitialSync();
  void Dispatch(StreamItem& item);
  void DispatchRecord(const v1::Record& record, Lsn lsn, size_t size);

  // Streaming of in-progress transactions (stream_worker_streaming.cpp):
  // proto_version 2 negotiated at START_REPLICATION, blocks spooled
  // (run/stream_spool.h), applied at StreamCommit through DispatchRecord.
  void StartStreaming(Lsn start);
  void OpenSpool();
  void OnStreamingRefused(const std::string& error);
  void OnValueChunksRefused(const std::string& error);
  bool SpoolIfInBlock(const StreamItem& item);
  void OnStreamRecord(const v1::Record& record);
  void OnStreamStart(const v1::StreamStart& start);
  void BeginStreamed(uint32_t xid, uint64_t commit_lsn, int64_t commit_time, const std::string& origin);
  void EndStreamed(const v1::StreamCommit& commit);
  void OnHeartbeatRecord(const v1::Heartbeat& heartbeat, Lsn at);
  void OnScreened(const MessageScreen::Outcome& outcome, Lsn at);
  void Idle();
  void Periodic();
  void PublishPositions();
  void Heartbeat();
  void WriteHeartbeat();
  void Shutdown();

  // After a failed session: the exit code, or nothing to start another.
  std::optional<int> AfterFailure(const SessionFailure& failure);
  int GiveUp(const SessionFailure& failure);
  // Waits `delay` unless a stop is requested; false when one was.
  bool WaitBeforeRetry(std::chrono::milliseconds delay);
  void ReportFailure(const std::string& state, const std::string& error);
  void ClearLastError(bool write_now);
  void DropSession();
  // Logs the message, records it in worker_status when `report` (the
  // stamped `recorded` text if given, else the message stamped now), ends
  // the session, and returns exit_code.
  int Fail(const std::string& message, int exit_code, bool report, const std::string& recorded = "");
  // A stop was requested: ends the session, returns exit code 0.
  int Stopped();

  // Nothing to commit and not inside a source transaction.
  bool NothingPending() const {
    return !applier_->HasUncommitted() && !applier_->InSourceTransaction() &&
           (!spool_ || spool_->open_transactions() == 0);
  }
  // Complete source transactions wait to be committed.
  bool BatchComplete() const { return applier_->HasUncommitted() && !applier_->InSourceTransaction(); }
  bool Stopping() const { return stop_requested_.load(std::memory_order_relaxed); }

  const TaskConfig& config_;
  Direction direction_;
  WorkerMetrics& metrics_;
  const std::atomic<bool>& stop_requested_;
  RetryPolicy retry_;
  std::string slot_;
  PgTimestamp started_at_;
  std::string last_error_;  // stamped (last_error.h); until a session carries something

  std::unique_ptr<Applier> applier_;
  std::unique_ptr<ReplicationStream> stream_;  // until streaming starts
  std::unique_ptr<StreamReader> reader_;      // then it reads the stream
  std::vector<StreamItem> items_;
  std::unique_ptr<PgConnection> heartbeat_conn_;
  std::unique_ptr<StreamSpool> spool_;  // this session streams (proto_version 2)
  bool plugin_lacks_streaming_ = false;  // the source's plugin refused proto_version 2
  bool plugin_lacks_value_chunks_ = false;  // the source's plugin refused value_chunk_size
  ValueAssembler values_;  // large values sent in chunks, until their change
  uint32_t direct_xid_ = 0;  // streamed transaction whose last block is applied as it arrives

  Lsn idle_lsn_ = kInvalidLsn;  // keepalive position while nothing was pending
  Lsn session_start_committed_ = kInvalidLsn;
  Clock::time_point last_durable_check_{};
  Clock::time_point next_heartbeat_{};
  bool heartbeat_warned_ = false;
  bool error_cleared_ = false;              // this session carried something: last error cleared
  Lsn session_heartbeat_lsn_ = kInvalidLsn;  // first heartbeat this session wrote on the source
  MessageScreen screen_;  // across sessions: one warning a minute at most
};

}  // namespace pgduplex
