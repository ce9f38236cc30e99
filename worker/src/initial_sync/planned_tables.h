// PlannedTables: which tables the initial copy takes and what it does with
// each, read from the source under the slot's snapshot and from the target,
// and the checks that refuse a copy an operator must fix first.
//
// Read in one direction, source then target:
//   SelectTables      every table of A in [sync] tables, locked (ACCESS SHARE,
//                     like pg_dump) so their definitions hold still; their
//                     copied columns and single-column integer keys; refuses
//                     a partition tree only partly in scope.
//   CheckTargetTables which exist on B, with rows, with a unique index;
//                     marks those to create (initial = "schema+data");
//                     refuses missing tables (initial = "data"), tables with
//                     rows (conflicting_tables = "error"), or without a key
//                     to skip by ("ignore"), and tables lacking columns.
//   LoadTargetOwners  the owners on B after pre-data (apply_as_table_owner).
//   LoadKeyBounds     min/max of the key of tables to split by key ranges.
// Each throws InitialSyncError (initial_sync.h) for what an operator fixes.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "common/config.h"
#include "common/pg_connection.h"
#include "initial_sync/copy_plan.h"

namespace pgduplex {
namespace initial_sync {

// A selected table and what the copy does with it.
struct PlannedTable {
  SourceTable source;
  bool exists_on_target = false;
  bool had_rows = false;        // target rows before the copy (leaf tables)
  // Its target rows were written by B's users during an earlier copy that
  // did not finish (SyncState::TablesWrittenDuringCopy): kept like
  // conflicting_tables = "ignore" keeps rows, whatever that setting says.
  bool written_during_copy = false;
  bool unique_on_target = false;
  bool create = false;          // created from the dump
  size_t progress = 0;          // CopyProgress slot (leaf tables)
  uint32_t target_owner = 0;    // pg_class.relowner on the target, after pre-data
  std::string target_owner_name;
  // B's name of the table and of each copied column ([mapping]; A's when
  // unmapped). A created table gets B's column names only after post-data
  // (mapped_schema.h): the copy writes `source.columns` into it.
  TableName target_name;
  std::vector<std::string> target_columns;
  const std::vector<std::string>& CopyTargetColumns() const { return create ? source.columns : target_columns; }
};

// Opens a source session inside the snapshot's REPEATABLE READ transaction.
PgConnection SnapshotSession(const TaskConfig& config, const std::string& snapshot);

// `planner` is a SnapshotSession; its transaction keeps the locks.
// target_name and target_columns follow `mapping`.
std::vector<PlannedTable> SelectTables(PgConnection& planner, const SyncConfig& sync, const NameMapping& mapping);

// What the target holds of the selected tables; sets exists_on_target,
// had_rows, unique_on_target and create.
struct TargetCheck {
  std::vector<TableName> to_create;
  std::vector<TableName> with_rows;  // kept (conflicting_tables = "ignore")
};
// `written_during_copy`: tables whose rows a restart's undo kept as B's.
TargetCheck CheckTargetTables(PgConnection& target, const SyncConfig& sync, std::vector<PlannedTable>& tables,
                              const std::vector<TableName>& written_during_copy = {});

// Target owners of the tables, as they are after pre-data (owners kept).
void LoadTargetOwners(PgConnection& target, std::vector<PlannedTable>& tables);

// key_min/key_max of the leaf tables with an integer key that the copy
// splits into more than one part.
void LoadKeyBounds(PgConnection& planner, const SyncConfig& sync, std::vector<PlannedTable>& tables);

}  // namespace initial_sync
}  // namespace pgduplex
