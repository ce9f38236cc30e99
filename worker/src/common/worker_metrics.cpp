#include "common/worker_metrics.h"

namespace pgduplex {

const char* ToString(WorkerState state) {
  switch (state) {
    case WorkerState::kStarting: return "starting";
    case WorkerState::kCopying: return "copying";
    case WorkerState::kStreaming: return "streaming";
    case WorkerState::kReconnecting: return "reconnecting";
    case WorkerState::kStopped: return "stopped";
    case WorkerState::kFailed: return "failed";
  }
  return "?";
}

const char* ToString(ConflictType type) {
  switch (type) {
    case ConflictType::kInsertExists: return "insert_exists";
    case ConflictType::kUpdateMissing: return "update_missing";
    case ConflictType::kUpdateExists: return "update_exists";
    case ConflictType::kDeleteMissing: return "delete_missing";
    case ConflictType::kDdlNotApplied: return "ddl_not_applied";
    case ConflictType::kUpdateOriginDiffers: return "update_origin_differs";
    case ConflictType::kDeleteOriginDiffers: return "delete_origin_differs";
    case ConflictType::kUpdateDeleted: return "update_deleted";
    case ConflictType::kInsertDeleted: return "insert_deleted";
    case ConflictType::kMultipleUniqueConflicts: return "multiple_unique_conflicts";
    case ConflictType::kTargetTableMissing: return "target_table_missing";
    case ConflictType::kTargetColumnMissing: return "target_column_missing";
  }
  return "?";
}

const char* ToString(Resolution resolution) {
  switch (resolution) {
    case Resolution::kFailed: return "failed";
    case Resolution::kSkipped: return "skipped";
    case Resolution::kApplied: return "applied";
    case Resolution::kConvertedToInsert: return "converted_to_insert";
    case Resolution::kKeptLocal: return "kept_local";
  }
  return "?";
}

}  // namespace pgduplex
