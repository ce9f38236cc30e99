// Applier, sync points and the conflict path. Verify sends the runs,
// syncs the pipeline and judges every result (PipelineVerdict). On a
// surprise, Recover rolls the segment back to SAVEPOINT pgduplex_batch and
// replays it: the source transactions before the surprising one fast
// again, that one change by change through ChangeReplayer (RunSlow), the
// rest fast again. Under policy fail a ConflictStop ends the batch
// (HandleStop): what came before the conflicting transaction commits with
// its progress, then the conflict row, then the stop propagates.
#include <spdlog/spdlog.h>

#include <algorithm>

#include "apply/applier.h"
#include "apply/apply_sql.h"

namespace pgduplex {

using apply_sql::kRelease;
using apply_sql::kRollbackToSavepoint;
using apply_sql::kSavepoint;
using apply_sql::kXactReset;
using apply_sql::kXactSetup;

Applier::Step Applier::Verify() {
  runs_.FlushAll();
  pipeline_.Sync();
  pipeline_.Collect(true, [this](const PipelineTag& tag, const PGresult* result) {
    verdict_.Judge(tag, result, batch_);
  });
  sends_since_collect_ = 0;
  verdict_.ThrowIfFailed(conn_->label());
  return verdict_.surprised() ? Step::kSurprise : Step::kDone;
}

void Applier::NewSegment(uint64_t start) {
  SendControl(kRelease);
  SendControl(kSavepoint);
  batch_.set_segment_start(start);
}

Applier::Step Applier::RunFast(uint64_t from, uint64_t to) {
  for (uint64_t i = from; i < to; ++i) {
    if (ExecFast(i) == Step::kSurprise) return Step::kSurprise;
  }
  return Verify();
}

void Applier::Recover() {
  // From here to the end of the batch, one statement per change: the
  // replay must find the exact change that surprised.
  runs_.SetPrecise();
  while (verdict_.surprised()) {
    uint64_t surprise = verdict_.TakeSurprise();
    uint32_t bad = At(surprise).txn;
    spdlog::debug("conflict suspected at {}; replaying the batch segment", batch_.Where(surprise));
    SendRollbackToSavepoint();
    uint64_t bad_first = std::max(batch_.segment_start(), batch_.TxnFirst(bad));
    bool whole_txn = batch_.TxnFirst(bad) >= batch_.segment_start();
    if (RunFast(batch_.segment_start(), bad_first) == Step::kSurprise) continue;
    NewSegment(bad_first);
    uint64_t bad_end = batch_.TxnEnd(bad);
    RunSlow(bad, bad_first, bad_end, whole_txn);
    NewSegment(bad_end);
    if (RunFast(bad_end, End()) == Step::kSurprise) continue;
  }
}

void Applier::RunSlow(uint32_t txn, uint64_t from, uint64_t to, bool whole_txn) {
  if (Verify() == Step::kSurprise) throw std::logic_error("surprise from control statements");
  pipeline_.Exit();
  try {
    for (uint64_t i = from; i < to; ++i) {
      BatchChange& change = At(i);
      const v1::Record& record = *change.record;
      if (record.has_truncate()) {
        for (const TruncateStatement& statement : batch_.TruncatePlan(change)) {
          AsRole(statement.role);
          conn_->Exec(statement.sql);
        }
      } else if (record.has_ddl()) {
        AsWorker();
        ExecDdl(i);
      } else if (change.relation && change.relation->conflict_only) {
        AsWorker();
        WriteDriftConflict(i);
      } else {
        replayer_.Apply(record, change.relation, batch_.txn(txn));
      }
    }
  } catch (const ConflictStop& stop) {
    HandleStop(stop, txn, whole_txn);
  }
  pipeline_.Enter();
}

void Applier::HandleStop(const ConflictStop& stop, uint32_t txn, bool whole_txn) {
  PgConnection& c = *conn_;
  if (whole_txn) {
    // Keep the source transactions before the conflicting one.
    c.Exec(kRollbackToSavepoint);
    roles_.OnRollback();
    c.Exec(kRelease);
    if (txn > 0) {
      const SourceTxn& previous = batch_.txn(txn - 1);
      c.ExecParams(kXactSetup, {LsnToString(previous.end_lsn), FormatPgTimestamp(previous.commit_time)});
    } else {
      c.Exec(kXactReset);
    }
    WriteStopRecord(stop.record());
    c.Exec("COMMIT");
    if (txn > 0) {
      committed_lsn_ = batch_.txn(txn - 1).end_lsn;
      metrics_.applied_transactions.fetch_add(txn, std::memory_order_relaxed);
      metrics_.last_source_lsn.store(committed_lsn_, std::memory_order_relaxed);
    }
  } else {
    c.Exec("ROLLBACK");
    roles_.OnRollback();
    c.Exec("BEGIN");
    c.Exec(kXactReset);
    WriteStopRecord(stop.record());
    c.Exec("COMMIT");
  }
  open_ = false;
  throw stop;
}

void Applier::WriteStopRecord(const ConflictRecord& record) {
  if (record.ddl && !roles_.available()) {
    // An extension older than 1.1: its conflicts table has no ddl_not_applied.
    metrics_.CountConflict(record.type, record.resolution);
    return;
  }
  conflict_log_.Write(*conn_, roles_, record);
}

void Applier::MaybeSegment() {
  if (!in_txn_ ||
      !batch_.HeldReaches(2 * static_cast<size_t>(options_.batch_max_changes), options_.memory.held_records())) {
    return;
  }
  // One huge source transaction (by changes or by bytes): verify what was
  // sent, start a new segment and drop the verified records, so memory does
  // not grow with it.
  if (Verify() == Step::kSurprise) Recover();
  NewSegment(End());
  batch_.ReleaseSent();
}

}  // namespace pgduplex
