// ChangeReplayer, tables without a key under last-write-wins (extension 1.4).
//
// Such a table has no row identity: an UPDATE or DELETE finds "a row with
// these values". When both sides changed the same row at once, the
// incoming change finds no such row here. The target remembers what each
// local UPDATE or DELETE made of a row (plugin/src/pg/keyless_successors.cpp),
// so the change is decided like one on a keyed row:
//
//   local chain ends in a row (the row was updated here):
//     UPDATE: update_origin_differs; the later of the two wins: a later
//             UPDATE replaces that row's values, an older one is dropped;
//     DELETE: delete_origin_differs; a later DELETE removes that row;
//   local chain ends in a DELETE:
//     UPDATE: update_deleted; a later UPDATE comes back as an INSERT;
//     DELETE: delete_missing, as before.
//
// Both sides then hold one row (or none) where, without it, two concurrent
// UPDATEs of one row left two (each side's own, plus the other's converted
// to an INSERT).
#include <fmt/format.h>

#include "apply/change_params.h"
#include "apply/change_replayer.h"
#include "apply/sql_builder.h"
#include "common/errors.h"
#include "common/pg_time.h"

namespace pgduplex {

// The first link of the local chain that ends the row's story: a DELETE,
// or values a row holds now (a later link may be another row's history
// through the same values). None when nothing is remembered, or no link's
// values are held (the caller goes on as before).
std::optional<ChangeReplayer::KeylessFate> ChangeReplayer::KeylessFateOf(const TargetRelation& relation,
                                                                        const v1::Tuple& old_tuple) {
  std::vector<const char*> old_values;
  TupleValues(old_tuple, &old_values);
  const size_t columns = relation.shape.columns.size();
  if (old_values.size() != columns) return std::nullopt;
  std::vector<SqlParam> params;
  for (const char* value : old_values) {
    if (value == kUnknownValue) return std::nullopt;
    params.push_back(value ? SqlParam(value) : SqlParam());
  }
  AsOwner(relation);
  PgResult links = conn_.ExecParams(BuildKeylessSuccessorSql(relation.shape), params);
  std::vector<int> all(columns);
  for (size_t i = 0; i < columns; ++i) all[i] = static_cast<int>(i);
  const std::string held_sql = BuildLocalRowsSql(relation.shape, all, /*unique=*/false, /*with_commit_time=*/false);
  for (int row = 0; row < links.rows();) {
    KeylessFate fate;
    fate.changed_at = std::stoll(links.Get(row, 1));
    if (links.Get(row, 2) == "t") return fate;  // deleted here
    const std::string hop = links.Get(row, 0);
    std::vector<std::optional<std::string>> values;
    for (; row < links.rows() && links.Get(row, 0) == hop; ++row) {
      values.push_back(links.IsNull(row, 3) ? std::nullopt : std::optional<std::string>(links.Get(row, 3)));
    }
    if (values.size() != columns) {
      throw ApplyError(fmt::format("pgduplex.keyless_successor gave {} values for the {} columns of {}",
                                   values.size(), columns, relation.display));
    }
    std::vector<SqlParam> held_params;
    for (const auto& value : values) held_params.push_back(value ? SqlParam(*value) : SqlParam());
    int held = conn_.ExecParams(held_sql, held_params).rows();
    if (held > 1) return std::nullopt;  // which of the equal rows? as before
    if (held == 1) {
      fate.now = std::move(values);
      return fate;
    }
  }
  return std::nullopt;
}

// The peer holds the lost UPDATE's new values and will change them again:
// they must lead to this side's row (or its deletion), as of its time.
void ChangeReplayer::RememberLostUpdate(const TargetRelation& relation, const std::vector<const char*>& row,
                                        const KeylessFate& fate) {
  std::vector<SqlParam> params;
  for (const char* value : row) params.push_back(value ? SqlParam(value) : SqlParam());
  if (fate.now) {
    for (const auto& value : *fate.now) params.push_back(value ? SqlParam(*value) : SqlParam());
  }
  params.push_back(SqlParam(FormatPgTimestamp(fate.changed_at)));
  AsOwner(relation);  // keyless_alias wants UPDATE on the table
  conn_.ExecParams(BuildKeylessAliasSql(relation.shape, fate.now.has_value()), params);
}

bool ChangeReplayer::KeylessChangeDecided(const v1::Record& record, TargetRelation* relation, const SourceTxn& txn) {
  // A local transaction may change the row between the lookup and the
  // statement (which then finds nothing): look again, with what it wrote.
  for (int attempt = 0; attempt < 3; ++attempt) {
    KeylessOutcome outcome = KeylessAttempt(record, relation, txn);
    if (outcome != KeylessOutcome::kRaced) return outcome == KeylessOutcome::kDecided;
  }
  return false;
}

ChangeReplayer::KeylessOutcome ChangeReplayer::KeylessAttempt(const v1::Record& record, TargetRelation* relation,
                                                              const SourceTxn& txn) {
  const bool update = record.has_update();
  const auto old_kind = update ? record.update().old_kind() : record.delete_().old_kind();
  if (old_kind != v1::OLD_TUPLE_FULL) return KeylessOutcome::kAsBefore;
  std::optional<KeylessFate> fate =
      KeylessFateOf(*relation, update ? record.update().old_tuple() : record.delete_().old_tuple());
  // nothing remembered / deleted on both sides
  if (!fate || (!update && !fate->now)) return KeylessOutcome::kAsBefore;
  // A local TRUNCATE after the chain's last change took the row: decided as
  // before (update_deleted against the TRUNCATE; a DELETE finds nothing).
  if (std::optional<PgTimestamp> truncated = TombstoneTime(record, relation);
      truncated && *truncated >= fate->changed_at) {
    return KeylessOutcome::kAsBefore;
  }

  std::vector<const char*> row;
  bool whole = update ? WholeNewRow(*relation, record.update(), &row) : true;
  if (!update) TupleValues(record.delete_().old_tuple(), &row);
  ConflictType type = !fate->now ? ConflictType::kUpdateDeleted
                      : update   ? ConflictType::kUpdateOriginDiffers
                                 : ConflictType::kDeleteOriginDiffers;
  ConflictDecision decision = resolver_.Decide({type, whole, txn.commit_time, fate->changed_at});
  ConflictRecord conflict = MakeRecord(record, relation, txn, type, decision.resolution, {}, row);
  if (decision.action == ConflictAction::kStop) Stop(std::move(conflict), txn);

  if (decision.action == ConflictAction::kConvertToInsert) {  // a later UPDATE of a row deleted here
    WriteConflict(conflict);
    AsOwner(*relation);
    PgResult result = ExecPrepared(conn_, relation->Insert(/*skip_conflicts=*/true), row);
    conn_.Check(result.raw(), "INSERT into " + relation->display + " (converted UPDATE)");
    return KeylessOutcome::kDecided;
  }
  if (decision.action != ConflictAction::kApplyRemote || !fate->now) {
    WriteConflict(conflict);  // the local change is later: kept
    if (update && whole) RememberLostUpdate(*relation, row, *fate);
    return KeylessOutcome::kDecided;
  }
  // The change is later: it applies to the row the local chain ended at.
  std::string error;
  if (update ? !UpdateParams(*relation, record.update(), &mask_, &values_, &error)
             : !DeleteParams(*relation, record.delete_(), &values_, &error)) {
    throw ApplyError(error);
  }
  const size_t keys = fate->now->size();
  if (values_.size() < keys) return KeylessOutcome::kAsBefore;
  for (size_t i = 0; i < keys; ++i) {
    const std::optional<std::string>& value = (*fate->now)[i];
    values_[values_.size() - keys + i] = value ? value->c_str() : nullptr;
  }
  AsOwner(*relation);
  PgResult result = ExecPrepared(conn_, update ? relation->Update(mask_) : relation->Delete(), values_);
  conn_.Check(result.raw(), (update ? "UPDATE of " : "DELETE from ") + relation->display);
  if (AffectedRows(result) == 0) return KeylessOutcome::kRaced;
  WriteConflict(conflict);
  return KeylessOutcome::kDecided;
}

}  // namespace pgduplex
