#include "apply/applier.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <set>

#include "apply/change_params.h"
#include "apply/ddl_applier.h"
#include "ddl/ddl_parse.h"
#include "ddl/ddl_redaction.h"
#include "apply/sql_builder.h"
#include "wire/record_decoder.h"

namespace pgduplex {

namespace {
constexpr const char* kSavepoint = "SAVEPOINT pgduplex_batch";
constexpr const char* kRelease = "RELEASE SAVEPOINT pgduplex_batch";
constexpr const char* kRollbackToSavepoint = "ROLLBACK TO SAVEPOINT pgduplex_batch";
constexpr const char* kXactSetup =
    "SELECT pg_catalog.pg_replication_origin_xact_setup($1::pg_lsn, $2::timestamptz)";
constexpr const char* kXactReset = "SELECT pg_catalog.pg_replication_origin_xact_reset()";
constexpr const char* kSessionProgress = "SELECT pg_catalog.pg_replication_origin_session_progress(true)";
constexpr int kCollectEvery = 256;
constexpr auto kStatusInterval = std::chrono::seconds(1);
constexpr auto kDurableInterval = std::chrono::seconds(1);
constexpr size_t kArenaResetBytes = 1 << 20;

google::protobuf::ArenaOptions ArenaSettings() {
  google::protobuf::ArenaOptions options;
  options.start_block_size = 64 * 1024;
  options.max_block_size = 1024 * 1024;
  return options;
}

PipelineTag ControlTag() { return PipelineTag{PipelineTag::Kind::kControl, 0, nullptr, 0}; }
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
      arena_(ArenaSettings()),
      ddl_policy_(TableScope(options_.tables)) {
  status_.task = options_.task;
  status_.direction = ToString(options_.direction);
  pipeline_.SetInterrupt(options_.interrupt);
}

Applier::~Applier() = default;

Lsn Applier::Setup(const std::string& source_encoding) {
  PgConnection& c = *conn_;
  c.Exec("SET session_replication_role = replica");
  c.Exec("SET synchronous_commit = off");
  c.Exec("SET statement_timeout = 0");
  c.Exec("SET lock_timeout = 0");
  c.Exec("SET idle_in_transaction_session_timeout = 0");
  c.Exec("SET plan_cache_mode = force_generic_plan");
  // Every statement finds its row by key: never let a generic plan pick a
  // sequential scan of a small table that the batch itself fills with
  // row versions (they cannot be pruned before the batch commits).
  c.Exec("SET enable_seqscan = off");
  if (PQsetClientEncoding(c.get(), source_encoding.c_str()) != 0) {
    throw ApplyError(fmt::format("cluster {} cannot convert from the source encoding {}", c.label(),
                                 source_encoding));
  }
  if (!c.Scalar("SELECT pg_catalog.to_regclass('pgduplex.conflicts')::text")) {
    throw ApplyError(fmt::format("the pgduplex extension is not installed in database {} on cluster {} "
                                 "(run CREATE EXTENSION pgduplex there)",
                                 PQdb(c.get()), c.label()));
  }
  bool run_as = RunAsAvailable(c, options_.apply_as_table_owner);
  roles_.Setup(c, run_as, options_.apply_as_table_owner);
  if (options_.policy == ConflictPolicy::kLastWriteWins &&
      c.Scalar("SHOW track_commit_timestamp").value_or("off") != "on") {
    throw ApplyError(fmt::format("conflict_policy last-write-wins needs track_commit_timestamp = on on cluster "
                                 "{} (set it in postgresql.conf and restart that cluster)",
                                 c.label()));
  }
  if (!c.Scalar("SELECT pg_catalog.pg_replication_origin_oid($1)::text", {options_.origin})) {
    c.ExecParams("SELECT pg_catalog.pg_replication_origin_create($1)", {options_.origin});
  }
  c.ExecParams("SELECT pg_catalog.pg_replication_origin_session_setup($1)", {options_.origin});
  session_search_path_ = c.Scalar("SELECT pg_catalog.current_setting('search_path')").value_or("public");
  has_status_table_ = c.Scalar("SELECT pg_catalog.to_regclass('pgduplex.worker_status')::text").has_value();
  if (!has_status_table_) {
    spdlog::warn("cluster {} has no table pgduplex.worker_status (older extension script): status is not recorded",
                 c.label());
  }
  RefreshDurable();
  committed_lsn_ = durable_lsn_;
  handled_lsn_ = durable_lsn_;
  skip_before_ = durable_lsn_;
  return durable_lsn_;
}

Lsn Applier::RefreshDurable() {
  if (open_) return durable_lsn_;
  std::optional<std::string> progress = conn_->Scalar(kSessionProgress);
  Lsn lsn = kInvalidLsn;
  if (progress && !ParseLsn(*progress, &lsn)) {
    throw ApplyError(fmt::format("cluster {}: unexpected origin progress \"{}\"", conn_->label(), *progress));
  }
  durable_lsn_ = std::max(durable_lsn_, lsn);
  last_durable_check_ = std::chrono::steady_clock::now();
  return durable_lsn_;
}

// ---------------------------------------------------------------------------
// Stream input

void Applier::OnBegin(const v1::Begin& begin) {
  in_txn_ = true;
  ddl_guard_.Begin();
  skipping_ = begin.final_lsn() < skip_before_;
  if (skipping_) return;
  SourceTxn txn;
  txn.xid = begin.xid();
  txn.commit_lsn = begin.final_lsn();
  txn.commit_time = begin.commit_time();
  txns_.push_back(txn);
  txn_first_change_.push_back(End());
}

void Applier::OnRelation(const v1::Relation& relation) {
  // A new definition gets a new TargetRelation: send what the old one has
  // queued first, so the table's changes stay in order.
  if (relations_.Define(relation) && open_) FlushRuns();
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
  if (open_) pipeline_.Enter();
  return relation;
}

void Applier::OnChange(const v1::Record& record, Lsn lsn, size_t bytes) {
  if (skipping_) return;
  if (!in_txn_ || txns_.empty()) {
    throw ApplyError(fmt::format("{} record at LSN {} outside a transaction", RecordKindName(record),
                                 LsnToString(lsn)));
  }
  if (record.has_ddl()) {
    OnDdl(record, lsn, bytes);
    return;
  }
  DropHeldDdl();
  TargetRelation* relation = nullptr;
  switch (record.kind_case()) {
    case v1::Record::kInsert: relation = Relation(record.insert().relation_oid()); break;
    case v1::Record::kUpdate: relation = Relation(record.update().relation_oid()); break;
    case v1::Record::kDelete: relation = Relation(record.delete_().relation_oid()); break;
    case v1::Record::kTruncate:
      for (uint32_t oid : record.truncate().relation_oids()) Relation(oid);
      truncates_.push_back(TruncatePlanFor(record.truncate()));
      break;
    default:
      throw std::logic_error("Applier::OnChange: not a change record");
  }
  Enqueue(record, relation, lsn, bytes);
}

void Applier::OnDdl(const v1::Record& record, Lsn lsn, size_t bytes) {
  auto refused = [&](const DdlDecision& decision) {
    if (decision.quiet) {
      spdlog::debug("{}", DdlPolicy::WarningLine(record.ddl(), decision));
    } else {
      spdlog::warn("{} (LSN {})", DdlPolicy::WarningLine(record.ddl(), decision), LsnToString(lsn));
    }
  };
  if (options_.direction != Direction::kForward) {
    DdlDecision decision;
    decision.reason = "DDL is only carried in the forward direction";
    refused(decision);
    return;
  }
  // The names the record leaves unqualified are looked up here, before the
  // (pure) policy decides: the look-up settles the pipeline, which may
  // replay the batch and meet a conflict or a lost connection; those reach
  // the retry / stop logic, never a decision about the DDL.
  ParsedDdl parsed = ParseDdl(record.ddl());
  SchemaLookups looked_up;
  for (const std::string& table : parsed.NamesToLookUp()) {
    if (auto schema = ResolveTableSchema(table, parsed.search_path)) looked_up.emplace(table, std::move(*schema));
  }
  DdlDecision decision = ddl_policy_.Decide(record.ddl(), parsed, looked_up);
  if (!decision.apply) {
    refused(decision);
    return;
  }
  // The statement run on the target may be a rewrite of the source's (e.g.
  // without CONCURRENTLY). The record lives on our arena until its batch
  // commits, and replays (conflict recovery) read it again, so the rewrite
  // goes into the record itself.
  if (decision.statement != record.ddl().statement()) {
    const_cast<v1::Record&>(record).mutable_ddl()->set_statement(decision.statement);
  }
  MixedTransactionGuard::Held held;
  held.record = &record;
  held.decision = std::move(decision);
  held.lsn = lsn;
  held.bytes = bytes;
  if (auto refused_now = ddl_guard_.Hold(std::move(held))) refused(refused_now->decision);
}

void Applier::DropHeldDdl() {
  for (const auto& held : ddl_guard_.OnRowChange()) {
    spdlog::warn("{} (LSN {})", DdlPolicy::WarningLine(held.record->ddl(), held.decision), LsnToString(held.lsn));
  }
}

void Applier::ApplyHeldDdl() {
  // The held records live on the arena: no segment (which resets it) may
  // start before the last of them is enqueued.
  hold_segment_ = true;
  for (const auto& held : ddl_guard_.TakeForApply()) Enqueue(*held.record, nullptr, held.lsn, held.bytes);
  hold_segment_ = false;
  MaybeSegment();
}

std::optional<std::string> Applier::ResolveTableSchema(const std::string& table,
                                                       const std::vector<std::string>& path) {
  // Catalog lookups need a quiet connection: settle the pipeline first.
  if (open_) {
    if (Verify() == Step::kSurprise) Recover();
    pipeline_.Exit();
    AsWorker();
  }
  std::string array = "{";
  for (size_t i = 0; i < path.size(); ++i) {
    std::string quoted = "\"";
    for (char c : path[i]) quoted += (c == '"' || c == '\\') ? std::string("\\") + c : std::string(1, c);
    array += (i ? "," : "") + quoted + "\"";
  }
  array += "}";
  std::optional<std::string> schema = conn_->Scalar(
      "SELECT n.nspname FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace "
      "WHERE c.relname = $1 AND n.nspname = ANY($2::text[]) "
      "ORDER BY array_position($2::text[], n.nspname::text) LIMIT 1",
      {table, array});
  if (open_) pipeline_.Enter();
  return schema;
}

void Applier::Enqueue(const v1::Record& record, TargetRelation* relation, Lsn lsn, size_t bytes) {
  throttle_.Admit(1, bytes);
  if (!open_) Open();
  uint64_t index = End();
  int32_t truncate = record.has_truncate() ? static_cast<int32_t>(truncates_.size() - 1) : -1;
  changes_.push_back(Change{&record, relation, static_cast<uint32_t>(txns_.size() - 1), truncate, lsn});
  ++batch_changes_;
  batch_bytes_ += bytes;
  if (ExecFast(index) == Step::kSurprise) {
    Recover();
  } else if (++sends_since_collect_ >= kCollectEvery) {
    sends_since_collect_ = 0;
    pipeline_.Collect(false, [this](const PipelineTag& tag, const PGresult* result) { Judge(tag, result); });
    if (surprise_ || error_index_) {
      if (Verify() == Step::kSurprise) Recover();
    }
  }
  MaybeSegment();
}

void Applier::OnCommit(const v1::Commit& commit) {
  // Without this, a stray commit would lend its end LSN to the last
  // transaction of the open batch, and progress would run ahead.
  if (!in_txn_) throw ApplyError("commit record without a begin");
  if (!skipping_) ApplyHeldDdl();
  in_txn_ = false;
  if (skipping_) {
    skipping_ = false;
    if (!open_) MaybeResetArena();
    return;
  }
  if (txns_.empty()) throw ApplyError("commit record without a begin");
  SourceTxn& txn = txns_.back();
  txn.end_lsn = commit.end_lsn();
  txn.commit_time = commit.commit_time();
  if (!open_) {
    // Nothing of it needed applying (every change was filtered or skipped).
    handled_lsn_ = std::max(handled_lsn_, txn.end_lsn);
    txns_.clear();
    txn_first_change_.clear();
    MaybeResetArena();
    return;
  }
  if (released_ || txns_.size() >= static_cast<size_t>(options_.batch_max_transactions) ||
      batch_changes_ >= static_cast<uint64_t>(options_.batch_max_changes)) {
    CommitBatch();
  }
}

void Applier::OnHeartbeat(PgTimestamp source_time) {
  status_.last_heartbeat_source = source_time;
  status_.last_heartbeat_at = PgNow();
  if (!open_ && !in_txn_) {
    metrics_.apply_lag_seconds.store(std::max(0.0, SecondsBetween(source_time, PgNow())),
                                     std::memory_order_relaxed);
    WriteStatusNow();
    MaybeResetArena();
  }
}

// ---------------------------------------------------------------------------
// Fast path

void Applier::Open() {
  pipeline_.Enter();
  SendControl("BEGIN");
  SendControl(kSavepoint);
  open_ = true;
  segment_start_ = End();
}

void Applier::SendControl(const char* sql) {
  if (sql == kRollbackToSavepoint) {
    // The savepoint was taken at the worker identity: the rollback returns
    // there (and a failed batch could not run run_as before it anyway).
    pipeline_.SendQuery(sql, 0, nullptr, ControlTag());
    roles_.OnRollback();
    return;
  }
  AsWorker();
  pipeline_.SendQuery(sql, 0, nullptr, ControlTag());
}

void Applier::AsOwnerOf(const TargetRelation* relation) { AsRole(roles_.RoleFor(relation->owner)); }

void Applier::AsRole(uint32_t role) {
  if (pipeline_.active()) {
    roles_.Queue(pipeline_, role);
  } else {
    roles_.Switch(*conn_, role);
  }
}

void Applier::SendChange(PreparedStatement* statement, uint64_t index) {
  AsOwnerOf(At(index).relation);
  if (statement->state == PreparedStatement::State::kUnprepared) pipeline_.SendPrepare(statement);
  pipeline_.SendPrepared(*statement, params_.data(), PipelineTag{PipelineTag::Kind::kChange, index, nullptr, 0});
}

Applier::Step Applier::ExecFast(uint64_t index) {
  Change& change = At(index);
  const v1::Record& record = *change.record;
  switch (record.kind_case()) {
    case v1::Record::kInsert:
    case v1::Record::kUpdate:
    case v1::Record::kDelete:
      QueueChange(index);
      return Step::kDone;
    case v1::Record::kTruncate:
      FlushRuns();
      for (const TruncateStatement& statement : truncates_[change.truncate]) {
        AsRole(statement.role);
        pipeline_.SendQuery(statement.sql.c_str(), 0, nullptr, PipelineTag{PipelineTag::Kind::kChange, index, nullptr, 0});
      }
      return Step::kDone;
    case v1::Record::kDdl:
      return ExecSyncChange(index);
    default:
      throw std::logic_error("Applier::ExecFast: not a change");
  }
}

void Applier::SendSingle(uint64_t index) {
  Change& change = At(index);
  const v1::Record& record = *change.record;
  switch (record.kind_case()) {
    case v1::Record::kInsert:
      InsertParams(*change.relation, record.insert(), &params_);
      if (params_.size() != change.relation->shape.columns.size() ||
          std::find(params_.begin(), params_.end(), kUnknownValue) != params_.end()) {
        throw ApplyError(fmt::format("{}: the INSERT does not carry one value per column", Where(index)));
      }
      SendChange(change.relation->Insert(false), index);
      return;
    case v1::Record::kUpdate:
      if (!UpdateParams(*change.relation, record.update(), &mask_, &params_, &error_)) {
        throw ApplyError(Where(index) + ": " + error_);
      }
      SendChange(change.relation->Update(mask_), index);
      return;
    case v1::Record::kDelete:
      if (!DeleteParams(*change.relation, record.delete_(), &params_, &error_)) {
        throw ApplyError(Where(index) + ": " + error_);
      }
      SendChange(change.relation->Delete(), index);
      return;
    default:
      throw std::logic_error("Applier::SendSingle: not a row change");
  }
}

Applier::Step Applier::ExecSyncChange(uint64_t index) {
  if (Verify() == Step::kSurprise) return Step::kSurprise;
  pipeline_.Exit();
  AsWorker();
  const uint32_t txn = At(index).txn;
  bool stops = resolver_.Decide({ConflictType::kDdlNotApplied, false, 0, {}}).action == ConflictAction::kStop;
  if (stops && index == txn_first_change_[txn] && txn_first_change_[txn] > segment_start_) {
    // A DDL that cannot run stops the worker with the transactions before
    // its own committed: start a segment at its transaction (as Recover
    // does before a precise replay).
    conn_->Exec(kRelease);
    conn_->Exec(kSavepoint);
    segment_start_ = index;
  }
  try {
    ExecDdl(index);
  } catch (const ConflictStop& stop) {
    HandleStop(stop, txn, txn_first_change_[txn] >= segment_start_);
  }
  pipeline_.Enter();
  return Step::kDone;
}

void Applier::ExecDdl(uint64_t index) {
  const v1::Ddl& ddl = At(index).record->ddl();
  DdlOutcome outcome = ExecuteDdl(*conn_, roles_, ddl, session_search_path_);
  if (outcome.applied) {
    relations_.InvalidateTargets();
    spdlog::info("applied DDL: {}", DdlStatementForLog(ddl.statement()));
    return;
  }
  const SourceTxn& txn = txns_[At(index).txn];
  ConflictDecision decision = resolver_.Decide({ConflictType::kDdlNotApplied, false, txn.commit_time, {}});
  ConflictRecord conflict;
  conflict.type = ConflictType::kDdlNotApplied;
  conflict.resolution = decision.resolution;
  conflict.ddl = DdlConflict{ddl.object_identity(), DdlStatementForLog(ddl.statement()), ddl.role(), outcome.reason};
  conflict.source_lsn = txn.commit_lsn;
  conflict.remote_commit_time = txn.commit_time;
  std::string line = fmt::format("DDL not applied: role \"{}\": {}; statement: {}", ddl.role(), outcome.reason,
                                 conflict.ddl->statement);
  if (decision.action == ConflictAction::kStop) {
    throw ConflictStop(fmt::format("{} (conflict_policy fail: stopped; nothing of source transaction {} was "
                                   "applied, a restart retries it)",
                                   line, txn.xid),
                       std::move(conflict));
  }
  spdlog::warn("{} (skipped, recorded in pgduplex.conflicts as ddl_not_applied)", line);
  WriteStopRecord(conflict);
}

std::vector<TruncateStatement> Applier::TruncatePlanFor(const v1::Truncate& truncate) {
  std::vector<TruncateTable> tables;
  std::set<std::string> seen;
  for (uint32_t oid : truncate.relation_oids()) {
    TargetRelation* relation = relations_.Find(oid);
    if (!relation) throw std::logic_error("TRUNCATE of an unresolved relation");
    if (seen.insert(relation->shape.quoted_table).second) {
      tables.push_back({relation->shape.quoted_table, roles_.RoleFor(relation->owner), relation->ordered});
    }
  }
  return PlanTruncate(tables, truncate.cascade(), truncate.restart_identity());
}

std::string Applier::Where(uint64_t index) {
  const Change& change = At(index);
  std::string table = change.relation ? change.relation->display : std::string("-");
  const SourceTxn& txn = txns_[change.txn];
  return fmt::format("{} on {} at LSN {} (source transaction {})", RecordKindName(*change.record), table,
                     LsnToString(change.lsn), txn.xid);
}

void Applier::Judge(const PipelineTag& tag, const PGresult* result) {
  ExecStatusType status = PQresultStatus(result);
  if (tag.kind == PipelineTag::Kind::kSync || status == PGRES_PIPELINE_ABORTED) return;
  if (status == PGRES_FATAL_ERROR) {
    const char* state = PQresultErrorField(result, PG_DIAG_SQLSTATE);
    std::string sqlstate = state ? state : "";
    // A unique violation is a conflict; any failure of a multi-row
    // statement is replayed change by change, where it either turns out to
    // be a conflict or fails again, precisely.
    if (tag.kind == PipelineTag::Kind::kChange && (sqlstate == sqlstate::kUniqueViolation || tag.rows > 1)) {
      if (!surprise_ || tag.index < *surprise_) surprise_ = tag.index;
      return;
    }
    if (tag.kind != PipelineTag::Kind::kChange) control_failed_ = true;
    uint64_t index = tag.kind == PipelineTag::Kind::kChange ? tag.index : 0;
    if (control_failed_ || !error_index_ || index < *error_index_) {
      error_index_ = index;
      const char* message = PQresultErrorMessage(result);
      error_message_ = message ? message : "";
      while (!error_message_.empty() && error_message_.back() == '\n') error_message_.pop_back();
      if (tag.kind == PipelineTag::Kind::kChange) {
        error_message_ = Where(tag.index) + ": " + error_message_;
      } else if (tag.kind == PipelineTag::Kind::kPrepare && tag.statement) {
        error_message_ = "preparing " + tag.statement->sql + ": " + error_message_;
      }
      error_state_ = sqlstate;
    }
    return;
  }
  if (tag.kind != PipelineTag::Kind::kChange) return;
  const v1::Record& record = *At(tag.index).record;
  if (!record.has_update() && !record.has_delete_()) return;
  // Every row must have been found: fewer is a row gone missing.
  long touched = std::atol(PQcmdTuples(const_cast<PGresult*>(result)));
  if (touched < static_cast<long>(tag.rows ? tag.rows : 1)) {
    if (!surprise_ || tag.index < *surprise_) surprise_ = tag.index;
  }
}

void Applier::ThrowIfFailed() {
  if (control_failed_ || (error_index_ && (!surprise_ || *error_index_ < *surprise_))) {
    std::string message = fmt::format("cluster {}: {}", conn_->label(), error_message_);
    throw PgError(message, error_state_);
  }
}

Applier::Step Applier::Verify() {
  FlushRuns();
  pipeline_.Sync();
  pipeline_.Collect(true, [this](const PipelineTag& tag, const PGresult* result) { Judge(tag, result); });
  sends_since_collect_ = 0;
  ThrowIfFailed();
  return surprise_ ? Step::kSurprise : Step::kDone;
}

// ---------------------------------------------------------------------------
// Recovery: the conflict path

uint64_t Applier::TxnEnd(uint32_t txn) const {
  return txn + 1 < txns_.size() ? txn_first_change_[txn + 1] : End();
}

void Applier::NewSegment(uint64_t start) {
  SendControl(kRelease);
  SendControl(kSavepoint);
  segment_start_ = start;
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
  precise_ = true;
  while (surprise_) {
    uint64_t surprise = *surprise_;
    surprise_.reset();
    error_index_.reset();
    uint32_t bad = At(surprise).txn;
    spdlog::debug("conflict suspected at {}; replaying the batch segment", Where(surprise));
    SendControl(kRollbackToSavepoint);
    uint64_t bad_first = std::max(segment_start_, txn_first_change_[bad]);
    bool whole_txn = txn_first_change_[bad] >= segment_start_;
    if (RunFast(segment_start_, bad_first) == Step::kSurprise) continue;
    NewSegment(bad_first);
    uint64_t bad_end = TxnEnd(bad);
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
      Change& change = At(i);
      const v1::Record& record = *change.record;
      if (record.has_truncate()) {
        for (const TruncateStatement& statement : truncates_[change.truncate]) {
          AsRole(statement.role);
          conn_->Exec(statement.sql);
        }
      } else if (record.has_ddl()) {
        AsWorker();
        ExecDdl(i);
      } else {
        replayer_.Apply(record, change.relation, txns_[txn]);
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
      const SourceTxn& previous = txns_[txn - 1];
      c.ExecParams(kXactSetup, {LsnToString(previous.end_lsn), FormatPgTimestamp(previous.commit_time)});
    } else {
      c.Exec(kXactReset);
    }
    WriteStopRecord(stop.record());
    c.Exec("COMMIT");
    if (txn > 0) {
      committed_lsn_ = txns_[txn - 1].end_lsn;
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
  conflict_log_.Write(*conn_, record);
}

void Applier::MaybeSegment() {
  if (hold_segment_ || !in_txn_ || changes_.size() < 2 * static_cast<size_t>(options_.batch_max_changes)) return;
  // One huge source transaction: verify what was sent, start a new segment
  // and drop the verified records, so memory does not grow with it.
  if (Verify() == Step::kSurprise) Recover();
  NewSegment(End());
  base_ = End();
  changes_.clear();
  arena_.Reset();
  released_ = true;
}

// ---------------------------------------------------------------------------
// Commit

void Applier::CommitBatch() {
  if (in_txn_) throw std::logic_error("CommitBatch inside a source transaction");
  if (!open_) {
    if (!txns_.empty()) handled_lsn_ = std::max(handled_lsn_, txns_.back().end_lsn);
    ResetBatch();
    return;
  }
  if (Verify() == Step::kSurprise) Recover();
  const SourceTxn& last = txns_.back();
  auto now = std::chrono::steady_clock::now();
  // Progress rides on the commit, written as the worker.
  AsWorker();
  std::string lsn_text = LsnToString(last.end_lsn);
  std::string time_text = FormatPgTimestamp(last.commit_time);
  const char* setup_values[] = {lsn_text.c_str(), time_text.c_str()};
  pipeline_.SendQuery(kXactSetup, 2, setup_values, ControlTag());
  // The status row about once a second, in the same transaction.
  std::vector<SqlParam> status_params;
  std::vector<const char*> status_values;
  if (has_status_table_ && now - last_status_ >= kStatusInterval) {
    last_status_ = now;
    metrics_.last_source_lsn.store(last.end_lsn, std::memory_order_relaxed);
    FillStatus();
    status_.applied_transactions += txns_.size();
    status_.applied_changes += batch_changes_;
    status_.applied_bytes += batch_bytes_;
    status_.last_source_lsn = last.end_lsn;
    status_.last_commit_ts = last.commit_time;
    status_params = WorkerStatusParams(status_);
    for (const auto& p : status_params) status_values.push_back(p ? p->c_str() : nullptr);
    status_dirty_ = false;
    pipeline_.SendQuery(WorkerStatusUpsertSql(), static_cast<int>(status_values.size()), status_values.data(),
                        ControlTag());
  }
  bool check_durable = now - last_durable_check_ >= kDurableInterval;
  std::string commit_tag;
  std::optional<std::string> durable_text;
  pipeline_.SendQuery("COMMIT", 0, nullptr, PipelineTag{PipelineTag::Kind::kControl, 1, nullptr, 0});
  if (check_durable) {
    pipeline_.SendQuery(kSessionProgress, 0, nullptr, PipelineTag{PipelineTag::Kind::kControl, 2, nullptr, 0});
  }
  pipeline_.Sync();
  std::string failure;
  pipeline_.Collect(true, [&](const PipelineTag& tag, const PGresult* result) {
    ExecStatusType status = PQresultStatus(result);
    if (status == PGRES_FATAL_ERROR && failure.empty()) {
      const char* message = PQresultErrorMessage(result);
      failure = message ? message : "error";
    }
    if (tag.kind == PipelineTag::Kind::kControl && tag.index == 1 && status == PGRES_COMMAND_OK) {
      commit_tag = PQcmdStatus(const_cast<PGresult*>(result));
    }
    if (tag.kind == PipelineTag::Kind::kControl && tag.index == 2 && status == PGRES_TUPLES_OK &&
        PQntuples(result) == 1 && !PQgetisnull(result, 0, 0)) {
      durable_text = PQgetvalue(result, 0, 0);
    }
  });
  if (!failure.empty() || commit_tag != "COMMIT") {
    while (!failure.empty() && failure.back() == '\n') failure.pop_back();
    throw PgError(fmt::format("cluster {}: committing the batch up to source LSN {} failed: {}", conn_->label(),
                              LsnToString(last.end_lsn), failure.empty() ? "transaction was rolled back" : failure),
                  sqlstate::kInternalError);
  }
  pipeline_.Exit();
  open_ = false;
  committed_lsn_ = last.end_lsn;
  handled_lsn_ = std::max(handled_lsn_, committed_lsn_);
  last_commit_time_ = last.commit_time;
  if (durable_text) {
    Lsn durable;
    if (ParseLsn(*durable_text, &durable)) durable_lsn_ = std::max(durable_lsn_, durable);
    last_durable_check_ = now;
  }
  if (status_values.empty()) status_dirty_ = true;
  metrics_.applied_transactions.fetch_add(txns_.size(), std::memory_order_relaxed);
  metrics_.applied_changes.fetch_add(batch_changes_, std::memory_order_relaxed);
  metrics_.applied_bytes.fetch_add(batch_bytes_, std::memory_order_relaxed);
  metrics_.last_source_lsn.store(committed_lsn_, std::memory_order_relaxed);
  metrics_.apply_lag_seconds.store(std::max(0.0, SecondsBetween(last.commit_time, PgNow())),
                                   std::memory_order_relaxed);
  ResetBatch();
}

void Applier::ResetBatch() {
  changes_.clear();
  txns_.clear();
  txn_first_change_.clear();
  base_ = 0;
  segment_start_ = 0;
  batch_changes_ = 0;
  batch_bytes_ = 0;
  released_ = false;
  precise_ = false;
  for (TargetRelation* relation : runs_) {
    relation->run.clear();
    relation->run_kind = 0;
    relation->listed = false;
  }
  runs_.clear();
  sends_since_collect_ = 0;
  surprise_.reset();
  error_index_.reset();
  control_failed_ = false;
  truncates_.clear();
  relations_.ReleaseRetired();
  arena_.Reset();
}

void Applier::MaybeResetArena() {
  if (!open_ && !in_txn_ && changes_.empty() && arena_.SpaceUsed() > kArenaResetBytes) arena_.Reset();
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

void Applier::FillStatus() {
  status_.applied_transactions = metrics_.applied_transactions.load(std::memory_order_relaxed);
  status_.applied_changes = metrics_.applied_changes.load(std::memory_order_relaxed);
  status_.applied_bytes = metrics_.applied_bytes.load(std::memory_order_relaxed);
  status_.conflicts_json = ConflictCountsJson(metrics_);
  status_.last_source_lsn = committed_lsn_;
  status_.last_commit_ts = last_commit_time_;
}

void Applier::WriteStatusNow() {
  if (open_ || !has_status_table_) return;
  FillStatus();
  // A transaction of its own must not move the origin's progress.
  conn_->Exec("BEGIN");
  conn_->Exec(kXactReset);
  conn_->ExecParams(WorkerStatusUpsertSql(), WorkerStatusParams(status_));
  conn_->Exec("COMMIT");
  last_status_ = std::chrono::steady_clock::now();
  status_dirty_ = false;
}

bool Applier::StatusDue() const {
  return status_dirty_ && !open_ && std::chrono::steady_clock::now() - last_status_ >= kStatusInterval;
}

}  // namespace pgduplex
