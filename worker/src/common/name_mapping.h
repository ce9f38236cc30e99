// NameMapping: the [mapping] section, A's names of synchronized objects ->
// B's names (schemas, tables, columns), and back.
//
//   [mapping]
//   schemas = { "app" = "app_b" }                      # every table of A's schema app lives in app_b on B
//   tables  = { "public.orders" = "sales.orders_b" }   # A's table -> B's table (wins over schemas)
//   columns = { "public.orders.note" = "remark" }      # A's table.column -> B's column name
//
// Contract: Build() accepts only a mapping that is one-to-one over the
// synchronized names: two A names with one B name, or a B name that is also
// the (unmapped) name of another synchronized A object, is a ConfigError
// naming both. Every lookup is pure; a name the mapping does not mention
// maps to itself. Column mappings are keyed by A's table and A's column, in
// both directions. Names are plain identifiers as PostgreSQL stores them
// (no quoting, no dots inside a name).
#pragma once

#include <map>
#include <string>
#include <vector>

#include "common/table_scope.h"

namespace pgduplex {

enum class Direction;  // common/config.h

struct NameMappingSpec {
  std::map<std::string, std::string> schemas;  // "app" -> "app_b"
  std::map<std::string, std::string> tables;   // "public.orders" -> "sales.orders_b"
  std::map<std::string, std::string> columns;  // "public.orders.note" -> "remark"
};

class NameMapping {
 public:
  NameMapping() = default;
  // Throws ConfigError ("mapping.<key>: ...") for a malformed entry or a
  // mapping that is not one-to-one; `scope` is sync.tables (A's names).
  static NameMapping Build(const NameMappingSpec& spec, const std::vector<std::string>& scope);

  bool empty() const { return schemas_to_b_.empty() && tables_to_b_.empty() && columns_to_b_.empty(); }

  std::string SchemaToB(const std::string& a) const;
  std::string SchemaToA(const std::string& b) const;
  TableName ToB(const TableName& a) const;
  TableName ToA(const TableName& b) const;
  // `a_table` is A's name of the table in both.
  std::string ColumnToB(const TableName& a_table, const std::string& a_column) const;
  std::string ColumnToA(const TableName& a_table, const std::string& b_column) const;
  bool HasColumnMapping(const TableName& a_table) const { return columns_to_b_.count(a_table) > 0; }
  // A's column -> B's column of one table (empty when none is renamed).
  std::map<std::string, std::string> ColumnsToB(const TableName& a_table) const;

  // The name on the target of a change of `source_table` (named as the
  // source of `direction` has it), and of one of its columns.
  TableName ToTarget(Direction direction, const TableName& source_table) const;
  std::string ColumnToTarget(Direction direction, const TableName& source_table, const std::string& column) const;
  TableName ToSource(Direction direction, const TableName& target_table) const;

  // sync.tables patterns (A's names) as B's names: "s.*" -> "<s on B>.*",
  // "s.t" -> B's name, plus every renamed table the patterns select.
  std::vector<std::string> PatternsOnB(const std::vector<std::string>& a_patterns) const;
  // The patterns of the cluster `label` ("a" or "b").
  std::vector<std::string> PatternsOn(const std::string& label, const std::vector<std::string>& a_patterns) const;
  // The entries as configured (for status).
  const NameMappingSpec& spec() const { return spec_; }

  // "public.orders (sales.orders_b on B)" when the names differ, else the name.
  std::string DisplayBoth(const TableName& a_table) const;

 private:
  NameMappingSpec spec_;
  std::map<std::string, std::string> schemas_to_b_, schemas_to_a_;
  std::map<TableName, TableName> tables_to_b_, tables_to_a_;
  std::map<TableName, std::map<std::string, std::string>> columns_to_b_, columns_to_a_;
};

}  // namespace pgduplex
