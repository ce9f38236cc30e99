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
// Failures: ConnectionError (either side) is retried with backoff for
// retry.connection_retry_minutes, anything else for
// retry.error_retry_minutes (RetryPolicy; a finished initial copy, a
// committed batch and a minute of streaming start the backoff afresh); then
// exit 4 with the reason. Each failure is recorded, with its time, as the
// last error in worker_status (last_error.h), where it stays until the
// direction carries something again: a committed batch, or a heartbeat
// that the session wrote on the source arriving at the target. Authentication
// failures are not retried. ConflictStop (policy fail) exits 3 at once;
// SetupRefused (extension too old for sync.apply_as_table_owner) exits 2;
// an invariant failure (std::logic_error) exits 4 at once, never retried.
//
// Messages under the extension's prefixes and heartbeats go through
// MessageScreen (stream/message_screen.h): forgeries are ignored with one
// warning and counted, never applied, never a reason to stop.
//
// Metrics: the WorkerMetrics passed in are updated as the loop runs (state,
// applied counts, conflicts, lag, slot lag, forged messages); whoever
// serves them (metrics endpoint) only reads them.
#pragma once

#include <atomic>
#include <chrono>
#include <exception>
#include <memory>
#include <optional>
#include <string>

#include "apply/applier.h"
#include "apply/retry_policy.h"
#include "common/config.h"
#include "common/pg_connection.h"
#include "wire/message_screen.h"
#include "stream/replication_stream.h"
#include "stream/stream_reader.h"
#include "common/worker_metrics.h"

namespace pgduplex {

// The plugin options for a direction: origins 'none' always, ddl only
// forward and only with sync.ddl, tables from sync.tables.
PluginOptions PluginOptionsFor(const TaskConfig& config, Direction direction);

// True when a connection error message says the credentials were refused.
bool IsAuthenticationFailure(const std::string& message);

// How a session ended, as the run loop acts on it (see errors.h): with
// exit_code set, the process exits with it at once (report: the message is
// recorded in worker_status); else the failure is retried within the
// window of its kind (unless a stop was requested, or credentials were
// refused). A stop request, an ApplyError, a PgError: retried (the loop
// sees the stop flag first).
struct SessionFailure {
  std::string message;  // secrets redacted where the text can hold them
  FailureKind kind = FailureKind::kOther;
  std::optional<int> exit_code;
  bool report = false;
};

// Classifies the exception that ended a session. Never throws.
SessionFailure ClassifyFailure(std::exception_ptr failure);

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

  void Session();
  void MaybeInitialSync();
  void Dispatch(const StreamItem& item);
  void OnScreened(const MessageScreen::Outcome& outcome, Lsn at);
  void Idle();
  void Periodic();
  void PublishPositions();
  void Heartbeat();
  void Shutdown();
  void ReportFailure(const std::string& state, const std::string& error);
  void ClearLastError(bool write_now);
  void DropSession();
  // Logs the message, records it in worker_status when `report` (the
  // stamped `recorded` text if given, else the message stamped now), ends
  // the session, and returns exit_code.
  int Fail(const std::string& message, int exit_code, bool report, const std::string& recorded = "");
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
