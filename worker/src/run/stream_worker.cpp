#include "run/stream_worker.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <thread>

#include "common/conninfo.h"
#include "common/exit_codes.h"
#include "initial_sync/initial_sync.h"
#include "common/last_error.h"
#include "common/memory_budget.h"
#include "wire/record_decoder.h"

namespace pgduplex {

namespace {
constexpr auto kDurableCheckInterval = std::chrono::seconds(1);
constexpr int kIdleCommitDelayMs = 2;
constexpr int kMaxWaitMs = 1000;
constexpr const char* kPluginName = "pgduplex";
}  // namespace

StreamWorker::StreamWorker(const TaskConfig& config, Direction direction, WorkerMetrics& metrics,
                           const std::atomic<bool>& stop_requested)
    : config_(config),
      direction_(direction),
      metrics_(metrics),
      stop_requested_(stop_requested),
      retry_(config.retry),
      slot_(config.SlotName(direction)),
      started_at_(PgNow()),
      screen_(config.name, &metrics.forged_messages) {}

int StreamWorker::Run() {
  for (;;) {
    std::optional<SessionFailure> failure = RunSession();
    if (!failure) return kExitOk;
    if (std::optional<int> exit_code = AfterFailure(*failure)) return *exit_code;
  }
}

std::optional<SessionFailure> StreamWorker::RunSession() {
  try {
    Session();
    Shutdown();
    return std::nullopt;
  } catch (const std::exception&) {
    return ClassifyFailure(std::current_exception());
  }
}

std::optional<int> StreamWorker::AfterFailure(const SessionFailure& failure) {
  if (failure.exit_code) return Fail(failure.message, *failure.exit_code, failure.report);
  last_error_ = StampError(PgNow(), failure.message);
  if (Stopping()) return Stopped();
  if (failure.kind == FailureKind::kConnection && IsAuthenticationFailure(failure.message)) {
    return Fail(fmt::format("{} (not retried: fix the credentials)", failure.message), kExitFatal, false);
  }
  if (applier_ && applier_->committed_lsn() > session_start_committed_) retry_.OnProgress();
  metrics_.retries.fetch_add(1, std::memory_order_relaxed);
  std::optional<std::chrono::milliseconds> delay = retry_.OnFailure(failure.kind, Clock::now());
  if (!delay) return GiveUp(failure);
  spdlog::warn("{}; retrying in {:.0f}s", failure.message, delay->count() / 1000.0);
  ReportFailure("reconnecting", last_error_);
  DropSession();
  metrics_.SetState(WorkerState::kReconnecting);
  if (!WaitBeforeRetry(*delay)) return Stopped();
  return std::nullopt;
}

int StreamWorker::GiveUp(const SessionFailure& failure) {
  bool connection = failure.kind == FailureKind::kConnection;
  return Fail(fmt::format("{} (gave up: {} retried for {} minutes, retry.{}_retry_minutes)", failure.message,
                          connection ? "connection failures" : "errors", retry_.WindowMinutes(failure.kind),
                          connection ? "connection" : "error"),
              kExitFatal, true, last_error_);
}

bool StreamWorker::WaitBeforeRetry(std::chrono::milliseconds delay) {
  auto until = Clock::now() + delay;
  while (Clock::now() < until && !Stopping()) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  return !Stopping();
}

int StreamWorker::Fail(const std::string& message, int exit_code, bool report, const std::string& recorded) {
  spdlog::error("{}", message);
  if (report) ReportFailure("failed", recorded.empty() ? StampError(PgNow(), message) : recorded);
  DropSession();
  metrics_.SetState(WorkerState::kFailed);
  return exit_code;
}

int StreamWorker::Stopped() {
  DropSession();
  metrics_.SetState(WorkerState::kStopped);
  return kExitOk;
}

void StreamWorker::DropSession() {
  reader_.reset();
  stream_.reset();
  applier_.reset();
  heartbeat_conn_.reset();
  spool_.reset();
}

// Best effort: the session may be what failed. A failure to record the
// failure is logged, never raised over the one being reported.
void StreamWorker::ReportFailure(const std::string& state, const std::string& error) {
  if (!applier_ || PQstatus(applier_->connection().get()) != CONNECTION_OK) return;
  try {
    applier_->Abandon();
    applier_->status().state = state;
    applier_->status().last_error = error;
    applier_->WriteStatusNow();
  } catch (const std::exception& e) {
    spdlog::warn("could not record the failure in worker_status on cluster {}: {}",
                 TaskConfig::TargetLabel(direction_), RedactSecrets(e.what()));
  }
}

void StreamWorker::Session() {
  metrics_.SetState(WorkerState::kStarting);
  std::string encoding = Connect();
  MaybeInitialSync();
  Lsn start = applier_->Setup(encoding);
  session_start_committed_ = applier_->committed_lsn();
  EnsureSlot(start);
  StartReplication(start);
  MarkStreaming();
  StartReader();
  Stream();
}

// The apply session on the target and the replication connection to the
// source; returns the source's server encoding.
std::string StreamWorker::Connect() {
  applier_ = std::make_unique<Applier>(
      PgConnection::Connect(config_.Target(direction_).conninfo, TaskConfig::TargetLabel(direction_)),
      ApplierOptionsFor(config_, direction_, &stop_requested_), metrics_);
  stream_ = std::make_unique<ReplicationStream>(
      ReplicationStream::Connect(config_.Source(direction_).conninfo, TaskConfig::SourceLabel(direction_)));
  stream_->IdentifySystem();
  return stream_->ServerEncoding();
}

void StreamWorker::EnsureSlot(Lsn start) {
  if (stream_->SlotExists(slot_)) return;
  if (start != kInvalidLsn) throw SlotLost(start);
  CreatedSlot created = stream_->CreateSlot(slot_, kPluginName, SnapshotAction::kNothing);
  spdlog::info("created replication slot {} on cluster {} at {}", slot_, TaskConfig::SourceLabel(direction_),
               LsnToString(created.consistent_point));
}

// The origin has progress (`start`), so this direction ran before, but its
// slot is gone: it was dropped behind the worker's back, and what the source
// wrote since `start` is in no slot any more. A new slot (or a new initial
// copy) would skip it silently.
OperatorActionRequired StreamWorker::SlotLost(Lsn start) const {
  const char* source_label = TaskConfig::SourceLabel(direction_);
  const char* target_label = TaskConfig::TargetLabel(direction_);
  return OperatorActionRequired(fmt::format(
      "replication slot {} is missing on cluster {}, but origin {} on cluster {} has applied up to {}: "
      "changes made on cluster {} since then are lost to this direction. Compare and repair the data "
      "(pgduplex verify), then start this direction afresh by dropping its origin on cluster {}: "
      "SELECT pg_replication_origin_drop('{}')",
      slot_, source_label, config_.OriginName(direction_), target_label, LsnToString(start), source_label,
      target_label, config_.OriginName(direction_)));
}

// The target's progress of this direction's origin, kInvalidLsn with none.
Lsn StreamWorker::OriginProgress() const {
  PgConnection target = PgConnection::Connect(config_.Target(direction_).conninfo, TaskConfig::TargetLabel(direction_));
  target.BoundQueries(config_.retry.receive_timeout_sec);
  auto progress = target.Scalar(
      "SELECT pg_catalog.pg_replication_origin_progress(roname, false)::text FROM pg_catalog.pg_replication_origin "
      "WHERE roname = $1",
      {config_.OriginName(direction_)});
  Lsn lsn = kInvalidLsn;
  if (progress && !ParseLsn(*progress, &lsn)) lsn = kInvalidLsn;
  return lsn;
}

void StreamWorker::StartReplication(Lsn start) {
  StartStreaming(start);
  spdlog::info("streaming {} from cluster {} to cluster {}, slot {}, from {}", ToString(direction_),
               TaskConfig::SourceLabel(direction_), TaskConfig::TargetLabel(direction_), slot_,
               start ? LsnToString(start) : std::string("the slot's position"));
  if (spool_) spdlog::info("large transactions are streamed while they run, spooled in {}", spool_->directory());
}

// The status row says "streaming" from here on.
void StreamWorker::MarkStreaming() {
  WorkerStatusRow& status = applier_->status();
  status.pid = static_cast<int>(getpid());
  status.started_at = started_at_;
  status.state = "streaming";
  // The error that ended the last session, if this process saw one; else
  // the row keeps what an earlier process left. Either stays until this
  // session carries something (ClearLastError).
  status.last_error = last_error_.empty() ? std::nullopt : std::optional<std::string>(last_error_);
  error_cleared_ = false;
  session_heartbeat_lsn_ = kInvalidLsn;
  applier_->WriteStatusNow();
  metrics_.SetState(WorkerState::kStreaming);
}

// From here the reader thread owns the replication connection.
void StreamWorker::StartReader() {
  idle_lsn_ = kInvalidLsn;
  retry_.OnStreaming(Clock::now());
  next_heartbeat_ = Clock::now();
  reader_ = std::make_unique<StreamReader>(std::move(stream_),
                                           MemoryBudget::FromMb(config_.sync.apply_memory_mb).stream_queue(),
                                           std::chrono::seconds(config_.retry.receive_timeout_sec));
  PublishPositions();
  reader_->Start();
}

void StreamWorker::Stream() {
  while (!Stopping()) {
    // Short waits while a complete batch waits to be committed: a stream
    // that stays dry that long has nothing more for it now.
    int wait_ms = BatchComplete() ? kIdleCommitDelayMs : kMaxWaitMs;
    if (reader_->Take(&items_, wait_ms)) {
      for (StreamItem& item : items_) Dispatch(item);
      reader_->Recycle(&items_);
    } else {
      Idle();
    }
    Periodic();
  }
}

// Forward only, with sync.initial != none, when the slot does not exist
// yet or a copy was cut off: create the slot exporting its snapshot, copy
// the data under it (this connection stays idle meanwhile), and leave the
// forward origin at the slot's consistent point, where Setup() and
// START_REPLICATION then pick up. See initial_sync/initial_sync.h.
void StreamWorker::MaybeInitialSync() {
  using initial_sync::InitialSync;
  if (direction_ != Direction::kForward || config_.sync.initial == pgduplex::InitialSync::kNone) return;
  const bool unfinished = InitialSync::Unfinished(config_);
  if (stream_->SlotExists(slot_) && !unfinished) return;
  // A finished copy left the origin at its consistent point: a missing slot
  // now is one dropped behind our back, as in EnsureSlot, not a first start.
  if (!unfinished) {
    Lsn progress = OriginProgress();
    if (progress != kInvalidLsn) throw SlotLost(progress);
  }
  metrics_.SetState(WorkerState::kCopying);
  InitialSync::Prepare(config_);
  CreatedSlot created = stream_->CreateSlot(slot_, kPluginName, SnapshotAction::kExport);
  spdlog::info("created replication slot {} on cluster a at {}, exported snapshot {}; initial copy ({}) starts",
               slot_, LsnToString(created.consistent_point), created.snapshot_name,
               pgduplex::ToString(config_.sync.initial));
  initial_sync::Options options;
  options.metrics = &metrics_;
  options.terminal = isatty(STDERR_FILENO);
  options.stop = &stop_requested_;
  InitialSync(config_, created.snapshot_name, LsnToString(created.consistent_point), options).Run();
  retry_.OnProgress();  // the copy's failed attempts are behind us
}

void StreamWorker::Dispatch(StreamItem& item) {
  if (item.keepalive) {
    if (NothingPending()) idle_lsn_ = std::max(idle_lsn_, item.wal_end);
    return;
  }
  const size_t size = item.payload_size;
  metrics_.received_bytes.fetch_add(size, std::memory_order_relaxed);
  if (SpoolIfInBlock(item)) {
    item.Release();  // written to the spool file
    return;
  }
  size_t assembled = 0;
  const v1::Record* record = values_.Read(item.payload, size, item.data_start, applier_->arena(), &assembled);
  const Lsn lsn = item.data_start;
  item.Release();  // decoded: the record holds its own copy, the only one from here on
  if (record == nullptr) return;  // a chunk of a large value, kept for its change (wire/value_assembler.h)
  DispatchRecord(*record, lsn, size + assembled);
}

void StreamWorker::DispatchRecord(const v1::Record& record, Lsn lsn, size_t size) {
  switch (record.kind_case()) {
    case v1::Record::kBegin: applier_->OnBegin(record.begin()); break;
    case v1::Record::kCommit: applier_->OnCommit(record.commit()); break;
    case v1::Record::kRelation: applier_->OnRelation(record.relation()); break;
    case v1::Record::kInsert:
    case v1::Record::kUpdate:
    case v1::Record::kDelete:
    case v1::Record::kTruncate:
    case v1::Record::kDdl:
      applier_->OnChange(record, lsn, size);
      break;
    case v1::Record::kHeartbeat: OnHeartbeatRecord(record.heartbeat(), lsn); break;
    case v1::Record::kMessage:
      // Under "pgduplex.": a heartbeat the plugin passed on as is, or a
      // forgery (see wire/message_screen.h). Other prefixes: not ours.
      OnScreened(screen_.OnMessage(record.message(), PgNow(), Clock::now()), lsn);
      break;
    case v1::Record::kStreamStart:
    case v1::Record::kStreamStop:
    case v1::Record::kStreamCommit:
    case v1::Record::kStreamAbort:
      OnStreamRecord(record);
      break;
    case v1::Record::kValueChunk: break;  // ValueAssembler absorbs them
    case v1::Record::KIND_NOT_SET: break;  // ReadRecord refuses it
  }
}

void StreamWorker::OnHeartbeatRecord(const v1::Heartbeat& heartbeat, Lsn at) {
  OnScreened(screen_.OnHeartbeat(heartbeat, PgNow(), Clock::now()), at);
  // A non-transactional message comes after every commit before it:
  // with nothing pending, its position needs nothing more (this keeps
  // the slot moving when every transaction on the source is filtered).
  if (NothingPending()) idle_lsn_ = std::max(idle_lsn_, at);
}

void StreamWorker::OnScreened(const MessageScreen::Outcome& outcome, Lsn at) {
  if (outcome.warning) spdlog::warn("{}", *outcome.warning);
  if (!outcome.heartbeat) return;
  // A heartbeat this session wrote on the source reached the target: the
  // direction carries again (OnHeartbeat writes the status row).
  if (session_heartbeat_lsn_ != kInvalidLsn && at >= session_heartbeat_lsn_) ClearLastError(false);
  applier_->OnHeartbeat(*outcome.heartbeat);
}

void StreamWorker::Idle() {
  // The stream is dry: commit what is complete rather than wait for more.
  if (BatchComplete()) applier_->CommitBatch();
}

void StreamWorker::Periodic() {
  auto now = Clock::now();
  if (!applier_->HasUncommitted() && applier_->committed_lsn() > applier_->durable_lsn() &&
      now - last_durable_check_ >= kDurableCheckInterval) {
    applier_->RefreshDurable();
    last_durable_check_ = now;
  }
  PublishPositions();
  if (now >= next_heartbeat_) Heartbeat();
  if (applier_->StatusDue()) applier_->WriteStatusNow();
  if (applier_->committed_lsn() > session_start_committed_) {
    retry_.OnProgress();
    ClearLastError(true);
  }
}

void StreamWorker::ClearLastError(bool write_now) {
  if (error_cleared_) return;
  error_cleared_ = true;
  last_error_.clear();
  applier_->status().last_error = std::string();  // "" clears the column
  // Now when between transactions; else with the next commit's status.
  if (write_now && NothingPending()) applier_->WriteStatusNow();
}

void StreamWorker::PublishPositions() {
  Lsn flush = applier_->durable_lsn();
  if (NothingPending() && applier_->durable_lsn() >= applier_->committed_lsn()) {
    // Everything received is applied and durable: what the stream skipped
    // (filtered transactions, keepalive positions) needs nothing more.
    flush = std::max({flush, applier_->handled_lsn(), idle_lsn_});
  }
  reader_->Publish(flush, std::max(flush, applier_->committed_lsn()));
}

// Heartbeats are information (lag, status), not the session's work: a
// failed one is one warning until one succeeds again, never a reason to stop.
// It runs on the apply loop, so it waits at most half of
// retry.receive_timeout_sec for an answer, and after a failure the next one
// waits a whole receive timeout: a source that stopped answering is the
// reader's to detect (stream_reader.h), and the loop must be free to see it.
void StreamWorker::Heartbeat() {
  next_heartbeat_ = Clock::now() + std::chrono::seconds(config_.sync.heartbeat_interval_sec);
  try {
    WriteHeartbeat();
    heartbeat_warned_ = false;
  } catch (const std::exception& e) {
    if (!heartbeat_warned_) spdlog::warn("heartbeat on cluster {} failed: {}", TaskConfig::SourceLabel(direction_),
                                         RedactSecrets(e.what()));
    heartbeat_warned_ = true;
    heartbeat_conn_.reset();
    next_heartbeat_ = std::max(next_heartbeat_, Clock::now() + std::chrono::seconds(config_.retry.receive_timeout_sec));
  }
}

// pgduplex.heartbeat(task) on the source, which also says how far behind
// the slot is.
void StreamWorker::WriteHeartbeat() {
  if (!heartbeat_conn_) {
    heartbeat_conn_ = std::make_unique<PgConnection>(
        PgConnection::Connect(config_.Source(direction_).conninfo, TaskConfig::SourceLabel(direction_)));
    heartbeat_conn_->BoundQueries(std::max(2, config_.retry.receive_timeout_sec / 2));
  }
  PgResult result = heartbeat_conn_->ExecParams(
      "SELECT pgduplex.heartbeat($1), s.flush_lag, s.retained FROM (SELECT 1) one LEFT JOIN "
      "(SELECT pg_catalog.pg_wal_lsn_diff(pg_catalog.pg_current_wal_lsn(), confirmed_flush_lsn)::bigint "
      "AS flush_lag, pg_catalog.pg_wal_lsn_diff(pg_catalog.pg_current_wal_lsn(), restart_lsn)::bigint AS retained "
      "FROM pg_catalog.pg_replication_slots WHERE slot_name = $2) s ON true",
      {config_.name, slot_});
  Lsn written = kInvalidLsn;
  if (session_heartbeat_lsn_ == kInvalidLsn && result.rows() == 1 && ParseLsn(result.Get(0, 0), &written)) {
    session_heartbeat_lsn_ = written;
  }
  if (result.rows() == 1 && !result.IsNull(0, 1)) {
    metrics_.slot_lag_bytes.store(std::stoll(result.Get(0, 1)), std::memory_order_relaxed);
  }
  if (result.rows() == 1 && !result.IsNull(0, 2)) {
    metrics_.slot_retained_wal_bytes.store(std::stoll(result.Get(0, 2)), std::memory_order_relaxed);
  }
}

void StreamWorker::Shutdown() {
  if (!applier_) return;
  if (applier_->InSourceTransaction()) {
    applier_->Abandon();  // the rest of it is sent again on restart
  } else {
    applier_->CommitBatch();
  }
  applier_->RefreshDurable();
  PublishPositions();
  reader_->Stop();
  applier_->status().state = "stopped";
  applier_->WriteStatusNow();
  metrics_.SetState(WorkerState::kStopped);
  spdlog::info("stopped; applied up to source LSN {}", LsnToString(applier_->committed_lsn()));
  DropSession();
}

}  // namespace pgduplex
