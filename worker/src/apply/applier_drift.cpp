// Applier, schema drift (schema_drift.h): changes naming a table or column
// the target lacks become conflicts in the batch, never a stall.
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "apply/applier.h"
#include "apply/apply_sql.h"
#include "apply/change_params.h"
#include "apply/schema_drift.h"

namespace pgduplex {

void Applier::OnDriftedChange(const v1::Record& record, TargetRelation* relation, Lsn lsn, size_t bytes) {
  if (relation->conflict_only) {
    // Nothing of it can be placed: the conflict entry only.
    Enqueue(record, relation, lsn, bytes);
    return;
  }
  Enqueue(record, relation->drift_view.get(), lsn, 0);
  auto* projected = google::protobuf::Arena::CreateMessage<v1::Record>(batch_.arena());
  projected->CopyFrom(record);
  ProjectRecord(projected, relation->kept);
  Enqueue(*projected, relation, lsn, bytes);
}

Applier::Step Applier::ExecDriftConflict(uint64_t index) {
  if (Verify() == Step::kSurprise) return Step::kSurprise;
  pipeline_.Exit();
  AsWorker();
  const uint32_t txn = At(index).txn;
  if (options_.policy == ConflictPolicy::kFail && index == batch_.TxnFirst(txn) &&
      batch_.TxnFirst(txn) > batch_.segment_start()) {
    // The stop keeps the transactions before this one (as ExecSyncChange).
    conn_->Exec(apply_sql::kRelease);
    conn_->Exec(apply_sql::kSavepoint);
    batch_.set_segment_start(index);
  }
  try {
    WriteDriftConflict(index);
  } catch (const ConflictStop& stop) {
    HandleStop(stop, txn, batch_.TxnFirst(txn) >= batch_.segment_start());
  }
  pipeline_.Enter();
  return Step::kDone;
}

namespace {
const v1::Tuple* RemoteTuple(const v1::Record& record) {
  if (record.has_insert()) return &record.insert().new_tuple();
  if (record.has_update()) return &record.update().new_tuple();
  if (record.has_delete_()) return &record.delete_().old_tuple();
  return nullptr;
}
}  // namespace

void Applier::WriteDriftConflict(uint64_t index) {
  const BatchChange& change = At(index);
  const TargetRelation& view = *change.relation;
  const SourceTxn& txn = batch_.txn(change.txn);
  ConflictDecision decision = DecideSchemaDrift(options_.policy, view.drift_placeable);
  ConflictRecord conflict;
  conflict.relation = &view;
  conflict.type = view.drift_type;
  conflict.resolution = decision.resolution;
  conflict.source_lsn = txn.commit_lsn;
  conflict.remote_commit_time = txn.commit_time;
  std::string key_names, key_values;
  if (const v1::Tuple* tuple = RemoteTuple(*change.record)) {
    for (int i = 0; i < tuple->values_size(); ++i) {
      const char* value = ValueText(tuple->values(i));
      conflict.remote_values.push_back(value);
      if (static_cast<size_t>(i) < view.source->column_is_key.size() && view.source->column_is_key[i]) {
        key_names += fmt::format("{}{}", key_names.empty() ? "" : ", ", view.source->column_names[i]);
        key_values += fmt::format("{}{}", key_values.empty() ? "" : ", ",
                                  value == nullptr ? "NULL" : value == kUnknownValue ? "?" : value);
      }
    }
  }
  conflict.key = fmt::format("({})=({})", key_names, key_values);
  std::string line =
      SchemaDriftLine(view.drift_type, view.display, conn_->label(), view.missing_columns, view.source_display);
  if (decision.action == ConflictAction::kStop) {
    throw ConflictStop(fmt::format("conflict {} on table {} key {} under conflict_policy fail: {}; stopped; "
                                   "nothing of source transaction {} (commit LSN {}) was applied, a restart "
                                   "retries it",
                                   ToString(view.drift_type), view.display, conflict.key, line, txn.xid,
                                   LsnToString(txn.commit_lsn)),
                       std::move(conflict));
  }
  spdlog::warn("{}: key {} {} (recorded in pgduplex.conflicts as {})", line, conflict.key,
               decision.resolution == Resolution::kApplied ? "applied without it" : "skipped",
               ToString(view.drift_type));
  conflict_log_.Write(*conn_, roles_, conflict);
}

}  // namespace pgduplex
