// StatusReporter: keeps the worker's row in pgduplex.worker_status
// (worker_status_row.h) current from the apply session. The row rides in
// the commit of a batch about once a second (QueueWithCommit), so it
// carries the replication origin and costs no transaction of its own;
// between batches (heartbeats, start, stop) WriteNow writes it in a
// transaction that does not move the origin's progress. A target whose
// extension has no worker_status table gets no row (set at Setup).
#pragma once

#include <chrono>
#include <string>

#include "apply/apply_batch.h"
#include "apply/pipeline.h"
#include "apply/source_txn.h"
#include "apply/worker_status_row.h"
#include "common/lsn.h"
#include "common/pg_connection.h"
#include "common/pg_time.h"
#include "common/worker_metrics.h"

namespace pgduplex {

class StatusReporter {
 public:
  StatusReporter(std::string task, std::string direction, WorkerMetrics& metrics);

  // The fixed fields (pid, started_at, state, last_error) are the run loop's.
  WorkerStatusRow& row() { return row_; }
  void set_available(bool has_status_table) { available_ = has_status_table; }

  // At a batch's commit, in its pipeline (as the worker): the row with the
  // batch counted in, when a second has passed since the last write.
  // Returns whether it was sent.
  bool QueueWithCommit(Pipeline& pipeline, std::chrono::steady_clock::time_point now, const ApplyBatch& batch,
                       const SourceTxn& last, Lsn committed_lsn, PgTimestamp last_commit_time);
  // A batch committed without the row: it is out of date.
  void MarkDirty() { dirty_ = true; }
  // Writes the row now, in a transaction of its own (no batch open).
  void WriteNow(PgConnection& conn, Lsn committed_lsn, PgTimestamp last_commit_time);
  // Batches committed since the last write, which is a second old.
  bool Due() const;

 private:
  void Fill(Lsn committed_lsn, PgTimestamp last_commit_time);

  WorkerMetrics& metrics_;
  WorkerStatusRow row_;
  bool available_ = true;
  bool dirty_ = false;
  std::chrono::steady_clock::time_point last_write_{};
};

}  // namespace pgduplex
