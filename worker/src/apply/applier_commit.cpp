// Applier, commit and progress. CommitBatch sends, in one pipeline:
// pg_replication_origin_xact_setup(end LSN, commit time) of the last
// source transaction (so progress commits atomically with the data), the
// worker_status row about once a second, COMMIT, and about once a second
// pg_replication_origin_session_progress(true), whose answer is what the
// target has flushed: durable_lsn(), the only position reported to the
// source as flushed.
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <optional>
#include <string>

#include "apply/applier.h"
#include "apply/tombstone_triggers.h"
#include "apply/apply_sql.h"

namespace pgduplex {

namespace {
constexpr auto kDurableInterval = std::chrono::seconds(1);

// The results of the commit pipeline that are read, told apart by their
// tag's index (every other statement there is PipelineTag::Control(), index 0).
enum CommitStep : uint64_t { kCommitStatement = 1, kDurableProgress = 2 };

PipelineTag CommitTag(CommitStep step) { return PipelineTag::Control(step); }

// What the commit pipeline answered.
struct CommitOutcome {
  std::string failure;                // the first error, if any
  std::string commit_tag;             // "COMMIT" when the transaction committed
  std::optional<std::string> durable; // session_progress(true), when asked

  void Read(const PipelineTag& tag, const PGresult* result) {
    ExecStatusType status = PQresultStatus(result);
    if (status == PGRES_FATAL_ERROR && failure.empty()) {
      const char* message = PQresultErrorMessage(result);
      failure = message ? message : "error";
    }
    if (tag.kind != PipelineTag::Kind::kControl) return;
    if (tag.index == kCommitStatement && status == PGRES_COMMAND_OK) {
      commit_tag = PQcmdStatus(const_cast<PGresult*>(result));
    }
    if (tag.index == kDurableProgress && status == PGRES_TUPLES_OK && PQntuples(result) == 1 &&
        !PQgetisnull(result, 0, 0)) {
      durable = PQgetvalue(result, 0, 0);
    }
  }
  bool committed() const { return failure.empty() && commit_tag == "COMMIT"; }
};
}  // namespace

void Applier::CommitBatch() {
  if (in_txn_) throw std::logic_error("CommitBatch inside a source transaction");
  if (!open_) {
    if (!batch_.no_txns()) handled_lsn_ = std::max(handled_lsn_, batch_.last_txn().end_lsn);
    ResetBatch();
    return;
  }
  if (Verify() == Step::kSurprise) Recover();
  const SourceTxn& last = batch_.last_txn();
  auto now = std::chrono::steady_clock::now();
  // Progress rides on the commit, written as the worker.
  AsWorker();
  std::string lsn_text = LsnToString(last.end_lsn);
  std::string time_text = FormatPgTimestamp(last.commit_time);
  const char* setup_values[] = {lsn_text.c_str(), time_text.c_str()};
  pipeline_.SendQuery(apply_sql::kXactSetup, 2, setup_values, PipelineTag::Control());
  // The status row about once a second, in the same transaction.
  bool status_sent = status_.QueueWithCommit(pipeline_, now, batch_, last, committed_lsn_, last_commit_time_);
  bool check_durable = now - last_durable_check_ >= kDurableInterval;
  pipeline_.SendQuery("COMMIT", 0, nullptr, CommitTag(kCommitStatement));
  if (check_durable) pipeline_.SendQuery(apply_sql::kSessionProgress, 0, nullptr, CommitTag(kDurableProgress));
  pipeline_.Sync();
  CommitOutcome outcome;
  pipeline_.Collect(true, [&](const PipelineTag& tag, const PGresult* result) { outcome.Read(tag, result); });
  if (!outcome.committed()) {
    std::string& failure = outcome.failure;
    while (!failure.empty() && failure.back() == '\n') failure.pop_back();
    throw PgError(fmt::format("cluster {}: committing the batch up to source LSN {} failed: {}", conn_->label(),
                              LsnToString(last.end_lsn), failure.empty() ? "transaction was rolled back" : failure),
                  sqlstate::kInternalError);
  }
  pipeline_.Exit();
  open_ = false;
  RecordCommitted(last);
  if (outcome.durable) {
    Lsn durable;
    if (ParseLsn(*outcome.durable, &durable)) durable_lsn_ = std::max(durable_lsn_, durable);
    last_durable_check_ = now;
  }
  if (!status_sent) status_.MarkDirty();
  ResetBatch();
  MaybePurgeTombstones(now);
}

// Under last-write-wins, tombstones older than the retention go about once
// an hour (and at every session start, in the session setup); partitions
// created on the target since get their TRUNCATE trigger then too.
void Applier::MaybePurgeTombstones(std::chrono::steady_clock::time_point now) {
  if (options_.policy != ConflictPolicy::kLastWriteWins) return;
  if (last_purge_ == std::chrono::steady_clock::time_point{}) last_purge_ = now;
  if (now - last_purge_ < kPurgeInterval) return;
  last_purge_ = now;
  EnsureTombstoneTriggers(*conn_, roles_, TableScope(options_.TargetTables()));
  int64_t purged = PurgeTombstones(*conn_, options_.tombstone_retention_hours);
  if (purged) spdlog::info("cluster {}: {} tombstone(s) older than {} h forgotten", conn_->label(), purged,
                           options_.tombstone_retention_hours);
}

// The batch up to `last` is committed: progress and metrics.
void Applier::RecordCommitted(const SourceTxn& last) {
  committed_lsn_ = last.end_lsn;
  handled_lsn_ = std::max(handled_lsn_, committed_lsn_);
  last_commit_time_ = last.commit_time;
  metrics_.applied_transactions.fetch_add(batch_.txn_count(), std::memory_order_relaxed);
  metrics_.applied_changes.fetch_add(batch_.changes(), std::memory_order_relaxed);
  metrics_.applied_bytes.fetch_add(batch_.bytes(), std::memory_order_relaxed);
  metrics_.last_source_lsn.store(committed_lsn_, std::memory_order_relaxed);
  metrics_.MarkApplied(last.commit_time);
}

Lsn Applier::RefreshDurable() {
  if (open_) return durable_lsn_;
  std::optional<std::string> progress = conn_->Scalar(apply_sql::kSessionProgress);
  Lsn lsn = kInvalidLsn;
  if (progress && !ParseLsn(*progress, &lsn)) {
    throw ApplyError(fmt::format("cluster {}: unexpected origin progress \"{}\"", conn_->label(), *progress));
  }
  durable_lsn_ = std::max(durable_lsn_, lsn);
  last_durable_check_ = std::chrono::steady_clock::now();
  return durable_lsn_;
}

void Applier::ResetBatch() {
  runs_.Clear();  // before ReleaseRetired: the runs hang off the relations
  sends_since_collect_ = 0;
  verdict_.Reset();
  relations_.ReleaseRetired();
  batch_.Reset();
}

void Applier::Abandon() {
  in_txn_ = false;
  skipping_ = false;
  if (open_) {
    try {
      if (pipeline_.active()) {
        pipeline_.Sync();
        pipeline_.Collect(true, [](const PipelineTag&, const PGresult*) {});
        pipeline_.Exit();
      }
      conn_->Exec("ROLLBACK");
      roles_.OnRollback();
    } catch (const std::exception& e) {
      spdlog::debug("rolling back the open batch: {}", e.what());
    }
    open_ = false;
  }
  ResetBatch();
}

// ---------------------------------------------------------------------------
// Status

void Applier::WriteStatusNow() {
  if (open_) return;
  status_.WriteNow(*conn_, committed_lsn_, last_commit_time_);
}

bool Applier::StatusDue() const { return !open_ && status_.Due(); }

}  // namespace pgduplex
