#include "apply/schema_drift.h"

#include <fmt/format.h>

namespace pgduplex {

ConflictDecision DecideSchemaDrift(ConflictPolicy policy, bool placeable) {
  if (policy == ConflictPolicy::kFail) return {ConflictAction::kStop, Resolution::kFailed};
  if (placeable) return {ConflictAction::kApplyRemote, Resolution::kApplied};
  return {ConflictAction::kSkip, Resolution::kSkipped};
}

std::string SchemaDriftLine(ConflictType type, const std::string& target_table, const std::string& label,
                            const std::vector<std::string>& missing_columns, const std::string& source_table) {
  if (type == ConflictType::kTargetTableMissing) {
    return fmt::format("table {} does not exist on cluster {}", source_table, label);
  }
  std::string names;
  for (const std::string& column : missing_columns) {
    if (!names.empty()) names += ", ";
    names += fmt::format("\"{}\"", column);
  }
  return fmt::format("table {} on cluster {} has no column{} {} (the source table {} has {})", target_table, label,
                     missing_columns.size() == 1 ? "" : "s", names, source_table,
                     missing_columns.size() == 1 ? "it" : "them");
}

namespace {
void ProjectTuple(v1::Tuple* tuple, const std::vector<int>& kept) {
  auto* values = tuple->mutable_values();
  size_t next = kept.size();
  for (int i = values->size() - 1; i >= 0; --i) {
    if (next > 0 && kept[next - 1] == i) {
      --next;
      continue;
    }
    values->DeleteSubrange(i, 1);
  }
}
}  // namespace

void ProjectRecord(v1::Record* record, const std::vector<int>& kept) {
  if (record->has_insert()) {
    ProjectTuple(record->mutable_insert()->mutable_new_tuple(), kept);
  } else if (record->has_update()) {
    ProjectTuple(record->mutable_update()->mutable_new_tuple(), kept);
    if (record->update().has_old_tuple()) ProjectTuple(record->mutable_update()->mutable_old_tuple(), kept);
  } else if (record->has_delete_()) {
    if (record->delete_().has_old_tuple()) ProjectTuple(record->mutable_delete_()->mutable_old_tuple(), kept);
  }
}

}  // namespace pgduplex
