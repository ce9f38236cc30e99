// Applier: applies the decoded stream of one direction to the target, in
// source commit order, with crash-safe exactly-once progress.
//
// Target session: session_replication_role = replica (user and FK triggers
// do not fire twice), synchronous_commit = off, client_encoding = the
// source's encoding, and the replication origin set up, so every row it
// writes (data, conflicts, worker_status) carries the origin and the peer's
// plugin (origins 'none') never sends it back.
//
// Batches: many source transactions are grouped into one target
// transaction (sync.batch_max_transactions / batch_max_changes, or sooner
// when the stream goes idle: CommitBatch). Each commit first calls
// pg_replication_origin_xact_setup(end LSN of the last source transaction,
// its commit time), so progress commits atomically with the data. Source
// transactions whose commit LSN lies below the origin's progress at start
// are skipped: they are already applied.
//
// Fast path: libpq pipeline mode, one prepared statement per (table,
// operation, column set), results judged as they arrive. Within a batch,
// changes are queued per table in runs of one kind and go out as multi-row
// statements (run_queue.h): tables are independent of each other under
// session_replication_role = replica, so only the order within a table is
// kept; successive UPDATEs of one row are merged when the key is the
// table's only unique constraint. Tables with triggers that fire for the
// apply session get every change in strict stream order. The batch runs
// inside SAVEPOINT pgduplex_batch. On a surprise (unique violation, or an
// UPDATE/DELETE that touched no row) the segment is rolled back to the
// savepoint and replayed: the transactions before the surprising one fast
// again, that one change by change through ChangeReplayer (conflict
// detection and policy), the rest fast again. Records are kept (on an
// arena) until their batch commits; a single source transaction larger
// than 2 x batch_max_changes is verified and released in segments, so
// memory stays bounded.
//
// Apply as the table owner (sync.apply_as_table_owner, RoleSwitch): every
// statement that writes a table is preceded, when the role in effect is
// not that table's owner, by pgduplex.run_as(owner, key) -- pipelined like
// the rest on the fast path -- and everything the worker writes for itself
// (savepoints, conflict rows, worker_status, origin progress, COMMIT) and
// every catalog lookup by run_as(0, key). Consecutive statements for tables
// of one owner share one switch. A rollback to the batch savepoint (taken
// at the worker identity) returns to the worker identity by itself. The
// initial copy does the same per table (initial_sync/table_copier.h): no
// trigger fires under replica there, but CHECK constraints and generated
// columns do run.
//
// Policy fail: the target transaction is rolled back to just before the
// conflicting source transaction, the transactions before it commit with
// their progress, the conflict row is written, and ConflictStop propagates.
//
// The parts, one file each: the session setup (apply_session.h), the batch
// being applied (apply_batch.h), the per-table runs of the fast path
// (run_queue.h), the judgement of pipelined results (pipeline_verdict.h),
// the status row (status_reporter.h). The Applier drives them: stream
// input and the fast path (applier.cpp), recovery and replay
// (applier_recovery.cpp), commit and progress (applier_commit.cpp), forward
// DDL (applier_ddl.cpp).
//
// Contract: not thread-safe; Record references passed in must stay valid
// until the handler returns (they live on arena()). Any exception leaves
// the Applier unusable: drop it and reconnect.
#pragma once

#include <google/protobuf/arena.h>

#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "apply/applier_options.h"
#include "apply/apply_batch.h"
#include "apply/change_replayer.h"
#include "apply/conflict_log.h"
#include "apply/conflict_resolver.h"
#include "apply/conflict_stop.h"
#include "apply/pipeline.h"
#include "apply/pipeline_verdict.h"
#include "apply/relation_map.h"
#include "apply/role_switch.h"
#include "apply/run_queue.h"
#include "apply/status_reporter.h"
#include "apply/truncate_plan.h"
#include "apply/worker_status_row.h"
#include "common/config.h"
#include "common/lsn.h"
#include "common/pg_connection.h"
#include "common/pg_time.h"
#include "common/throttle.h"
#include "common/worker_metrics.h"
#include "ddl/ddl_policy.h"
#include "pgduplex.pb.h"

