// TruncatePlan: which statements a replicated TRUNCATE becomes on the
// target, and as which role each runs (sync.apply_as_table_owner).
//
// One TRUNCATE naming several tables must stay one statement where it can
// (tables referencing each other by foreign key can only be emptied
// together). So:
//   * every table has the same apply role      -> one statement, as it;
//   * mixed roles, and no table has a trigger that fires for the apply
//     session (the only user code a TRUNCATE runs) -> one statement, as the
//     worker (role 0);
//   * mixed roles and triggers                  -> one statement per role,
//     in the order the tables first appear (each runs its triggers as its
//     own owner; foreign keys between them would then fail, loudly).
// Roles are RoleSwitch::RoleFor() values: 0 = the worker.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace pgduplex {

struct TruncateTable {
  std::string quoted_table;
  uint32_t role = 0;
  bool fires_triggers = false;  // a trigger fires under session_replication_role = replica
};

struct TruncateStatement {
  uint32_t role = 0;
  std::string sql;
};

std::vector<TruncateStatement> PlanTruncate(const std::vector<TruncateTable>& tables, bool cascade,
                                            bool restart_identity);

}  // namespace pgduplex
