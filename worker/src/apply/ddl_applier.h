// DdlApplier: runs a captured DDL statement on the target, inside the open
// apply transaction and under the replication origin (so the target's own
// capture trigger, which ignores session_replication_role = replica, does
// not send it back). Forward direction only.
//
// Which statements are carried, and why not, is DdlPolicy's call
// (ddl/ddl_policy.h); this file only runs them, as their author or not at
// all:
//   * the author (Ddl.role, current_user on the source) is looked up on the
//     target; missing -> not applied;
//   * the statement runs under pgduplex.run_as(author, key) (RoleSwitch: a
//     security-restricted operation, so the author's code cannot RESET
//     ROLE back to the worker), or without a switch when the author is the
//     worker's own role; a refused switch -> not applied;
//   * search_path (the source's) and standard_conforming_strings = on are
//     set after the switch; the switch back undoes them;
//   * a failure for lack of rights (SQLSTATE 42501) -> not applied; the
//     statement's savepoint is rolled back, the batch goes on. Any other
//     failure is thrown (PgError), as before.
// Never the worker's own rights for someone else's statement.
#pragma once

#include <string>

#include "apply/role_switch.h"
#include "common/config.h"
#include "common/pg_connection.h"
#include "pgduplex.pb.h"

namespace pgduplex {

struct DdlOutcome {
  bool applied = false;
  std::string reason;  // when not applied: one line
};

// Contract: not in pipeline mode, inside a transaction, at the worker
// identity; returns at the worker identity with the session's search_path.
DdlOutcome ExecuteDdl(PgConnection& target, RoleSwitch& roles, const v1::Ddl& ddl,
                      const std::string& session_search_path);

// The statement as it may appear in logs and conflict rows: secrets
// redacted, one line, at most 200 characters.
std::string DdlStatementForLog(const std::string& statement);

}  // namespace pgduplex
