// TaskConfig: the TOML file every pgduplex command takes with --config.
//
// Contract: LoadConfig either returns a fully validated config or throws
// ConfigError whose message names the file, the key and what is wrong. The
// file must be a regular file of at most 1 MiB; numbers must lie within the
// bounds README.md lists (never cut to fit); conninfo strings must parse.
// Unknown keys and unknown values are errors (a typo must never silently
// fall back to a default). Defaults live here and nowhere else; README.md
// lists every key.
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

#include "common/errors.h"
#include "common/table_options.h"
#include "common/name_mapping.h"

namespace pgduplex {

enum class ConflictPolicy { kFail, kIgnore, kOverwrite, kLastWriteWins };
enum class Direction { kForward, kReverse };  // forward = A→B, reverse = B→A
enum class InitialSync { kNone, kData, kSchemaAndData };
enum class ConflictingTables { kError, kIgnore };

const char* ToString(ConflictPolicy policy);
const char* ToString(Direction direction);
const char* ToString(InitialSync initial);
const char* ToString(ConflictingTables mode);
Direction ParseDirection(const std::string& text);  // throws ConfigError

struct ClusterConfig {
  std::string conninfo;  // any libpq conninfo; may contain a password
};

struct SyncConfig {
  std::vector<std::string> tables = {"public.*"};  // schema.table or schema.*
  ConflictPolicy conflict_policy = ConflictPolicy::kOverwrite;
  bool ddl = true;  // forward only; reverse never carries DDL
  InitialSync initial = InitialSync::kSchemaAndData;
  ConflictingTables conflicting_tables = ConflictingTables::kError;
  int copy_workers = 4;               // parallel COPY of the initial sync
  double copy_max_rows_per_sec = 0;   // 0 = unlimited
  double copy_max_mb_per_sec = 0;     // 0 = unlimited
  // Tables with more (estimated) rows are copied as several key or block
  // ranges in parallel; 0 = never split.
  int copy_split_rows = 1000000;
  // maintenance_work_mem of each session building the copied tables'
  // indexes and keys after the copy (up to copy_workers at once).
  int copy_index_memory_mb = 1024;
  double apply_max_rows_per_sec = 0;  // incremental apply throttle, 0 = off
  double apply_max_mb_per_sec = 0;
  int batch_max_transactions = 1000;  // source txns grouped in one target txn
  int batch_max_changes = 10000;
  // Bytes of records the apply side of one direction holds at once
  // (MemoryBudget, common/memory_budget.h: stream queue, held records,
  // one statement).
  int apply_memory_mb = 256;  // MemoryBudget::kDefaultMb
  int heartbeat_interval_sec = 5;
  // Apply each table's changes as its owner (pgduplex.run_as, extension
  // 1.1), so triggers, checks and index expressions run with the owner's
  // rights, not the worker's; false trusts every table owner.
  bool apply_as_table_owner = true;
  // last-write-wins: how long a local delete is remembered
  // (pgduplex.tombstones) to judge a change of that row arriving later.
  int tombstone_retention_hours = 168;
  // Ask the source to stream transactions larger than its
  // logical_decoding_work_mem while they run (plugin proto_version 2); the
  // worker spools them to spool_directory and applies them at commit.
  // Left unset, a source whose plugin predates streaming is streamed from
  // without it (one warning); set true, that is an error.
  bool streaming = true;
  bool streaming_explicit = false;  // sync.streaming was in the file
  // Where streamed transactions are spooled; "" = <temp dir>/pgduplex-<uid>/
  // <task>-<direction>. Private (0700), emptied when a session starts.
  std::string spool_directory;
};

struct RetryConfig {
  int connection_retry_minutes = 720;  // connection failures
  int error_retry_minutes = 10;        // other errors
  // How long the replication stream may stay silent (no data, no answer to
  // the worker's ping) and a heartbeat or status query may go unanswered
  // before the connection is taken as lost (a half-open connection).
  int receive_timeout_sec = 60;
};

// [alerts]: the thresholds `pgduplex status --check` judges a direction by
// (ops/health_check.h); the shipped Prometheus rules use the same defaults.
struct AlertsConfig {
  int max_lag_sec = 300;                  // apply lag above this is a problem
  int max_retained_wal_mb = 5120;         // WAL the source keeps for the slot
  int max_conflicts_per_hour = 100;       // conflicts recorded in the last hour
};

struct TaskConfig {
  std::string path;    // where it was read from, for messages
  int file_mode = -1;  // permission bits of that file (LoadConfig), -1 if unknown
  std::string name;  // task name; slot and origin names derive from it
  ClusterConfig a;
  ClusterConfig b;
  SyncConfig sync;
  RetryConfig retry;
  AlertsConfig alerts;
  // [table."schema.name"] sections: row filters and operations per table
  // and direction (common/table_options.h).
  std::vector<TableOptions> table_options;
  NameMapping mapping;  // [mapping]: B's names of A's objects (common/name_mapping.h)

  // pgduplex_<task>_<direction>: the slot on the source of that direction
  // and the replication origin on its target share this name.
  std::string SlotName(Direction direction) const;
  std::string OriginName(Direction direction) const { return SlotName(direction); }
  const ClusterConfig& Source(Direction direction) const;
  const ClusterConfig& Target(Direction direction) const;
  static const char* SourceLabel(Direction d) { return d == Direction::kForward ? "a" : "b"; }
  static const char* TargetLabel(Direction d) { return d == Direction::kForward ? "b" : "a"; }
};

TaskConfig LoadConfig(const std::string& path);
TaskConfig ParseConfig(const std::string& toml_text, const std::string& path);

}  // namespace pgduplex
