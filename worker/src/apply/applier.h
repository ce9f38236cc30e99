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
// statements (applier_runs.cpp): tables are independent of each other under
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
// Contract: not thread-safe; Record references passed in must stay valid
// until the handler returns (they live on arena()). Any exception leaves
// the Applier unusable: drop it and reconnect.
#pragma once

#include <google/protobuf/arena.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "apply/change_replayer.h"
#include "apply/conflict_log.h"
#include "apply/conflict_resolver.h"
#include "apply/pipeline.h"
#include "apply/relation_map.h"
#include "apply/role_switch.h"
#include "apply/truncate_plan.h"
#include "apply/worker_status_row.h"
#include "common/config.h"
#include "ddl/ddl_policy.h"
#include "ddl/mixed_transaction_guard.h"
#include "common/pg_connection.h"
#include "pgduplex.pb.h"
#include "common/lsn.h"
#include "common/pg_time.h"
#include "common/throttle.h"
#include "common/worker_metrics.h"

namespace pgduplex {

struct ApplierOptions {
  std::string task;
  Direction direction = Direction::kForward;
  ConflictPolicy policy = ConflictPolicy::kOverwrite;
  std::string origin;
  int batch_max_transactions = 1000;
  int batch_max_changes = 10000;
  double max_rows_per_sec = 0;
  double max_bytes_per_sec = 0;
  std::vector<std::string> tables;  // sync.tables: the scope forward DDL must stay in
  bool apply_as_table_owner = true;  // sync.apply_as_table_owner (needs extension 1.1)
  const std::atomic<bool>* interrupt = nullptr;  // stop request: abandon waits on the target
};

class Applier {
 public:
  Applier(PgConnection target, ApplierOptions options, WorkerMetrics& metrics);
  ~Applier();
  Applier(const Applier&) = delete;
  Applier& operator=(const Applier&) = delete;

  // Prepares the session and returns the origin's durable progress (the
  // LSN to start streaming from; 0 when nothing was applied yet).
  Lsn Setup(const std::string& source_encoding);

  google::protobuf::Arena* arena() { return &arena_; }

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
  WorkerStatusRow& status() { return status_; }
  // Writes the status row now in its own transaction (between batches).
  void WriteStatusNow();
  // Batches committed since the last status write, which is a second old.
  bool StatusDue() const;

  PgConnection& connection() { return *conn_; }

 private:
  struct Change {
    const v1::Record* record;
    TargetRelation* relation;  // row changes only
    uint32_t txn;              // index into txns_
    int32_t truncate;          // TRUNCATE: index into truncates_
    Lsn lsn;
  };
  enum class Step { kDone, kSurprise };

  Change& At(uint64_t index) { return changes_[index - base_]; }
  uint64_t End() const { return base_ + changes_.size(); }
  uint64_t TxnEnd(uint32_t txn) const;

  void Open();
  TargetRelation* Relation(uint32_t oid);
  // Runs (applier_runs.cpp).
  void QueueChange(uint64_t index);
  void FlushRun(TargetRelation* relation);
  void FlushRuns();
  void SendSingle(uint64_t index);
  void FlushUpdateRun(TargetRelation* relation);
  void SendRows(PreparedStatement* statement, uint64_t first_change, uint32_t rows);
  Step ExecFast(uint64_t index);
  void SendChange(PreparedStatement* statement, uint64_t index);
  Step ExecSyncChange(uint64_t index);
  Step Verify();
  void Judge(const PipelineTag& tag, const PGresult* result);
  void ThrowIfFailed();
  void Recover();
  Step RunFast(uint64_t from, uint64_t to);
  void RunSlow(uint32_t txn, uint64_t from, uint64_t to, bool whole_txn);
  [[noreturn]] void HandleStop(const ConflictStop& stop, uint32_t txn, bool whole_txn);
  // The conflict row of a stop or of a skipped DDL (counted only where the
  // extension is too old to hold ddl_not_applied).
  void WriteStopRecord(const ConflictRecord& record);
  void NewSegment(uint64_t start);
  void SendControl(const char* sql);
  // Role switches (RoleSwitch): pipelined while the pipeline is active.
  void AsOwnerOf(const TargetRelation* relation);
  void AsRole(uint32_t role);
  void AsWorker() { AsRole(0); }
  void ExecDdl(uint64_t index);
  // Forward DDL (DdlPolicy): accepted statements are held until the next
  // record of their transaction; a row change drops them (DDL sharing a
  // transaction with DML is not carried), Commit applies them.
  void OnDdl(const v1::Record& record, Lsn lsn, size_t bytes);
  void DropHeldDdl();
  void ApplyHeldDdl();
  void Enqueue(const v1::Record& record, TargetRelation* relation, Lsn lsn, size_t bytes);
  // The schema an unqualified table name resolves to under a search_path,
  // from the target's catalog (OnDdl, before DdlPolicy decides). Settles the
  // pipeline first, so it may replay the batch and throw what that throws.
  std::optional<std::string> ResolveTableSchema(const std::string& table, const std::vector<std::string>& path);
  std::vector<TruncateStatement> TruncatePlanFor(const v1::Truncate& truncate);
  void MaybeSegment();
  void ResetBatch();
  void MaybeResetArena();
  void FillStatus();
  std::string Where(uint64_t index);

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
  google::protobuf::Arena arena_;
  DdlPolicy ddl_policy_;
  MixedTransactionGuard ddl_guard_;
  bool hold_segment_ = false;  // while held DDL records are being enqueued

  // Batch state.
  std::vector<Change> changes_;
  std::vector<SourceTxn> txns_;
  std::vector<uint64_t> txn_first_change_;  // parallel to txns_
  uint64_t base_ = 0;           // absolute index of changes_[0]
  uint64_t segment_start_ = 0;  // first change after the current SAVEPOINT
  uint64_t batch_changes_ = 0;
  uint64_t batch_bytes_ = 0;
  bool open_ = false;           // target transaction open (pipeline mode)
  bool in_txn_ = false;         // between a source Begin and Commit
  bool skipping_ = false;       // current source transaction is already applied
  bool released_ = false;       // records of this batch were released
  bool precise_ = false;        // one statement per change (replaying after a surprise)
  std::vector<TargetRelation*> runs_;  // relations with a non-empty run
  int sends_since_collect_ = 0;

  // Judgement of pipelined results since the last Verify.
  std::optional<uint64_t> surprise_;
  std::optional<uint64_t> error_index_;
  std::string error_message_;
  std::string error_state_;
  bool control_failed_ = false;
  std::vector<std::vector<TruncateStatement>> truncates_;

  // Progress.
  Lsn skip_before_ = kInvalidLsn;
  Lsn committed_lsn_ = kInvalidLsn;
  Lsn durable_lsn_ = kInvalidLsn;
  Lsn handled_lsn_ = kInvalidLsn;
  PgTimestamp last_commit_time_ = 0;
  std::string session_search_path_;
  bool has_status_table_ = true;
  bool status_dirty_ = false;

  WorkerStatusRow status_;
  std::chrono::steady_clock::time_point last_status_{};
  std::chrono::steady_clock::time_point last_durable_check_{};

  // Reused buffers.
  std::vector<const char*> params_;
  std::vector<const char*> row_;
  std::vector<const char*> key_;
  std::string key_text_;
  std::string mask_;
  std::string error_;
};

}  // namespace pgduplex
