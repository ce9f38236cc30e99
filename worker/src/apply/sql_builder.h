// SqlBuilder: the text of every statement the applier sends, built once per
// (table, operation, column set) and then prepared, never per row.
//
// Parameters are always text ($1, $2, ...) and take the column's type from
// their context (INSERT target, SET target, "column = $n"), so no cast is
// needed on the fast path. Casts to the target's type names appear only
// where there is no such context (row images for the conflict log, and the
// IS NOT DISTINCT FROM comparisons of keyless tables).
//
// Contract: pure functions of a TableShape; identifiers in the shape are
// already quoted. Parameter order is documented per function.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace pgduplex {

struct ShapeColumn {
  std::string quoted_name;   // "col"
  std::string type_name;     // target type without typmod, as format_type(type, -1)
                             // prints it (casts to it never truncate or round)
  bool key = false;          // part of the row's key (WHERE of UPDATE/DELETE)
  bool text_compare = false; // type has no equality operator (json, point, ...)
  // "OPERATOR(schema.=)" when the type's default equality operator lives
  // outside pg_catalog (citext, hstore, ... in public): the applier's
  // sessions run with search_path = pg_catalog, where a plain "=" would not
  // find it (or would fall back to text and miss the index). Empty: "=".
  std::string equality;
  std::string name;          // col, unquoted (tombstone lookups name key columns)
  // In a unique index besides the key: its values are claims that a later
  // local holder keeps (pgduplex.claim_time, extension 1.3).
  bool claimed = false;
};

// last-write-wins on the fast path. A change may overwrite or delete a row
// only when the row's last writer is this direction (the same history) or
// committed before the change (commit times from pg_xact_commit_timestamp_origin
// of the row's xmin; unknown counts as older), and an INSERT goes in only
// when no local delete of its key (pgduplex.tombstone_time) is later than the
// change. A tie goes to cluster A: the change wins it in the forward direction.
// A row held back this way is missing from the statement's row count, which
// sends the change to the conflict path to be judged and logged.
struct LastWriteGuard {
  uint32_t table_oid = 0;         // the target table (tombstones are kept under it)
  uint32_t origin_id = 0;         // this direction's replication origin on the target
  bool change_wins_ties = false;  // forward direction: the change comes from A
  // Origins whose rows are this direction's history too: the initial copy's
  // sessions (pgduplex.initial_sync.copy_origins).
  std::vector<uint32_t> copy_origin_ids;
  // The target keeps the unique values local rows gave up (extension 1.3):
  // an INSERT also waits for no such claim of its values to be later, and
  // so does an UPDATE that moves its row onto a claimed value.
  bool value_claims = false;
  // The target remembers what became of the rows of tables without a key
  // (pgduplex.keyless_successor, extension 1.4).
  bool keyless_successors = false;
  // The target has pgduplex.written_before and has_tombstones (extension
  // 1.4): the per-row check of UPDATE/DELETE is one C call instead of a
  // subquery over pg_xact_commit_timestamp_origin, and an INSERT looks
  // tombstones up only when the table has any (asked once per statement).
  bool fast_guard = false;
};

struct TableShape {
  std::string quoted_table;         // "schema"."table" on the target
  std::vector<ShapeColumn> columns; // in the source relation's column order
  // true: the key columns are a primary key or replica identity index on the
  // target, so "key = $n" finds at most one row. false: the key is the whole
  // row (REPLICA IDENTITY FULL) or a non-unique column set, and one matching
  // row is picked by (tableoid, ctid).
  bool unique_key = true;
  // Set under last-write-wins for tables with a unique key: the multi-row
  // statements then take one more parameter per row, the change's source
  // commit time (timestamptz text), after the row's other parameters.
  std::optional<LastWriteGuard> last_write;
  // A column is GENERATED ALWAYS AS IDENTITY: INSERTs say OVERRIDING SYSTEM
  // VALUE (the row's value comes from the source, as in the initial copy).
  bool overriding_system_value = false;
};

// INSERT of every column; params: all columns in order.
// skip_conflicts adds ON CONFLICT DO NOTHING (0 rows = a unique key exists).
std::string BuildInsertSql(const TableShape& shape, bool skip_conflicts);

// UPDATE setting the columns with set[i] (params first, in column order),
// WHERE the key columns (params next, in column order). At least one column
// is always set (the first key column to itself when set is empty).
std::string BuildUpdateSql(const TableShape& shape, const std::vector<bool>& set);

// DELETE WHERE the key columns; params: key columns in order.
std::string BuildDeleteSql(const TableShape& shape);

