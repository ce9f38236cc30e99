#include "ops/precheck_facts.h"

#include <fmt/format.h>

#include <algorithm>
#include <set>

#include "ops/owner_statement.h"

namespace pgduplex {

namespace {

std::vector<std::string> SplitList(const std::optional<std::string>& text) {
  std::vector<std::string> out;
  if (!text || text->empty()) return out;
  size_t start = 0;
  while (true) {
    size_t sep = text->find('\x01', start);
    out.push_back(text->substr(start, sep == std::string::npos ? std::string::npos : sep - start));
    if (sep == std::string::npos) break;
    start = sep + 1;
  }
  return out;
}

void ReadSettings(PgConnection& conn, ClusterFacts& f, const GatherOptions& options) {
  PgResult r = conn.ExecParams(
      "SELECT current_setting('server_version'), current_setting('wal_level'), "
      "       current_setting('track_commit_timestamp')::bool, "
      "       current_setting('max_replication_slots')::int, (SELECT count(*) FROM pg_replication_slots), "
      "       EXISTS (SELECT 1 FROM pg_replication_slots WHERE slot_name = $1), "
      "       current_setting('max_wal_senders')::int, "
      "       (SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'walsender'), "
      "       (SELECT extversion FROM pg_extension WHERE extname = 'pgduplex'), "
      "       (SELECT default_version FROM pg_available_extensions WHERE name = 'pgduplex'), "
      "       to_regclass('_timescaledb_catalog.hypertable') IS NOT NULL, "
      "       current_user, r.rolsuper, r.rolreplication, current_database() "
      "FROM pg_roles r WHERE r.rolname = current_user",
      {options.slot_name});
  f.server_version = r.Get(0, 0).substr(0, r.Get(0, 0).find(' '));
  f.wal_level = r.Get(0, 1);
  f.track_commit_timestamp = r.Get(0, 2) == "t";
  f.max_replication_slots = std::stoi(r.Get(0, 3));
  f.used_replication_slots = std::stoi(r.Get(0, 4));
  f.task_slot_exists = r.Get(0, 5) == "t";
  f.max_wal_senders = std::stoi(r.Get(0, 6));
  f.used_wal_senders = std::stoi(r.Get(0, 7));
  f.extension_version = r.GetOptional(0, 8);
  f.extension_available = r.GetOptional(0, 9);
  f.timescaledb = r.Get(0, 10) == "t";
  f.role = r.Get(0, 11);
  f.superuser = r.Get(0, 12) == "t";
  f.replication_attribute = r.Get(0, 13) == "t";
  f.database = r.Get(0, 14);
  // Superuser-only on Debian's 15.20 (pg_read_all_settings reads it); NULL
  // on servers without the setting.
  try {
    f.output_plugin_libraries = conn.Scalar("SELECT current_setting('output_plugin_libraries', true)");
  } catch (const ConnectionError&) {
    throw;
  } catch (const PgError& e) {
    if (e.sqlstate() != sqlstate::kInsufficientPrivilege) throw;
    f.output_plugin_libraries_unreadable = true;
  }
  PgResult schemas = conn.Exec("SELECT nspname FROM pg_catalog.pg_namespace");
  for (int i = 0; i < schemas.rows(); ++i) f.schemas.insert(schemas.Get(i, 0));
}

void ReadTables(PgConnection& conn, const TableScope& scope, ClusterFacts& f) {
  // One row per ordinary/partitioned table outside the system schemas; the
  // scope filter runs here in C++ (same rules as the worker's TableScope).
  PgResult r = conn.Exec(
      "SELECT n.nspname, c.relname, c.relkind, c.relreplident, "
      "  EXISTS (SELECT 1 FROM pg_index i WHERE i.indrelid = c.oid AND i.indisunique AND i.indisvalid "
      "          AND (i.indisprimary OR (i.indexprs IS NULL AND i.indpred IS NULL AND NOT EXISTS ("
      "               SELECT 1 FROM unnest(i.indkey::int2[]) k(attnum) "
      "               LEFT JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = k.attnum "
      "               WHERE k.attnum <= 0 OR NOT a.attnotnull)))), "
      "  (SELECT string_agg(ic.relname, chr(1) ORDER BY ic.relname) FROM pg_index i "
      "     JOIN pg_class ic ON ic.oid = i.indexrelid "
      "     WHERE i.indrelid = c.oid AND i.indisunique AND i.indexprs IS NOT NULL), "
      "  (SELECT string_agg(format('%s -> %s', i.inhparent::regclass, i.inhrelid::regclass), chr(1)) "
      "     FROM pg_inherits i JOIN pg_class p ON p.oid = i.inhparent JOIN pg_class ch ON ch.oid = i.inhrelid "
      "     WHERE p.relkind <> 'p' AND (i.inhparent = c.oid OR i.inhrelid = c.oid) "
      "       AND p.relnamespace <> ch.relnamespace), "
      "  (SELECT string_agg(format('%s.%s', pn.nspname, pc.relname), chr(1) ORDER BY pn.nspname, pc.relname) "
      "     FROM pg_inherits i JOIN pg_class pc ON pc.oid = i.inhrelid "
      "     JOIN pg_namespace pn ON pn.oid = pc.relnamespace "
      "     WHERE i.inhparent = c.oid AND c.relkind = 'p') "
      "FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
      "WHERE " + std::string(kUserTablesCondition) + " ORDER BY 1, 2");
  std::set<std::pair<std::string, std::string>> hypertables;
  if (f.timescaledb) {
    PgResult h = conn.Exec("SELECT schema_name::text, table_name::text FROM _timescaledb_catalog.hypertable");
    for (int i = 0; i < h.rows(); ++i) hypertables.insert({h.Get(i, 0), h.Get(i, 1)});
  }
  for (int i = 0; i < r.rows(); ++i) {
    TableFacts t;
    t.name = {r.Get(i, 0), r.Get(i, 1)};
    if (!scope.Matches(t.name.schema, t.name.name)) continue;
    t.relkind = r.Get(i, 2)[0];
    t.replica_identity = r.Get(i, 3)[0];
    t.has_key = r.Get(i, 4) == "t";
    t.expression_unique_indexes = SplitList(r.GetOptional(i, 5));
    t.cross_schema_inheritance = SplitList(r.GetOptional(i, 6));
    t.partitions = SplitList(r.GetOptional(i, 7));
    t.hypertable = hypertables.count({t.name.schema, t.name.name}) > 0;
    f.tables.push_back(std::move(t));
  }
}

// Owners of the scope tables (apply as the table owner, initial sync keeps
// owners) and the roles that exist here.
void ReadOwners(PgConnection& conn, ClusterFacts& f) {
  PgResult r = conn.Exec(
      "SELECT n.nspname, c.relname, pg_catalog.pg_get_userbyid(c.relowner), "
      "       pg_catalog.pg_has_role(c.relowner, 'MEMBER') "
      "FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace "
      "WHERE c.relkind IN ('r', 'p')");
  std::map<std::pair<std::string, std::string>, std::pair<std::string, bool>> owners;
  for (int i = 0; i < r.rows(); ++i) owners[{r.Get(i, 0), r.Get(i, 1)}] = {r.Get(i, 2), r.Get(i, 3) == "t"};
  for (auto& t : f.tables) {
    auto it = owners.find({t.name.schema, t.name.name});
    if (it == owners.end()) continue;
    t.owner = it->second.first;
    t.worker_acts_as_owner = it->second.second;
  }
  PgResult roles = conn.Exec("SELECT rolname FROM pg_catalog.pg_roles");
  for (int i = 0; i < roles.rows(); ++i) f.roles.insert(roles.Get(i, 0));
}

// Grantees of the scope tables, their columns and the sequences they own
// (the initial copy carries those privileges where the role exists).
void ReadGrantees(PgConnection& conn, ClusterFacts& f) {
  PgResult r = conn.Exec(R"SQL(
WITH objects AS (
  SELECT c.oid AS table_oid, c.oid, c.relowner, c.relacl AS acl
    FROM pg_catalog.pg_class c WHERE c.relkind IN ('r', 'p')
  UNION ALL
  SELECT c.oid, c.oid, c.relowner, a.attacl
    FROM pg_catalog.pg_class c JOIN pg_catalog.pg_attribute a ON a.attrelid = c.oid
   WHERE c.relkind IN ('r', 'p') AND a.attnum > 0 AND NOT a.attisdropped AND a.attacl IS NOT NULL
  UNION ALL
  SELECT d.refobjid, s.oid, s.relowner, s.relacl
    FROM pg_catalog.pg_depend d JOIN pg_catalog.pg_class s ON s.oid = d.objid AND s.relkind = 'S'
   WHERE d.classid = 'pg_catalog.pg_class'::pg_catalog.regclass
     AND d.refclassid = 'pg_catalog.pg_class'::pg_catalog.regclass AND d.deptype IN ('a', 'i')
)
SELECT DISTINCT n.nspname, c.relname, pg_catalog.pg_get_userbyid(x.grantee)
  FROM objects o CROSS JOIN LATERAL pg_catalog.aclexplode(o.acl) x
  JOIN pg_catalog.pg_class c ON c.oid = o.table_oid
  JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
 WHERE x.grantee <> 0 AND x.grantee <> o.relowner
 ORDER BY 1, 2, 3)SQL");
  std::map<std::pair<std::string, std::string>, std::vector<std::string>> grantees;
  for (int i = 0; i < r.rows(); ++i) grantees[{r.Get(i, 0), r.Get(i, 1)}].push_back(r.Get(i, 2));
  for (auto& t : f.tables) {
    auto it = grantees.find({t.name.schema, t.name.name});
    if (it != grantees.end()) t.grantees = it->second;
  }
}

// --fix: CREATE EXTENSION where it is available and missing.
void FixExtension(PgConnection& conn, ClusterFacts& f) {
  try {
    conn.Exec("CREATE EXTENSION IF NOT EXISTS pgduplex");
    f.extension_version = f.extension_available;
    f.fixed.push_back("CREATE EXTENSION pgduplex");
  } catch (const ConnectionError&) {
    throw;
  } catch (const PgError& e) {
    if (e.sqlstate() != sqlstate::kInsufficientPrivilege) throw;
    f.not_fixed.push_back("only a superuser can run: CREATE EXTENSION pgduplex;");
  }
}

// --fix: REPLICA IDENTITY FULL on every ordinary table without it.
void FixReplicaIdentity(PgConnection& conn, ClusterFacts& f) {
  // Under replica the DDL capture trigger stays quiet: the fix is made on
  // both clusters directly and must not travel as DDL. Without the right
  // to set it, the ALTERs still work (and a running worker skips them).
  bool replica = true;
  try {
    conn.Exec("SET session_replication_role = replica");
  } catch (const ConnectionError&) {
    throw;
  } catch (const PgError&) {
    replica = false;
  }
  for (auto& t : f.tables) {
    if (t.relkind != 'r' || t.replica_identity == 'f') continue;
    // Only the owner may: as the owner when the role is a member of it.
    std::string sql = fmt::format("ALTER TABLE {} REPLICA IDENTITY FULL", QualifiedName(conn, t.name));
    if (auto refused = RunAsOwner(conn, t.name, sql)) {
      f.not_fixed.push_back(refused->Describe());
      continue;
    }
    t.replica_identity = 'f';
    f.fixed.push_back(fmt::format("ALTER TABLE {} REPLICA IDENTITY FULL", t.name.Display()));
  }
  if (replica) conn.Exec("RESET session_replication_role");
}

// has_rows of the tables in `probe_rows` the role may read.
void ProbeRows(PgConnection& conn, const std::vector<TableName>& probe_rows, ClusterFacts& f) {
  for (auto& t : f.tables) {
    if (std::find(probe_rows.begin(), probe_rows.end(), t.name) == probe_rows.end()) continue;
    // Without SELECT the privileges check already FAILs for this table.
    if (conn.Scalar("SELECT has_table_privilege(to_regclass($1), 'SELECT')", {QualifiedName(conn, t.name)}) != "t") {
      continue;
    }
    t.has_rows = conn.Scalar(fmt::format("SELECT EXISTS (SELECT 1 FROM {})", QualifiedName(conn, t.name))) == "t";
  }
}

void ProbeCreate(PgConnection& conn, const std::vector<std::pair<std::string, std::string>>& probe_create,
                 ClusterFacts& f) {
  std::set<std::pair<std::string, std::string>> probed;
  for (const auto& [role, schema] : probe_create) {
    if (!probed.insert({role, schema}).second) continue;
    if (conn.Scalar("SELECT pg_catalog.has_schema_privilege(r.oid, n.oid, 'CREATE') "
                    "FROM pg_catalog.pg_roles r, pg_catalog.pg_namespace n "
                    "WHERE r.rolname = $1 AND n.nspname = $2",
                    {role, schema}) == "t") {
      f.role_creates_in.insert({role, schema});
    }
  }
}

}  // namespace

ClusterFacts GatherClusterFacts(PgConnection& conn, const TableScope& scope, const GatherOptions& options) {
  ClusterFacts f;
  f.label = conn.label();
  f.connected = true;
  ReadSettings(conn, f, options);
  if (options.fix_extension && !f.extension_version && f.extension_available) FixExtension(conn, f);
  ReadTables(conn, scope, f);
  ReadOwners(conn, f);
  ReadGrantees(conn, f);
  if (options.fix_replica_identity) FixReplicaIdentity(conn, f);
  ProbeRows(conn, options.probe_rows, f);
  ProbeCreate(conn, options.probe_create, f);
  return f;
}

void CheckGrants(PgConnection& conn, const std::vector<Grant>& grants, ClusterFacts& facts) {
  facts.grants.clear();
  std::string sql;
  for (const auto& g : grants) {
    for (const auto& p : g.privileges) sql += (sql.empty() ? "SELECT " : ", ") + PrivilegeCheckSql(g, p);
  }
  if (sql.empty()) return;
  PgResult r = conn.Exec(sql);
  int column = 0;
  for (const auto& g : grants) {
    HeldGrant held{g, {}};
    for (const auto& p : g.privileges) {
      if (r.Get(0, column++) != "t") held.missing.push_back(p);
    }
    facts.grants.push_back(std::move(held));
  }
}

std::vector<SequenceFacts> GatherSequenceFacts(PgConnection& a, PgConnection* b,
                                               const std::vector<TableName>& tables) {
  std::vector<SequenceFacts> out;
  for (const auto& use : SequencesUsedBy(a, tables)) {
    std::string column = use.table.Display() + "." + use.column;
    if (!out.empty() && out.back().sequence == use.sequence) {
      out.back().columns.push_back(column);
      out.back().identity = out.back().identity || use.identity;
      continue;
    }
    SequenceFacts s;
    s.sequence = use.sequence;
    s.columns.push_back(column);
    s.identity = use.identity;
    // A sequence this role may not read counts as not interleaved (WARN).
    auto read = [&](PgConnection& conn) {
      try {
        return ReadSequence(conn, use.sequence);
      } catch (const ConnectionError&) {
        throw;
      } catch (const PgError&) {
        return SequenceState{};
      }
    };
    s.on_a = read(a);
    if (b) s.on_b = read(*b);
    out.push_back(std::move(s));
  }
  return out;
}

}  // namespace pgduplex