namespace pgduplex {

class Applier {
 public:
  Applier(PgConnection target, ApplierOptions options, WorkerMetrics& metrics);
  ~Applier();
  Applier(const Applier&) = delete;
  Applier& operator=(const Applier&) = delete;

  // Prepares the session and returns the origin's durable progress (the
  // LSN to start streaming from; 0 when nothing was applied yet).
  Lsn Setup(const std::string& source_encoding);

  google::protobuf::Arena* arena() { return batch_.arena(); }

  void OnBegin(const v1::Begin& begin);
  void OnRelation(const v1::Relation& relation);
  // INSERT, UPDATE, DELETE, TRUNCATE or DDL. `lsn` is the record's WAL
  // position (for messages), `bytes` its encoded size.
  void OnChange(const v1::Record& record, Lsn lsn, size_t bytes);
  void OnCommit(const v1::Commit& commit);
  void OnHeartbeat(PgTimestamp source_time);

  bool InSourceTransaction() const { return in_txn_; }
  bool HasUncommitted() const { return open_; }
  // Commits the open batch (only between source transactions).
  void CommitBatch();
  // Rolls back whatever is open (stop in the middle of a source transaction).
  void Abandon();

  // End LSN of the last source transaction committed on the target.
  Lsn committed_lsn() const { return committed_lsn_; }
  // The part of committed_lsn() known to be flushed to disk on the target.
  Lsn durable_lsn() const { return durable_lsn_; }
  // Asks the target (flushing its WAL as far as the origin's progress).
  // Only between batches.
  Lsn RefreshDurable();
  // End LSN of the last source transaction that needed nothing applied
  // while no batch was open (empty after filtering, or already applied).
  Lsn handled_lsn() const { return handled_lsn_; }

  // The worker's row in pgduplex.worker_status; the run loop fills the
  // fixed fields (pid, started_at, state, last_error).
  WorkerStatusRow& status() { return status_.row(); }
  // Writes the status row now in its own transaction (between batches).
  void WriteStatusNow();
  // Batches committed since the last status write, which is a second old.
  bool StatusDue() const;

  PgConnection& connection() { return *conn_; }

 private:
  enum class Step { kDone, kSurprise };

  BatchChange& At(uint64_t index) { return batch_.At(index); }
  uint64_t End() const { return batch_.End(); }

  // Stream input and the fast path (applier.cpp).
  TargetRelation* Relation(uint32_t oid);
  void Enqueue(const v1::Record& record, TargetRelation* relation, Lsn lsn, size_t bytes);
  std::vector<TruncateStatement> TruncatePlanFor(const v1::Truncate& truncate);
  std::vector<TruncateStatement> LastWriteTruncate(const v1::Truncate& truncate);
  // The TRUNCATE's tables on the target (applier_truncate.cpp): refuses one
  // that a table outside it references by foreign key (RefuseOutsideReferences).
  void CheckTruncateReferences(const v1::Truncate& truncate);
  // The rows of `relation` a TRUNCATE of its source empties (TruncatedRows).
  std::string TruncatedRowsOf(const TargetRelation& relation) const;
  void Open();
  Step ExecFast(uint64_t index);
  void SendControl(const char* sql);
  void SendRollbackToSavepoint();
  // Role switches (RoleSwitch): pipelined while the pipeline is active.
  void AsRole(uint32_t role) { SwitchRole(roles_, pipeline_, *conn_, role); }
  void AsWorker() { AsRole(0); }
  void MaybeResetArena();

