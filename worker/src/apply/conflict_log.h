// ConflictLog: one row in pgduplex.conflicts per conflict met, written on
// the target through the apply session (same transaction as the
// resolution, same replication origin: never sent back), plus the metrics
// counter and one log line.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "apply/relation_map.h"
#include "apply/role_switch.h"
#include "common/config.h"
#include "common/pg_connection.h"
#include "common/lsn.h"
#include "common/pg_time.h"
#include "common/worker_metrics.h"

namespace pgduplex {

// A DDL not applied (ddl_not_applied): no table shape, the statement
// (redacted), its author and why.
struct DdlConflict {
  std::string object_identity;
  std::string statement;
  std::string role;
  std::string reason;
};

struct ConflictRecord {
  const TargetRelation* relation = nullptr;  // nullptr for a DDL conflict
  std::optional<DdlConflict> ddl;
  ConflictType type = ConflictType::kInsertExists;
  Resolution resolution = Resolution::kFailed;
  std::optional<std::string> local_row;     // to_jsonb of the local row, when there is one
  std::vector<const char*> remote_values;   // per column; kUnknownValue = not part of the remote row
  std::string key;                          // "(id)=(5)", for the log line
  Lsn source_lsn = kInvalidLsn;             // commit LSN of the source transaction
  PgTimestamp remote_commit_time = 0;
};

class ConflictLog {
 public:
  ConflictLog(std::string task, Direction direction, WorkerMetrics& metrics)
      : task_(std::move(task)), direction_(direction), metrics_(metrics) {}
  ConflictLog(const ConflictLog&) = delete;
  ConflictLog& operator=(const ConflictLog&) = delete;

  // Synchronous statements on `target` (not in pipeline mode), which is at
  // the worker's identity; the remote row is typed as the table's owner
  // (`roles`), and `target` is back at the worker's identity after.
  void Write(PgConnection& target, RoleSwitch& roles, const ConflictRecord& record);

 private:
  std::string task_;
  Direction direction_;
  WorkerMetrics& metrics_;
};

}  // namespace pgduplex
