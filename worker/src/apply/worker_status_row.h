// The worker's row in pgduplex.worker_status on the TARGET of its
// direction: one upsert statement, written inside apply transactions (so it
// rides on the replication origin and is never sent back) about once a
// second, and once more on exit with the final state and error; the
// initial copy writes the same statement (state copying, keep_counts).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "common/pg_connection.h"
#include "common/lsn.h"
#include "common/pg_time.h"
#include "common/worker_metrics.h"

namespace pgduplex {

struct WorkerStatusRow {
  std::string task;
  std::string direction;
  std::string state;  // starting | streaming | reconnecting | stopped | failed
  int pid = 0;
  PgTimestamp started_at = 0;
  // Stamped text (last_error.h); nullopt keeps what the row has (an earlier
  // process's error), "" clears it.
  std::optional<std::string> last_error;
  uint64_t applied_transactions = 0;
  uint64_t applied_changes = 0;
  uint64_t applied_bytes = 0;
  Lsn last_source_lsn = kInvalidLsn;    // 0 = keep what the row has
  PgTimestamp last_commit_ts = 0;       // 0 = keep
  PgTimestamp last_heartbeat_source = 0;
  PgTimestamp last_heartbeat_at = 0;
  std::string conflicts_json = "{}";
  // true: leave applied_* and conflicts as the row has them (0 and {} for a
  // new row); the initial copy writes its state so.
  bool keep_counts = false;
};

// Upsert; params are WorkerStatusParams(row) in order.
const char* WorkerStatusUpsertSql();
std::vector<SqlParam> WorkerStatusParams(const WorkerStatusRow& row);
// {"insert_exists": 2, ...}: totals per conflict type since start.
std::string ConflictCountsJson(const WorkerMetrics& metrics);

}  // namespace pgduplex
