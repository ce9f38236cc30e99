// TableComparer: compares one table on A and B without moving the data.
//
// Each cluster hashes its own rows: a row's hash is
// hashtextextended(ROW(<common columns in name order>)::text, 0), a chunk's
// digest is (count(*), sum of its row hashes). Only the digests cross the
// network; rows cross only as (key, row hash) pairs of a chunk whose digests
// differ, and as whole rows only for --repair. Chunks are key ranges of
// about kChunkRows rows cut at A's keys (ops/key_range.h). A differing chunk
// with too many rows to list is split again; a listed chunk is diffed key by
// key (ops/row_diff.h).
//
// Why a sum of 64-bit hashes: it needs no ORDER BY and no string
// aggregation (md5(string_agg(...)) sorts and builds a chunk-sized string),
// runs as one sequential pass with int128 accumulation, and is independent of
// the physical row order. Two different chunks with equal counts collide only
// if the sums of their row hashes happen to match: about 2^-64 for
// accidental differences. Rows are compared as text in a fixed output
// format (SetCanonicalTextOutput), by column name, so column order and
// compatible type differences (int vs bigint, varchar vs text) do not matter.
//
// Contract: Prepare() reads both catalogs and must be called first; every
// method throws PgError naming the cluster on a failed statement. Repair()
// runs on B in one transaction, writing as the table's owner when given a
// RoleSwitch (as the apply does: the owner's triggers, checks and index
// expressions never run with the rights of the role running verify).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "apply/role_switch.h"
#include "ops/catalog.h"
#include "ops/key_range.h"
#include "ops/row_diff.h"
#include "common/pg_connection.h"
#include "common/name_mapping.h"
#include "common/table_scope.h"

#include <map>

namespace pgduplex {

struct ChunkDigest {
  int64_t rows = 0;
  std::string hash_sum;  // numeric text
  bool operator==(const ChunkDigest& o) const { return rows == o.rows && hash_sum == o.hash_sum; }
  bool operator!=(const ChunkDigest& o) const { return !(*this == o); }
};

struct TableComparison {
  TableName table;
  TableName table_b;  // B's name of it ([mapping]); columns are named as A names them
  bool on_a = true;
  bool on_b = true;
  std::vector<std::string> columns_only_on_a;
  std::vector<std::string> columns_only_on_b;
  std::string key_source;  // "primary key", "unique index ...", or "" (no key)
  int64_t rows_a = 0;
  int64_t rows_b = 0;
  size_t chunks = 0;
  bool content_differs = false;  // digests differ (also without a key)
  RowDiff diff;                  // differing keys (empty without a key)
  // Differences the table's operations explain (ops/expected_differences.h),
  // moved out of diff by verify; never repaired, never a failure.
  RowDiff expected;

  bool Identical() const {
    return on_a && on_b && columns_only_on_a.empty() && columns_only_on_b.empty() && !content_differs;
  }
};

struct RepairCounts {
  size_t inserted = 0;  // missing on B
  size_t updated = 0;   // changed (rewritten as delete + insert)
  size_t deleted = 0;   // extra on B
};

class TableComparer {
 public:
  static constexpr int64_t kChunkRows = 10000;
  static constexpr int64_t kMaxListedRows = 20000;  // per side, per chunk diffed key by key

  // settle: re-read differing chunks a few times before believing them
  // (a sync that is running may have changes in flight).
  // `table` is A's name; `mapping` ([mapping], may be null) gives B's names
  // of it and of its columns.
  TableComparer(PgConnection& a, PgConnection& b, TableName table, bool settle,
                const NameMapping* mapping = nullptr);
  TableComparer(const TableComparer&) = delete;
  TableComparer& operator=(const TableComparer&) = delete;

  // Compares only the rows for which condition (SQL over the table's
  // columns, the same on both sides) is true: a task's row filters.
  void SetRowFilter(std::string condition) { row_filter_ = std::move(condition); }

  TableComparison Compare();
  // Makes B's rows equal to A's for the keys in comparison.diff. `roles`
  // (set up on B's session) switches to the table's owner for the writes;
  // null writes as the session's role (apply_as_table_owner = false).
  RepairCounts Repair(const TableComparison& comparison, RoleSwitch* roles);

 private:
  struct Side {
    PgConnection* conn = nullptr;
    std::string relation;                  // quoted schema.table
    std::vector<std::string> key_columns;  // quoted
    std::vector<std::string> key_types;    // this side's types
    std::string row_hash;                  // SQL expression
  };

  bool Prepare(TableComparison& out);
  ChunkDigest Digest(Side& side, const KeyRange& range);
  std::vector<KeyTuple> Boundaries(Side& side, const KeyRange& range, int64_t every);
  std::vector<RowHash> RowHashes(Side& side, const KeyRange& range);
  // Chunks whose digests still differ after settling.
  std::vector<KeyRange> DifferingChunks(const std::vector<KeyRange>& chunks, TableComparison& out, bool count_rows);
  void DiffChunk(const KeyRange& range, int depth, RowDiff& diff);
  // cond AND the row filter.
  std::string Where(const SqlCondition& cond) const;
  RowDiff DiffListed(const KeyRange& range);
  // Repair's writes on B, in batches of RepairBatchSize() keys: deletes
  // B's rows for the keys (returns how many existed); copies A's current
  // rows for the keys (a key A deleted since the comparison copies
  // nothing; returns how many rows were written).
  size_t RepairBatchSize() const;
  size_t DeleteOnB(const std::vector<KeyTuple>& keys);
  size_t CopyToB(const std::vector<KeyTuple>& keys);

  PgConnection& a_conn_;
  PgConnection& b_conn_;
  TableName table_;
  TableName table_b_;
  bool settle_;
  std::map<std::string, std::string> b_names_;
  const NameMapping* mapping_ = nullptr;  // A's column name -> B's
  std::string row_filter_;  // empty: every row
  Side a_;
  Side b_;
  std::vector<std::string> write_columns_;  // common, not generated, A's order
};

}  // namespace pgduplex
