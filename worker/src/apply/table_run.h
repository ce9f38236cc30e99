// TableRun: the changes to one target table that wait, during a batch, to
// go out together as multi-row statements (RunQueue, run_queue.h): a run
// holds changes of one kind, in stream order. It hangs off its
// TargetRelation so queueing a change finds it without a lookup; it is
// empty between batches.
#pragma once

#include <cstdint>
#include <vector>

namespace pgduplex {

enum class RunKind : uint8_t { kNone, kInsert, kUpdate, kDelete };

struct TableRun {
  RunKind kind = RunKind::kNone;
  std::vector<uint64_t> changes;  // change indices in the batch, in stream order
  uint64_t bytes = 0;             // their records' encoded bytes
  bool listed = false;            // in the run queue's list of tables with a run

  void Clear() {
    changes.clear();
    bytes = 0;
    kind = RunKind::kNone;
    listed = false;
  }
};

}  // namespace pgduplex
