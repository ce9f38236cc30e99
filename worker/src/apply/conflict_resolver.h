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
// (*) the local rows older than the remote one are removed in any case; the
// remote row goes in when no colliding local row is newer.
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
};

struct ConflictDecision {
  ConflictAction action;
  Resolution resolution;  // what pgduplex.conflicts records
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

  ConflictPolicy policy() const { return policy_; }
  bool NeedsLocalCommitTime() const { return policy_ == ConflictPolicy::kLastWriteWins; }

 private:
  ConflictPolicy policy_;
  Direction direction_;
};

}  // namespace pgduplex
