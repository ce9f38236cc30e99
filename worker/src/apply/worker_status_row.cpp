#include "apply/worker_status_row.h"

#include <fmt/format.h>

namespace pgduplex {

const char* WorkerStatusUpsertSql() {
  return "INSERT INTO pgduplex.worker_status AS w (task, direction, state, pid, started_at, updated_at, "
         "last_error, applied_transactions, applied_changes, applied_bytes, last_source_lsn, last_commit_ts, "
         "last_heartbeat_source, last_heartbeat_at, conflicts) "
         "VALUES ($1, $2, $3, $4::integer, $5::timestamptz, pg_catalog.clock_timestamp(), "
         "NULLIF($6::text, ''), COALESCE($7::bigint, 0), COALESCE($8::bigint, 0), COALESCE($9::bigint, 0), "
         "$10::pg_lsn, $11::timestamptz, $12::timestamptz, $13::timestamptz, COALESCE($14::jsonb, '{}')) "
         "ON CONFLICT (task, direction) DO UPDATE SET state = EXCLUDED.state, pid = EXCLUDED.pid, "
         "started_at = EXCLUDED.started_at, updated_at = EXCLUDED.updated_at, "
         "last_error = CASE WHEN $6::text = '' THEN NULL ELSE COALESCE($6::text, w.last_error) END, "
         "applied_transactions = COALESCE($7::bigint, w.applied_transactions), "
         "applied_changes = COALESCE($8::bigint, w.applied_changes), "
         "applied_bytes = COALESCE($9::bigint, w.applied_bytes), "
         "last_source_lsn = COALESCE(EXCLUDED.last_source_lsn, w.last_source_lsn), "
         "last_commit_ts = COALESCE(EXCLUDED.last_commit_ts, w.last_commit_ts), "
         "last_heartbeat_source = COALESCE(EXCLUDED.last_heartbeat_source, w.last_heartbeat_source), "
         "last_heartbeat_at = COALESCE(EXCLUDED.last_heartbeat_at, w.last_heartbeat_at), "
         "conflicts = COALESCE($14::jsonb, w.conflicts)";
}

std::vector<SqlParam> WorkerStatusParams(const WorkerStatusRow& row) {
  auto time = [](PgTimestamp t) -> SqlParam {
    if (t == 0) return std::nullopt;
    return FormatPgTimestamp(t);
  };
  auto count = [&row](uint64_t n) -> SqlParam {
    if (row.keep_counts) return std::nullopt;
    return std::to_string(n);
  };
  return {row.task,
          row.direction,
          row.state,
          std::to_string(row.pid),
          time(row.started_at),
          row.last_error,
          count(row.applied_transactions),
          count(row.applied_changes),
          count(row.applied_bytes),
          row.last_source_lsn == kInvalidLsn ? SqlParam() : SqlParam(LsnToString(row.last_source_lsn)),
          time(row.last_commit_ts),
          time(row.last_heartbeat_source),
          time(row.last_heartbeat_at),
          row.keep_counts ? SqlParam() : SqlParam(row.conflicts_json)};
}

std::string ConflictCountsJson(const WorkerMetrics& metrics) {
  std::string out = "{";
  for (int type = 0; type < kConflictTypes; ++type) {
    uint64_t total = 0;
    for (int r = 0; r < kResolutions; ++r) total += metrics.conflicts[type][r].load(std::memory_order_relaxed);
    if (total == 0) continue;  // status lists the types met
    if (out.size() > 1) out += ", ";
    out += fmt::format("\"{}\": {}", ToString(static_cast<ConflictType>(type)), total);
  }
  return out + "}";
}

}  // namespace pgduplex
