#include "common/name_mapping.h"

#include <fmt/format.h>

#include <set>

#include "common/config.h"
#include "common/errors.h"

namespace pgduplex {

namespace {

ConfigError MappingError(const std::string& key, const std::string& what) {
  return ConfigError(fmt::format("mapping.{} {}", key, what));
}

// "a.b" (parts == 2) or "a.b.c" (parts == 3): non-empty names, no spaces.
std::vector<std::string> SplitName(const std::string& key, const std::string& text, size_t parts,
                                   const char* shape) {
  std::vector<std::string> out;
  size_t start = 0;
  while (true) {
    size_t dot = text.find('.', start);
    out.push_back(text.substr(start, dot == std::string::npos ? std::string::npos : dot - start));
    if (dot == std::string::npos) break;
    start = dot + 1;
  }
  bool ok = out.size() == parts;
  for (const auto& part : out) ok = ok && !part.empty() && part.find_first_of(" \t\n\"") == std::string::npos;
  if (!ok) throw MappingError(key, fmt::format("entry \"{}\" is not {}", text, shape));
  return out;
}

std::string PlainName(const std::string& key, const std::string& text) {
  return SplitName(key, text, 1, "a plain name (no dot, no quote, no space)")[0];
}

}  // namespace

NameMapping NameMapping::Build(const NameMappingSpec& spec, const std::vector<std::string>& scope_patterns) {
  NameMapping m;
  TableScope scope(scope_patterns);
  std::map<std::string, std::string> schema_source;  // B schema -> A schema
  for (const auto& [a, b] : spec.schemas) {
    std::string from = PlainName("schemas", a), to = PlainName("schemas", b);
    auto [it, fresh] = schema_source.emplace(to, from);
    if (!fresh) {
      throw MappingError("schemas", fmt::format("is not one-to-one: \"{}\" and \"{}\" both map to \"{}\"",
                                                it->second, from, to));
    }
    if (from == to) continue;
    m.schemas_to_b_[from] = to;
    m.schemas_to_a_[to] = from;
  }
  // A B schema that is also a synchronized A schema mapped to itself.
  for (const auto& [to, from] : m.schemas_to_a_) {
    if (m.schemas_to_b_.count(to)) continue;
    for (const auto& pattern : scope_patterns) {
      if (pattern.compare(0, pattern.find('.'), to) == 0 && pattern.find('.') == to.size()) {
        throw MappingError("schemas", fmt::format("is not one-to-one: \"{}\" maps to \"{}\", which is also "
                                                  "A's synchronized schema \"{}\" (sync.tables \"{}\")",
                                                  from, to, to, pattern));
      }
    }
  }
  for (const auto& [a, b] : spec.tables) {
    auto from = SplitName("tables", a, 2, "schema.table");
    auto to = SplitName("tables", b, 2, "schema.table");
    TableName from_name{from[0], from[1]}, to_name{to[0], to[1]};
    auto [it, fresh] = m.tables_to_a_.emplace(to_name, from_name);
    if (!fresh) {
      throw MappingError("tables", fmt::format("is not one-to-one: \"{}\" and \"{}\" both map to \"{}\"",
                                               it->second.Display(), a, b));
    }
    m.tables_to_b_[from_name] = to_name;
  }
  // A B table name that an unmapped synchronized A table has by itself.
  for (const auto& [to, from] : m.tables_to_a_) {
    TableName natural{m.SchemaToA(to.schema), to.name};
    if (natural == from || m.tables_to_b_.count(natural) || !scope.Matches(natural.schema, natural.name)) continue;
    throw MappingError("tables", fmt::format("is not one-to-one: \"{}\" maps to \"{}\", the name A's "
                                             "synchronized table \"{}\" has on B too",
                                             from.Display(), to.Display(), natural.Display()));
  }
  std::map<TableName, std::map<std::string, std::string>> column_source;  // per table: B column -> A key
  for (const auto& [a, b] : spec.columns) {
    auto parts = SplitName("columns", a, 3, "schema.table.column");
    std::string to = PlainName("columns", b);
    TableName table{parts[0], parts[1]};
    auto [it, fresh] = column_source[table].emplace(to, a);
    if (!fresh) {
      throw MappingError("columns", fmt::format("is not one-to-one: \"{}\" and \"{}\" both map to \"{}\"",
                                                it->second, a, to));
    }
    if (parts[2] == to) continue;
    m.columns_to_b_[table][parts[2]] = to;
    m.columns_to_a_[table][to] = parts[2];
  }
  m.spec_ = spec;
  return m;
}

std::string NameMapping::SchemaToB(const std::string& a) const {
  auto it = schemas_to_b_.find(a);
  return it == schemas_to_b_.end() ? a : it->second;
}

std::string NameMapping::SchemaToA(const std::string& b) const {
  auto it = schemas_to_a_.find(b);
  return it == schemas_to_a_.end() ? b : it->second;
}

TableName NameMapping::ToB(const TableName& a) const {
  auto it = tables_to_b_.find(a);
  return it != tables_to_b_.end() ? it->second : TableName{SchemaToB(a.schema), a.name};
}

TableName NameMapping::ToA(const TableName& b) const {
  auto it = tables_to_a_.find(b);
  return it != tables_to_a_.end() ? it->second : TableName{SchemaToA(b.schema), b.name};
}

std::string NameMapping::ColumnToB(const TableName& a_table, const std::string& a_column) const {
  auto table = columns_to_b_.find(a_table);
  if (table == columns_to_b_.end()) return a_column;
  auto it = table->second.find(a_column);
  return it == table->second.end() ? a_column : it->second;
}

std::string NameMapping::ColumnToA(const TableName& a_table, const std::string& b_column) const {
  auto table = columns_to_a_.find(a_table);
  if (table == columns_to_a_.end()) return b_column;
  auto it = table->second.find(b_column);
  return it == table->second.end() ? b_column : it->second;
}

std::map<std::string, std::string> NameMapping::ColumnsToB(const TableName& a_table) const {
  auto it = columns_to_b_.find(a_table);
  return it == columns_to_b_.end() ? std::map<std::string, std::string>{} : it->second;
}

TableName NameMapping::ToTarget(Direction direction, const TableName& source_table) const {
  return direction == Direction::kForward ? ToB(source_table) : ToA(source_table);
}

TableName NameMapping::ToSource(Direction direction, const TableName& target_table) const {
  return direction == Direction::kForward ? ToA(target_table) : ToB(target_table);
}

std::string NameMapping::ColumnToTarget(Direction direction, const TableName& source_table,
                                        const std::string& column) const {
  if (direction == Direction::kForward) return ColumnToB(source_table, column);
  return ColumnToA(ToA(source_table), column);
}

std::vector<std::string> NameMapping::PatternsOnB(const std::vector<std::string>& a_patterns) const {
  std::vector<std::string> out;
  std::set<std::string> seen;
  auto add = [&](const std::string& pattern) {
    if (seen.insert(pattern).second) out.push_back(pattern);
  };
  for (const auto& pattern : a_patterns) {
    size_t dot = pattern.find('.');
    std::string schema = pattern.substr(0, dot), table = pattern.substr(dot + 1);
    add(table == "*" ? SchemaToB(schema) + ".*" : ToB({schema, table}).Display());
  }
  TableScope scope(a_patterns);
  for (const auto& [from, to] : tables_to_b_) {
    if (scope.Matches(from.schema, from.name)) add(to.Display());
  }
  return out;
}

std::vector<std::string> NameMapping::PatternsOn(const std::string& label,
                                                 const std::vector<std::string>& a_patterns) const {
  return label == "b" ? PatternsOnB(a_patterns) : a_patterns;
}

std::string NameMapping::DisplayBoth(const TableName& a_table) const {
  TableName b = ToB(a_table);
  return b == a_table ? a_table.Display() : fmt::format("{} ({} on B)", a_table.Display(), b.Display());
}

}  // namespace pgduplex
