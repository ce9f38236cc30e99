// CopyPool: the data step of the initial copy. copy_workers threads, each
// with a pair of sessions (a source session inside the slot's snapshot, a
// target copy session under its own replication origin, replica role),
// take the copy tasks in order (copy_plan.h: biggest first) and run each
// with CopyTable (table_copier.h), under one shared throttle.
//
// The first error stops the other workers at their next batch and is
// rethrown once all have ended; a stop request (SIGTERM, polled every
// 50 ms) does the same and ends in StopRequested. Either way the copy
// stays 'copying' and the next run starts it over.
#pragma once

#include <atomic>
#include <string>
#include <vector>

#include "common/config.h"
#include "initial_sync/copy_plan.h"
#include "initial_sync/planned_tables.h"
#include "initial_sync/progress.h"
#include "initial_sync/sync_state.h"

namespace pgduplex {
namespace initial_sync {

struct CopyPoolInput {
  const TaskConfig* config = nullptr;
  std::string snapshot;
  const std::vector<PlannedTable>* tables = nullptr;  // CopyTask::table indexes it
  std::vector<CopyTask> tasks;
  SyncState* state = nullptr;      // RecordXactSql for tables that had rows
  CopyProgress* progress = nullptr;  // every table registered; started and finished here
  bool run_as = false;             // pgduplex.run_as usable on the target
  bool as_owner = false;           // sync.apply_as_table_owner
  const std::atomic<bool>* stop_request = nullptr;  // may be null
};

// Runs every task; returns when all are copied. Throws StopRequested, or
// the first worker's error.
void RunCopyPool(const CopyPoolInput& input);

}  // namespace initial_sync
}  // namespace pgduplex
