#include "apply/conflict_resolver.h"

namespace pgduplex {

bool ConflictResolver::RemoteWins(PgTimestamp remote, std::optional<PgTimestamp> local, Direction direction) {
  if (!local) return true;
  if (remote != *local) return remote > *local;
  return direction == Direction::kForward;  // ties go to cluster A
}

CollisionPlan ConflictResolver::PlanCollisions(PgTimestamp remote, const UniqueCollisions& local,
                                               Direction direction) {
  CollisionPlan plan;
  bool newer_other = false;
  for (size_t i = 0; i < local.others.size(); ++i) {
    if (RemoteWins(remote, local.others[i], direction)) {
      plan.remove_others.push_back(i);
    } else {
      newer_other = true;
    }
  }
  bool loses_own = (local.own_present && !RemoteWins(remote, local.own_commit_time, direction)) ||
                   (local.own_deleted_at && !RemoteWins(remote, local.own_deleted_at, direction));
  if (loses_own) return plan;
  if (newer_other) {
    plan.remove_own = local.own_present;
    return plan;
  }
  plan.apply = true;
  return plan;
}

ConflictDecision ConflictResolver::Decide(const ConflictFacts& facts) const {
  switch (facts.type) {
    case ConflictType::kDeleteMissing:
      return {ConflictAction::kSkip, Resolution::kSkipped};
    case ConflictType::kDdlNotApplied:
      // Never run as anyone else: stop under fail, else skip it.
      if (policy_ == ConflictPolicy::kFail) return {ConflictAction::kStop, Resolution::kFailed};
      return {ConflictAction::kSkip, Resolution::kSkipped};
    case ConflictType::kUpdateMissing:
      if (facts.keyless_unchanged && policy_ == ConflictPolicy::kLastWriteWins) {
        return {ConflictAction::kSkip, Resolution::kSkipped};
      }
      if (facts.whole_row_known) return {ConflictAction::kConvertToInsert, Resolution::kConvertedToInsert};
      if (policy_ == ConflictPolicy::kFail) return {ConflictAction::kStop, Resolution::kFailed};
      return {ConflictAction::kSkip, Resolution::kSkipped};
    case ConflictType::kUpdateDeleted:
      if (policy_ == ConflictPolicy::kFail) return {ConflictAction::kStop, Resolution::kFailed};
      if (!RemoteWins(facts.remote_commit_time, facts.local_commit_time, direction_)) {
        return {ConflictAction::kKeepLocal, Resolution::kKeptLocal};
      }
      if (facts.whole_row_known) return {ConflictAction::kConvertToInsert, Resolution::kConvertedToInsert};
      return {ConflictAction::kSkip, Resolution::kSkipped};
    case ConflictType::kInsertDeleted:
      if (policy_ == ConflictPolicy::kFail) return {ConflictAction::kStop, Resolution::kFailed};
      if (RemoteWins(facts.remote_commit_time, facts.local_commit_time, direction_)) {
        return {ConflictAction::kApplyRemote, Resolution::kApplied};
      }
      return {ConflictAction::kKeepLocal, Resolution::kKeptLocal};
    case ConflictType::kUpdateOriginDiffers:
    case ConflictType::kDeleteOriginDiffers:
    case ConflictType::kInsertExists:
    case ConflictType::kUpdateExists:
    case ConflictType::kMultipleUniqueConflicts:
    case ConflictType::kTargetTableMissing:   // decided by DecideSchemaDrift (schema_drift.h)
    case ConflictType::kTargetColumnMissing:
      break;
  }
  switch (policy_) {
    case ConflictPolicy::kFail: return {ConflictAction::kStop, Resolution::kFailed};
    case ConflictPolicy::kIgnore: return {ConflictAction::kSkip, Resolution::kSkipped};
    case ConflictPolicy::kOverwrite: return {ConflictAction::kApplyRemote, Resolution::kApplied};
    case ConflictPolicy::kLastWriteWins:
      if (RemoteWins(facts.remote_commit_time, facts.local_commit_time, direction_)) {
        return {ConflictAction::kApplyRemote, Resolution::kApplied};
      }
      return {ConflictAction::kKeepLocal, Resolution::kKeptLocal};
  }
  return {ConflictAction::kStop, Resolution::kFailed};
}

}  // namespace pgduplex
