#include "common/table_scope.h"

namespace pgduplex {

TableScope::TableScope(std::vector<std::string> patterns) : patterns_(std::move(patterns)) {}

bool TableScope::Matches(const std::string& schema, const std::string& name) const {
  if (schema == "pgduplex" || schema == "pg_catalog" || schema == "information_schema") return false;
  for (const auto& pattern : patterns_) {
    size_t dot = pattern.find('.');
    if (pattern.compare(0, dot, schema) != 0 || dot != schema.size()) continue;
    std::string table = pattern.substr(dot + 1);
    if (table == "*" || table == name) return true;
  }
  return false;
}

bool TableScope::CoversSchema(const std::string& schema) const {
  if (schema == "pgduplex" || schema == "pg_catalog" || schema == "information_schema") return false;
  for (const auto& pattern : patterns_) {
    size_t dot = pattern.find('.');
    if (dot == schema.size() && pattern.compare(0, dot, schema) == 0) return true;
  }
  return false;
}

std::vector<std::string> TableScope::UnmatchedPatterns(const std::vector<TableName>& tables) const {
  std::vector<std::string> unmatched;
  for (const auto& pattern : patterns_) {
    TableScope one({pattern});
    bool hit = false;
    for (const auto& t : tables) hit = hit || one.Matches(t.schema, t.name);
    if (!hit) unmatched.push_back(pattern);
  }
  return unmatched;
}

std::vector<TableName> TableScope::Resolve(PgConnection& conn) const {
  PgResult result = conn.Exec(
      std::string("SELECT n.nspname, c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
                  "WHERE ") +
      kUserTablesCondition + " ORDER BY 1, 2");
  std::vector<TableName> tables;
  for (int i = 0; i < result.rows(); ++i) {
    TableName t{result.Get(i, 0), result.Get(i, 1)};
    if (Matches(t.schema, t.name)) tables.push_back(std::move(t));
  }
  return tables;
}

std::string TableScope::PluginOption() const {
  std::string out;
  for (const auto& p : patterns_) out += (out.empty() ? "" : ",") + p;
  return out;
}

}  // namespace pgduplex
