// Applier: the facade (see applier.h). This file: setup, the stream input
// (Begin, Relation, changes, Commit, heartbeats) and the fast path that
// sends each change into the pipeline.
#include "apply/applier.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <set>

#include "apply/apply_session.h"
#include "apply/apply_sql.h"
#include "apply/schema_drift.h"
#include "apply/sql_builder.h"
#include "apply/tombstone_triggers.h"
#include "wire/record_decoder.h"

namespace pgduplex {

namespace {
constexpr int kCollectEvery = 256;
}  // namespace

Applier::Applier(PgConnection target, ApplierOptions options, WorkerMetrics& metrics)
    : conn_(std::make_unique<PgConnection>(std::move(target))),
      options_(std::move(options)),
      metrics_(metrics),
      resolver_(options_.policy, options_.direction),
      conflict_log_(options_.task, options_.direction, metrics),
      relations_(conn_->label()),
      pipeline_(*conn_),
      replayer_(*conn_, resolver_, conflict_log_, roles_),
      throttle_(options_.max_rows_per_sec, options_.max_bytes_per_sec),
      ddl_policy_(TableScope(options_.tables)),
      runs_(*conn_, pipeline_, roles_, batch_, options_.memory.statement()),
      status_(options_.task, ToString(options_.direction), metrics) {
  pipeline_.SetInterrupt(options_.interrupt);
  relations_.set_missing_table_is_conflict(options_.direction == Direction::kReverse);
  relations_.set_name_mapping(&options_.mapping, options_.direction);
}

Applier::~Applier() = default;

Lsn Applier::Setup(const std::string& source_encoding) {
  ApplySession session = PrepareApplySession(*conn_, source_encoding, options_, roles_);
  session_search_path_ = session.search_path;
  origin_id_ = session.origin_id;
  copy_origin_ids_ = session.copy_origin_ids;
  value_claims_ = session.value_claims;
  keyless_successors_ = session.keyless_successors;
  fast_guard_ = session.fast_guard;
  status_.set_available(session.has_status_table);
  RefreshDurable();
  committed_lsn_ = durable_lsn_;
  handled_lsn_ = durable_lsn_;
  skip_before_ = durable_lsn_;
  return durable_lsn_;
}

// ---------------------------------------------------------------------------
// Stream input

void Applier::OnBegin(const v1::Begin& begin) {
  in_txn_ = true;
  string_next_statement_.clear();
  skipping_ = begin.final_lsn() < skip_before_;
  if (skipping_) return;
  SourceTxn txn;
  txn.xid = begin.xid();
  txn.commit_lsn = begin.final_lsn();
  txn.commit_time = begin.commit_time();
  if (options_.policy == ConflictPolicy::kLastWriteWins) txn.commit_time_text = FormatPgTimestamp(txn.commit_time);
  batch_.BeginTxn(txn);
}

void Applier::OnRelation(const v1::Relation& relation) {
  // A new definition gets a new TargetRelation: send what the old one has
  // queued first, so the table's changes stay in order.
  if (relations_.Define(relation) && open_) runs_.FlushAll();
  MaybeResetArena();
}

TargetRelation* Applier::Relation(uint32_t oid) {
  TargetRelation* relation = relations_.Find(oid);
  if (relation) return relation;
  // Catalog lookups need a quiet connection: settle the pipeline first.
  if (open_) {
    if (Verify() == Step::kSurprise) Recover();
    pipeline_.Exit();
    AsWorker();
  }
  relation = relations_.Resolve(oid, *conn_);
  if (options_.policy == ConflictPolicy::kLastWriteWins && !relation->conflict_only) {
    // Judged by commit time on the fast path, with tombstones of local deletes.
    relation->shape.last_write =
        LastWriteGuard{relation->oid, origin_id_, options_.direction == Direction::kForward, copy_origin_ids_,
                       value_claims_, keyless_successors_, fast_guard_};
    EnsureTombstoneTriggersOn(*conn_, roles_, relation->oid);
  }
  if (open_) pipeline_.Enter();
  return relation;
}

void Applier::OnChange(const v1::Record& record, Lsn lsn, size_t bytes) {
  if (skipping_) return;
  if (!in_txn_ || batch_.no_txns()) {
    throw ApplyError(fmt::format("{} record at LSN {} outside a transaction", RecordKindName(record),
                                 LsnToString(lsn)));
  }
  if (record.has_ddl()) {
    OnDdl(record, lsn, bytes);
    return;
  }
  TargetRelation* relation = nullptr;
  switch (record.kind_case()) {
    case v1::Record::kInsert: relation = Relation(record.insert().relation_oid()); break;
    case v1::Record::kUpdate: relation = Relation(record.update().relation_oid()); break;
    case v1::Record::kDelete: relation = Relation(record.delete_().relation_oid()); break;
    case v1::Record::kTruncate:
      for (uint32_t oid : record.truncate().relation_oids()) Relation(oid);
      CheckTruncateReferences(record.truncate());
      batch_.AddTruncatePlan(TruncatePlanFor(record.truncate()));
      break;
    default:
      throw std::logic_error("Applier::OnChange: not a change record");
  }
  if (relation && (relation->conflict_only || relation->drift_view)) {
    OnDriftedChange(record, relation, lsn, bytes);
    return;
  }
  Enqueue(record, relation, lsn, bytes);
}

void Applier::Enqueue(const v1::Record& record, TargetRelation* relation, Lsn lsn, size_t bytes) {
  throttle_.Admit(1, bytes);
  if (!open_) Open();
  uint64_t index = batch_.Add(record, relation, lsn, bytes);
  if (ExecFast(index) == Step::kSurprise) {
    Recover();
  } else if (++sends_since_collect_ >= kCollectEvery) {
    sends_since_collect_ = 0;
    pipeline_.Collect(false, [this](const PipelineTag& tag, const PGresult* result) {
      verdict_.Judge(tag, result, batch_);
    });
    if (verdict_.alarmed()) {
      if (Verify() == Step::kSurprise) Recover();
    }
  }
  MaybeSegment();
}

void Applier::OnCommit(const v1::Commit& commit) {
  // Without this, a stray commit would lend its end LSN to the last
  // transaction of the open batch, and progress would run ahead.
  if (!in_txn_) throw ApplyError("commit record without a begin");
  in_txn_ = false;
  if (skipping_) {
    skipping_ = false;
    if (!open_) MaybeResetArena();
    return;
  }
  if (batch_.no_txns()) throw ApplyError("commit record without a begin");
  SourceTxn& txn = batch_.last_txn();
  txn.end_lsn = commit.end_lsn();
  txn.commit_time = commit.commit_time();
  if (!open_) {
    // Nothing of it needed applying (every change was filtered or skipped).
    handled_lsn_ = std::max(handled_lsn_, txn.end_lsn);
    batch_.DropTxns();
    MaybeResetArena();
    return;
  }
  if (batch_.released() || batch_.txn_count() >= static_cast<size_t>(options_.batch_max_transactions) ||
      batch_.changes() >= static_cast<uint64_t>(options_.batch_max_changes) ||
      batch_.held_bytes() >= options_.memory.held_records()) {
    CommitBatch();
  }
}

void Applier::OnHeartbeat(PgTimestamp source_time) {
  status().last_heartbeat_source = source_time;
  status().last_heartbeat_at = PgNow();
  if (!open_ && !in_txn_) {
    metrics_.MarkApplied(source_time);
    WriteStatusNow();
    MaybeResetArena();
  }
}

void Applier::MaybeResetArena() {
  if (!open_ && !in_txn_) batch_.MaybeResetArena();
}

// ---------------------------------------------------------------------------
// Fast path

void Applier::Open() {
  pipeline_.Enter();
  SendControl("BEGIN");
  SendControl(apply_sql::kSavepoint);
  open_ = true;
  batch_.set_segment_start(End());
}

void Applier::SendControl(const char* sql) {
  AsWorker();
  pipeline_.SendQuery(sql, 0, nullptr, PipelineTag::Control());
}

void Applier::SendRollbackToSavepoint() {
  // The savepoint was taken at the worker identity: the rollback returns
  // there (and a failed batch could not run run_as before it anyway).
  pipeline_.SendQuery(apply_sql::kRollbackToSavepoint, 0, nullptr, PipelineTag::Control());
  roles_.OnRollback();
}

Applier::Step Applier::ExecFast(uint64_t index) {
  BatchChange& change = At(index);
  const v1::Record& record = *change.record;
  if (change.relation && change.relation->conflict_only) return ExecDriftConflict(index);
  switch (record.kind_case()) {
    case v1::Record::kInsert:
    case v1::Record::kUpdate:
    case v1::Record::kDelete:
      runs_.Queue(index);
      return Step::kDone;
    case v1::Record::kTruncate:
      runs_.FlushAll();
      for (const TruncateStatement& statement : batch_.TruncatePlan(change)) {
        AsRole(statement.role);
        pipeline_.SendQuery(statement.sql.c_str(), 0, nullptr, PipelineTag::Change(index));
      }
      return Step::kDone;
    case v1::Record::kDdl:
      return ExecSyncChange(index);
    default:
      throw std::logic_error("Applier::ExecFast: not a change");
  }
}

std::vector<TruncateStatement> Applier::TruncatePlanFor(const v1::Truncate& truncate) {
  if (options_.policy == ConflictPolicy::kLastWriteWins) return LastWriteTruncate(truncate);
  std::vector<TruncateTable> tables;
  std::set<std::pair<std::string, std::string>> seen;  // (table, rows)
  for (uint32_t oid : truncate.relation_oids()) {
    TargetRelation* relation = relations_.Find(oid);
    if (!relation) throw std::logic_error("TRUNCATE of an unresolved relation");
    if (relation->oid == 0) {
      spdlog::warn("TRUNCATE of {} not applied: {}", relation->source_display,
                   SchemaDriftLine(relation->drift_type, relation->display, conn_->label(),
                                   relation->missing_columns, relation->source_display));
      continue;
    }
    std::string rows = TruncatedRowsOf(*relation);
    if (seen.insert({relation->shape.quoted_table, rows}).second) {
      tables.push_back({relation->shape.quoted_table, roles_.RoleFor(relation->owner), relation->ordered, rows});
    }
  }
  // Never CASCADE (the source lists every table it emptied; B's tables
  // outside the task that reference one keep their rows, and the TRUNCATE
  // fails naming them, as under PostgreSQL's own apply) and never RESTART
  // IDENTITY (B's sequences are its own, e.g. interleaved with A's: a reset
  // would make both sides hand out the same ids again).
  return PlanTruncate(tables, /*cascade=*/false, /*restart_identity=*/false);
}

// Under last-write-wins a TRUNCATE removes what was written before it: the
// rows written here later (by local users) stay, as they would have had the
// TRUNCATE come first. One DELETE per table, as its owner; never cascading
// (the source lists every table it emptied).
std::vector<TruncateStatement> Applier::LastWriteTruncate(const v1::Truncate& truncate) {
  std::vector<TruncateStatement> out;
  std::set<std::string> seen;
  const std::string& commit_time = batch_.last_txn().commit_time_text;
  for (uint32_t oid : truncate.relation_oids()) {
    TargetRelation* relation = relations_.Find(oid);
    if (!relation) throw std::logic_error("TRUNCATE of an unresolved relation");
    if (relation->conflict_only) {
      // The guarded DELETE needs the key, which the target lacks.
      spdlog::warn("TRUNCATE of {} not applied: {}", relation->source_display,
                   SchemaDriftLine(relation->drift_type, relation->display, conn_->label(),
                                   relation->missing_columns, relation->source_display));
      continue;
    }
    std::string rows = TruncatedRowsOf(*relation);
    if (seen.insert(relation->shape.quoted_table + " " + rows).second) {
      out.push_back({roles_.RoleFor(relation->owner), BuildLastWriteTruncateSql(relation->shape, commit_time, rows)});
    }
  }
  return out;
}

}  // namespace pgduplex
