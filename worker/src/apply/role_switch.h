// RoleSwitch: who the apply session's statements run as, through the
// extension's pgduplex.run_as(role oid, key text) (extension 1.1).
//
// Why: triggers that fire for the apply session (ENABLE ALWAYS / REPLICA),
// CHECK constraints, index expressions and generated columns run user code
// with the rights of whoever writes the row. Applied as the worker's own
// (often superuser) role, one replicated row lets a table owner take those
// rights. So, as PostgreSQL 16+ subscriptions do, each table's changes run
// as the table's owner, inside a security-restricted operation (the
// owner's code cannot RESET ROLE / SET ROLE / SET SESSION AUTHORIZATION
// back), and every setting that code changes is undone at the switch back.
//
// Contract:
//   * One key per session: 32 random hex characters, claimed by Claim()
//     (the first run_as call fixes it; later calls with another key fail, so
//     code running inside cannot switch on its own). The key only ever
//     travels as a bind parameter, never in SQL text.
//   * Role 0 is the worker identity. Every statement the worker makes for
//     itself (savepoints, conflict rows, worker_status, origin progress,
//     COMMIT, catalog lookups) runs after a switch back to 0; callers say so
//     with Switch(..., 0) / Queue(..., 0), which cost nothing when already
//     there.
//   * Savepoints are only taken and released at the worker identity; a
//     rollback (of the transaction, or to such a savepoint) returns the
//     server to it: tell the switch with OnRollback().
//   * RoleFor(owner) is the role a table's changes run as: 0 when
//     apply_as_table_owner is off or the owner is the worker's own role.
//   * Not thread-safe; one per apply session.
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>

#include "apply/pipeline.h"
#include "common/pg_connection.h"

namespace pgduplex {

// "1.1" >= "1.0": dotted numeric comparison (missing parts count as 0).
bool ExtensionAtLeast(const std::string& version, int major, int minor);

// Whether the pgduplex extension in conn's database has run_as (1.1+).
// With `as_owner` (sync.apply_as_table_owner) a missing run_as throws
// SetupRefused with the one line that says how to fix it.
bool RunAsAvailable(PgConnection& conn, bool as_owner);

class RoleSwitch {
 public:
  RoleSwitch();
  RoleSwitch(const RoleSwitch&) = delete;
  RoleSwitch& operator=(const RoleSwitch&) = delete;

  // 32 lowercase hex characters from std::random_device.
  static std::string NewKey();

  // Reads the worker's role and, when the target has run_as, claims the
  // key for this session (run_as(0, key)). `apply_as_owner` =
  // sync.apply_as_table_owner.
  void Setup(PgConnection& conn, bool run_as_available, bool apply_as_owner);

  bool available() const { return available_; }
  // When run_as was missing at Setup: looks again (the extension may have
  // been updated under a running worker) and, if it is there now, claims
  // the key. Returns available().
  bool Recheck(PgConnection& conn);
  uint32_t worker() const { return worker_; }
  uint32_t current() const { return current_; }
  uint32_t RoleFor(uint32_t owner) const { return (!apply_as_owner_ || owner == worker_) ? 0 : owner; }
  // RoleFor the owner of `relation` (a quoted, qualified name), read from
  // conn's catalog; for writers that hold no RelationMap (verify --repair,
  // the undo of a cut-off copy).
  uint32_t RoleForTable(PgConnection& conn, const std::string& relation) const;

  // Synchronous switch (no pipeline in flight); throws PgError.
  void Switch(PgConnection& conn, uint32_t role);
  // Same, but a refusal (the worker cannot act as `role`) is returned as
  // its message instead of thrown; the caller rolls back its savepoint.
  bool TrySwitch(PgConnection& conn, uint32_t role, std::string* error);
  // Pipeline: queues the switch (as a control command) when needed.
  void Queue(Pipeline& pipeline, uint32_t role);
  void OnRollback() { current_ = 0; }

  static constexpr const char* kRunAsSql = "SELECT pgduplex.run_as($1::oid, $2)";

 private:
  std::string key_;
  uint32_t worker_ = 0;
  uint32_t current_ = 0;
  bool available_ = false;
  bool apply_as_owner_ = false;
  std::string role_text_;
};

}  // namespace pgduplex
