// RunQueue: the fast path's row changes of one batch, queued per table in
// runs of one kind (table_run.h) and sent as multi-row statements into the
// pipeline; results are judged by the applier (PipelineVerdict).
//
// Why this is safe. Under session_replication_role = replica no ordinary
// trigger and no foreign key check fires, so changes to different tables
// do not observe each other inside the (atomic) batch transaction; only
// the order within one table matters, and it is kept: a table's run is
// flushed before a change of another kind to it, before TRUNCATE/DDL and
// before every sync point (FlushAll). Inside a run:
//   * INSERTs go out in order as multi-row INSERTs; a key that already
//     exists fails the statement (unique violation), as it would alone.
//   * DELETEs go out as DELETE ... USING (VALUES ...); a missing row shows
//     as a row count below the number of keys.
//   * UPDATEs of a table whose only unique constraint is its key, that do
//     not change the key, are merged per row (later values win, columns
//     left out as unchanged TOAST keep the earlier value) and go out as
//     UPDATE ... FROM (VALUES ...) per SET column set. Any other UPDATE is
//     sent alone, in order.
// A run is also sent once its records reach max_run_bytes, so one statement
// carries a bounded number of bytes whatever the width of the rows.
// Tables with triggers that fire for the apply session get every change in
// strict stream order. With sync.apply_as_table_owner each statement runs
// as its table's owner: FlushAll sends the runs grouped per owner, one
// run_as per group. Any surprise (error or missing row) rolls the segment
// back and replays it one change at a time (SetPrecise), where every
// conflict is detected and resolved exactly as if nothing had been merged.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "apply/apply_batch.h"
#include "apply/pipeline.h"
#include "apply/relation_map.h"
#include "apply/role_switch.h"
#include "common/pg_connection.h"

namespace pgduplex {

// Runs as `role` from the next statement on: queued in the pipeline while
// it is active, else at once.
inline void SwitchRole(RoleSwitch& roles, Pipeline& pipeline, PgConnection& conn, uint32_t role) {
  if (pipeline.active()) {
    roles.Queue(pipeline, role);
  } else {
    roles.Switch(conn, role);
  }
}

class RunQueue {
 public:
  // A run goes out once its records reach max_run_bytes (the memory
  // budget's statement share): libpq copies a statement's values whole
  // into its send buffer, and the server takes no message over 1 GB.
  RunQueue(PgConnection& conn, Pipeline& pipeline, RoleSwitch& roles, const ApplyBatch& batch,
           uint64_t max_run_bytes)
      : conn_(conn), pipeline_(pipeline), roles_(roles), batch_(batch), max_run_bytes_(max_run_bytes) {}
  RunQueue(const RunQueue&) = delete;
  RunQueue& operator=(const RunQueue&) = delete;

  // Row change `index` of the batch (INSERT, UPDATE or DELETE): joins its
  // table's run, or goes out at once (after that run) when it cannot wait.
  void Queue(uint64_t index);
  // Sends every run.
  void FlushAll();
  // From now to the end of the batch, one statement per change.
  void SetPrecise() { precise_ = true; }
  // End of the batch: forgets the runs (nothing of them may be pending).
  void Clear();

 private:
  // One merged UPDATE row per key (FlushUpdates).
  struct MergedUpdate {
    uint64_t first;                   // its first change
    std::vector<const char*> key;
    std::vector<const char*> values;  // per column; kUnknownValue = not set
  };

  RunKind RunKindOf(uint64_t index, const TargetRelation& relation);
  void Flush(TargetRelation* relation);
  void FlushInserts(TargetRelation* relation);
  void FlushDeletes(TargetRelation* relation);
  void FlushUpdates(TargetRelation* relation);
  std::vector<MergedUpdate> MergeUpdates(const TargetRelation& relation);
  void SendUpdateGroup(TargetRelation* relation, const std::vector<MergedUpdate>& merged, const std::string& mask,
                       const std::vector<size_t>& members);
  void SendSingle(uint64_t index);
  // The change's source commit time as text (last-write-wins guard).
  const char* CommitTimeOf(uint64_t index) const;
  void SendChange(PreparedStatement* statement, uint64_t index);
  void SendRows(PreparedStatement* statement, uint64_t first_change, uint32_t rows);
  void AsOwnerOf(const TargetRelation* relation) {
    SwitchRole(roles_, pipeline_, conn_, roles_.RoleFor(relation->owner));
  }

  PgConnection& conn_;
  Pipeline& pipeline_;
  RoleSwitch& roles_;
  const ApplyBatch& batch_;
  const uint64_t max_run_bytes_;
  std::vector<TargetRelation*> runs_;  // relations with a non-empty run
  bool precise_ = false;               // one statement per change (replaying after a surprise)

  // Reused buffers.
  std::vector<const char*> params_;
  std::vector<const char*> row_;
  std::vector<const char*> key_;
  std::string key_text_;
  std::string mask_;
  std::string error_;
};

}  // namespace pgduplex
