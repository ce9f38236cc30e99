// TableScope: which tables a task synchronizes, from the [sync] tables
// patterns ("schema.table" or "schema.*").
//
// Contract: Matches() is pure; Resolve() lists the ordinary and partitioned
// tables of a connected database that match, never the pgduplex schema or
// system schemas, ordered by schema then name.
#pragma once

#include <string>
#include <vector>

#include "common/pg_connection.h"

namespace pgduplex {

struct TableName {
  std::string schema;
  std::string name;
  std::string Display() const { return schema + "." + name; }  // for messages
  bool operator==(const TableName& o) const { return schema == o.schema && name == o.name; }
  bool operator<(const TableName& o) const { return schema != o.schema ? schema < o.schema : name < o.name; }
};

// The tables any task could sync, as a WHERE condition over pg_class `c`
// joined to pg_namespace `n`: ordinary and partitioned tables outside the
// system schemas and the extension's own.
constexpr const char* kUserTablesCondition =
    "c.relkind IN ('r', 'p') AND n.nspname NOT LIKE 'pg\\_%' "
    "AND n.nspname NOT IN ('information_schema', 'pgduplex')";

class TableScope {
 public:
  explicit TableScope(std::vector<std::string> patterns);

  bool Matches(const std::string& schema, const std::string& name) const;
  // Some pattern names tables of this schema (types, domains and functions
  // the synced tables there may use are carried: ddl/ddl_policy.h).
  bool CoversSchema(const std::string& schema) const;
  // Patterns that match none of the given tables (precheck reports them).
  std::vector<std::string> UnmatchedPatterns(const std::vector<TableName>& tables) const;
  std::vector<TableName> Resolve(PgConnection& conn) const;
  // The patterns joined with commas: the plugin's `tables` option.
  std::string PluginOption() const;
  const std::vector<std::string>& patterns() const { return patterns_; }

 private:
  std::vector<std::string> patterns_;
};

}  // namespace pgduplex
