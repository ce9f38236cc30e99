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
//
// A table with `rows` set is not emptied: it is the target's root of a
// source partition the target lacks (B not partitioned the same way), and
// the TRUNCATE of that partition becomes `DELETE FROM root WHERE rows` (the
// partition's constraint on the source), one statement per such table, as
// its role, after the TRUNCATE of the others. Never more than the source
// emptied.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace pgduplex {

struct TruncateTable {
  std::string quoted_table;
  uint32_t role = 0;
  bool fires_triggers = false;  // a trigger fires under session_replication_role = replica
  std::string rows;             // "" = the whole table; else the rows to delete (SQL condition)
};

struct TruncateStatement {
  uint32_t role = 0;
  std::string sql;
};

// The rows of the target table a TRUNCATE of the source relation empties:
// "" (all) unless the target is the root of the source partition's tree
// (`via_root`), then the partition's constraint. Throws ApplyError naming
// both tables when that constraint did not travel (it calls functions that
// are not built in, or an older plugin sent none): emptying the root would
// remove more than the source did.
std::string TruncatedRows(bool via_root, const std::string& partition_constraint, const std::string& source_display,
                          const std::string& target_display, const std::string& target_label);

// A foreign key on the target from a table outside a TRUNCATE to one in it.
struct TruncateReference {
  std::string constraint;   // its name
  std::string referencing;  // schema.table, qualified
  std::string referenced;
};

// Throws ApplyError naming the first reference (its constraint and both
// tables), with the fix; nothing when `references` is empty. pgduplex never
// truncates with CASCADE, and deleting the rows under the apply's replica
// role would leave the references dangling.
void RefuseOutsideReferences(const std::vector<TruncateReference>& references, const std::string& target_label);

std::vector<TruncateStatement> PlanTruncate(const std::vector<TruncateTable>& tables, bool cascade,
                                            bool restart_identity);

}  // namespace pgduplex
