#include "initial_sync/sync_state.h"

#include <fmt/format.h>

#include <chrono>
#include <nlohmann/json.hpp>
#include <set>
#include <thread>

#include "common/sql_lexer.h"
#include "common/transaction.h"

namespace pgduplex {

namespace {

// Runs `body` inside BEGIN/COMMIT, rolling back on any error.
template <typename Body>
void InTransaction(PgConnection& conn, Body body) {
  Transaction tx(conn);
  body();
  tx.Commit();
}

std::string QuotedList(const std::vector<TableName>& tables) {
  std::string out;
  for (const auto& t : tables) out += (out.empty() ? "" : ", ") + QuoteQualified(t.schema, t.name);
  return out;
}

}  // namespace

std::optional<std::string> SyncState::State() {
  return target_.Scalar("SELECT state FROM pgduplex.initial_sync WHERE task = $1", {task_});
}

void SyncState::Begin() {
  target_.ExecParams(
      "INSERT INTO pgduplex.initial_sync (task, state) VALUES ($1, 'copying') "
      "ON CONFLICT (task) DO UPDATE SET state = 'copying', consistent_lsn = NULL, "
      "started_at = clock_timestamp(), finished_at = NULL, "
      "tables = CASE WHEN initial_sync.state = 'copying' THEN initial_sync.tables ELSE '[]' END",
      {task_});
}

void SyncState::RecordTables(const std::vector<SyncTableRecord>& tables) {
  nlohmann::json list = nlohmann::json::array();
  for (const auto& t : tables) {
    list.push_back({{"schema", t.name.schema},
                    {"name", t.name.name},
                    {"leaf", t.leaf},
                    {"created", t.created},
                    {"had_rows", t.had_rows},
                    {"written_during_copy", t.written_during_copy},
                    {"xacts_recorded", true}});
  }
  target_.ExecParams("UPDATE pgduplex.initial_sync SET tables = $2::jsonb WHERE task = $1", {task_, list.dump()});
}

std::vector<SyncTableRecord> SyncState::Tables() {
  auto text = target_.Scalar("SELECT tables FROM pgduplex.initial_sync WHERE task = $1", {task_});
  std::vector<SyncTableRecord> out;
  if (!text) return out;
  for (const auto& item : nlohmann::json::parse(*text)) {
    SyncTableRecord r;
    r.name = {item.at("schema").get<std::string>(), item.at("name").get<std::string>()};
    r.leaf = item.value("leaf", true);
    r.created = item.value("created", false);
    r.had_rows = item.value("had_rows", false);
    r.written_during_copy = item.value("written_during_copy", false);
    r.xacts_recorded = item.value("xacts_recorded", false);
    out.push_back(std::move(r));
  }
  return out;
}

std::string SyncState::RecordXactSql(const TableName& table) const {
  return fmt::format(
      "INSERT INTO pgduplex.initial_sync_xacts (task, relation, xid) VALUES ({}, {}, pg_current_xact_id()::xid)",
      target_.QuoteLiteral(task_), target_.QuoteLiteral(QuoteQualified(table.schema, table.name)));
}

// What an unfinished copy left in each table, sorted by how to undo it.
struct UndoPlan {
  std::vector<TableName> created;  // dropped
  std::vector<TableName> emptied;  // only the copy's rows: truncated
  std::vector<TableName> pruned;   // other rows too: the copy's deleted by xmin
  std::vector<TableName> kept;     // pruned, and B's users wrote rows into it during the copy
};

std::string SyncState::UndoTargetWrites(RoleSwitch* roles) {
  std::vector<SyncTableRecord> tables = Tables();
  // The role a table's rows are written as (0: the worker's own).
  auto owner_role = [&](const TableName& t) -> uint32_t {
    if (!roles) return 0;
    return roles->RoleForTable(target_, QuoteQualified(t.schema, t.name));
  };
  // Runs sql as `role`; back to the worker before anything else.
  auto exec_as = [&](uint32_t role, const std::string& sql, const std::vector<std::optional<std::string>>& params) {
    if (roles) roles->Switch(target_, role);
    target_.ExecParams(sql, params);
    if (roles) roles->Switch(target_, 0);
  };
  UndoPlan plan;
  InTransaction(target_, [&] {
    // Whether B's users wrote rows into a table that had none before the
    // copy. It is locked first: no write from here on, so what the check
    // sees stays true until the commit.
    auto others_wrote = [&](const SyncTableRecord& t) {
      std::string table = QuoteQualified(t.name.schema, t.name.name);
      if (!t.leaf || t.had_rows || !t.xacts_recorded) return false;  // (not recorded: a copy by an older version)
      if (!target_.Scalar("SELECT pg_catalog.to_regclass($1)::text", {table})) return false;
      exec_as(owner_role(t.name), "LOCK TABLE ONLY " + table + " IN EXCLUSIVE MODE", {});
      return HasRowsNotCopied(t.name);
    };
    for (const auto& t : tables) {
      if (!t.leaf && !t.created) continue;
      bool others = others_wrote(t);
      if (t.created) {
        if (others) RefuseDroppingOthersRows(t.name);
        plan.created.push_back(t.name);
      } else if (!others && !t.had_rows) {
        plan.emptied.push_back(t.name);
      } else {
        plan.pruned.push_back(t.name);
        if (others || t.written_during_copy) plan.kept.push_back(t.name);
      }
    }
    if (!plan.created.empty()) target_.Exec("DROP TABLE IF EXISTS " + QuotedList(plan.created));
    if (!plan.emptied.empty()) {
      std::set<uint32_t> owners;
      for (const auto& t : plan.emptied) owners.insert(owner_role(t));
      bool truncated = false;
      if (owners.size() == 1) {
        // One statement (tables referencing each other), as their owner;
        // it fails when a table we do not empty references one of them.
        truncated = !TryInSavepoint(target_, "undo_truncate",
                                    [&] { exec_as(*owners.begin(), "TRUNCATE " + QuotedList(plan.emptied), {}); });
        if (!truncated && roles) roles->OnRollback();
      }
      if (!truncated) {
        // Delete instead (replica role: the foreign key triggers stay quiet).
        for (const auto& t : plan.emptied) {
          exec_as(owner_role(t), "DELETE FROM ONLY " + QuoteQualified(t.schema, t.name), {});
        }
      }
    }
    for (const auto& t : plan.pruned) {
      // The copy's transactions are read as the worker (the owner has no
      // right on pgduplex's tables); the rows are deleted as the owner.
      exec_as(owner_role(t),
              "DELETE FROM ONLY " + QuoteQualified(t.schema, t.name) +
                  " WHERE xmin OPERATOR(pg_catalog.=) ANY ($1::pg_catalog.xid[])",
              {CopyXids(t)});
    }
    target_.ExecParams("DELETE FROM pgduplex.initial_sync_xacts WHERE task = $1", {task_});
    RecordKeptTables(plan.kept);
  });
  return fmt::format(
      "dropped {} table(s) it created, emptied {}, removed its rows from {} that had rows before it or got rows "
      "from cluster b's users during it ({} of those: {})",
      plan.created.size(), plan.emptied.size(), plan.pruned.size(), plan.kept.size(),
      plan.kept.empty() ? "none" : QuotedList(plan.kept));
}

std::string SyncState::CopyXids(const TableName& table) {
  return target_
      .Scalar("SELECT coalesce(array_agg(xid), '{}')::text FROM pgduplex.initial_sync_xacts "
              "WHERE task = $1 AND relation = $2",
              {task_, QuoteQualified(table.schema, table.name)})
      .value_or("{}");
}

bool SyncState::HasRowsNotCopied(const TableName& table) {
  // Rows whose inserting transaction is not one of the copy's: written on
  // B while the copy ran (or changed since: an UPDATE makes a new version).
  return target_
             .Scalar("SELECT EXISTS (SELECT 1 FROM ONLY " + QuoteQualified(table.schema, table.name) +
                         " WHERE xmin OPERATOR(pg_catalog.<>) ALL ($1::pg_catalog.xid[]))",
                     {CopyXids(table)})
             .value_or("f") == "t";
}

void SyncState::RefuseDroppingOthersRows(const TableName& table) {
  throw PgError(fmt::format("initial copy: table {} on cluster b was created by the copy that did not finish, and "
                            "has rows written there since that the copy did not write (cluster b's users); "
                            "dropping it to start over would lose them. Move those rows out of the table (or "
                            "drop it if they may go), then start the direction again",
                            QuoteQualified(table.schema, table.name)),
                sqlstate::kObjectNotInPrerequisiteState);
}

void SyncState::RecordKeptTables(const std::vector<TableName>& kept) {
  // Begin() keeps this list while the state stays 'copying': the next copy
  // takes those rows as B's (no conflicting_tables refusal; their keys are
  // skipped), and a later undo keeps them again.
  nlohmann::json list = nlohmann::json::array();
  for (const auto& t : kept) {
    // had_rows: an undo before the next copy records its tables prunes
    // these by xmin again and keeps them.
    list.push_back({{"schema", t.schema}, {"name", t.name}, {"leaf", true}, {"had_rows", true},
                    {"written_during_copy", true}, {"xacts_recorded", true}});
  }
  target_.ExecParams("UPDATE pgduplex.initial_sync SET tables = $2::jsonb WHERE task = $1", {task_, list.dump()});
}

std::vector<TableName> SyncState::TablesWrittenDuringCopy() {
  std::vector<TableName> out;
  for (const auto& t : Tables()) {
    if (t.written_during_copy) out.push_back(t.name);
  }
  return out;
}

void SyncState::Finish(const std::string& origin, const std::string& consistent_lsn) {
  target_.ExecParams(
      "SELECT pg_replication_origin_create($1) WHERE NOT EXISTS "
      "(SELECT 1 FROM pg_catalog.pg_replication_origin WHERE roname = $1)",
      {origin});
  InTransaction(target_, [&] {
    target_.ExecParams("SELECT pg_replication_origin_advance($1, $2::pg_lsn)", {origin, consistent_lsn});
    target_.ExecParams(
        "UPDATE pgduplex.initial_sync SET state = 'done', consistent_lsn = $2::pg_lsn, "
        "finished_at = clock_timestamp() WHERE task = $1",
        {task_, consistent_lsn});
    target_.ExecParams("DELETE FROM pgduplex.initial_sync_xacts WHERE task = $1", {task_});
    RecordCopyOrigins(target_, task_);
    // Everything the copy wrote with synchronous_commit = off is flushed by
    // this synchronous commit (WAL is flushed in order).
    target_.Exec("SET LOCAL synchronous_commit = on");
  });
}

std::string CopyOriginName(const std::string& task, int n) { return fmt::format("pgduplex_{}_copy_{}", task, n); }

void SetupCopySession(PgConnection& conn, const std::string& origin) {
  conn.Exec("SET session_replication_role = replica; SET client_min_messages = warning");
  conn.ExecParams(
      "SELECT pg_replication_origin_create($1) WHERE NOT EXISTS "
      "(SELECT 1 FROM pg_catalog.pg_replication_origin WHERE roname = $1)",
      {origin});
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(15);
  while (true) {
    try {
      conn.ExecParams("SELECT pg_replication_origin_session_setup($1)", {origin});
      return;
    } catch (const ConnectionError&) {
      throw;
    } catch (const PgError& e) {
      // Still held by a backend of a run that just died: it goes soon.
      if (std::chrono::steady_clock::now() > deadline || std::string(e.what()).find("already active") == std::string::npos) {
        throw;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(300));
    }
  }
}

namespace {
// LIKE pattern of the task's copy origins.
std::string CopyOriginPattern(const std::string& task) {
  std::string escaped;
  for (char c : task) escaped += c == '_' ? std::string("\\_") : std::string(1, c);
  return fmt::format("pgduplex\\_{}\\_copy\\_%", escaped);
}
}  // namespace

void DropCopyOrigins(PgConnection& conn, const std::string& task) {
  conn.ExecParams(
      "SELECT pg_replication_origin_drop(roname) FROM pg_catalog.pg_replication_origin "
      "WHERE roname LIKE $1",
      {CopyOriginPattern(task)});
}

void RecordCopyOrigins(PgConnection& conn, const std::string& task) {
  // Extension 1.2 and later keep them (for last-write-wins).
  if (!conn.Scalar("SELECT 1 FROM pg_catalog.pg_attribute WHERE attrelid = 'pgduplex.initial_sync'::regclass "
                   "AND attname = 'copy_origins' AND NOT attisdropped")) {
    return;
  }
  conn.ExecParams(
      "UPDATE pgduplex.initial_sync SET copy_origins = ARRAY(SELECT DISTINCT o FROM pg_catalog.unnest("
      "copy_origins || ARRAY(SELECT roident FROM pg_catalog.pg_replication_origin WHERE roname LIKE $2)) AS o "
      "ORDER BY 1) WHERE task = $1",
      {task, CopyOriginPattern(task)});
}

bool DropSlotIfExists(PgConnection& source, const std::string& slot) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(15);
  while (true) {
    PgResult r = source.ExecParams(
        "SELECT active_pid FROM pg_catalog.pg_replication_slots WHERE slot_name = $1", {slot});
    if (r.rows() == 0) return false;
    if (r.IsNull(0, 0)) break;
    if (std::chrono::steady_clock::now() > deadline) {
      throw PgError(fmt::format("cluster {}: replication slot {} is in use by PID {}; is another pgduplex run of "
                                "this task running?",
                                source.label(), slot, r.Get(0, 0)),
                    sqlstate::kObjectInUse);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
  }
  source.ExecParams("SELECT pg_drop_replication_slot($1)", {slot});
  return true;
}

}  // namespace pgduplex
