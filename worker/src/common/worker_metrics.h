// WorkerMetrics: the counters and gauges one `pgduplex run` process keeps.
// The apply loop writes them (relaxed atomics, no locks on the hot path);
// the metrics endpoint and the worker_status row read them.
#pragma once

#include <algorithm>
#include <atomic>
#include <cstdint>

#include "common/pg_time.h"

namespace pgduplex {

enum class WorkerState : int { kStarting = 0, kCopying, kStreaming, kReconnecting, kStopped, kFailed };
const char* ToString(WorkerState state);

// The conflict types, named as PostgreSQL 18 names them where it has one
// (apply/conflict_resolver.h says when each is detected):
// kDdlNotApplied: a forward DDL that could not run as its author (issue 8);
// kUpdateOriginDiffers, kDeleteOriginDiffers: the local row was last written
// by another origin, later than the incoming change; kUpdateDeleted,
// kInsertDeleted: the row was deleted here (a tombstone); and
// kMultipleUniqueConflicts: the incoming row collides with several local rows;
// kTargetTableMissing, kTargetColumnMissing: schema drift (PGD's names).
enum class ConflictType : int {
  kInsertExists = 0,
  kUpdateMissing,
  kUpdateExists,
  kDeleteMissing,
  kDdlNotApplied,
  kUpdateOriginDiffers,
  kDeleteOriginDiffers,
  kUpdateDeleted,
  kInsertDeleted,
  kMultipleUniqueConflicts,
  kTargetTableMissing,   // the target lacks the change's table (apply/schema_drift.h)
  kTargetColumnMissing,  // the target table lacks a column of the change
};
constexpr int kConflictTypes = 12;
const char* ToString(ConflictType type);

// What was done about a conflict (pgduplex.conflicts.resolution).
enum class Resolution : int { kFailed = 0, kSkipped, kApplied, kConvertedToInsert, kKeptLocal };
constexpr int kResolutions = 5;
const char* ToString(Resolution resolution);

struct WorkerMetrics {
  std::atomic<int> state{static_cast<int>(WorkerState::kStarting)};
  std::atomic<uint64_t> applied_transactions{0};  // source transactions
  std::atomic<uint64_t> applied_changes{0};       // row changes
  std::atomic<uint64_t> applied_bytes{0};         // record bytes received and applied
  std::atomic<uint64_t> received_bytes{0};
  std::atomic<uint64_t> retries{0};
  std::atomic<uint64_t> forged_messages{0};  // pgduplex.* messages / heartbeats ignored (MessageScreen)
  std::atomic<uint64_t> conflicts[kConflictTypes][kResolutions] = {};
  std::atomic<double> apply_lag_seconds{0};       // from commit/heartbeat times
  // Source time (Unix seconds) of the latest commit or heartbeat applied;
  // 0 = none yet. Unlike apply_lag_seconds, `time() - this` keeps rising
  // while the apply is stuck, so an alert on it fires then too.
  std::atomic<double> applied_source_time_seconds{0};
  std::atomic<int64_t> slot_lag_bytes{0};         // source WAL end - confirmed flush
  std::atomic<int64_t> slot_retained_wal_bytes{0};  // source WAL end - the slot's restart_lsn
  std::atomic<uint64_t> last_source_lsn{0};

  // A commit or heartbeat with this source time is applied now.
  void MarkApplied(PgTimestamp source_time) {
    apply_lag_seconds.store(std::max(0.0, SecondsBetween(source_time, PgNow())), std::memory_order_relaxed);
    applied_source_time_seconds.store(static_cast<double>(source_time + kPostgresEpochOffsetMicros) / 1e6,
                                      std::memory_order_relaxed);
  }
  void SetState(WorkerState s) { state.store(static_cast<int>(s), std::memory_order_relaxed); }
  WorkerState GetState() const { return static_cast<WorkerState>(state.load(std::memory_order_relaxed)); }
  void CountConflict(ConflictType type, Resolution resolution) {
    conflicts[static_cast<int>(type)][static_cast<int>(resolution)].fetch_add(1, std::memory_order_relaxed);
  }
};

}  // namespace pgduplex
