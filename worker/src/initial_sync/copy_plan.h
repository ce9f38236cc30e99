// CopyPlan: which pieces of which tables the initial copy moves, and in what
// order. Pure: it works on table facts read elsewhere (under the slot's
// snapshot) and never touches a connection.
//
// Rules:
//   * Only leaf tables carry rows (a partitioned table's rows live in its
//     partitions), so only they get copy tasks.
//   * A table with more estimated rows than `split_rows` is cut into parts:
//     by ranges of its single-column integer primary key when it has one
//     (index range scans), otherwise by ranges of heap blocks (ctid ranges,
//     PostgreSQL 14+ TID range scans). The first range is open below and
//     the last open above, so rows outside the bounds seen at planning time
//     are still copied exactly once.
//   * The number of parts is ceil(rows / split_rows), rounded up to a
//     multiple of the worker count so equal parts keep every worker busy.
//   * Tasks run biggest first (longest-processing-time-first scheduling).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/table_options.h"
#include "common/table_scope.h"

namespace pgduplex {

struct SourceTable {
  TableName name;
  uint32_t oid = 0;
  bool partitioned = false;          // relkind 'p': no rows of its own
  std::optional<TableName> parent;   // set for partitions
  double reltuples = -1;             // pg_class.reltuples; -1 = never analyzed
  int64_t relation_bytes = 0;        // pg_relation_size
  int64_t relation_pages = 0;        // relation_bytes / block size
  std::vector<std::string> columns;  // copied columns (not dropped, not generated), in order
  bool builtin_types_only = false;   // every copied column has a built-in type (binary COPY safe)
  std::string int_key;               // single-column int2/int4/int8 primary key, or empty
  std::optional<int64_t> key_min;    // of int_key, under the snapshot
  std::optional<int64_t> key_max;

  // Rows to expect: reltuples when known, else a guess from the size.
  double EstimatedRows() const;
};

struct CopyTask {
  size_t table = 0;       // index into the tables vector
  int part = 0;           // 0-based
  int parts = 1;
  std::string where;      // SQL predicate, empty = the whole table
  double estimated_rows = 0;
  double estimated_bytes = 0;
};

// How many parts a table of `rows` is cut into.
int PartsFor(double rows, int workers, int split_rows);

// Predicates cutting [min, max] of an integer key into at most `parts`
// ranges: first "k < b1", middle "k >= bi AND k < bi+1", last "k >= bn".
// `column` is already quoted. Fewer predicates when the range is narrow.
std::vector<std::string> KeyRangePredicates(const std::string& column, int64_t min, int64_t max, int parts);

// Predicates cutting a heap of `pages` blocks into at most `parts` ctid
// ranges, first open below, last open above.
std::vector<std::string> BlockRangePredicates(int64_t pages, int parts);

// Restricts every task to the forward row filter of its table (a
// partition without rules of its own takes its parent's), so the copy moves
// only the rows the forward direction carries.
void RestrictToRowFilters(std::vector<CopyTask>& tasks, const std::vector<SourceTable>& tables,
                          const std::vector<TableOptions>& options);

std::vector<CopyTask> PlanCopyTasks(const std::vector<SourceTable>& tables, int workers, int split_rows);

// Partition trees are synchronized whole: a partition whose partitioned
// table is outside the scope, or a partitioned table with a partition
// outside the scope, is an error. `all` holds every table of the source
// database that is a partition or partitioned (with parent links),
// `selected` the ones in scope. Returns one message per problem, empty
// when consistent.
std::vector<std::string> PartitionScopeProblems(const std::vector<SourceTable>& all,
                                                const std::vector<TableName>& selected);

}  // namespace pgduplex
