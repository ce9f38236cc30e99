#include "apply/tombstone_triggers.h"

#include <fmt/format.h>

#include <vector>

#include "common/transaction.h"
#include "common/errors.h"

namespace pgduplex {

namespace {
struct TableNeeds {
  uint32_t oid = 0;
  std::string schema, name, quoted;
  uint32_t owner = 0;
  bool row = false;       // pgduplex_tombstone missing
  bool truncate = false;  // pgduplex_truncate missing
  // pgduplex_release missing on a table with a second unique index (extension 1.3) or without a key (1.4)
  bool release = false;
  bool partition = false;  // a partition: needs pgduplex_truncate only (row triggers come from the root)
  std::string root_schema, root_name;  // the tree's root (the table itself when no partition)
};

// Plain tables, partition roots and partitions (with the triggers each
// lacks), in conn's database; `where` narrows them down (pg_class c, r its
// partition tree's root). A statement trigger on a partitioned table does
// not fire for a TRUNCATE of one partition: each partition gets its own
// pgduplex_truncate, whose tombstone covers that partition's keys only.
std::vector<TableNeeds> ListTables(PgConnection& conn, const std::string& where,
                                   const std::vector<SqlParam>& params) {
  PgResult r = conn.ExecParams(
      fmt::format("SELECT c.oid, n.nspname, c.relname, pg_catalog.quote_ident(n.nspname) || '.' || "
                  "pg_catalog.quote_ident(c.relname), c.relowner, "
                  "NOT c.relispartition AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_trigger g "
                  "WHERE g.tgrelid = c.oid AND g.tgname = 'pgduplex_tombstone'), "
                  "NOT EXISTS (SELECT 1 FROM pg_catalog.pg_trigger g WHERE g.tgrelid = c.oid "
                  "AND g.tgname = 'pgduplex_truncate'), "
                  "NOT c.relispartition AND ((pg_catalog.to_regclass('pgduplex.value_claims') IS NOT NULL "
                  "AND (SELECT count(*) FROM pg_catalog.pg_index i WHERE i.indrelid = c.oid AND i.indisunique) > 1) "
                  "OR (EXISTS (SELECT 1 FROM pg_catalog.pg_attribute a WHERE a.attrelid = "
                  "pg_catalog.to_regclass('pgduplex.tombstones') AND a.attname = 'successor') "
                  "AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_index i WHERE i.indrelid = c.oid "
                  "AND (i.indisprimary OR i.indisreplident)))) "
                  "AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_trigger g WHERE g.tgrelid = c.oid "
                  "AND g.tgname = 'pgduplex_release'), "
                  "c.relispartition, rn.nspname, r.relname "
                  "FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace "
                  "JOIN pg_catalog.pg_class r ON r.oid = coalesce(pg_catalog.pg_partition_root(c.oid), c.oid) "
                  "JOIN pg_catalog.pg_namespace rn ON rn.oid = r.relnamespace "
                  "WHERE {} AND {} ORDER BY c.relispartition, 2, 3",
                  kUserTablesCondition, where),
      params);
  std::vector<TableNeeds> out;
  for (int i = 0; i < r.rows(); ++i) {
    out.push_back({static_cast<uint32_t>(std::stoul(r.Get(i, 0))), r.Get(i, 1), r.Get(i, 2), r.Get(i, 3),
                   static_cast<uint32_t>(std::stoul(r.Get(i, 4))), r.Get(i, 5) == "t", r.Get(i, 6) == "t",
                   r.Get(i, 7) == "t", r.Get(i, 8) == "t", r.Get(i, 9), r.Get(i, 10)});
  }
  return out;
}

bool InScope(const TableScope& scope, const TableNeeds& table) {
  return scope.Matches(table.root_schema, table.root_name);
}

// CREATE TRIGGER for what `table` lacks, as its owner; the caller holds the transaction.
void CreateTriggers(PgConnection& conn, RoleSwitch& roles, const TableNeeds& table) {
  if (!table.row && !table.truncate && !table.release) return;
  std::string error;
  if (!roles.TrySwitch(conn, roles.RoleFor(table.owner), &error)) {
    throw SetupRefused(fmt::format("last-write-wins needs tombstone triggers on {}.{}, and the worker cannot act "
                                   "as its owner: {}",
                                   table.schema, table.name, error));
  }
  if (table.row) {
    conn.Exec(fmt::format("CREATE TRIGGER pgduplex_tombstone AFTER DELETE ON {} FOR EACH ROW "
                          "EXECUTE FUNCTION pgduplex.record_tombstone()",
                          table.quoted));
  }
  if (table.release) {
    conn.Exec(fmt::format("CREATE TRIGGER pgduplex_release AFTER UPDATE ON {} FOR EACH ROW "
                          "EXECUTE FUNCTION pgduplex.record_tombstone()",
                          table.quoted));
  }
  if (table.truncate) {
    conn.Exec(fmt::format("CREATE TRIGGER pgduplex_truncate AFTER TRUNCATE ON {} FOR EACH STATEMENT "
                          "EXECUTE FUNCTION pgduplex.record_tombstone()",
                          table.quoted));
  }
  roles.Switch(conn, 0);
}
}  // namespace

void RequireLastWriteWinsSupport(PgConnection& conn) {
  if (conn.Scalar("SELECT pg_catalog.current_setting('track_commit_timestamp')").value_or("") != "on") {
    // A setting that takes a restart of that cluster: refused at once, not retried.
    throw SetupRefused(fmt::format("conflict_policy last-write-wins needs track_commit_timestamp = on on cluster "
                                 "{} (set it in postgresql.conf and restart that cluster)",
                                 conn.label()));
  }
  if (!conn.Scalar("SELECT pg_catalog.to_regprocedure('pgduplex.tombstone_time(oid, text[], text[])')::text")) {
    throw SetupRefused(fmt::format(
        "cluster {}: conflict_policy \"last-write-wins\" needs the pgduplex extension 1.2 (tombstones); run "
        "ALTER EXTENSION pgduplex UPDATE there",
        conn.label()));
  }
}

int EnsureTombstoneTriggers(PgConnection& conn, RoleSwitch& roles, const TableScope& scope) {
  int created = 0;
  for (const TableNeeds& table : ListTables(conn, "true", {})) {
    if (!InScope(scope, table) || (!table.row && !table.truncate && !table.release)) continue;
    Transaction tx(conn);
    CreateTriggers(conn, roles, table);
    tx.Commit();
    ++created;
  }
  return created;
}

void EnsureTombstoneTriggersOn(PgConnection& conn, RoleSwitch& roles, uint32_t table_oid) {
  for (const TableNeeds& table : ListTables(conn, "r.oid = $1::pg_catalog.oid", {std::to_string(table_oid)})) {
    CreateTriggers(conn, roles, table);
  }
}

int DropTombstoneTriggers(PgConnection& conn, const TableScope& scope) {
  int dropped = 0;
  for (const TableNeeds& table : ListTables(conn, "true", {})) {
    if (!InScope(scope, table)) continue;
    if (table.partition) {  // its row triggers are the root's, dropped with them (roots come first)
      if (table.truncate) continue;
      conn.Exec(fmt::format("DROP TRIGGER IF EXISTS pgduplex_truncate ON {}", table.quoted));
    } else {
      if (table.row && table.truncate) continue;
      conn.Exec(fmt::format("DROP TRIGGER IF EXISTS pgduplex_tombstone ON {0}; "
                            "DROP TRIGGER IF EXISTS pgduplex_truncate ON {0}; "
                            "DROP TRIGGER IF EXISTS pgduplex_release ON {0}",
                            table.quoted));
    }
    ++dropped;
  }
  return dropped;
}

int64_t PurgeTombstones(PgConnection& conn, int hours) {
  auto purged = conn.Scalar("SELECT pgduplex.purge_tombstones(pg_catalog.make_interval(hours => $1::int))::text",
                            {std::to_string(hours)});
  return purged ? std::stoll(*purged) : 0;
}

}  // namespace pgduplex
