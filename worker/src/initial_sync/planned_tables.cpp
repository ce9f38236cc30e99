#include "initial_sync/planned_tables.h"

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <set>

#include "common/oid_array.h"
#include "common/sql_lexer.h"
#include "common/table_scope.h"
#include "initial_sync/initial_sync.h"

namespace pgduplex {
namespace initial_sync {

namespace {

std::string JoinNames(const std::vector<TableName>& names) {
  std::string out;
  for (const auto& n : names) out += (out.empty() ? "" : ", ") + n.Display();
  return out;
}

std::string JoinTexts(const std::vector<std::string>& texts, const char* separator) {
  std::string out;
  for (const auto& t : texts) out += (out.empty() ? "" : separator) + t;
  return out;
}

// Every ordinary and partitioned table of the source, as of the snapshot.
std::vector<SourceTable> ListSourceTables(PgConnection& source) {
  PgResult r = source.Exec(R"SQL(
SELECT c.oid, n.nspname, c.relname, c.relkind = 'p', pn.nspname, pc.relname,
       c.reltuples, pg_catalog.pg_relation_size(c.oid), current_setting('block_size')::bigint
  FROM pg_catalog.pg_class c
  JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
  LEFT JOIN pg_catalog.pg_inherits i ON c.relispartition AND i.inhrelid = c.oid
  LEFT JOIN pg_catalog.pg_class pc ON pc.oid = i.inhparent
  LEFT JOIN pg_catalog.pg_namespace pn ON pn.oid = pc.relnamespace
 WHERE )SQL" + std::string(kUserTablesCondition) + R"SQL(
 ORDER BY 2, 3)SQL");
  std::vector<SourceTable> out;
  for (int i = 0; i < r.rows(); ++i) {
    SourceTable t;
    t.oid = static_cast<uint32_t>(std::stoul(r.Get(i, 0)));
    t.name = {r.Get(i, 1), r.Get(i, 2)};
    t.partitioned = r.Get(i, 3) == "t";
    if (!r.IsNull(i, 4)) t.parent = TableName{r.Get(i, 4), r.Get(i, 5)};
    t.reltuples = std::stod(r.Get(i, 6));
    t.relation_bytes = std::stoll(r.Get(i, 7));
    t.relation_pages = t.relation_bytes / std::max<int64_t>(1, std::stoll(r.Get(i, 8)));
    out.push_back(std::move(t));
  }
  return out;
}

void LoadColumnsAndKeys(PgConnection& source, std::vector<PlannedTable>& tables) {
  std::vector<uint32_t> oids;
  std::map<uint32_t, PlannedTable*> by_oid;
  for (auto& t : tables) {
    oids.push_back(t.source.oid);
    by_oid[t.source.oid] = &t;
  }
  for (auto& t : tables) t.source.builtin_types_only = true;
  PgResult cols = source.ExecParams(
      "SELECT a.attrelid, a.attname, a.atttypid < 16384 FROM pg_catalog.pg_attribute a "
      "WHERE a.attrelid = ANY($1::oid[]) AND a.attnum > 0 AND NOT a.attisdropped AND a.attgenerated = '' "
      "ORDER BY a.attrelid, a.attnum",
      {OidArray(oids)});
  for (int i = 0; i < cols.rows(); ++i) {
    SourceTable& t = by_oid[static_cast<uint32_t>(std::stoul(cols.Get(i, 0)))]->source;
    t.columns.push_back(cols.Get(i, 1));
    t.builtin_types_only = t.builtin_types_only && cols.Get(i, 2) == "t";
  }
  PgResult keys = source.ExecParams(
      "SELECT con.conrelid, a.attname FROM pg_catalog.pg_constraint con "
      "JOIN pg_catalog.pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = con.conkey[1] "
      "WHERE con.contype = 'p' AND cardinality(con.conkey) = 1 AND con.conrelid = ANY($1::oid[]) "
      "AND a.atttypid IN ('pg_catalog.int2'::regtype, 'pg_catalog.int4'::regtype, 'pg_catalog.int8'::regtype)",
      {OidArray(oids)});
  for (int i = 0; i < keys.rows(); ++i) {
    by_oid[static_cast<uint32_t>(std::stoul(keys.Get(i, 0)))]->source.int_key = keys.Get(i, 1);
  }
}

// Facts about the selected tables on the target.
void LoadTargetFacts(PgConnection& target, std::vector<PlannedTable>& tables) {
  PgResult r = target.Exec(
      "SELECT n.nspname, c.relname, c.oid, "
      "  EXISTS (SELECT 1 FROM pg_catalog.pg_index x WHERE x.indrelid = c.oid AND x.indisunique AND x.indisvalid) "
      "FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace "
      "WHERE c.relkind IN ('r', 'p')");
  std::map<TableName, std::pair<std::string, bool>> existing;
  for (int i = 0; i < r.rows(); ++i) existing[{r.Get(i, 0), r.Get(i, 1)}] = {r.Get(i, 2), r.Get(i, 3) == "t"};
  for (auto& t : tables) {
    auto it = existing.find(t.target_name);
    if (it == existing.end()) continue;
    t.exists_on_target = true;
    t.unique_on_target = it->second.second;
    if (!t.source.partitioned) {
      t.had_rows = target
                       .Scalar("SELECT EXISTS (SELECT 1 FROM ONLY " +
                               QuoteQualified(t.target_name.schema, t.target_name.name) + ")")
                       .value_or("f") == "t";
    }
  }
}

// Columns the source copies that a pre-existing target table lacks.
std::vector<std::string> MissingTargetColumns(PgConnection& target, const PlannedTable& t) {
  PgResult r = target.ExecParams(
      "SELECT a.attname FROM pg_catalog.pg_attribute a "
      "WHERE a.attrelid = $1::regclass AND a.attnum > 0 AND NOT a.attisdropped AND a.attgenerated = ''",
      {QuoteQualified(t.target_name.schema, t.target_name.name)});
  std::set<std::string> have;
  for (int i = 0; i < r.rows(); ++i) have.insert(r.Get(i, 0));
  std::vector<std::string> missing;
  for (const auto& c : t.target_columns) {
    if (!have.count(c)) missing.push_back(c);
  }
  return missing;
}

// What CheckTargetTables refuses, in the order it reports it.
struct TargetProblems {
  std::vector<TableName> missing, with_rows, no_key;
  std::vector<std::string> columns;
};

void Refuse(const TargetProblems& p, bool ignore_conflicts) {
  if (!p.missing.empty()) {
    throw InitialSyncError(fmt::format(
        "initial copy: these tables do not exist on cluster b and [sync] initial = \"data\" does not create "
        "them: {}",
        JoinNames(p.missing)));
  }
  if (!p.with_rows.empty() && !ignore_conflicts) {
    throw InitialSyncError(fmt::format(
        "initial copy: these tables already have rows on cluster b: {} (empty them, or set [sync] "
        "conflicting_tables = \"ignore\" to keep their rows and skip source rows with the same key)",
        JoinNames(p.with_rows)));
  }
  if (!p.no_key.empty()) {
    throw InitialSyncError(fmt::format(
        "initial copy: these tables have rows on cluster b but no primary key or unique index there, so "
        "conflicting_tables = \"ignore\" cannot tell which source rows they already hold: {}",
        JoinNames(p.no_key)));
  }
  if (!p.columns.empty()) {
    throw InitialSyncError("initial copy: tables on cluster b differ from cluster a: " + JoinTexts(p.columns, "; "));
  }
}

}  // namespace

PgConnection SnapshotSession(const TaskConfig& config, const std::string& snapshot) {
  PgConnection conn = PgConnection::Connect(config.a.conninfo, "a");
  conn.Exec("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY");
  conn.Exec("SET TRANSACTION SNAPSHOT " + conn.QuoteLiteral(snapshot));
  return conn;
}

std::vector<PlannedTable> SelectTables(PgConnection& planner, const SyncConfig& sync, const NameMapping& mapping) {
  TableScope scope(sync.tables);
  std::vector<SourceTable> all = ListSourceTables(planner);
  std::vector<TableName> selected_names;
  std::vector<PlannedTable> tables;
  for (const auto& t : all) {
    if (!scope.Matches(t.name.schema, t.name.name)) continue;
    selected_names.push_back(t.name);
    tables.push_back(PlannedTable{t});
  }
  std::vector<std::string> problems = PartitionScopeProblems(all, selected_names);
  if (!problems.empty()) {
    throw InitialSyncError("initial copy: " + JoinTexts(problems, "; ") +
                           " (a partitioned table syncs with all its partitions)");
  }
  if (tables.empty()) return tables;
  std::string lock = "LOCK TABLE ";
  for (size_t i = 0; i < tables.size(); ++i) {
    lock += (i ? ", " : "") + QuoteQualified(tables[i].source.name.schema, tables[i].source.name.name);
  }
  planner.Exec(lock + " IN ACCESS SHARE MODE");
  LoadColumnsAndKeys(planner, tables);
  for (auto& t : tables) {
    t.target_name = mapping.ToB(t.source.name);
    // A partition's columns are mapped under its own name, else its parent's.
    TableName columns_of =
        t.source.parent && !mapping.HasColumnMapping(t.source.name) ? *t.source.parent : t.source.name;
    for (const auto& c : t.source.columns) t.target_columns.push_back(mapping.ColumnToB(columns_of, c));
  }
  return tables;
}

TargetCheck CheckTargetTables(PgConnection& target, const SyncConfig& sync, std::vector<PlannedTable>& tables,
                              const std::vector<TableName>& written_during_copy) {
  const bool with_schema = sync.initial == pgduplex::InitialSync::kSchemaAndData;
  const bool ignore_conflicts = sync.conflicting_tables == ConflictingTables::kIgnore;
  LoadTargetFacts(target, tables);
  TargetCheck out;
  TargetProblems problems;
  for (auto& t : tables) {
    if (!t.exists_on_target) {
      if (with_schema) {
        t.create = true;
        out.to_create.push_back(t.source.name);
      } else {
        problems.missing.push_back(t.target_name);
      }
      continue;
    }
    // The copy's records name tables as B has them ([mapping]).
    t.written_during_copy = t.had_rows && std::find(written_during_copy.begin(), written_during_copy.end(),
                                                    t.target_name) != written_during_copy.end();
    if (t.had_rows) out.with_rows.push_back(t.target_name);
    if (t.had_rows && !t.written_during_copy) problems.with_rows.push_back(t.target_name);
    if (t.had_rows && (ignore_conflicts || t.written_during_copy) && !t.unique_on_target) {
      problems.no_key.push_back(t.target_name);
    }
    if (!t.source.partitioned) {
      auto lacking = MissingTargetColumns(target, t);
      if (!lacking.empty()) {
        problems.columns.push_back(
            fmt::format("{} lacks column(s) {}", t.target_name.Display(), JoinTexts(lacking, ", ")));
      }
    }
  }
  Refuse(problems, ignore_conflicts);
  return out;
}

void LoadTargetOwners(PgConnection& target, std::vector<PlannedTable>& tables) {
  PgResult r = target.Exec(
      "SELECT n.nspname, c.relname, c.relowner::text, pg_catalog.pg_get_userbyid(c.relowner) "
      "FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace "
      "WHERE c.relkind IN ('r', 'p')");
  std::map<TableName, std::pair<uint32_t, std::string>> owners;
  for (int i = 0; i < r.rows(); ++i) {
    owners[{r.Get(i, 0), r.Get(i, 1)}] = {static_cast<uint32_t>(std::stoul(r.Get(i, 2))), r.Get(i, 3)};
  }
  for (auto& t : tables) {
    auto it = owners.find(t.target_name);
    if (it == owners.end()) continue;
    t.target_owner = it->second.first;
    t.target_owner_name = it->second.second;
  }
}

void LoadKeyBounds(PgConnection& planner, const SyncConfig& sync, std::vector<PlannedTable>& tables) {
  for (auto& t : tables) {
    if (t.source.partitioned || t.source.int_key.empty()) continue;
    if (PartsFor(t.source.EstimatedRows(), sync.copy_workers, sync.copy_split_rows) <= 1) continue;
    std::string key = QuoteIdent(t.source.int_key);
    PgResult r = planner.Exec(fmt::format("SELECT min({}), max({}) FROM ONLY {}", key, key,
                                          QuoteQualified(t.source.name.schema, t.source.name.name)));
    if (!r.IsNull(0, 0)) {
      t.source.key_min = std::stoll(r.Get(0, 0));
      t.source.key_max = std::stoll(r.Get(0, 1));
    }
  }
}

}  // namespace initial_sync
}  // namespace pgduplex