// Multi-row forms for runs of changes to one table (rows >= 1). Each row's
// params are laid out as in the single-row form, row after row (with
// last_write: plus the commit time). UPDATE and DELETE need a unique key; a
// row that matched nothing (or that last_write held back) shows as a row
// count below `rows`. The single-row forms never carry the guard: the
// conflict path uses them once it has decided.
std::string BuildMultiInsertSql(const TableShape& shape, int rows);
std::string BuildMultiUpdateSql(const TableShape& shape, const std::vector<bool>& set, int rows);
std::string BuildMultiDeleteSql(const TableShape& shape, int rows);
// The INSERT form BuildMultiInsertSql uses under last_write:
// INSERT ... SELECT FROM (VALUES ...) WHERE no later local delete.
std::string BuildGuardedInsertSql(const TableShape& shape, int rows);

// The WHERE clause matching `columns` against params $first_param, ...
// (alias "t" when qualify is true).
std::string BuildMatch(const TableShape& shape, const std::vector<int>& columns, int first_param, bool unique,
                       bool qualify);

// Local row lookup for the conflict path: rows whose `columns` equal the
// params $1.. in order (unique: plain "=", else the keyless comparison).
// Result columns: the row id "<tableoid>:<ctid>" (a ctid alone is not unique
// in a partitioned table), to_jsonb(row)::text, and with_commit_time the
// commit time of the row's last writer in PostgreSQL microseconds (NULL when
// unknown; needs track_commit_timestamp; with last_write also NULL when this
// direction wrote the row last: the same history), else NULL.
std::string BuildLocalRowsSql(const TableShape& shape, const std::vector<int>& columns, bool unique,
                              bool with_commit_time);

// The commit time of the latest local delete of a key (or TRUNCATE of the
// table), in PostgreSQL microseconds, NULL when none. Params: the key
// columns' values in order. Needs last_write (the table's OID).
std::string BuildTombstoneTimeSql(const TableShape& shape);
// The latest claim of the row's unique values (pgduplex.claim_time) in
// microseconds since 2000-01-01, or NULL; params: the key and claimed
// columns' values, in column order.
std::string BuildClaimTimeSql(const TableShape& shape);

// An UPDATE that moves its row onto a value of a claimed column (one the
// local row does not hold already): the latest claim of the row's unique
// values once updated, as BuildClaimTimeSql; no row when the local row is
// missing or keeps its claimed values. Params: those of
// BuildMultiUpdateSql(shape, set, 1). Empty when `set` sets no claimed
// column. Needs last_write. The multi-row UPDATE under value_claims holds
// such a row back when the claim is later than the change.
std::string BuildUpdateClaimTimeSql(const TableShape& shape, const std::vector<bool>& set);

// What became here of a row of a table without a key: params $1.. are the
// values of every column, in order. For each link of the local chain (in
// order), rows of: the link's number, its time (microseconds since
// 2000-01-01), whether it is a DELETE, then one column value it left (in
// column order; one row with NULL for a DELETE). No rows when nothing is
// remembered.
std::string BuildKeylessSuccessorSql(const TableShape& shape);

// pgduplex.keyless_alias for a lost incoming UPDATE: params $1.. the
// UPDATE's new values (every column in order), then (with_successor) the
// values of the row it leads to here, then the local change's time
// (timestamptz text, FormatPgTimestamp).
std::string BuildKeylessAliasSql(const TableShape& shape, bool with_successor);

// TRUNCATE under last-write-wins: DELETE of the rows whose last writer is
// older than the TRUNCATE (its commit time, timestamptz text) or is this
// direction; rows written here after it stay. Needs last_write. `rows`,
// when set, limits it to the rows of one source partition (truncate_plan.h).
std::string BuildLastWriteTruncateSql(const TableShape& shape, const std::string& commit_time,
                                      const std::string& rows = "");

// DELETE of rows by row id (as BuildLocalRowsSql gives them): $1 is a tid[]
// text literal of their ctids (for a TID scan), $2 a text[] literal of the
// row ids themselves (exact, also across partitions).
std::string BuildDeleteByRowIdSql(const TableShape& shape);

// TRUNCATE of the given (quoted) tables.
std::string BuildTruncateSql(const std::vector<std::string>& quoted_tables, bool cascade, bool restart_identity);

// One pgduplex.conflicts row. Params: $1 task, $2 direction, $3 relation,
// $4 conflict_type, $5 resolution, $6 local_row jsonb text (or NULL),
// $7 source_lsn, $8 remote_commit_ts, $9 remote_row jsonb text (or NULL).
std::string BuildConflictInsertSql();

// The remote row as jsonb text typed by the target's columns: params $1..
// are the values of remote_columns in order. Casting to the table's types
// runs their input functions and domain checks: the table owner's code,
// so the caller runs it as the owner.
std::string BuildRemoteRowSql(const TableShape& shape, const std::vector<int>& remote_columns);

// Column names and values as PostgreSQL prints a key: (a, b)=(1, x).
std::string FormatKey(const std::vector<std::string>& names, const std::vector<const std::string*>& values);

}  // namespace pgduplex
