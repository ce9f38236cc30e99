// GrantPlan: the privileges that the tables and sequences created by the
// initial copy have on the source, as GRANT statements for the target (the
// schema copy runs pg_dump with --no-privileges), so that the application's
// roles work on the target unchanged after a switchover.
//
// Read from the catalog (aclexplode of pg_class.relacl and
// pg_attribute.attacl, under the copy's snapshot), not from pg_dump's
// GRANT/REVOKE lines: each privilege arrives as values (object, column,
// grantee, privilege, grant option), so a grantee that does not exist on the
// target is left out by name instead of by parsing role lists out of SQL
// text, and no statement depends on the grantor (pg_dump replays grants
// made by other grantors under SET SESSION AUTHORIZATION, which needs
// rights the worker's role may not have).
//
// Copied: every privilege held by a role other than the object's owner, or
// by PUBLIC, with its grant option; table-level and column-level; tables,
// partitions and sequences. Not copied: the owner's own privileges (implicit
// on the target), and who granted them (on the target every grant is made
// by the owner, or by the worker's role where it owns the object).
// Roles missing on the target: one warning per role, naming its objects.
//
// Contract: PlanGrants is pure; ReadSourceAcl reads the source connection
// (inside the snapshot transaction).
#pragma once

#include <set>
#include <string>
#include <vector>

#include "common/pg_connection.h"
#include "common/table_scope.h"

namespace pgduplex {

struct AclEntry {
  TableName object;
  bool sequence = false;
  std::string column;     // empty: the whole table or sequence
  std::string grantee;    // empty: PUBLIC
  std::string privilege;  // SELECT, INSERT, USAGE, ...
  bool grantable = false;
};

struct GrantStatement {
  std::string sql;
  std::string object;  // schema.name, for messages
  std::string role;    // PUBLIC for PUBLIC
};

struct GrantPlan {
  std::vector<GrantStatement> grants;
  std::vector<std::string> warnings;  // one per grantee missing on the target
};

// One statement per object, grantee and grant option (table-level and
// column-level privileges apart), in a stable order.
GrantPlan PlanGrants(const std::vector<AclEntry>& entries, const std::set<std::string>& target_roles);

// The privileges on `object_oids` (tables and sequences) and on the
// sequences those tables own (serial and identity columns), minus the
// owners' own.
std::vector<AclEntry> ReadSourceAcl(PgConnection& source, const std::vector<uint32_t>& object_oids);

}  // namespace pgduplex
