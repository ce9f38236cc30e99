// ApplierOptions: what the applier of one direction is told by the run
// loop (run/stream_worker.cpp), from the task's config: the task and
// direction, the conflict policy, the replication origin, batch sizes,
// throttling, the table scope forward DDL must stay in, and the apply mode.
#pragma once

#include <atomic>
#include <string>
#include <vector>

#include "common/config.h"
#include "common/memory_budget.h"

namespace pgduplex {

struct ApplierOptions {
  std::string task;
  Direction direction = Direction::kForward;
  ConflictPolicy policy = ConflictPolicy::kOverwrite;
  std::string origin;
  int batch_max_transactions = 1000;
  int batch_max_changes = 10000;
  MemoryBudget memory;  // sync.apply_memory_mb: held records, statement size
  double max_rows_per_sec = 0;
  double max_bytes_per_sec = 0;
  std::vector<std::string> tables;  // sync.tables: the scope forward DDL must stay in
  NameMapping mapping;  // [mapping]: the target's names of the source's objects
  // sync.tables as the target names its tables.
  std::vector<std::string> TargetTables() const {
    return direction == Direction::kForward ? mapping.PatternsOnB(tables) : tables;
  }
  bool apply_as_table_owner = true;  // sync.apply_as_table_owner (needs extension 1.1)
  int tombstone_retention_hours = 168;  // sync.tombstone_retention_hours (last-write-wins)
  const std::atomic<bool>* interrupt = nullptr;  // stop request: abandon waits on the target
};

}  // namespace pgduplex
