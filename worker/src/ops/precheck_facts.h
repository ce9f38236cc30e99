// PrecheckFacts: everything `pgduplex precheck` needs to know about one
// cluster, read with plain SQL (GatherClusterFacts) so that the rules that
// judge them (precheck_rules.h) are pure and testable.
//
// Contract: GatherClusterFacts reads one connected cluster (the caller
// records an unreachable one as connected = false). Table facts
// cover the tables the task's patterns select on that cluster. With
// `fix_replica_identity`, tables that are not REPLICA IDENTITY FULL are
// altered first and listed in `fixed`; the facts then show the new state.
// Those only their owner can alter, when the connected role is not a member
// of that owner (ops/owner_statement.h), are listed in `not_fixed` with the
// owner and the statement, and left as they are.
// CheckGrants then records, for each right the role needs (grant_script.h),
// which of its privileges are missing; nothing in here raises a permission
// error of the role's: what it may not read is a fact too.
#pragma once

#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "common/config.h"
#include "ops/catalog.h"
#include "ops/grant_script.h"
#include "common/table_scope.h"

namespace pgduplex {

struct TableFacts {
  TableName name;
  char relkind = 'r';           // 'r' table, 'p' partitioned table
  char replica_identity = 'd';  // pg_class.relreplident: d n f i
  bool has_key = false;         // primary key or unique index on NOT NULL columns
  bool has_rows = false;        // filled only when asked (target side)
  std::vector<std::string> expression_unique_indexes;
  std::vector<std::string> cross_schema_inheritance;  // "parent -> child" links leaving the schema
  std::vector<std::string> partitions;                // direct partitions, schema.name
  bool hypertable = false;
  std::string owner;                  // pg_class.relowner's name
  bool worker_acts_as_owner = true;   // the connected role is superuser or a member of the owner
  // Roles other than the owner holding a privilege on the table, one of its
  // columns or a sequence it owns (PUBLIC left out): the initial copy grants
  // them on the target only where they exist.
  std::vector<std::string> grantees;
};

struct SequenceFacts {
  TableName sequence;
  std::vector<std::string> columns;  // schema.table.column fed by it
  bool identity = false;
  SequenceState on_a;
  SequenceState on_b;
};

// A right the role needs and the privileges of it the role lacks (empty: held).
struct HeldGrant {
  Grant grant;
  std::vector<std::string> missing;
};

struct ClusterFacts {
  std::string label;  // "a" or "b"
  bool connected = false;
  std::string connect_error;
  std::string server_version;
  std::string wal_level;
  // Debian's PostgreSQL 15.20 update only loads the output plugins listed
  // here; nullopt on servers without the setting (any plugin loads).
  std::optional<std::string> output_plugin_libraries;
  // The setting exists but the role may not read it (superuser-only; needs
  // pg_read_all_settings).
  bool output_plugin_libraries_unreadable = false;
  std::string database;  // current_database()
  bool track_commit_timestamp = false;
  int max_replication_slots = 0;
  int used_replication_slots = 0;
  bool task_slot_exists = false;  // the slot this cluster serves as a source
  int max_wal_senders = 0;
  int used_wal_senders = 0;
  std::optional<std::string> extension_version;    // installed in this database
  std::optional<std::string> extension_available;  // default_version on disk
  bool timescaledb = false;
  std::string role;
  bool superuser = false;
  bool replication_attribute = false;
  std::set<std::string> schemas;              // every schema in this database
  // (role, schema) of GatherOptions::probe_create where the role exists and
  // may CREATE in the (existing) schema.
  std::set<std::pair<std::string, std::string>> role_creates_in;
  std::vector<HeldGrant> grants;              // filled by CheckGrants
  std::vector<TableFacts> tables;             // in scope on this cluster
  std::set<std::string> roles;                // every role name on this cluster
  std::vector<std::string> fixed;             // what --fix changed
  std::vector<std::string> not_fixed;         // what --fix could not: who must run which statement
};

struct GatherOptions {
  std::string slot_name;                // slot whose source is this cluster
  bool fix_replica_identity = false;
  bool fix_extension = false;           // CREATE EXTENSION pgduplex when missing but available
  std::vector<TableName> probe_rows;    // tables whose has_rows to fill (target of the copy)
  std::vector<std::pair<std::string, std::string>> probe_create;  // (role, schema) to read CREATE of
};

ClusterFacts GatherClusterFacts(PgConnection& conn, const TableScope& scope, const GatherOptions& options);
// Fills facts.grants: which privileges of `grants` the connected role lacks.
void CheckGrants(PgConnection& conn, const std::vector<Grant>& grants, ClusterFacts& facts);
// Sequences feeding the scope tables of A, with their state on A and on B.
std::vector<SequenceFacts> GatherSequenceFacts(PgConnection& a, PgConnection* b,
                                               const std::vector<TableName>& tables);

}  // namespace pgduplex
