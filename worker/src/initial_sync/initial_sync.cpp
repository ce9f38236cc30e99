// The initial copy's orchestration: the six steps of initial_sync.h in
// order, each a function here or in its own file (planned_tables: what to
// copy; schema_copy: pre- and post-data; copy_pool: the rows).
#include "initial_sync/initial_sync.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <chrono>
#include <functional>
#include <map>
#include <memory>

#include "apply/role_switch.h"
#include "apply/worker_status_row.h"
#include "common/message_text.h"
#include "common/pg_connection.h"
#include "common/transaction.h"
#include "initial_sync/copied_sequences.h"
#include "initial_sync/copy_plan.h"
#include "initial_sync/copy_pool.h"
#include "initial_sync/mapped_schema.h"
#include "initial_sync/planned_tables.h"
#include "initial_sync/progress.h"
#include "initial_sync/schema_copy.h"
#include "initial_sync/sync_state.h"

namespace pgduplex {
namespace initial_sync {

namespace {

using Log = std::function<void(const std::string&)>;

double SecondsSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

// last_error is left as it is: the error of a failed attempt shows until the
// direction carries something again (stream_worker.h).
void UpsertWorkerStatus(PgConnection& target, const std::string& task) {
  if (!target.Scalar("SELECT to_regclass('pgduplex.worker_status')")) return;  // older extension build
  WorkerStatusRow row;
  row.task = task;
  row.direction = "forward";
  row.state = "copying";
  row.pid = static_cast<int>(getpid());
  row.started_at = PgNow();
  row.keep_counts = true;  // and last_error, last_* positions: nullopt/0 keep them
  target.ExecParams(WorkerStatusUpsertSql(), WorkerStatusParams(row));
}

// A control session on the target: replica role, its own copy origin.
PgConnection ControlSession(const TaskConfig& config) {
  PgConnection conn = PgConnection::Connect(config.b.conninfo, "b");
  SetupCopySession(conn, CopyOriginName(config.name, 0));
  return conn;
}


using MoveToMapped = std::function<void()>;

// Step 3: pre-data, the copied sequences, owners and grants, recorded with
// the table list in one target transaction.
void ApplyPreData(PgConnection& target, PgConnection& planner, const SchemaDump& dump,
                  const std::vector<CopiedSequence>& copied_sequences, SyncState& state,
                  const std::vector<SyncTableRecord>& records, const MoveToMapped& move, const Log& note,
                  const Log& warn) {
  Transaction tx(target);
  if (!dump.pre_data.empty()) {
    try {
      target.Exec(dump.pre_data, "initial copy: creating the tables (pg_dump's pre-data script)");
    } catch (const ConnectionError&) {
      throw;
    } catch (const PgError& e) {
      throw PgError(OneLine(e.what()), e.sqlstate());  // one log line per retry
    }
  }
  SetCopiedSequences(planner, target, copied_sequences, note, warn);
  // Owners as on the source, where the role can own it here.
  for (const OwnerChange& owner : dump.owners) {
    if (auto error = TryInSavepoint(target, "pgduplex_owner", [&] { target.Exec(owner.sql); })) {
      warn(fmt::format("initial copy: schema: {} stays owned by the target user, not by role \"{}\" as on "
                       "the source: {}",
                       owner.object, owner.role, OneLine(*error)));
    }
  }
  // Then their privileges, for the grantees that exist here.
  for (const GrantStatement& grant : dump.grants) {
    if (auto error = TryInSavepoint(target, "pgduplex_grant", [&] { target.Exec(grant.sql); })) {
      warn(fmt::format("initial copy: schema: privileges of role \"{}\" on {} not granted on the target: {}",
                       grant.role, grant.object, OneLine(*error)));
    }
  }
  move();  // [mapping]: the created tables under B's names
  state.RecordTables(records);
  tx.Commit();
}

// Step 3: dumps what the tables to create need and applies pre-data;
// returns the dump, whose post-data step 5 applies.
SchemaDump CopySchema(PgConnection& planner, PgConnection& target, const std::string& snapshot,
                      const std::vector<PlannedTable>& tables, const std::vector<TableName>& to_create,
                      const NameMapping& mapping, SyncState& state, const Log& note, const Log& warn) {
  SchemaDump dump;
  if (!to_create.empty()) {
    SchemaRequest request;
    request.snapshot = snapshot;
    request.tables = to_create;
    for (const auto& t : tables) {
      if (t.create) request.table_oids.push_back(t.source.oid);
    }
    dump = DumpSchema(planner, target, request, note);
  }
  // Sequences pre-data creates: set where they stand, interleaved as A's.
  std::vector<CopiedSequence> copied_sequences = FindCopiedSequences(planner, target, to_create);
  std::vector<SyncTableRecord> records;
  for (const auto& t : tables) {
    records.push_back({t.target_name, !t.source.partitioned, t.create, t.had_rows, t.written_during_copy});
  }
  ApplyPreData(target, planner, dump, copied_sequences, state, records,
               [&] { MoveCreatedTables(target, mapping, tables, warn); }, note, warn);
  if (!to_create.empty()) note(fmt::format("initial copy: created {} table(s) on cluster b", to_create.size()));
  return dump;
}

// Step 4's plan: the copy tasks, and each leaf table's progress slot.
std::vector<CopyTask> PlanCopy(PgConnection& planner, const SyncConfig& sync,
                               const std::vector<TableOptions>& table_options, std::vector<PlannedTable>& tables,
                               CopyProgress& progress) {
  LoadKeyBounds(planner, sync, tables);
  std::vector<SourceTable> sources;
  for (const auto& t : tables) sources.push_back(t.source);
  std::vector<CopyTask> tasks = PlanCopyTasks(sources, sync.copy_workers, sync.copy_split_rows);
  RestrictToRowFilters(tasks, sources, table_options);
  std::map<size_t, int> parts;
  for (const auto& task : tasks) parts[task.table] = task.parts;
  for (size_t i = 0; i < tables.size(); ++i) {
    if (tables[i].source.partitioned) continue;
    tables[i].progress = progress.AddTable(tables[i].source.name.Display(), tables[i].source.EstimatedRows(),
                                           parts.count(i) ? parts[i] : 1);
  }
  return tasks;
}

// Step 5: post-data on copy_workers target sessions.
void BuildPostData(const TaskConfig& config, const std::vector<ScriptStatement>& post_data, const Log& warn) {
  auto started = std::chrono::steady_clock::now();
  std::vector<std::unique_ptr<PgConnection>> builders;
  std::vector<PgConnection*> raw;
  for (int n = 0; n < std::max(1, config.sync.copy_workers); ++n) {
    auto conn = std::make_unique<PgConnection>(PgConnection::Connect(config.b.conninfo, "b"));
    conn->Exec("SET session_replication_role = replica; SET client_min_messages = warning");
    conn->Exec(fmt::format("SET maintenance_work_mem = '{}MB'", config.sync.copy_index_memory_mb));
    raw.push_back(conn.get());
    builders.push_back(std::move(conn));
  }
  ApplyPostData(raw, post_data, [&](const std::string& line) { warn("initial copy: " + line); });
  spdlog::info("initial copy: indexes and constraints built on cluster b in {}", FormatDuration(SecondsSince(started)));
}

// Step 6: the forward origin at the consistent point, the copy done.
void FinishCopy(const TaskConfig& config, PgConnection& target, PgConnection& planner, SyncState& state,
                const std::string& consistent_lsn, std::chrono::steady_clock::time_point started) {
  target.Exec("SELECT pg_replication_origin_session_reset()");
  state.Finish(config.OriginName(Direction::kForward), consistent_lsn);
  DropCopyOrigins(target, config.name);
  planner.Exec("COMMIT");
  spdlog::info("initial copy: done in {}; {} origin moved to {}", FormatDuration(SecondsSince(started)),
               config.OriginName(Direction::kForward), consistent_lsn);
}

}  // namespace

InitialSync::InitialSync(const TaskConfig& config, std::string snapshot_name, std::string consistent_lsn,
                         Options options)
    : config_(config),
      snapshot_(std::move(snapshot_name)),
      consistent_lsn_(std::move(consistent_lsn)),
      options_(options) {}

bool InitialSync::Unfinished(const TaskConfig& config) {
  PgConnection target = PgConnection::Connect(config.b.conninfo, "b");
  return target.Scalar("SELECT state FROM pgduplex.initial_sync WHERE task = $1", {config.name}).value_or("") ==
         "copying";
}

void InitialSync::Prepare(const TaskConfig& config) {
  PgConnection target = ControlSession(config);
  SyncState state(target, config.name);
  if (state.State().value_or("") == "copying") {
    // The undo deletes and truncates rows: as each table's owner, like
    // every write the worker makes to a table.
    RoleSwitch roles;
    const bool as_owner = config.sync.apply_as_table_owner;
    roles.Setup(target, RunAsAvailable(target, as_owner), as_owner);
    spdlog::warn("initial copy: a previous copy did not finish; undoing it and starting over");
    PgConnection source = PgConnection::Connect(config.a.conninfo, "a");
    if (DropSlotIfExists(source, config.SlotName(Direction::kForward))) {
      spdlog::info("initial copy: dropped replication slot {} of the unfinished copy on cluster a",
                   config.SlotName(Direction::kForward));
    }
    spdlog::info("initial copy: on cluster b, {}", state.UndoTargetWrites(as_owner ? &roles : nullptr));
  }
  state.Begin();
  target.Exec("SELECT pg_replication_origin_session_reset()");
}

void InitialSync::Run() {
  auto started = std::chrono::steady_clock::now();
  if (options_.metrics) options_.metrics->SetState(WorkerState::kCopying);
  const SyncConfig& sync = config_.sync;

  PgConnection target = ControlSession(config_);
  SyncState state(target, config_.name);
  if (state.State().value_or("") != "copying") state.Begin();
  UpsertWorkerStatus(target, config_.name);

  // 1. What to copy, as of the snapshot.
  PgConnection planner = SnapshotSession(config_, snapshot_);
  std::vector<PlannedTable> tables = SelectTables(planner, sync, config_.mapping);
  if (tables.empty()) spdlog::warn("initial copy: no table on cluster a matches [sync] tables; nothing to copy");

  // 2. The target side. Rows are written as each table's owner
  // (sync.apply_as_table_owner): CHECK constraints and generated columns
  // run that owner's code.
  const bool as_owner = sync.apply_as_table_owner;
  const bool run_as = RunAsAvailable(target, as_owner);
  TargetCheck check = CheckTargetTables(target, sync, tables, state.TablesWrittenDuringCopy());

  CopyProgress progress(options_.terminal);
  auto note = [&](const std::string& line) { progress.Note(line); };
  auto warn = [&](const std::string& line) { progress.Warn(line); };
  note(fmt::format("initial copy: {} table(s) in scope, {} to create on cluster b, {} with rows kept; "
                   "snapshot {}, consistent point {}",
                   tables.size(), check.to_create.size(), check.with_rows.size(), snapshot_, consistent_lsn_));

  // 3. Pre-data, recorded with the table list in one transaction.
  SchemaDump dump =
      CopySchema(planner, target, snapshot_, tables, check.to_create, config_.mapping, state, note, warn);
  if (as_owner) LoadTargetOwners(target, tables);
  for (const auto& line : dump.owner_warnings) warn("initial copy: " + line);
  for (const auto& line : dump.grant_warnings) warn("initial copy: " + line);

  // 4. The data.
  CopyPoolInput pool;
  pool.config = &config_;
  pool.snapshot = snapshot_;
  pool.tasks = PlanCopy(planner, sync, config_.table_options, tables, progress);
  pool.tables = &tables;
  pool.state = &state;
  pool.progress = &progress;
  pool.run_as = run_as;
  pool.as_owner = as_owner;
  pool.stop_request = options_.stop;
  RunCopyPool(pool);

  // 5. Post-data.
  if (!dump.post_data.empty()) BuildPostData(config_, MapPostData(config_.mapping, dump.post_data), warn);
  RenameCreatedColumns(target, config_.mapping, tables);

  // 6. Done: the stream takes over from the consistent point.
  FinishCopy(config_, target, planner, state, consistent_lsn_, started);
}

}  // namespace initial_sync
}  // namespace pgduplex
