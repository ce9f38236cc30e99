// pgduplex drop [--force]: removes what a task leaves on the two clusters:
//   A: slot pgduplex_<task>_forward, origin pgduplex_<task>_reverse
//   B: slot pgduplex_<task>_reverse, origin pgduplex_<task>_forward
//   both: the task's rows in pgduplex.worker_status, and the tombstone
//   triggers (last-write-wins) on the tables of the task's sync.tables
// (the conflict log, pgduplex.conflicts, is history and is kept; old
// tombstones go with the next purge of a task that still uses them).
// It refuses, before dropping anything, while a slot of the task is active:
// a worker of the task is streaming. It stops nothing itself. Each object is
// reported as dropped or already absent. --force reports an unreachable
// cluster and goes on with the other one.
// Exit 0 done, 1 refused (worker running), 4 a cluster unreachable without
// --force or a statement failed.
#include <fmt/format.h>

#include <iostream>
#include <memory>
#include <optional>

#include "apply/tombstone_triggers.h"
#include "commands/commands.h"
#include "common/message_text.h"
#include "common/pg_connection.h"

namespace pgduplex {

namespace {

struct ClusterPart {
  std::string label;
  std::string conninfo;
  std::string slot;    // this cluster is the source of that direction
  std::string origin;  // this cluster is the target of that direction
  std::unique_ptr<PgConnection> conn;
};

std::optional<std::string> ActiveSlotPid(PgConnection& conn, const std::string& slot) {
  PgResult r = conn.ExecParams(
      "SELECT coalesce(active_pid::text, '?') FROM pg_replication_slots WHERE slot_name = $1 AND active", {slot});
  if (r.rows() == 0) return std::nullopt;
  return r.Get(0, 0);
}

// Task names may hold '_', a LIKE wildcard.
std::string LikeEscaped(const std::string& text) {
  std::string out;
  for (char c : text) {
    if (c == '_' || c == '%' || c == '\\') out += '\\';
    out += c;
  }
  return out;
}

void Report(const ClusterPart& part, const std::string& what) {
  std::cout << fmt::format("{}: {}\n", part.label, what);
}

// Drops one cluster's part; returns false when something is in use.
bool DropPart(ClusterPart& part, const std::string& task, const TableScope& scope) {
  PgConnection& conn = *part.conn;
  bool ok = true;
  try {
    if (conn.Scalar("SELECT 1 FROM pg_replication_slots WHERE slot_name = $1", {part.slot})) {
      conn.ExecParams("SELECT pg_drop_replication_slot($1)", {part.slot});
      Report(part, fmt::format("slot {} dropped", part.slot));
    } else {
      Report(part, fmt::format("slot {} already absent", part.slot));
    }
  } catch (const PgError& e) {
    if (e.sqlstate() != sqlstate::kObjectInUse) throw;
    Report(part, fmt::format("slot {} NOT dropped: in use ({})", part.slot, OneLine(e.what())));
    ok = false;
  }
  try {
    if (conn.Scalar("SELECT 1 FROM pg_replication_origin WHERE roname = $1", {part.origin})) {
      conn.ExecParams("SELECT pg_replication_origin_drop($1)", {part.origin});
      Report(part, fmt::format("origin {} dropped", part.origin));
    } else {
      Report(part, fmt::format("origin {} already absent", part.origin));
    }
  } catch (const PgError& e) {
    if (e.sqlstate() != sqlstate::kObjectInUse && e.sqlstate() != sqlstate::kObjectNotInPrerequisiteState) throw;
    Report(part, fmt::format("origin {} NOT dropped: in use by a running apply session ({})", part.origin,
                             OneLine(e.what())));
    ok = false;
  }
  // Origins of the initial copy's sessions (pgduplex_<task>_copy_<n>) are
  // dropped by the copy itself; a crash can leave them behind.
  PgResult copy_origins = conn.ExecParams(
      "SELECT roname FROM pg_replication_origin WHERE roname LIKE $1 ORDER BY 1",
      {fmt::format("pgduplex\\_{}\\_copy\\_%", LikeEscaped(task))});
  for (int i = 0; i < copy_origins.rows(); ++i) {
    conn.ExecParams("SELECT pg_replication_origin_drop($1)", {copy_origins.Get(i, 0)});
    Report(part, fmt::format("origin {} dropped", copy_origins.Get(i, 0)));
  }
  if (conn.Scalar("SELECT to_regclass('pgduplex.worker_status') IS NOT NULL") != "t") {
    Report(part, "task state already absent (no pgduplex extension in this database)");
    return ok;
  }
  for (const char* table : {"worker_status", "initial_sync", "initial_sync_xacts"}) {
    PgResult r = conn.ExecParams(fmt::format("DELETE FROM pgduplex.{} WHERE task = $1", table), {task});
    std::string n = PQcmdTuples(r.raw());
    Report(part, n == "0" ? fmt::format("{} rows already absent", table)
                          : fmt::format("{} rows deleted ({})", table, n));
  }
  int tables = DropTombstoneTriggers(conn, scope);
  Report(part, tables ? fmt::format("tombstone triggers dropped from {} table(s)", tables)
                      : std::string("tombstone triggers already absent"));
  return ok;
}

}  // namespace

int CommandDrop(const DropOptions& options) {
  TaskConfig config = LoadConfig(options.config_path);
  ClusterPart parts[2] = {
      {"a", config.a.conninfo, config.SlotName(Direction::kForward), config.OriginName(Direction::kReverse), nullptr},
      {"b", config.b.conninfo, config.SlotName(Direction::kReverse), config.OriginName(Direction::kForward), nullptr},
  };
  for (auto& part : parts) {
    try {
      part.conn = std::make_unique<PgConnection>(PgConnection::Connect(part.conninfo, part.label));
    } catch (const ConnectionError& e) {
      if (!options.force) {
        std::cerr << fmt::format("pgduplex drop: {}\n(nothing dropped; --force skips an unreachable cluster)\n",
                                 OneLine(e.what()));
        return kExitFatal;
      }
      Report(part, fmt::format("UNREACHABLE, skipped (--force): {}", OneLine(e.what())));
    }
  }

  // A worker of the task streams from an active slot: drop nothing then.
  bool running = false;
  for (auto& part : parts) {
    if (!part.conn) continue;
    if (auto pid = ActiveSlotPid(*part.conn, part.slot)) {
      std::cerr << fmt::format(
          "pgduplex drop: refusing: slot {} on cluster {} is active (walsender pid {}): a worker of task {} is "
          "running; stop it first\n",
          part.slot, part.label, *pid, config.name);
      running = true;
    }
  }
  if (running) return kExitFound;

  bool ok = true;
  for (auto& part : parts) {
    if (part.conn) ok = DropPart(part, config.name,
                                      TableScope(config.mapping.PatternsOn(part.label, config.sync.tables))) && ok;
  }
  if (!ok) {
    std::cerr << fmt::format("pgduplex drop: a worker of task {} is still running; stop it and run drop again\n",
                             config.name);
    return kExitFound;
  }
  return kExitOk;
}

}  // namespace pgduplex
