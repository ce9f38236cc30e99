// TableCopier: moves one copy task (a table or a range of it) from a
// source session to a target session with COPY ... TO STDOUT piped into
// COPY ... FROM STDIN, in one target transaction.
//
// The source session must already be inside the REPEATABLE READ
// transaction that imported the slot's snapshot; the target session must
// be set up as a copy session (replica role, replication origin).
//
// With `skip_existing_keys` (conflicting_tables = "ignore" and the target
// table had rows) the rows go to a temporary staging table first and then
// INSERT ... ON CONFLICT DO NOTHING, so rows whose primary or unique key
// already exists on the target are kept as they are.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <vector>

#include "common/pg_connection.h"
#include "common/table_scope.h"
#include "common/throttle.h"

namespace pgduplex {

// One throttle shared by all copy threads.
class SharedThrottle {
 public:
  SharedThrottle(double rows_per_sec, double bytes_per_sec) : throttle_(rows_per_sec, bytes_per_sec) {}
  void Admit(uint64_t rows, uint64_t bytes);
  bool unlimited() const { return throttle_.unlimited(); }

 private:
  std::mutex mutex_;
  Throttle throttle_;
};

struct CopyJob {
  TableName source;
  TableName target;
  std::vector<std::string> columns;
  std::vector<std::string> target_columns;  // the same columns as the target names them
  std::string where;               // empty = whole table
  bool skip_existing_keys = false;
  // COPY in binary: no text conversions on either side. Only when both
  // definitions are the same and every type is built-in (binary arrays and
  // records carry type OIDs, which differ between clusters for user types).
  bool binary = false;
  std::string after_copy_sql;      // run in the target transaction before COMMIT
  // sync.apply_as_table_owner: the rows are written as the target table's
  // owner (CHECK constraints, generated columns and domain checks run user
  // code). switch_role(role) switches the target session (role 0 = back to
  // the worker); unset = no switch. owner_name: for the staging table's
  // GRANT.
  std::function<void(uint32_t role)> switch_role;
  uint32_t owner_role = 0;
  std::string owner_name;
};

struct CopyCounters {
  std::atomic<uint64_t>* rows = nullptr;
  std::atomic<uint64_t>* bytes = nullptr;
};

struct CopyResult {
  uint64_t rows = 0;     // rows read from the source
  uint64_t bytes = 0;
  uint64_t skipped = 0;  // rows not inserted because their key existed
};

// Throws PgError / ConnectionError; `stop` is polled between batches and
// aborts the copy (PgError) when set.
CopyResult CopyTable(PgConnection& source, PgConnection& target, const CopyJob& job, CopyCounters counters,
                     SharedThrottle* throttle, const std::atomic<bool>& stop);

// The two COPY statements (exposed for tests and logs).
std::string SourceCopySql(const CopyJob& job);
std::string TargetCopySql(const CopyJob& job, const std::string& into);

}  // namespace pgduplex
