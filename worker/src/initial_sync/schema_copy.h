// SchemaCopy: creates the definitions of the selected tables on the target,
// from pg_dump of the source run under the slot's exported snapshot.
//
//   pre-data  (before the rows): the schemas the target lacks, the types the tables use
//             (enums, composites, domains, ranges; extension types become
//             CREATE EXTENSION IF NOT EXISTS), sequences used by defaults,
//             tables and partitions with defaults, NOT NULL and CHECK
//             constraints. Applied in ONE target transaction: all or
//             nothing.
//   post-data (after the rows): indexes, primary keys, unique and
//             exclusion constraints (built in parallel, one statement per
//             connection), then foreign keys, index attachments of
//             partitions, triggers, rules and policies (one by one; a
//             failure there, e.g. a foreign key to a table outside the
//             scope or a trigger function missing on the target, is a
//             warning, not an error: the data is already right).
//
// pg_dump runs with --no-owner --no-privileges --no-tablespaces: objects are
// created by the target user and get its default privileges. Then the
// created tables and the sequences their defaults use get the owner they
// have on the source (OwnerChange, applied by the caller in the pre-data
// transaction, each under its own savepoint), so that DDL run as its author
// and changes applied as the table owner work on the target; an owner that
// does not exist on the target (or cannot own it there) leaves the object
// with the target user, and one warning per such role. Their privileges
// on the source follow, for the grantees that exist on the target
// (GrantPlan, initial_sync/grant_plan.h: GRANT statements the caller runs
// after the owners, each under its own savepoint; one warning per grantee
// missing on the target). Functions are
// not copied (pg_dump -t never copies them): functions used by defaults,
// checks or triggers must already exist on the target.
//
// Both pg_dump runs happen while the snapshot is alive (before the copy);
// Apply* run later. Target sessions run with session_replication_role =
// replica, so the target's DDL capture trigger stays quiet.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "initial_sync/dump_script.h"
#include "initial_sync/grant_plan.h"
#include "common/pg_connection.h"
#include "common/table_scope.h"

namespace pgduplex {

// ALTER TABLE|SEQUENCE <object> OWNER TO <role>, to run after pre-data.
struct OwnerChange {
  std::string sql;
  std::string object;  // schema.name, for messages
  std::string role;
};

struct SchemaDump {
  std::string pre_data;                 // SQL for one transaction
  std::vector<ScriptStatement> post_data;
  std::vector<OwnerChange> owners;      // source owners that exist on the target
  std::vector<std::string> owner_warnings;  // one per source owner missing on the target
  std::vector<GrantStatement> grants;       // source privileges, for grantees on the target
  std::vector<std::string> grant_warnings;  // one per grantee missing on the target
};

struct SchemaRequest {
  std::string snapshot;
  std::vector<TableName> tables;      // tables to create (missing on the target)
  std::vector<uint32_t> table_oids;   // their source OIDs
};

// Dumps what `request` needs from the source (under the snapshot) and
// leaves out what the target already has (types, sequences, schemas).
// `source` must be inside a transaction that imported the snapshot.
SchemaDump DumpSchema(PgConnection& source, PgConnection& target, const SchemaRequest& request,
                      const std::function<void(const std::string&)>& note);

// Post-data: parallel part on `parallel` connections, then the rest on the
// first; failures in the rest are reported through `warn`.
void ApplyPostData(std::vector<PgConnection*> parallel, const std::vector<ScriptStatement>& statements,
                   const std::function<void(const std::string&)>& warn);

}  // namespace pgduplex
