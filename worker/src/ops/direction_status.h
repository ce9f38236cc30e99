// DirectionStatus: what `pgduplex status` knows about one direction, read
// from the source (slot) and the target (worker_status row, conflicts
// table, origin progress), and the rules that turn it into state and lag.
//
// Contract: DeriveState/ApplyLagSeconds/ToJson/LastErrorLine are pure and unit-tested;
// the SQL that fills a DirectionStatus lives in commands/status.cpp.
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <map>
#include <optional>
#include <string>

namespace pgduplex {

struct DirectionStatus {
  std::string direction;  // forward | reverse
  std::string source;     // a | b
  std::string target;
  std::string error;      // a cluster could not be read; the rest is partial

  // Source side.
  bool slot_exists = false;
  bool slot_active = false;
  int64_t slot_lag_bytes = 0;
  int64_t slot_retained_wal_bytes = 0;  // current WAL end - the slot's restart_lsn

  // Target side (worker_status row), all optional: the worker may never
  // have run.
  bool has_row = false;
  std::string row_state;
  std::string last_error;     // message (last_error.h), empty: none
  std::string last_error_at;  // when it happened; empty for text of older workers
  double seconds_since_update = 0;
  uint64_t applied_transactions = 0;
  uint64_t applied_changes = 0;
  std::optional<double> heartbeat_age_sec;    // target now - last heartbeat source time
  std::optional<double> heartbeat_delay_sec;  // applied_at - source time of that heartbeat
  std::map<std::string, uint64_t> conflicts_since_start;
  std::map<std::string, uint64_t> conflicts_total;
  uint64_t conflicts_last_hour = 0;           // rows in pgduplex.conflicts of the last hour
  std::string origin_progress;                // LSN durable on the target

  // Rates from two samples; absent with a single sample.
  std::optional<double> transactions_per_sec;
  std::optional<double> changes_per_sec;
};

// streaming / copying / stopped / failed / not created / unknown.
std::string DeriveState(const DirectionStatus& status);

// Apply lag in seconds, measurable when the source is idle thanks to the
// heartbeat: while heartbeats keep arriving, the delay of the latest one;
// when they stop arriving (worker stopped or behind), the age of the latest
// one, which keeps rising. nullopt when no heartbeat was ever applied.
std::optional<double> ApplyLagSeconds(const DirectionStatus& status, double heartbeat_interval_sec);

nlohmann::json ToJson(const DirectionStatus& status, double heartbeat_interval_sec);

// The last error for the text output: "<time>: <message>" on one line
// (OneLine), cut after a few hundred characters (--json has all of it).
std::string LastErrorLine(const DirectionStatus& status);

}  // namespace pgduplex