  // Sync points, recovery and replay (applier_recovery.cpp).
  Step Verify();
  void Recover();
  Step RunFast(uint64_t from, uint64_t to);
  void RunSlow(uint32_t txn, uint64_t from, uint64_t to, bool whole_txn);
  [[noreturn]] void HandleStop(const ConflictStop& stop, uint32_t txn, bool whole_txn);
  // The conflict row of a stop or of a skipped DDL (counted only where the
  // extension is too old to hold ddl_not_applied).
  void WriteStopRecord(const ConflictRecord& record);
  void NewSegment(uint64_t start);
  void MaybeSegment();

  // Commit and progress (applier_commit.cpp).
  void RecordCommitted(const SourceTxn& last);
  void ResetBatch();

  // Forward DDL (applier_ddl.cpp; DdlPolicy): an accepted statement is
  // enqueued where it came in its source transaction (rows before and after
  // it included) and run synchronously; the segment restarts after it, so a
  // replay never runs it twice.
  void OnDdl(const v1::Record& record, Lsn lsn, size_t bytes);
  // The schema an unqualified table name resolves to under a search_path,
  // from the target's catalog (OnDdl, before DdlPolicy decides). Settles the
  // pipeline first, so it may replay the batch and throw what that throws.
  std::optional<std::string> ResolveTableSchema(const std::string& table, const std::vector<std::string>& path);
  Step ExecSyncChange(uint64_t index);
  void ExecDdl(uint64_t index);

  // Schema drift (applier_drift.cpp, schema_drift.h): a change of a table or
  // column the target lacks is one conflict entry in the batch (written on
  // the fast path at a sync point, again on replay), followed, when the row
  // can be placed, by the change projected onto the target's columns.
  void OnDriftedChange(const v1::Record& record, TargetRelation* relation, Lsn lsn, size_t bytes);
  Step ExecDriftConflict(uint64_t index);
  // Writes the conflict row, or throws ConflictStop under policy fail.
  void WriteDriftConflict(uint64_t index);

  std::unique_ptr<PgConnection> conn_;
  ApplierOptions options_;
  WorkerMetrics& metrics_;
  ConflictResolver resolver_;
  ConflictLog conflict_log_;
  RelationMap relations_;
  Pipeline pipeline_;
  RoleSwitch roles_;
  ChangeReplayer replayer_;
  Throttle throttle_;
  DdlPolicy ddl_policy_;

  // Multi-statement query strings of the current source transaction: the
  // first statement the next DDL record of that text may be (ddl_isolate.h).
  std::map<std::string, size_t> string_next_statement_;

  ApplyBatch batch_;
  RunQueue runs_;
  PipelineVerdict verdict_;
  StatusReporter status_;

  // Where the stream is.
  bool open_ = false;           // target transaction open (pipeline mode)
  bool in_txn_ = false;         // between a source Begin and Commit
  bool skipping_ = false;       // current source transaction is already applied
  int sends_since_collect_ = 0;

  // Progress.
  Lsn skip_before_ = kInvalidLsn;
  Lsn committed_lsn_ = kInvalidLsn;
  Lsn durable_lsn_ = kInvalidLsn;
  Lsn handled_lsn_ = kInvalidLsn;
  PgTimestamp last_commit_time_ = 0;
  std::chrono::steady_clock::time_point last_durable_check_{};
  std::string session_search_path_;
  uint32_t origin_id_ = 0;  // this direction's replication origin on the target
  std::vector<uint32_t> copy_origin_ids_;  // and the initial copy's (last-write-wins)
  bool value_claims_ = false;  // the target keeps released unique values (last-write-wins, 1.3)
  bool keyless_successors_ = false;  // the target remembers keyless rows' fates (last-write-wins, 1.4)
  bool fast_guard_ = false;  // pgduplex.written_before / has_tombstones (last-write-wins, 1.4)
  static constexpr std::chrono::hours kPurgeInterval{1};
  std::chrono::steady_clock::time_point last_purge_{};  // tombstones (last-write-wins)
  void MaybePurgeTombstones(std::chrono::steady_clock::time_point now);
};

}  // namespace pgduplex
