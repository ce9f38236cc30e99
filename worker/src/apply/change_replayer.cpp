#include "apply/change_replayer.h"

#include <fmt/format.h>

#include <cstdlib>
#include <cstring>
#include <set>

#include "apply/change_params.h"
#include "apply/sql_builder.h"

namespace pgduplex {

namespace {
constexpr const char* kChangeSavepoint = "SAVEPOINT pgduplex_change";
constexpr const char* kReleaseChange = "RELEASE SAVEPOINT pgduplex_change";
constexpr const char* kRollbackChange = "ROLLBACK TO SAVEPOINT pgduplex_change";

bool IsUniqueViolation(const PgResult& result) {
  const char* state = PQresultErrorField(result.raw(), PG_DIAG_SQLSTATE);
  return state && std::string(state) == sqlstate::kUniqueViolation;
}
// The UPDATE's full old image holds the same values as `row` (its whole new row).
bool SameValues(const v1::Update& update, const std::vector<const char*>& row) {
  if (update.old_kind() != v1::OLD_TUPLE_FULL) return false;
  std::vector<const char*> old;
  TupleValues(update.old_tuple(), &old);
  if (old.size() != row.size()) return false;
  for (size_t i = 0; i < old.size(); ++i) {
    if (old[i] == kUnknownValue || row[i] == kUnknownValue) return false;
    if (!old[i] || !row[i]) {
      if (old[i] != row[i]) return false;
      continue;
    }
    if (std::strcmp(old[i], row[i]) != 0) return false;
  }
  return true;
}
}  // namespace

PgResult ExecPrepared(PgConnection& conn, PreparedStatement* statement, const std::vector<const char*>& values) {
  if (statement->state != PreparedStatement::State::kReady) {
    PgResult prepared(PQprepare(conn.get(), statement->name.c_str(), statement->sql.c_str(), statement->params,
                                nullptr));
    conn.Check(prepared.raw(), "preparing " + statement->sql);
    statement->state = PreparedStatement::State::kReady;
  }
  return PgResult(PQexecPrepared(conn.get(), statement->name.c_str(), statement->params, values.data(), nullptr,
                                 nullptr, 0));
}

int AffectedRows(const PgResult& result) { return std::atoi(PQcmdTuples(result.raw())); }

void ChangeReplayer::Apply(const v1::Record& record, TargetRelation* relation, const SourceTxn& txn) {
  if (record.has_insert()) return ReplayInsert(record, relation, txn);
  if (record.has_update()) return ReplayUpdate(record, relation, txn);
  if (record.has_delete_()) return ReplayDelete(record, relation, txn);
  throw std::logic_error("ChangeReplayer::Apply: not a row change");
}

void ChangeReplayer::ReplayInsert(const v1::Record& record, TargetRelation* relation, const SourceTxn& txn) {
  InsertParams(*relation, record.insert(), &row_);
  if (relation->shape.last_write) {
    std::vector<const char*> row = row_;
    if (DeletedLater(record, relation, txn, ConflictType::kInsertDeleted, row)) {
      DisplaceOthers(*relation, txn, row, TargetRowId(*relation, record));
      return;
    }
    if (std::optional<PgTimestamp> held = InsertClaimTime(*relation, row);
        ClaimedLater(record, relation, txn, ConflictType::kInsertExists, row, held)) {
      DisplacedByClaim(record, *relation, txn, row, *held);
      return;
    }
  }
  PreparedStatement* statement = relation->Insert(/*skip_conflicts=*/true);
  AsOwner(*relation);
  PgResult result = ExecPrepared(conn_, statement, row_);
  conn_.Check(result.raw(), "INSERT into " + relation->display);
  if (AffectedRows(result) == 1) return;
  std::vector<const char*> row = row_;
  InsertExists(record, relation, txn, row);
}

void ChangeReplayer::ReplayUpdate(const v1::Record& record, TargetRelation* relation, const SourceTxn& txn) {
  std::string error;
  if (!UpdateParams(*relation, record.update(), &mask_, &values_, &error)) throw ApplyError(error);
  if (relation->shape.last_write && relation->shape.unique_key &&
      LocalRowIsNewer(record, relation, txn, ConflictType::kUpdateOriginDiffers)) {
    std::vector<const char*> row;
    TupleValues(record.update().new_tuple(), &row);
    DisplaceOthers(*relation, txn, row, TargetRowId(*relation, record));
    return;
  }
  if (relation->shape.last_write && relation->shape.unique_key) {
    std::vector<const char*> row;
    TupleValues(record.update().new_tuple(), &row);
    if (std::optional<PgTimestamp> held = UpdateClaimTime(*relation, txn);
        ClaimedLater(record, relation, txn, ConflictType::kUpdateExists, row, held)) {
      DisplacedByClaim(record, *relation, txn, row, *held);
      return;
    }
  }
  PreparedStatement* statement = relation->Update(mask_);
  AsWorker();  // savepoints only at the worker identity
  conn_.Exec(kChangeSavepoint);
  AsOwner(*relation);
  PgResult result = ExecPrepared(conn_, statement, values_);
  ExecStatusType status = PQresultStatus(result.raw());
  if (status == PGRES_COMMAND_OK) {
    AsWorker();
    conn_.Exec(kReleaseChange);
    if (AffectedRows(result) == 0) UpdateMissing(record, relation, txn);
    return;
  }
  if (IsUniqueViolation(result)) {
    conn_.Exec(kRollbackChange);
    roles_.OnRollback();
    conn_.Exec(kReleaseChange);
    UpdateExists(record, relation, txn);
    return;
  }
  conn_.ThrowError(result.raw(), "UPDATE of " + relation->display);
}

void ChangeReplayer::ReplayDelete(const v1::Record& record, TargetRelation* relation, const SourceTxn& txn) {
  std::string error;
  if (!DeleteParams(*relation, record.delete_(), &values_, &error)) throw ApplyError(error);
  if (relation->shape.last_write && relation->shape.unique_key &&
      LocalRowIsNewer(record, relation, txn, ConflictType::kDeleteOriginDiffers)) {
    return;
  }
  AsOwner(*relation);
  PgResult result = ExecPrepared(conn_, relation->Delete(), values_);
  conn_.Check(result.raw(), "DELETE from " + relation->display);
  if (AffectedRows(result) > 0) return;
  if (KeylessRemembered(*relation) && KeylessChangeDecided(record, relation, txn)) return;
  // delete_missing: ignored under every policy, recorded.
  const v1::Delete& remove = record.delete_();
  std::vector<const char*> remote;
  TupleValues(remove.old_tuple(), &remote);
  if (remove.old_kind() != v1::OLD_TUPLE_FULL) {
    for (size_t i = 0; i < remote.size(); ++i) {
      if (!relation->source->column_is_key[i]) remote[i] = kUnknownValue;
    }
  }
  ConflictDecision decision = resolver_.Decide({ConflictType::kDeleteMissing, true, txn.commit_time, {}});
  WriteConflict(MakeRecord(record, relation, txn, ConflictType::kDeleteMissing, decision.resolution, {}, remote));
}

void ChangeReplayer::UpdateMissing(const v1::Record& record, TargetRelation* relation, const SourceTxn& txn) {
  if (KeylessRemembered(*relation) && KeylessChangeDecided(record, relation, txn)) return;
  std::vector<const char*> row;
  bool whole = WholeNewRow(*relation, record.update(), &row);
  ConflictFacts facts{ConflictType::kUpdateMissing, whole, txn.commit_time, {}};
  if (relation->shape.last_write) {
    if (auto deleted = TombstoneTime(record, relation)) {
      facts = {ConflictType::kUpdateDeleted, whole, txn.commit_time, deleted};
    }
  }
  facts.keyless_unchanged = !relation->shape.unique_key && whole && SameValues(record.update(), row);
  ConflictDecision decision = resolver_.Decide(facts);
  ConflictRecord conflict = MakeRecord(record, relation, txn, facts.type, decision.resolution, {}, row);
  if (decision.action == ConflictAction::kStop) Stop(std::move(conflict), txn);
  WriteConflict(conflict);
  if (decision.action == ConflictAction::kKeepLocal && whole) DisplaceOthers(*relation, txn, row, "");
  if (decision.action != ConflictAction::kConvertToInsert) return;
  if (relation->shape.last_write) {
    if (std::optional<PgTimestamp> held = InsertClaimTime(*relation, row);
        ClaimedLater(record, relation, txn, ConflictType::kInsertExists, row, held)) {
      DisplacedByClaim(record, *relation, txn, row, *held);
      return;
    }
  }
  AsOwner(*relation);
  PgResult result = ExecPrepared(conn_, relation->Insert(/*skip_conflicts=*/true), row);
  conn_.Check(result.raw(), "INSERT into " + relation->display + " (converted UPDATE)");
  if (AffectedRows(result) == 1) return;
  InsertExists(record, relation, txn, row);
}

void ChangeReplayer::InsertExists(const v1::Record& record, TargetRelation* relation, const SourceTxn& txn,
                                  const std::vector<const char*>& row) {
  std::vector<LocalRow> locals = ConflictingRows(*relation, row, "");
  auto [decision, conflict] = JudgeCollision(record, relation, txn, ConflictType::kInsertExists, locals, row);
  if (decision.action == ConflictAction::kKeepLocal) RemoveOlder(*relation, txn, locals);
  if (decision.action == ConflictAction::kApplyRemote) {
    if (locals.empty()) {
      throw ApplyError(fmt::format("a row inserted into {} conflicts with a local row that cannot be located "
                                   "through a plain unique index; cannot overwrite it",
                                   relation->display));
    }
    DeleteRows(*relation, locals);
    AsOwner(*relation);
    PgResult result = ExecPrepared(conn_, relation->Insert(/*skip_conflicts=*/false), row);
    conn_.Check(result.raw(), "INSERT into " + relation->display + " (overwriting)");
  }
  WriteConflict(conflict);
}

std::pair<ConflictDecision, ConflictRecord> ChangeReplayer::JudgeCollision(
    const v1::Record& record, const TargetRelation* relation, const SourceTxn& txn, ConflictType one_row,
    const std::vector<LocalRow>& locals, const std::vector<const char*>& row) {
  ConflictType type = locals.size() > 1 ? ConflictType::kMultipleUniqueConflicts : one_row;
  ConflictDecision decision = resolver_.Decide({type, true, txn.commit_time, NewestLocal(locals)});
  ConflictRecord conflict = MakeRecord(record, relation, txn, type, decision.resolution, locals, row);
  if (decision.action == ConflictAction::kStop) Stop(std::move(conflict), txn);
  return {decision, std::move(conflict)};
}

void ChangeReplayer::UpdateExists(const v1::Record& record, TargetRelation* relation, const SourceTxn& txn) {
  std::vector<const char*> row;
  TupleValues(record.update().new_tuple(), &row);
  std::string own = TargetRowId(*relation, record);
  std::vector<LocalRow> locals = ConflictingRows(*relation, row, own);
  auto [decision, conflict] = JudgeCollision(record, relation, txn, ConflictType::kUpdateExists, locals, row);
  if (decision.action == ConflictAction::kKeepLocal) {
    // A newer colliding row keeps the change out: the older rows it collides
    // with go, and so does its own row (the change replaced it before the
    // newer row displaced the change; see UniqueCollisions).
    UniqueCollisions facts;
    for (const auto& local : locals) facts.others.push_back(local.commit_time);
    if (std::optional<LocalRow> mine = own.empty() ? std::nullopt : LocalRowByKey(*relation, record)) {
      facts.own_present = true;
      facts.own_commit_time = mine->commit_time;
    }
    CollisionPlan plan = resolver_.PlanCollisions(txn.commit_time, facts);
    std::vector<LocalRow> doomed;
    for (size_t i : plan.remove_others) doomed.push_back(locals[i]);
    if (plan.remove_own) doomed.push_back(LocalRow{own, "", std::nullopt});
    if (!doomed.empty()) DeleteRows(*relation, doomed);
  }
  if (decision.action == ConflictAction::kApplyRemote) {
    if (locals.empty()) {
      throw ApplyError(fmt::format("an UPDATE of {} conflicts with a local row that cannot be located through a "
                                   "plain unique index; cannot overwrite it",
                                   relation->display));
    }
    DeleteRows(*relation, locals);
    std::string error;
    if (!UpdateParams(*relation, record.update(), &mask_, &values_, &error)) throw ApplyError(error);
    AsOwner(*relation);
    PgResult result = ExecPrepared(conn_, relation->Update(mask_), values_);
    conn_.Check(result.raw(), "UPDATE of " + relation->display + " (overwriting)");
  }
  WriteConflict(conflict);
}

std::vector<ChangeReplayer::LocalRow> ChangeReplayer::ConflictingRows(const TargetRelation& relation,
                                                                       const std::vector<const char*>& row,
                                                                       const std::string& exclude_row_id) {
  std::vector<LocalRow> rows;
  std::set<std::string> seen;
  AsOwner(relation);  // lookups cast to the table's types: its owner's code (domain checks) runs as its owner
  for (const auto& index : relation.unique_indexes) {
    std::vector<SqlParam> params;
    bool usable = true;
    for (int column : index) {
      const char* value = row[column];
      if (!value || value == kUnknownValue) {
        usable = false;  // NULLs never conflict; unknown values cannot be matched
        break;
      }
      params.emplace_back(value);
    }
    if (!usable) continue;
    PgResult result = conn_.ExecParams(
        BuildLocalRowsSql(relation.shape, index, /*unique=*/true, resolver_.NeedsLocalCommitTime()), params);
    for (int i = 0; i < result.rows(); ++i) {
      std::string row_id = result.Get(i, 0);
      if (row_id == exclude_row_id || !seen.insert(row_id).second) continue;
      LocalRow local{row_id, result.Get(i, 1), std::nullopt};
      if (!result.IsNull(i, 2)) local.commit_time = std::stoll(result.Get(i, 2));
      rows.push_back(std::move(local));
    }
  }
  return rows;
}

std::string ChangeReplayer::TargetRowId(const TargetRelation& relation, const v1::Record& record) {
  std::vector<const char*> key;
  std::string error;
  if (!ChangeKey(relation, record, &key, &error)) return "";
  std::optional<LocalRow> local = RowByKey(relation, key, /*with_commit_time=*/false);
  return local ? local->row_id : "";
}

std::optional<ChangeReplayer::LocalRow> ChangeReplayer::RowByKey(const TargetRelation& relation,
                                                                 const std::vector<const char*>& key,
                                                                 bool with_commit_time) {
  std::vector<int> columns;
  for (size_t i = 0; i < relation.shape.columns.size(); ++i) {
    if (relation.shape.columns[i].key) columns.push_back(static_cast<int>(i));
  }
  std::vector<SqlParam> params;
  for (const char* value : key) params.push_back(value ? SqlParam(value) : SqlParam());
  AsOwner(relation);
  PgResult result = conn_.ExecParams(
      BuildLocalRowsSql(relation.shape, columns, relation.shape.unique_key, with_commit_time) + " LIMIT 1", params);
  if (result.rows() == 0) return std::nullopt;
  LocalRow local{result.Get(0, 0), result.Get(0, 1), std::nullopt};
  if (!result.IsNull(0, 2)) local.commit_time = std::stoll(result.Get(0, 2));
  return local;
}

void ChangeReplayer::DeleteRows(const TargetRelation& relation, const std::vector<LocalRow>& rows) {
  std::string ctids = "{";
  std::string row_ids = "{";
  for (size_t i = 0; i < rows.size(); ++i) {
    const std::string& id = rows[i].row_id;  // "<tableoid>:(block,offset)"
    ctids += (i ? ",\"" : "\"") + id.substr(id.find(':') + 1) + "\"";
    row_ids += (i ? ",\"" : "\"") + id + "\"";
  }
  ctids += "}";
  row_ids += "}";
  AsOwner(relation);
  conn_.ExecParams(BuildDeleteByRowIdSql(relation.shape), {ctids, row_ids});
}

// ---------------------------------------------------------------------------
// last-write-wins (relation->shape.last_write): the checks the fast path's
// guard made, made again one change at a time, now with a conflict row.
// A keyless table has no row identity to compare versions of: its UPDATEs
// and DELETEs are not judged by time (only its INSERTs, against a later
// local TRUNCATE).

std::optional<ChangeReplayer::LocalRow> ChangeReplayer::LocalRowByKey(const TargetRelation& relation,
                                                                      const v1::Record& record) {
  std::vector<const char*> key;
  std::string error;
  if (!ChangeKey(relation, record, &key, &error)) throw ApplyError(error);
  return RowByKey(relation, key, /*with_commit_time=*/true);
}

bool ChangeReplayer::LocalRowIsNewer(const v1::Record& record, TargetRelation* relation, const SourceTxn& txn,
                                     ConflictType type) {
  std::optional<LocalRow> local = LocalRowByKey(*relation, record);
  if (!local || resolver_.RemoteWins(txn.commit_time, local->commit_time)) return false;
  ConflictDecision decision = resolver_.Decide({type, true, txn.commit_time, local->commit_time});
  std::vector<const char*> remote;
  if (record.has_update()) {
    TupleValues(record.update().new_tuple(), &remote);
  } else {
    TupleValues(record.delete_().old_tuple(), &remote);
  }
  ConflictRecord conflict = MakeRecord(record, relation, txn, type, decision.resolution, {*local}, remote);
  if (decision.action == ConflictAction::kStop) Stop(std::move(conflict), txn);
  WriteConflict(conflict);
  return decision.action != ConflictAction::kApplyRemote;
}

std::optional<PgTimestamp> ChangeReplayer::TombstoneTime(const v1::Record& record, const TargetRelation* relation) {
  std::vector<const char*> key;
  std::string error;
  if (!ChangeKey(*relation, record, &key, &error)) throw ApplyError(error);
  std::vector<SqlParam> params;
  for (const char* value : key) {
    if (value == kUnknownValue) return std::nullopt;
    params.push_back(value ? SqlParam(value) : SqlParam());
  }
  AsOwner(*relation);
  PgResult result = conn_.ExecParams(BuildTombstoneTimeSql(relation->shape), params);
  if (result.rows() == 0 || result.IsNull(0, 0)) return std::nullopt;
  return std::stoll(result.Get(0, 0));
}

bool ChangeReplayer::DeletedLater(const v1::Record& record, TargetRelation* relation, const SourceTxn& txn,
                                  ConflictType type, const std::vector<const char*>& row) {
  std::optional<PgTimestamp> deleted = TombstoneTime(record, relation);
  if (!deleted) return false;
  ConflictDecision decision = resolver_.Decide({type, true, txn.commit_time, deleted});
  if (decision.action == ConflictAction::kApplyRemote) return false;  // the change is later: no conflict
  ConflictRecord conflict = MakeRecord(record, relation, txn, type, decision.resolution, {}, row);
  if (decision.action == ConflictAction::kStop) Stop(std::move(conflict), txn);
  WriteConflict(conflict);
  return true;
}

void ChangeReplayer::RemoveOlder(const TargetRelation& relation, const SourceTxn& txn,
                                 const std::vector<LocalRow>& locals) {
  std::vector<LocalRow> older;
  for (const auto& local : locals) {
    if (resolver_.RemoteWins(txn.commit_time, local.commit_time)) older.push_back(local);
  }
  if (!older.empty()) DeleteRows(relation, older);
}

void ChangeReplayer::DisplaceOthers(const TargetRelation& relation, const SourceTxn& txn,
                                    const std::vector<const char*>& row, const std::string& own_id) {
  if (relation.unique_indexes.size() < 2) return;  // no other unique key to collide on
  RemoveOlder(relation, txn, ConflictingRows(relation, row, own_id));
}

std::optional<PgTimestamp> ChangeReplayer::NewestLocal(const std::vector<LocalRow>& rows) const {
  std::optional<PgTimestamp> newest;
  for (const auto& row : rows) {
    if (row.commit_time && (!newest || *row.commit_time > *newest)) newest = row.commit_time;
  }
  return newest;
}

ConflictRecord ChangeReplayer::MakeRecord(const v1::Record& record, const TargetRelation* relation,
                                          const SourceTxn& txn, ConflictType type, Resolution resolution,
                                          const std::vector<LocalRow>& locals,
                                          const std::vector<const char*>& remote) const {
  ConflictRecord conflict;
  conflict.relation = relation;
  conflict.type = type;
  conflict.resolution = resolution;
  if (!locals.empty()) conflict.local_row = locals.front().json;
  conflict.remote_values = remote;
  conflict.key = DescribeKey(*relation, record);
  conflict.source_lsn = txn.commit_lsn;
  conflict.remote_commit_time = txn.commit_time;
  return conflict;
}

void ChangeReplayer::WriteConflict(const ConflictRecord& record) {
  AsWorker();
  log_.Write(conn_, roles_, record);
}

void ChangeReplayer::Stop(ConflictRecord record, const SourceTxn& txn) {
  std::string message = fmt::format(
      "conflict {} on table {} key {} under conflict_policy fail: stopped; nothing of source transaction {} "
      "(commit LSN {}) was applied, a restart retries it",
      ToString(record.type), record.relation->display, record.key, txn.xid, LsnToString(txn.commit_lsn));
  throw ConflictStop(message, std::move(record));
}

}  // namespace pgduplex
