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

namespace pgduplex {

std::optional<ChangeReplayer::KeylessFate> ChangeReplayer::KeylessFateOf(const TargetRelation& relation,
                                                                        const v1::Tuple& old_tuple) {
  std::vector<const char*> old_values;
  TupleValues(old_tuple, &old_values);
  if (old_values.size() != relation.shape.columns.size()) return std::nullopt;
  std::vector<SqlParam> params;
  for (const char* value : old_values) {
    if (value == kUnknownValue) return std::nullopt;
    params.push_back(value ? SqlParam(value) : SqlParam());
  }
  AsWorker();
  PgResult result = conn_.ExecParams(BuildKeylessSuccessorSql(relation.shape), params);
  if (result.rows() == 0 || result.IsNull(0, 0)) return std::nullopt;
  KeylessFate fate;
  fate.changed_at = std::stoll(result.Get(0, 0));
  if (result.Get(0, 1) == "t") return fate;
  if (static_cast<size_t>(result.rows()) != old_values.size()) {
    throw ApplyError(fmt::format("pgduplex.keyless_successor gave {} values for the {} columns of {}", result.rows(),
                                 old_values.size(), relation.display));
  }
  fate.now.emplace();
  for (int i = 0; i < result.rows(); ++i) {
    fate.now->push_back(result.IsNull(i, 2) ? std::nullopt : std::optional<std::string>(result.Get(i, 2)));
  }
  return fate;
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
  params.push_back(SqlParam(std::to_string(fate.changed_at)));
  AsOwner(relation);  // keyless_alias wants UPDATE on the table
  conn_.ExecParams(BuildKeylessAliasSql(relation.shape, fate.now.has_value()), params);
}

bool ChangeReplayer::KeylessChangeDecided(const v1::Record& record, TargetRelation* relation, const SourceTxn& txn) {
  const bool update = record.has_update();
  const auto old_kind = update ? record.update().old_kind() : record.delete_().old_kind();
  if (old_kind != v1::OLD_TUPLE_FULL) return false;
  std::optional<KeylessFate> fate =
      KeylessFateOf(*relation, update ? record.update().old_tuple() : record.delete_().old_tuple());
  if (!fate || (!update && !fate->now)) return false;  // nothing remembered / deleted on both sides

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
    return true;
  }
  if (decision.action != ConflictAction::kApplyRemote || !fate->now) {
    WriteConflict(conflict);  // the local change is later: kept
    if (update && whole) RememberLostUpdate(*relation, row, *fate);
    return true;
  }
  // The change is later: it applies to the row the local chain ended at.
  std::string error;
  if (update ? !UpdateParams(*relation, record.update(), &mask_, &values_, &error)
             : !DeleteParams(*relation, record.delete_(), &values_, &error)) {
    throw ApplyError(error);
  }
  const size_t keys = fate->now->size();
  if (values_.size() < keys) return false;
  for (size_t i = 0; i < keys; ++i) {
    const std::optional<std::string>& value = (*fate->now)[i];
    values_[values_.size() - keys + i] = value ? value->c_str() : nullptr;
  }
  AsOwner(*relation);
  PgResult result = ExecPrepared(conn_, update ? relation->Update(mask_) : relation->Delete(), values_);
  conn_.Check(result.raw(), (update ? "UPDATE of " : "DELETE from ") + relation->display);
  if (AffectedRows(result) == 0) return false;  // that row is gone too: decided as before
  WriteConflict(conflict);
  return true;
}

}  // namespace pgduplex
