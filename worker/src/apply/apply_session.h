// The apply session on the target, prepared once per connection before
// anything is applied: session_replication_role = replica (user and FK
// triggers do not fire twice), synchronous_commit = off, no timeouts,
// generic plans without sequential scans, client_encoding = the source's;
// the checks that the target can apply at all (extension installed,
// track_commit_timestamp for last-write-wins); the role switch claimed
// (RoleSwitch::Setup); and the replication origin created if needed and
// set up for the session, so every row written carries it. Under
// last-write-wins also: the target keeps tombstones (extension 1.2), every
// table in scope has its tombstone triggers, and old tombstones are purged.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "apply/applier_options.h"
#include "apply/role_switch.h"
#include "common/pg_connection.h"

namespace pgduplex {

// What the applier keeps from the session setup.
struct ApplySession {
  std::string search_path;        // the session's own, restored after DDL
  bool has_status_table = true;   // pgduplex.worker_status exists (newer extension)
  uint32_t origin_id = 0;         // the session's replication origin (roident)
  std::vector<uint32_t> copy_origin_ids;  // forward, last-write-wins: the initial copy's origins
  bool value_claims = false;  // last-write-wins: the target keeps released unique values (extension 1.3)
  bool keyless_successors = false;  // last-write-wins: the target remembers keyless rows' fates (extension 1.4)
  bool fast_guard = false;  // last-write-wins: pgduplex.written_before / has_tombstones (extension 1.4)
};

// Throws ApplyError when the target cannot apply (named in the message).
ApplySession PrepareApplySession(PgConnection& conn, const std::string& source_encoding,
                                 const ApplierOptions& options, RoleSwitch& roles);

}  // namespace pgduplex
