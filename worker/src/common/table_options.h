// TableOptions: per-table rules of a task, from the config's
// [table."schema.name"] sections (names as on cluster A): a row filter and
// the operations each direction carries.
//
//   [table."public.orders"]
//   row_filter = "region = 'eu'"          # both directions
//   row_filter_forward = "..."            # A -> B only (wins over row_filter)
//   row_filter_reverse = "..."            # B -> A only
//   operations = ["insert", "update"]     # both directions; default all four
//   operations_forward = [...]            # per direction (wins over operations)
//   operations_reverse = [...]
//
// Contract: ParseTableOptions either returns validated options or throws
// ConfigError naming the file and the key: a table that sync.tables does not
// cover, a name that is not schema.table, an unknown key, an unknown
// operation, an empty filter. The plugin applies both rules on the source
// (PluginOptionsFor passes them as the row_filter and operations options),
// so filtered rows and dropped operations never leave it.
#pragma once

#include <string>
#include <vector>

#include "common/table_scope.h"

namespace pgduplex {

enum class Direction;  // common/config.h, which includes this header

enum TableOperation : unsigned {
  kOpInsert = 1,
  kOpUpdate = 2,
  kOpDelete = 4,
  kOpTruncate = 8,
};
constexpr unsigned kAllOperations = kOpInsert | kOpUpdate | kOpDelete | kOpTruncate;

// "insert, update" ... in the order above; "none" for 0.
std::string OperationsText(unsigned operations);

// What one direction carries of one table.
struct DirectionRules {
  std::string row_filter;  // SQL condition over the table's columns; empty = every row
  unsigned operations = kAllOperations;
  bool Carries(TableOperation op) const { return (operations & op) != 0; }
};

struct TableOptions {
  TableName table;  // on cluster A
  DirectionRules forward;
  DirectionRules reverse;
  const DirectionRules& For(Direction d) const;
  // The rows both directions carry, which must be the same on A and B: the
  // conjunction of the two filters, empty when neither has one.
  std::string CommonFilter() const;
};

// The rules of table, or nullptr when it has none (every row, every operation).
const TableOptions* FindTableOptions(const std::vector<TableOptions>& all, const TableName& table);

// The plugin options ("row_filter", "operations") of a direction.
std::vector<std::pair<std::string, std::string>> TableRulePluginOptions(const std::vector<TableOptions>& all,
                                                                        Direction direction);

// ParseTableOptions (the [table] sections of a config) is declared in
// table_options_toml.h, which brings in toml++.

}  // namespace pgduplex
