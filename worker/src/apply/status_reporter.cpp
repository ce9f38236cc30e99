#include "apply/status_reporter.h"

#include <vector>

#include "apply/apply_sql.h"

namespace pgduplex {

namespace {
constexpr auto kStatusInterval = std::chrono::seconds(1);
}  // namespace

StatusReporter::StatusReporter(std::string task, std::string direction, WorkerMetrics& metrics)
    : metrics_(metrics) {
  row_.task = std::move(task);
  row_.direction = std::move(direction);
}

void StatusReporter::Fill(Lsn committed_lsn, PgTimestamp last_commit_time) {
  row_.applied_transactions = metrics_.applied_transactions.load(std::memory_order_relaxed);
  row_.applied_changes = metrics_.applied_changes.load(std::memory_order_relaxed);
  row_.applied_bytes = metrics_.applied_bytes.load(std::memory_order_relaxed);
  row_.conflicts_json = ConflictCountsJson(metrics_);
  row_.last_source_lsn = committed_lsn;
  row_.last_commit_ts = last_commit_time;
}

bool StatusReporter::QueueWithCommit(Pipeline& pipeline, std::chrono::steady_clock::time_point now,
                                     const ApplyBatch& batch, const SourceTxn& last, Lsn committed_lsn,
                                     PgTimestamp last_commit_time) {
  if (!available_ || now - last_write_ < kStatusInterval) return false;
  last_write_ = now;
  metrics_.last_source_lsn.store(last.end_lsn, std::memory_order_relaxed);
  Fill(committed_lsn, last_commit_time);
  row_.applied_transactions += batch.txn_count();
  row_.applied_changes += batch.changes();
  row_.applied_bytes += batch.bytes();
  row_.last_source_lsn = last.end_lsn;
  row_.last_commit_ts = last.commit_time;
  std::vector<SqlParam> params = WorkerStatusParams(row_);
  std::vector<const char*> values;
  for (const auto& p : params) values.push_back(p ? p->c_str() : nullptr);
  dirty_ = false;
  pipeline.SendQuery(WorkerStatusUpsertSql(), static_cast<int>(values.size()), values.data(), PipelineTag::Control());
  return true;
}

void StatusReporter::WriteNow(PgConnection& conn, Lsn committed_lsn, PgTimestamp last_commit_time) {
  if (!available_) return;
  Fill(committed_lsn, last_commit_time);
  // A transaction of its own must not move the origin's progress.
  conn.Exec("BEGIN");
  conn.Exec(apply_sql::kXactReset);
  conn.ExecParams(WorkerStatusUpsertSql(), WorkerStatusParams(row_));
  conn.Exec("COMMIT");
  last_write_ = std::chrono::steady_clock::now();
  dirty_ = false;
}

bool StatusReporter::Due() const {
  return dirty_ && std::chrono::steady_clock::now() - last_write_ >= kStatusInterval;
}

}  // namespace pgduplex
