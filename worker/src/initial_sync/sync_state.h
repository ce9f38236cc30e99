// SyncState: the target-side record of an initial copy, so a copy cut off
// by a crash is never mistaken for a finished one.
//
// Tables (schema pgduplex on the target; created on first use and made
// members of the extension, so DROP EXTENSION removes them):
//   initial_sync       one row per task: state 'copying' | 'done', the
//                      consistent LSN, and the tables the copy touches with
//                      what they were before it ({"schema","name","leaf",
//                      "created","had_rows"}).
//   initial_sync_xacts one row per committed copy transaction: the
//                      transaction id, so exactly the rows that
//                      transaction inserted (xmin) can be removed.
//
// Lifecycle:
//   1. Begin()            before the slot is created: state 'copying'.
//   2. RecordTables()     in the transaction that creates the schema.
//   3. copy...            each copy transaction calls RecordXactSql().
//   4. Finish()           one transaction: forward origin advanced to the
//                         consistent LSN, state 'done'.
// A restart that finds 'copying' calls UndoTargetWrites(): the slot on the
// source is dropped, and only what the copy itself wrote goes: every copy
// transaction is recorded in initial_sync_xacts, so its rows are those
// whose xmin is one of them. Tables the copy created are dropped (refused,
// naming the table, when B's users wrote rows into one meanwhile); tables
// that were empty and hold only the copy's rows are truncated; from the
// others (rows before the copy, or rows B's users wrote during it, which the
// reverse direction may already have sent to A) the copy's rows are deleted
// by xmin. All under a replication origin and session_replication_role =
// replica so nothing of it travels back to the source. Tables left with
// B's rows are remembered (written_during_copy), and the copy starts over
// from a new slot and snapshot, skipping source rows whose key B holds.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "common/config.h"
#include "apply/role_switch.h"
#include "common/pg_connection.h"
#include "common/table_scope.h"

namespace pgduplex {

struct SyncTableRecord {
  TableName name;
  bool leaf = true;       // has rows of its own (not a partitioned table)
  bool created = false;   // the copy created it on the target
  bool had_rows = false;  // it had rows on the target before the copy
  // It had none before the first copy, and B's users wrote rows into it
  // while a copy that did not finish ran: those rows are B's, kept by the
  // undo and by the copies after it (their keys are skipped).
  bool written_during_copy = false;
  // Every copy transaction into it is in initial_sync_xacts (false for a
  // copy started by a version that recorded them only for had_rows tables:
  // its undo empties tables that were empty, as that version did).
  bool xacts_recorded = false;
};

class SyncState {
 public:
  // `target` must be a session with session_replication_role = replica
  // and a replication origin set up.
  SyncState(PgConnection& target, std::string task) : target_(target), task_(std::move(task)) {}

  // nullopt when no initial copy was ever started.
  std::optional<std::string> State();
  void Begin();
  // Runs inside the caller's transaction.
  void RecordTables(const std::vector<SyncTableRecord>& tables);
  std::vector<SyncTableRecord> Tables();
  // SQL that records the current transaction as a copy into `table`.
  std::string RecordXactSql(const TableName& table) const;
  // Removes what an unfinished copy wrote on the target. Returns a
  // description of what was undone, for the log. `roles` (claimed on the
  // target session; null = apply_as_table_owner off) makes the deletes and
  // truncates run as each table's owner: ALWAYS triggers fire for them.
  std::string UndoTargetWrites(RoleSwitch* roles);
  // The tables the last undo kept rows of B's users in (written_during_copy).
  std::vector<TableName> TablesWrittenDuringCopy();
  // Marks the copy done and moves `origin` to `consistent_lsn`, atomically.
  void Finish(const std::string& origin, const std::string& consistent_lsn);

 private:
  std::string CopyXids(const TableName& table);  // the copy's transactions into `table`, xid[] text
  bool HasRowsNotCopied(const TableName& table);
  [[noreturn]] void RefuseDroppingOthersRows(const TableName& table);
  void RecordKeptTables(const std::vector<TableName>& kept);

  PgConnection& target_;
  std::string task_;
};

// Helper replication origins of the copy sessions on the target:
// pgduplex_<task>_copy_<n>. PostgreSQL 15 lets one backend use an origin at
// a time, hence one per session.
std::string CopyOriginName(const std::string& task, int n);
// Sets up `origin` on `conn` (creating it when missing), waiting up to a
// few seconds for a backend of a crashed run to release it.
void SetupCopySession(PgConnection& conn, const std::string& origin);
// Drops the copy origins of `task` (they must not be in use).
void DropCopyOrigins(PgConnection& conn, const std::string& task);
// Keeps the copy origins' ids in pgduplex.initial_sync (extension 1.2+;
// SyncState::Finish does, in its transaction, before they are dropped):
// last-write-wins counts the rows they wrote as the forward direction's
// history.
void RecordCopyOrigins(PgConnection& conn, const std::string& task);
// Drops `slot` on the source if it exists, ending a walsender of an earlier
// run still holding it.
bool DropSlotIfExists(PgConnection& source, const std::string& slot);

}  // namespace pgduplex
