#include "initial_sync/mapped_schema.h"

#include <fmt/format.h>

#include <set>

#include "common/sql_lexer.h"
#include "common/transaction.h"

namespace pgduplex {
namespace initial_sync {

namespace {

bool SchemaExists(PgConnection& target, const std::string& schema) {
  return target.Scalar("SELECT 1 FROM pg_catalog.pg_namespace WHERE nspname = $1", {schema}).has_value();
}

// Sequences and types the running transaction created in `schema` (what
// pre-data made there and no table took along).
std::vector<std::string> CreatedHere(PgConnection& target, const std::string& schema) {
  PgResult r = target.ExecParams(
      "SELECT 'SEQUENCE ' || c.oid::regclass::text FROM pg_catalog.pg_class c "
      " WHERE c.relnamespace = (SELECT oid FROM pg_catalog.pg_namespace WHERE nspname = $1) "
      "   AND c.relkind = 'S' AND c.xmin = pg_catalog.pg_current_xact_id()::xid "
      "UNION ALL "
      "SELECT 'TYPE ' || t.oid::regtype::text FROM pg_catalog.pg_type t "
      " WHERE t.typnamespace = (SELECT oid FROM pg_catalog.pg_namespace WHERE nspname = $1) "
      "   AND t.xmin = pg_catalog.pg_current_xact_id()::xid AND t.typtype IN ('e', 'd', 'r', 'c') "
      "   AND (t.typrelid = 0 OR (SELECT relkind FROM pg_catalog.pg_class WHERE oid = t.typrelid) = 'c')",
      {schema});
  std::vector<std::string> out;
  for (int i = 0; i < r.rows(); ++i) out.push_back(r.Get(i, 0));
  return out;
}

}  // namespace

void MoveCreatedTables(PgConnection& target, const NameMapping& mapping, const std::vector<PlannedTable>& tables,
                       const std::function<void(const std::string&)>& warn) {
  std::set<std::string> left_schemas;  // A schemas that lost tables
  for (const auto& t : tables) {
    if (!t.create || t.target_name == t.source.name) continue;
    TableName now = t.source.name;
    if (now.schema != t.target_name.schema) {
      if (!SchemaExists(target, t.target_name.schema)) {
        target.Exec("CREATE SCHEMA " + QuoteIdent(t.target_name.schema));
      }
      target.Exec(fmt::format("ALTER TABLE {} SET SCHEMA {}", QuoteQualified(now.schema, now.name),
                              QuoteIdent(t.target_name.schema)));
      left_schemas.insert(now.schema);
      now.schema = t.target_name.schema;
    }
    if (now.name != t.target_name.name) {
      target.Exec(fmt::format("ALTER TABLE {} RENAME TO {}", QuoteQualified(now.schema, now.name),
                              QuoteIdent(t.target_name.name)));
    }
  }
  for (const auto& schema : left_schemas) {
    std::string to = mapping.SchemaToB(schema);
    if (to != schema) {
      for (const auto& object : CreatedHere(target, schema)) {
        if (auto error = TryInSavepoint(target, "pgduplex_move", [&] {
              target.Exec(fmt::format("ALTER {} SET SCHEMA {}", object, QuoteIdent(to)));
            })) {
          warn(fmt::format("initial copy: schema: {} stays in schema \"{}\" on cluster b: {}", object, schema,
                           *error));
        }
      }
    }
    // A schema this transaction created for A's names alone, now empty.
    bool created_here = target
                            .Scalar("SELECT 1 FROM pg_catalog.pg_namespace WHERE nspname = $1 "
                                    "AND xmin = pg_catalog.pg_current_xact_id()::xid",
                                    {schema})
                            .has_value();
    if (created_here) {
      TryInSavepoint(target, "pgduplex_drop_schema", [&] { target.Exec("DROP SCHEMA " + QuoteIdent(schema)); });
    }
  }
}

std::string MapQualifiedNames(const NameMapping& mapping, const std::string& sql) {
  std::vector<SqlToken> t = TokenizeSql(sql);
  std::string out;
  size_t copied = 0;
  for (size_t i = 0; i + 2 < t.size(); ++i) {
    if (!t[i].IsIdentifier() || !t[i + 1].IsPunct('.') || !t[i + 2].IsIdentifier()) continue;
    if (i > 0 && t[i - 1].IsPunct('.')) continue;  // the name part of a longer name
    TableName a{t[i].value, t[i + 2].value};
    TableName b = mapping.ToB(a);
    if (!(b == a)) {
      out += sql.substr(copied, t[i].offset - copied) + QuoteQualified(b.schema, b.name);
      copied = t[i + 2].offset + t[i + 2].length;
    }
    i += 2;
  }
  return out + sql.substr(copied);
}

std::vector<ScriptStatement> MapPostData(const NameMapping& mapping, std::vector<ScriptStatement> statements) {
  if (mapping.empty()) return statements;
  for (auto& s : statements) {
    if (!s.session) s.text = MapQualifiedNames(mapping, s.text);
  }
  return statements;
}

void RenameCreatedColumns(PgConnection& target, const NameMapping& mapping, const std::vector<PlannedTable>& tables) {
  std::vector<std::string> statements;
  for (const auto& t : tables) {
    if (!t.create) continue;
    // A partition's columns are its parent's: renamed there (and only there).
    if (t.source.parent) continue;
    for (const auto& [a, b] : mapping.ColumnsToB(t.source.name)) {
      statements.push_back(fmt::format("ALTER TABLE {} RENAME COLUMN {} TO {}",
                                       QuoteQualified(t.target_name.schema, t.target_name.name), QuoteIdent(a),
                                       QuoteIdent(b)));
    }
  }
  if (statements.empty()) return;
  Transaction tx(target);
  for (const auto& sql : statements) target.Exec(sql);
  tx.Commit();
}

}  // namespace initial_sync
}  // namespace pgduplex
