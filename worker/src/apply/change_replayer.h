// ChangeReplayer: the conflict path. Applies one change on its own,
// synchronously, detects every conflict by its result (0 rows from an
// UPDATE/DELETE, a unique violation from an UPDATE, 0 rows from
// INSERT ... ON CONFLICT DO NOTHING), asks the ConflictResolver what to do,
// does it, and logs one pgduplex.conflicts row per conflict.
//
// Statements that write the table, and lookups of its local rows,
// tombstones and claims, run as its owner (RoleSwitch::RoleFor): they cast
// values to the table's types, whose input and domain checks are the
// owner's code. Savepoints and conflict rows run as the worker.
//
// Contract: the target connection is inside a transaction and not in
// pipeline mode. Under policy fail it changes nothing for the conflicting
// change and throws ConflictStop (conflict_stop.h), which carries the
// conflict row for the caller to write after rolling the transaction back.
// Other failures throw PgError / ApplyError.
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "apply/conflict_log.h"
#include "apply/conflict_resolver.h"
#include "apply/conflict_stop.h"
#include "apply/relation_map.h"
#include "apply/role_switch.h"
#include "apply/source_txn.h"
#include "common/pg_connection.h"
#include "pgduplex.pb.h"

namespace pgduplex {

// Synchronous execution of a prepared statement (prepares it first if needed).
PgResult ExecPrepared(PgConnection& conn, PreparedStatement* statement, const std::vector<const char*>& values);
int AffectedRows(const PgResult& result);

class ChangeReplayer {
 public:
  ChangeReplayer(PgConnection& conn, const ConflictResolver& resolver, ConflictLog& log, RoleSwitch& roles)
      : conn_(conn), resolver_(resolver), log_(log), roles_(roles) {}
  ChangeReplayer(const ChangeReplayer&) = delete;
  ChangeReplayer& operator=(const ChangeReplayer&) = delete;

  // INSERT, UPDATE or DELETE.
  void Apply(const v1::Record& record, TargetRelation* relation, const SourceTxn& txn);

 private:
  struct LocalRow {
    std::string row_id;  // "<tableoid>:<ctid>"
    std::string json;
    std::optional<PgTimestamp> commit_time;
  };

  void ReplayInsert(const v1::Record& record, TargetRelation* relation, const SourceTxn& txn);
  void ReplayUpdate(const v1::Record& record, TargetRelation* relation, const SourceTxn& txn);
  void ReplayDelete(const v1::Record& record, TargetRelation* relation, const SourceTxn& txn);
  void UpdateMissing(const v1::Record& record, TargetRelation* relation, const SourceTxn& txn);
  void UpdateExists(const v1::Record& record, TargetRelation* relation, const SourceTxn& txn);
  // `row` is a whole row that INSERT ... ON CONFLICT DO NOTHING did not insert.
  void InsertExists(const v1::Record& record, TargetRelation* relation, const SourceTxn& txn,
                    const std::vector<const char*>& row);

  std::vector<LocalRow> ConflictingRows(const TargetRelation& relation, const std::vector<const char*>& row,
                                        const std::string& exclude_row_id);
  std::string TargetRowId(const TargetRelation& relation, const v1::Record& record);
  // The local row with this key (LIMIT 1), with its commit time when asked.
  std::optional<LocalRow> RowByKey(const TargetRelation& relation, const std::vector<const char*>& key,
                                   bool with_commit_time);
  void DeleteRows(const TargetRelation& relation, const std::vector<LocalRow>& rows);
  // The change lost on its own key (a newer local row, a later local
  // delete) but still displaced, at its commit time, the older local rows
  // it collides with on the other unique keys (see UniqueCollisions).
  void DisplaceOthers(const TargetRelation& relation, const SourceTxn& txn, const std::vector<const char*>& row,
                      const std::string& own_id);
  std::optional<PgTimestamp> NewestLocal(const std::vector<LocalRow>& rows) const;
  // A row colliding with `locals` on unique keys: the conflict (`one_row`,
  // or multiple_unique_conflicts for two or more rows), the decision and the
  // conflict row to write; under fail it stops here (ConflictStop).
  std::pair<ConflictDecision, ConflictRecord> JudgeCollision(const v1::Record& record,
                                                             const TargetRelation* relation, const SourceTxn& txn,
                                                             ConflictType one_row, const std::vector<LocalRow>& locals,
                                                             const std::vector<const char*>& row);

