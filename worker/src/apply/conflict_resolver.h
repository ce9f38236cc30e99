// ConflictResolver: what to do about one conflict, given the task's policy.
// Pure decisions; the applier detects conflicts and carries the decision out.
//
//   conflict                   fail   ignore   overwrite        last-write-wins
//   insert_exists              stop   skip     apply remote     later commit wins
//   update_exists              stop   skip     apply remote     later commit wins
//   multiple_unique_conflicts  stop   skip     apply remote     later commit wins (*)
//   update_origin_differs      stop   skip     apply remote     keep local
//   delete_origin_differs      stop   skip     apply remote     keep local
//   update_missing   -> INSERT when the whole row is known (every policy);
//                    otherwise: stop under fail, skip under the others
//                    last-write-wins, keyless table (no unique key), an
//                    UPDATE that leaves every value as it was and finds no
//                    row: skip (see below)
//   update_deleted   (last-write-wins) the later of the delete and the update:
//                    the update -> INSERT when the whole row is known, else
//                    skip; the delete -> skip
//   insert_deleted   (last-write-wins) the delete is later: skip
//   delete_missing   skip (every policy; recorded)
//   ddl_not_applied  stop under fail, skip under the others
//
// When each is detected. update_origin_differs / delete_origin_differs: the
// local row was last written by someone else than the incoming direction
// (locally, or under another origin) and its commit is later than the
// incoming transaction's (so the change is older than what it would
// overwrite); rows last written by this direction are the same history and
// never a conflict. update_deleted / insert_deleted: the row is missing and
// a local delete (or TRUNCATE) of it is remembered in pgduplex.tombstones;
// tombstones are kept under last-write-wins only. multiple_unique_conflicts:
// the row collides with two or more local rows (on different unique keys).
// (*) see UniqueCollisions below: the local rows older than the remote one
// are removed in any case; the remote row goes in when no colliding local
// row is newer; when one is, the local row with the remote row's own key
// goes too (if older than the remote row). insert_exists / update_exists
// under last-write-wins also: the change (an INSERT, or an UPDATE moving its
// row onto a new unique value) is older than a local claim of one of its
// unique values (pgduplex.value_claims: a local row held it later and gave
// it up); the claim counts as a newer colliding row.
//
// Keyless tables (REPLICA IDENTITY FULL, no unique key) have no row
// identity: a change finds "a row with these values". They converge as a
// multiset where an INSERT adds one row, a DELETE removes one and an UPDATE
// removes one and adds one, as long as no side has to remove a row it does
// not have. An UPDATE whose new values equal its old ones removes and adds
// the same row: it changes nothing, and is skipped when its row is missing
// (converting it would add a row the other side never gets) -- unless a
// local TRUNCATE earlier than it is remembered (update_deleted): then the
// row it kept was gone here only because of that older TRUNCATE, which the
// other side applies to rows older than it only, so the UPDATE's row stays
// there and is put back here. Under last-write-wins with extension 1.4 a
// removal that finds nothing is decided by time against what became of the
// row here (its local UPDATEs and DELETEs are remembered by whole value:
// change_replayer_keyless.cpp): the later change wins on the one row both
// sides hold (update_origin_differs, delete_origin_differs, update_deleted).
// Limit: when the same values are on several rows, or are added again
// meanwhile (re-inserted, or another row updated to them), a change still
// finds "a row with these values", which may be another one than the peer
// changed, and the sides can end with different counts of that row.
//
// last-write-wins compares the source transaction's commit time with the
// commit time of the local row's last writer (pg_xact_commit_timestamp of
// its xmin) or of the tombstone. A local row whose commit time is unknown
// (frozen, or written before track_commit_timestamp was on) counts as
// older. Ties go to cluster A: in the forward direction (A -> B) the remote
// row wins a tie, in the reverse direction (B -> A) the local row does.
// Both directions therefore agree and the clusters converge.
#pragma once

#include <optional>
#include <vector>

#include "common/config.h"
#include "common/pg_time.h"
#include "common/worker_metrics.h"

namespace pgduplex {

enum class ConflictAction {
  kStop,             // policy fail: stop the worker, apply nothing of the transaction
  kSkip,             // leave the target as it is
  kApplyRemote,      // remove what is in the way, then apply the remote change
  kConvertToInsert,  // update_missing with a whole row: insert it
  kKeepLocal,        // last-write-wins and the local row is newer
};

struct ConflictFacts {
  ConflictType type = ConflictType::kInsertExists;
  bool whole_row_known = true;  // update_missing: can the new row be inserted?
  PgTimestamp remote_commit_time = 0;
  std::optional<PgTimestamp> local_commit_time;  // last-write-wins only
  // update_missing / update_deleted on a keyless table: the UPDATE's new
  // values equal its old ones.
  bool keyless_unchanged = false;
};

struct ConflictDecision {
  ConflictAction action;
  Resolution resolution;  // what pgduplex.conflicts records
};

// last-write-wins against several unique keys. The rule is that of a serial
// history in commit-time order (ties: cluster A first) where every row
// version displaces the rows it collides with on a unique key: when the
// change arrives, this side has applied every change older than it (the
// peer sends in commit order; local ones are all applied), plus local
// changes newer than it. So:
//  - a colliding local row older than the change was displaced by it: it
//    goes, even when the change loses on its own key (a newer local write or
//    a later local delete of that key);
//  - a colliding local row newer than the change displaced it afterwards:
//    the change stays out, and so does the older local row with the change's
//    own key (it was replaced by the change, and the change was displaced);
//  - otherwise the change replaces the local row with its key.
// A local row whose commit time is unknown, or that this direction wrote
// last, counts as older (see RemoteWins).
struct UniqueCollisions {
  bool own_present = false;                         // a local row holds the change's own key
  std::optional<PgTimestamp> own_commit_time;       // its commit time
  std::optional<PgTimestamp> own_deleted_at;        // a local delete of the own key (tombstone)
  std::vector<std::optional<PgTimestamp>> others;   // colliding local rows with other keys
};
struct CollisionPlan {
  std::vector<size_t> remove_others;  // indexes into UniqueCollisions::others
  bool remove_own = false;            // delete the local row with the own key
  bool apply = false;                 // the change goes in (replacing the own row)
};

class ConflictResolver {
 public:
  ConflictResolver(ConflictPolicy policy, Direction direction) : policy_(policy), direction_(direction) {}

  ConflictDecision Decide(const ConflictFacts& facts) const;
  // last-write-wins: does the remote change beat the local row?
  static bool RemoteWins(PgTimestamp remote, std::optional<PgTimestamp> local, Direction direction);
  bool RemoteWins(PgTimestamp remote, std::optional<PgTimestamp> local) const {
    return RemoteWins(remote, local, direction_);
  }

  static CollisionPlan PlanCollisions(PgTimestamp remote, const UniqueCollisions& local, Direction direction);
  CollisionPlan PlanCollisions(PgTimestamp remote, const UniqueCollisions& local) const {
    return PlanCollisions(remote, local, direction_);
  }

  ConflictPolicy policy() const { return policy_; }
  bool NeedsLocalCommitTime() const { return policy_ == ConflictPolicy::kLastWriteWins; }

 private:
  ConflictPolicy policy_;
  Direction direction_;
};

}  // namespace pgduplex
