// InitialSync: the forward direction's first copy of A's selected tables to
// B, with no gap and no duplicate between the copy and the stream.
//
// How the worker uses it (forward direction, sync.initial != none):
//
//   using initial_sync::InitialSync;
//   if (!slot_exists || InitialSync::Unfinished(config)) {
//     InitialSync::Prepare(config);          // undo a cut-off copy, drop its
//                                            // slot, record 'copying'
//     auto [snapshot, lsn] = stream.CreateSlotExportingSnapshot();
//     InitialSync(config, snapshot, lsn, &metrics).Run();   // connection idle
//   }
//   stream.Start(...);                       // from the slot / origin
//
// Run():
//   1. imports the snapshot on A (REPEATABLE READ) and locks the selected
//      tables (ACCESS SHARE, like pg_dump) so their definitions hold still;
//   2. checks the target: partition trees whole in scope; tables that exist
//      with rows are an error (conflicting_tables = "error") or kept, with
//      source rows whose key already exists skipped ("ignore"); with
//      initial = "data" every table must already exist;
//   3. schema+data: pre-data from pg_dump (under the snapshot) in one
//      target transaction, recorded in pgduplex.initial_sync; created
//      tables get their source owner where that role exists (schema_copy.h);
//      the sequences it creates are set in the same transaction:
//      interleaved (B even) when A's are, else past A (copied_sequences.h);
//   4. copies every leaf table with copy_workers pairs of connections, big
//      tables split by key or block ranges, biggest first, throttled by
//      copy_max_rows_per_sec / copy_max_mb_per_sec; target sessions run as
//      replica under per-session replication origins, so the reverse
//      direction never sends these rows back; with
//      sync.apply_as_table_owner each table's rows are written as its
//      owner on the target (pgduplex.run_as; SetupRefused when the
//      target's extension is older than 1.1);
//   5. schema+data: post-data (indexes, keys in parallel, then the rest);
//   6. one target transaction: the forward origin advanced to the slot's
//      consistent point and the copy marked done.
// The stream then starts at the consistent point: every change committed
// after the snapshot arrives once; nothing before it arrives at all.
// Steps 1-2 are planned_tables.h, 3 and 5 schema_copy.h, 4 copy_pool.h;
// initial_sync.cpp runs them in order.
//
// Errors: InitialSyncError for problems an operator must fix (named
// tables); PgError / ConnectionError from the clusters. Either way the copy
// stays 'copying' and the next run starts it over (Prepare()).
#pragma once

#include <atomic>
#include <stdexcept>
#include <string>

#include "common/config.h"
#include "common/worker_metrics.h"

namespace pgduplex {
// (config.h's enum InitialSync is the [sync] initial setting; the engine
// lives in its own namespace so both names read naturally.)
namespace initial_sync {

class InitialSyncError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct Options {
  WorkerMetrics* metrics = nullptr;  // state set to kCopying while running
  bool terminal = false;             // progress as a redrawn block (stderr is a tty)
  // Polled while copying: when set, the copy stops (and the next run
  // starts it over).
  const std::atomic<bool>* stop = nullptr;
};

class InitialSync {
 public:
  InitialSync(const TaskConfig& config, std::string snapshot_name, std::string consistent_lsn,
              Options options = Options());
  InitialSync(const InitialSync&) = delete;
  InitialSync& operator=(const InitialSync&) = delete;

  void Run();

  // True when a copy was started and never finished.
  static bool Unfinished(const TaskConfig& config);
  // Before creating the slot: undoes an unfinished copy (drops its slot on
  // A, removes what it wrote on B), then records a new copy as started.
  static void Prepare(const TaskConfig& config);

 private:
  const TaskConfig& config_;
  std::string snapshot_;
  std::string consistent_lsn_;
  Options options_;
};

}  // namespace initial_sync
}  // namespace pgduplex