  // last-write-wins. The local row with the change's key (commit time NULL
  // when unknown or written by this direction).
  std::optional<LocalRow> LocalRowByKey(const TargetRelation& relation, const v1::Record& record);
  // update/delete_origin_differs: the local row is newer; logs it and says
  // whether to leave the change out.
  bool LocalRowIsNewer(const v1::Record& record, TargetRelation* relation, const SourceTxn& txn, ConflictType type);
  // The commit time of the latest local delete of the change's key.
  std::optional<PgTimestamp> TombstoneTime(const v1::Record& record, const TargetRelation* relation);
  // insert_deleted: a later local delete of the key; logs it and says
  // whether to leave the change out.
  bool DeletedLater(const v1::Record& record, TargetRelation* relation, const SourceTxn& txn, ConflictType type,
                    const std::vector<const char*>& row);
  // Value claims (pgduplex.value_claims; change_replayer_claims.cpp). The
  // latest time a local row held one of the unique values of `row` (an
  // INSERT's, or an UPDATE converted to one) and gave it up.
  std::optional<PgTimestamp> InsertClaimTime(const TargetRelation& relation, const std::vector<const char*>& row);
  // The same for the UPDATE in mask_/values_, when it moves its row onto a
  // claimed value (a row keeping its values has nothing to look up).
  std::optional<PgTimestamp> UpdateClaimTime(const TargetRelation& relation, const SourceTxn& txn);
  // `type` (insert_exists, update_exists) against a claim `held` later than
  // the change; logs it and says whether to leave the change out.
  bool ClaimedLater(const v1::Record& record, TargetRelation* relation, const SourceTxn& txn, ConflictType type,
                    const std::vector<const char*>& row, std::optional<PgTimestamp> held);
  // The change was kept out by a later claim: in commit-time order it
  // displaced the older local rows it collides with and replaced the older
  // local row with its own key, then the claim's holder displaced it. Those
  // rows go (see UniqueCollisions).
  void DisplacedByClaim(const v1::Record& record, const TargetRelation& relation, const SourceTxn& txn,
                        const std::vector<const char*>& row, PgTimestamp held);
  // A keyless table (extension 1.4): an UPDATE or DELETE that found no row
  // with its old values, decided against what became of that row here
  // (pgduplex.keyless_successor; change_replayer_keyless.cpp). False when
  // nothing is remembered (the caller goes on as before).
  bool KeylessChangeDecided(const v1::Record& record, TargetRelation* relation, const SourceTxn& txn);
  enum class KeylessOutcome { kDecided, kAsBefore, kRaced };
  KeylessOutcome KeylessAttempt(const v1::Record& record, TargetRelation* relation, const SourceTxn& txn);
  static bool KeylessRemembered(const TargetRelation& relation) {
    return relation.shape.last_write && relation.shape.last_write->keyless_successors && !relation.shape.unique_key;
  }
  struct KeylessFate {
    PgTimestamp changed_at = 0;                            // the last local change of the row
    std::optional<std::vector<std::optional<std::string>>> now;  // its values now; none: deleted
  };
  std::optional<KeylessFate> KeylessFateOf(const TargetRelation& relation, const v1::Tuple& old_tuple);
  void RememberLostUpdate(const TargetRelation& relation, const std::vector<const char*>& row,
                          const KeylessFate& fate);
  // The colliding local rows older than the change (multiple unique
  // conflicts: the older rows go even when a newer one keeps the change out).
  void RemoveOlder(const TargetRelation& relation, const SourceTxn& txn, const std::vector<LocalRow>& locals);
  ConflictRecord MakeRecord(const v1::Record& record, const TargetRelation* relation, const SourceTxn& txn,
                            ConflictType type, Resolution resolution, const std::vector<LocalRow>& locals,
                            const std::vector<const char*>& remote) const;
  [[noreturn]] void Stop(ConflictRecord record, const SourceTxn& txn);
  void AsOwner(const TargetRelation& relation) { roles_.Switch(conn_, roles_.RoleFor(relation.owner)); }
  void AsWorker() { roles_.Switch(conn_, 0); }
  void WriteConflict(const ConflictRecord& record);

  PgConnection& conn_;
  const ConflictResolver& resolver_;
  ConflictLog& log_;
  RoleSwitch& roles_;
  std::vector<const char*> values_;
  std::vector<const char*> row_;
  std::string mask_;
};

}  // namespace pgduplex
