// Precheck's "row filter" lines: each direction's row filters checked on
// that direction's source by the plugin's own parser
// (pgduplex.row_filter_columns, extension 1.3), and their columns checked
// against the table's REPLICA IDENTITY.
//
// Why the replica identity: the plugin judges an UPDATE or a DELETE on the
// old row, and the old row in the WAL holds only the replica identity's
// columns (all of them under REPLICA IDENTITY FULL). A filter over any other
// column would see NULL there: deletes of matching rows would be dropped and
// updates moving rows out of the filter would never become deletes.
//
// Contract: GatherRowFilterFacts reads one cluster (throws PgError on a lost
// connection only; a refused filter is a fact); RowFilterChecks is pure: one
// FAIL per refused filter or uncovered column, with the fix, else one PASS
// per cluster that has filters.
#pragma once

#include <string>
#include <vector>

#include "common/config.h"
#include "common/pg_connection.h"
#include "ops/check_table.h"

namespace pgduplex {

struct RowFilterFacts {
  std::string cluster;  // "a" (forward filters) or "b" (reverse filters)
  TableName table;
  std::string key;          // config key, e.g. table."public.orders".row_filter_forward
  std::string filter;
  bool table_exists = true;
  bool function_missing = false;  // extension older than 1.3
  std::string error;              // why the filter was refused, or empty
  std::vector<std::string> columns;  // columns the filter uses
  char replica_identity = 'd';       // relreplident
  std::vector<std::string> identity_columns;  // of 'd' (primary key) or 'i'
};

// The facts of the filters whose source is this cluster (direction's).
std::vector<RowFilterFacts> GatherRowFilterFacts(PgConnection& conn, const TaskConfig& config, Direction direction);

std::vector<CheckResult> RowFilterChecks(const std::vector<RowFilterFacts>& facts);

}  // namespace pgduplex
