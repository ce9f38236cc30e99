// Applier, forward DDL: a DDL record is judged by DdlPolicy and, when
// accepted, enqueued where it came in its source transaction and run
// synchronously in the apply transaction by ExecuteDdl (ddl_applier.h) with
// the pipeline settled: rows before it are sent first, rows after it see
// the new definition (relations are re-resolved). The segment restarts
// right after it, so a later replay never runs it again. A statement that
// cannot run is a ddl_not_applied conflict.
// Table names the record leaves unqualified are looked up here
// (ResolveTableSchema), on the target, with the pipeline settled, before
// the pure DdlPolicy::Decide is asked.
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "apply/applier.h"
#include "apply/apply_sql.h"
#include "apply/ddl_applier.h"
#include "ddl/ddl_name_mapping.h"
#include "ddl/ddl_parse.h"
#include "ddl/ddl_redaction.h"

namespace pgduplex {

using apply_sql::kRelease;
using apply_sql::kSavepoint;

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
  const std::string& text = record.ddl().statement();
  auto next = string_next_statement_.find(text);
  ParsedDdl parsed = ParseDdl(record.ddl(), next == string_next_statement_.end() ? 0 : next->second);
  if (!parsed.isolated.empty()) {
    // One statement of a string of several: the rest of the record (and
    // every warning, conflict row and log line) is about that statement.
    string_next_statement_[text] = parsed.statement_index + 1;
    const_cast<v1::Record&>(record).mutable_ddl()->set_statement(parsed.isolated);
  }
  SchemaLookups looked_up;
  for (const std::string& table : parsed.NamesToLookUp()) {
    if (auto schema = ResolveTableSchema(table, parsed.search_path)) looked_up.emplace(table, std::move(*schema));
  }
  DdlDecision decision = ddl_policy_.Decide(record.ddl(), parsed, looked_up);
  if (decision.apply && !options_.mapping.empty()) {
    // [mapping]: the statement under B's names, or refused.
    MappedDdl mapped = MapDdlNames(decision.statement, parsed, looked_up, options_.mapping);
    decision.apply = mapped.refusal.empty();
    decision.reason = mapped.refusal;
    decision.statement = mapped.statement;
  }
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
  Enqueue(record, nullptr, lsn, bytes);
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
  std::optional<std::string> schema;
  if (!options_.mapping.empty()) {
    // [mapping]: the first schema of the path whose table has a B
    // counterpart here; the answer is A's schema, like the statement's.
    for (const auto& s : path) {
      TableName b = options_.mapping.ToB({s, table});
      if (conn_->Scalar("SELECT 1 FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n "
                        "ON n.oid = c.relnamespace WHERE n.nspname = $1 AND c.relname = $2",
                        {b.schema, b.name})) {
        schema = s;
        break;
      }
    }
    if (open_) pipeline_.Enter();
    return schema;
  }
  schema = conn_->Scalar(
      "SELECT n.nspname FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace "
      "WHERE c.relname = $1 AND n.nspname = ANY($2::text[]) "
      "ORDER BY array_position($2::text[], n.nspname::text) LIMIT 1",
      {table, array});
  if (open_) pipeline_.Enter();
  return schema;
}

Applier::Step Applier::ExecSyncChange(uint64_t index) {
  if (Verify() == Step::kSurprise) return Step::kSurprise;
  pipeline_.Exit();
  AsWorker();
  const uint32_t txn = At(index).txn;
  bool stops = resolver_.Decide({ConflictType::kDdlNotApplied, false, 0, {}}).action == ConflictAction::kStop;
  if (stops && index == batch_.TxnFirst(txn) && batch_.TxnFirst(txn) > batch_.segment_start()) {
    // A DDL that cannot run stops the worker with the transactions before
    // its own committed: start a segment at its transaction (as Recover
    // does before a precise replay).
    conn_->Exec(kRelease);
    conn_->Exec(kSavepoint);
    batch_.set_segment_start(index);
  }
  try {
    ExecDdl(index);
  } catch (const ConflictStop& stop) {
    // The savepoint is at the transaction's start only when the segment
    // starts there; otherwise roll everything back (nothing committed).
    HandleStop(stop, txn, batch_.TxnFirst(txn) == batch_.segment_start());
  }
  // A new segment after the DDL: a replay (rollback to the savepoint) never
  // undoes it, so the relations resolved after it stay right.
  conn_->Exec(kRelease);
  conn_->Exec(kSavepoint);
  batch_.set_segment_start(index + 1);
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
  const SourceTxn& txn = batch_.txn(At(index).txn);
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


}  // namespace pgduplex
