// The rights a sync role that is not superuser needs on one cluster, as
// statements to paste (`pgduplex grants`, README step 2) and as checks
// (`pgduplex precheck` judges each one on its own). Pure: no SQL runs here.
//
// What each cluster needs, and why:
//   LOGIN REPLICATION            connect; create and read slots (role attribute)
//   SET on session_replication_role  apply and copy sessions run as replica
//   membership in each owner     changes are applied as the table's owner
//                                (pgduplex.run_as), the copy changes owners to
//                                them and builds indexes on their tables; it also
//                                gives SELECT for the copy and verify
//   EXECUTE on the origin functions the target of a direction uses (per
//                                database: they are functions of each database)
//   pgduplex.conflicts           SELECT, INSERT (+ USAGE on its id sequence)
//   pgduplex.worker_status       SELECT, INSERT, UPDATE, DELETE
//   pgduplex.initial_sync(_xacts) B: SELECT, INSERT, UPDATE, DELETE (the copy's
//                                bookkeeping); A: SELECT, DELETE (drop)
//   CREATE on a schema where the copy creates a table whose owner may not
//                                create there on B (else the owner's right,
//                                inherited, covers it); on the database only
//                                when such a schema is missing on B
//   with apply_as_table_owner = false instead of membership: SELECT, INSERT,
//                                UPDATE, DELETE, TRUNCATE on each table.
// Nothing else: schema pgduplex grants USAGE to PUBLIC and its functions the
// worker calls (heartbeat, run_as) are PUBLIC; pg_dump on A only reads what
// the role may select; pg_hba's database line serves the logical
// replication connections too; pg_read_all_settings is not needed (precheck
// WARNs that it cannot read output_plugin_libraries).
//
// Contract: RequiredGrants lists one Grant per object, in script order;
// GrantStatement renders it (or a subset of its privileges) for a role, and
// PrivilegeCheckSql is a boolean SQL expression true when the connected
// role holds that privilege (false when the object does not exist).
#pragma once

#include <string>
#include <vector>

#include "common/table_scope.h"

namespace pgduplex {

struct Grant {
  enum class Kind { kRoleAttributes, kParameter, kMembership, kFunction, kTable, kSequence, kSchema, kDatabase };
  Kind kind = Kind::kTable;
  std::string object;                   // SQL text: pgduplex.conflicts, pg_catalog.f(text), "app", public
  std::vector<std::string> privileges;  // SELECT, INSERT ... / EXECUTE / CREATE / SET / LOGIN, REPLICATION
  std::string why;                      // for the script's comment and precheck's detail
  bool cluster_wide = false;            // role attributes, parameters, memberships
};

// What one cluster's role is used for in the task.
struct GrantNeeds {
  std::string label;                     // "a" or "b"
  std::string database;
  bool forward_target = false;           // b: initial copy and forward apply
  bool apply_as_owner = true;            // sync.apply_as_table_owner
  bool last_write_wins = false;          // sync.conflict_policy: tombstone triggers and purge
  std::vector<std::string> owners;       // owners of the synced tables (as on A), that exist here
  std::vector<TableName> tables;         // synced tables that exist here (grants without apply_as_owner)
  std::vector<std::string> create_schemas;  // B: existing schemas the copy creates tables in
  bool create_on_database = false;       // B: a schema the copy needs does not exist yet
};

std::vector<Grant> RequiredGrants(const GrantNeeds& needs);

// The statement giving `role` `privileges` of g (all of them when empty).
std::string GrantStatement(const Grant& g, const std::string& role,
                           const std::vector<std::string>& privileges = {});
std::string PrivilegeCheckSql(const Grant& g, const std::string& privilege);
// "EXECUTE on function pg_catalog.pg_replication_origin_create(text)", "membership in role \"app\"",
// "SELECT, INSERT on table pgduplex.conflicts" (`privilege` may list several).
std::string DescribePrivilege(const Grant& g, const std::string& privilege);

// The script for one cluster: a comment header, then one statement a line.
std::string GrantScript(const GrantNeeds& needs, const std::string& role);

}  // namespace pgduplex
