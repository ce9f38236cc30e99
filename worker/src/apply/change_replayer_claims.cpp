// ChangeReplayer under last-write-wins with value claims (extension 1.3):
// a change older than a local claim of one of its unique values is kept
// out, as if the claim's holder were still there, and what it displaced in
// commit-time order goes (see UniqueCollisions in conflict_resolver.h).
#include <string>

#include "apply/change_params.h"
#include "apply/change_replayer.h"
#include "apply/sql_builder.h"

namespace pgduplex {

namespace {
std::optional<PgTimestamp> TimeOf(const PgResult& result) {
  if (result.rows() == 0 || result.IsNull(0, 0)) return std::nullopt;
  return std::stoll(result.Get(0, 0));
}
}  // namespace

std::optional<PgTimestamp> ChangeReplayer::InsertClaimTime(const TargetRelation& relation,
                                                           const std::vector<const char*>& row) {
  if (!relation.shape.last_write->value_claims) return std::nullopt;
  std::vector<SqlParam> params;
  bool claims = false;
  for (size_t i = 0; i < relation.shape.columns.size() && i < row.size(); ++i) {
    const ShapeColumn& column = relation.shape.columns[i];
    if (!column.key && !column.claimed) continue;
    if (row[i] == kUnknownValue) return std::nullopt;
    claims = claims || column.claimed;
    params.push_back(row[i] ? SqlParam(row[i]) : SqlParam());
  }
  if (!claims) return std::nullopt;
  AsOwner(relation);
  return TimeOf(conn_.ExecParams(BuildClaimTimeSql(relation.shape), params));
}

std::optional<PgTimestamp> ChangeReplayer::UpdateClaimTime(const TargetRelation& relation, const SourceTxn& txn) {
  if (!relation.shape.last_write->value_claims) return std::nullopt;
  std::vector<bool> set(mask_.size());
  for (size_t i = 0; i < mask_.size(); ++i) set[i] = mask_[i] == '1';
  std::string sql = BuildUpdateClaimTimeSql(relation.shape, set);
  if (sql.empty()) return std::nullopt;  // no claimed column set
  std::vector<SqlParam> params;
  for (const char* value : values_) params.push_back(value ? SqlParam(value) : SqlParam());
  params.emplace_back(txn.commit_time_text);
  AsOwner(relation);
  return TimeOf(conn_.ExecParams(sql, params));
}

bool ChangeReplayer::ClaimedLater(const v1::Record& record, TargetRelation* relation, const SourceTxn& txn,
                                  ConflictType type, const std::vector<const char*>& row,
                                  std::optional<PgTimestamp> held) {
  if (!held) return false;
  ConflictDecision decision = resolver_.Decide({type, true, txn.commit_time, held});
  if (decision.action == ConflictAction::kApplyRemote) return false;  // the change is later than the claim
  ConflictRecord conflict = MakeRecord(record, relation, txn, type, decision.resolution, {}, row);
  if (decision.action == ConflictAction::kStop) Stop(std::move(conflict), txn);
  WriteConflict(conflict);
  return true;
}

void ChangeReplayer::DisplacedByClaim(const v1::Record& record, const TargetRelation& relation,
                                      const SourceTxn& txn, const std::vector<const char*>& row, PgTimestamp held) {
  std::optional<LocalRow> own = relation.shape.unique_key ? LocalRowByKey(relation, record) : std::nullopt;
  std::vector<LocalRow> others = ConflictingRows(relation, row, own ? own->row_id : "");
  UniqueCollisions facts;
  facts.own_present = own.has_value();
  if (own) facts.own_commit_time = own->commit_time;
  for (const auto& other : others) facts.others.push_back(other.commit_time);
  facts.others.push_back(held);  // the claim's holder, newer than the change
  CollisionPlan plan = resolver_.PlanCollisions(txn.commit_time, facts);
  std::vector<LocalRow> doomed;
  for (size_t i : plan.remove_others) {
    if (i < others.size()) doomed.push_back(others[i]);
  }
  if (plan.remove_own) doomed.push_back(*own);
  if (!doomed.empty()) DeleteRows(relation, doomed);
}

}  // namespace pgduplex
