// DdlApplier: runs a captured DDL statement on the target, inside the open
// apply transaction and under the replication origin (so the target's own
// capture trigger, which ignores session_replication_role = replica, does
// not send it back). Forward direction only.
//
// For now every statement is applied as it was written, with the
// search_path and role it ran with on the source. Not applied (one warning
// line each): statements that did not come straight from the client
// (in_function) and transactions that also wrote rows (has_dml: replaying
// the statement text could repeat those writes). The full DDL rules are a
// later issue; they belong in DecideDdl.
#pragma once

#include <string>

#include "config.h"
#include "pg_connection.h"
#include "pgduplex.pb.h"

namespace pgduplex {

struct DdlDecision {
  bool apply = true;
  std::string reason;  // why not, when !apply
};

DdlDecision DecideDdl(const v1::Ddl& ddl, Direction direction);

// Runs it (simple protocol: the text may hold several statements), then
// restores the session's search_path and role. Throws PgError on failure.
void ExecuteDdl(PgConnection& target, const v1::Ddl& ddl, const std::string& session_search_path);

}  // namespace pgduplex
