// DdlApplier: runs a captured DDL statement on the target, inside the open
// apply transaction and under the replication origin (so the target's own
// capture trigger, which ignores session_replication_role = replica, does
// not send it back). Forward direction only.
//
// Which statements are carried, and why not, is DdlPolicy's call
// (ddl/ddl_policy.h); this file only runs them, with the search_path and
// role they ran with on the source.
#pragma once

#include <string>

#include "config.h"
#include "pg_connection.h"
#include "pgduplex.pb.h"

namespace pgduplex {

// Runs it (simple protocol: the text may hold several statements), then
// restores the session's search_path and role. Throws PgError on failure.
void ExecuteDdl(PgConnection& target, const v1::Ddl& ddl, const std::string& session_search_path);

}  // namespace pgduplex
