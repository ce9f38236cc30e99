#include "initial_sync/initial_sync.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <thread>

#include "apply/role_switch.h"
#include "apply/worker_status_row.h"
#include "initial_sync/copied_sequences.h"
#include "initial_sync/copy_plan.h"
#include "initial_sync/progress.h"
#include "initial_sync/schema_copy.h"
#include "initial_sync/sync_state.h"
#include "initial_sync/table_copier.h"
#include "common/message_text.h"
#include "common/oid_array.h"
#include "common/pg_connection.h"
#include "common/sql_lexer.h"
#include "common/table_scope.h"
#include "common/transaction.h"

namespace pgduplex {

namespace {

constexpr double kBytesPerMb = 1024.0 * 1024.0;  // as apply_max_mb_per_sec

// A selected table and what the copy does with it.
struct PlannedTable {
  SourceTable source;
  bool exists_on_target = false;
  bool had_rows = false;        // target rows before the copy (leaf tables)
  bool unique_on_target = false;
  bool create = false;          // created from the dump
  size_t progress = 0;          // CopyProgress slot (leaf tables)
  uint32_t target_owner = 0;    // pg_class.relowner on the target, after pre-data
  std::string target_owner_name;
};

// Target owners of the tables, as they are after pre-data (owners kept).
void LoadTargetOwners(PgConnection& target, std::vector<PlannedTable>& tables) {
  PgResult r = target.Exec(
      "SELECT n.nspname, c.relname, c.relowner::text, pg_catalog.pg_get_userbyid(c.relowner) "
      "FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace "
      "WHERE c.relkind IN ('r', 'p')");
  std::map<TableName, std::pair<uint32_t, std::string>> owners;
  for (int i = 0; i < r.rows(); ++i) {
    owners[{r.Get(i, 0), r.Get(i, 1)}] = {static_cast<uint32_t>(std::stoul(r.Get(i, 2))), r.Get(i, 3)};
  }
  for (auto& t : tables) {
    auto it = owners.find(t.source.name);
    if (it == owners.end()) continue;
    t.target_owner = it->second.first;
    t.target_owner_name = it->second.second;
  }
}

std::string JoinNames(const std::vector<TableName>& names) {
  std::string out;
  for (const auto& n : names) out += (out.empty() ? "" : ", ") + n.Display();
  return out;
}

// Opens a source session inside the snapshot's REPEATABLE READ transaction.
PgConnection SnapshotSession(const TaskConfig& config, const std::string& snapshot) {
  PgConnection conn = PgConnection::Connect(config.a.conninfo, "a");
  conn.Exec("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY");
  conn.Exec("SET TRANSACTION SNAPSHOT " + conn.QuoteLiteral(snapshot));
  return conn;
}

// Every ordinary and partitioned table of the source, as of the snapshot.
std::vector<SourceTable> ListSourceTables(PgConnection& source) {
  PgResult r = source.Exec(R"SQL(
SELECT c.oid, n.nspname, c.relname, c.relkind = 'p', pn.nspname, pc.relname,
       c.reltuples, pg_catalog.pg_relation_size(c.oid), current_setting('block_size')::bigint
  FROM pg_catalog.pg_class c
  JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
  LEFT JOIN pg_catalog.pg_inherits i ON c.relispartition AND i.inhrelid = c.oid
  LEFT JOIN pg_catalog.pg_class pc ON pc.oid = i.inhparent
  LEFT JOIN pg_catalog.pg_namespace pn ON pn.oid = pc.relnamespace
 WHERE )SQL" + std::string(kUserTablesCondition) + R"SQL(
 ORDER BY 2, 3)SQL");
  std::vector<SourceTable> out;
  for (int i = 0; i < r.rows(); ++i) {
    SourceTable t;
    t.oid = static_cast<uint32_t>(std::stoul(r.Get(i, 0)));
    t.name = {r.Get(i, 1), r.Get(i, 2)};
    t.partitioned = r.Get(i, 3) == "t";
    if (!r.IsNull(i, 4)) t.parent = TableName{r.Get(i, 4), r.Get(i, 5)};
    t.reltuples = std::stod(r.Get(i, 6));
    t.relation_bytes = std::stoll(r.Get(i, 7));
    t.relation_pages = t.relation_bytes / std::max<int64_t>(1, std::stoll(r.Get(i, 8)));
    out.push_back(std::move(t));
  }
  return out;
}

void LoadColumnsAndKeys(PgConnection& source, std::vector<PlannedTable>& tables) {
  std::vector<uint32_t> oids;
  std::map<uint32_t, PlannedTable*> by_oid;
  for (auto& t : tables) {
    oids.push_back(t.source.oid);
    by_oid[t.source.oid] = &t;
  }
  for (auto& t : tables) t.source.builtin_types_only = true;
  PgResult cols = source.ExecParams(
      "SELECT a.attrelid, a.attname, a.atttypid < 16384 FROM pg_catalog.pg_attribute a "
      "WHERE a.attrelid = ANY($1::oid[]) AND a.attnum > 0 AND NOT a.attisdropped AND a.attgenerated = '' "
      "ORDER BY a.attrelid, a.attnum",
      {OidArray(oids)});
  for (int i = 0; i < cols.rows(); ++i) {
    SourceTable& t = by_oid[static_cast<uint32_t>(std::stoul(cols.Get(i, 0)))]->source;
    t.columns.push_back(cols.Get(i, 1));
    t.builtin_types_only = t.builtin_types_only && cols.Get(i, 2) == "t";
  }
  PgResult keys = source.ExecParams(
      "SELECT con.conrelid, a.attname FROM pg_catalog.pg_constraint con "
      "JOIN pg_catalog.pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = con.conkey[1] "
      "WHERE con.contype = 'p' AND cardinality(con.conkey) = 1 AND con.conrelid = ANY($1::oid[]) "
      "AND a.atttypid IN ('pg_catalog.int2'::regtype, 'pg_catalog.int4'::regtype, 'pg_catalog.int8'::regtype)",
      {OidArray(oids)});
  for (int i = 0; i < keys.rows(); ++i) {
    by_oid[static_cast<uint32_t>(std::stoul(keys.Get(i, 0)))]->source.int_key = keys.Get(i, 1);
  }
}

// Facts about the selected tables on the target.
void LoadTargetFacts(PgConnection& target, std::vector<PlannedTable>& tables) {
  PgResult r = target.Exec(
      "SELECT n.nspname, c.relname, c.oid, "
      "  EXISTS (SELECT 1 FROM pg_catalog.pg_index x WHERE x.indrelid = c.oid AND x.indisunique AND x.indisvalid) "
      "FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace "
      "WHERE c.relkind IN ('r', 'p')");
  std::map<TableName, std::pair<std::string, bool>> existing;
  for (int i = 0; i < r.rows(); ++i) existing[{r.Get(i, 0), r.Get(i, 1)}] = {r.Get(i, 2), r.Get(i, 3) == "t"};
  for (auto& t : tables) {
    auto it = existing.find(t.source.name);
    if (it == existing.end()) continue;
    t.exists_on_target = true;
    t.unique_on_target = it->second.second;
    if (!t.source.partitioned) {
      t.had_rows = target
                       .Scalar("SELECT EXISTS (SELECT 1 FROM ONLY " +
                               QuoteQualified(t.source.name.schema, t.source.name.name) + ")")
                       .value_or("f") == "t";
    }
  }
}

// Columns the source copies that a pre-existing target table lacks.
std::vector<std::string> MissingTargetColumns(PgConnection& target, const PlannedTable& t) {
  PgResult r = target.ExecParams(
      "SELECT a.attname FROM pg_catalog.pg_attribute a "
      "WHERE a.attrelid = $1::regclass AND a.attnum > 0 AND NOT a.attisdropped AND a.attgenerated = ''",
      {QuoteQualified(t.source.name.schema, t.source.name.name)});
  std::set<std::string> have;
  for (int i = 0; i < r.rows(); ++i) have.insert(r.Get(i, 0));
  std::vector<std::string> missing;
  for (const auto& c : t.source.columns) {
    if (!have.count(c)) missing.push_back(c);
  }
  return missing;
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

}  // namespace

namespace initial_sync {

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
  const bool with_schema = sync.initial == pgduplex::InitialSync::kSchemaAndData;
  const bool ignore_conflicts = sync.conflicting_tables == ConflictingTables::kIgnore;

  PgConnection target = ControlSession(config_);
  SyncState state(target, config_.name);
  if (state.State().value_or("") != "copying") state.Begin();
  UpsertWorkerStatus(target, config_.name);

  // 1. What to copy, as of the snapshot.
  PgConnection planner = SnapshotSession(config_, snapshot_);
  TableScope scope(sync.tables);
  std::vector<SourceTable> all = ListSourceTables(planner);
  std::vector<TableName> selected_names;
  std::vector<PlannedTable> tables;
  for (const auto& t : all) {
    if (!scope.Matches(t.name.schema, t.name.name)) continue;
    selected_names.push_back(t.name);
    tables.push_back(PlannedTable{t});
  }
  std::vector<std::string> problems = PartitionScopeProblems(all, selected_names);
  if (!problems.empty()) {
    std::string text;
    for (const auto& p : problems) text += (text.empty() ? "" : "; ") + p;
    throw InitialSyncError("initial copy: " + text + " (a partitioned table syncs with all its partitions)");
  }
  if (tables.empty()) {
    spdlog::warn("initial copy: no table on cluster a matches [sync] tables; nothing to copy");
  } else {
    std::string lock = "LOCK TABLE ";
    for (size_t i = 0; i < tables.size(); ++i) {
      lock += (i ? ", " : "") + QuoteQualified(tables[i].source.name.schema, tables[i].source.name.name);
    }
    planner.Exec(lock + " IN ACCESS SHARE MODE");
    LoadColumnsAndKeys(planner, tables);
  }

  // 2. The target side. Rows are written as each table's owner
  // (sync.apply_as_table_owner): CHECK constraints and generated columns
  // run that owner's code.
  const bool as_owner = sync.apply_as_table_owner;
  const bool run_as = RunAsAvailable(target, as_owner);
  LoadTargetFacts(target, tables);
  std::vector<TableName> missing, with_rows, no_key, to_create;
  std::vector<std::string> column_problems;
  for (auto& t : tables) {
    if (!t.exists_on_target) {
      if (with_schema) {
        t.create = true;
        to_create.push_back(t.source.name);
      } else {
        missing.push_back(t.source.name);
      }
      continue;
    }
    if (t.had_rows) with_rows.push_back(t.source.name);
    if (t.had_rows && ignore_conflicts && !t.unique_on_target) no_key.push_back(t.source.name);
    if (!t.source.partitioned) {
      auto lacking = MissingTargetColumns(target, t);
      if (!lacking.empty()) {
        std::string cols;
        for (const auto& c : lacking) cols += (cols.empty() ? "" : ", ") + c;
        column_problems.push_back(fmt::format("{} lacks column(s) {}", t.source.name.Display(), cols));
      }
    }
  }
  if (!missing.empty()) {
    throw InitialSyncError(fmt::format(
        "initial copy: these tables do not exist on cluster b and [sync] initial = \"data\" does not create "
        "them: {}",
        JoinNames(missing)));
  }
  if (!with_rows.empty() && !ignore_conflicts) {
    throw InitialSyncError(fmt::format(
        "initial copy: these tables already have rows on cluster b: {} (empty them, or set [sync] "
        "conflicting_tables = \"ignore\" to keep their rows and skip source rows with the same key)",
        JoinNames(with_rows)));
  }
  if (!no_key.empty()) {
    throw InitialSyncError(fmt::format(
        "initial copy: these tables have rows on cluster b but no primary key or unique index there, so "
        "conflicting_tables = \"ignore\" cannot tell which source rows they already hold: {}",
        JoinNames(no_key)));
  }
  if (!column_problems.empty()) {
    std::string text;
    for (const auto& p : column_problems) text += (text.empty() ? "" : "; ") + p;
    throw InitialSyncError("initial copy: tables on cluster b differ from cluster a: " + text);
  }

  CopyProgress progress(options_.terminal);
  auto note = [&](const std::string& line) { progress.Note(line); };
  auto warn = [&](const std::string& line) { progress.Warn(line); };
  note(fmt::format("initial copy: {} table(s) in scope, {} to create on cluster b, {} with rows kept; "
                   "snapshot {}, consistent point {}",
                   tables.size(), to_create.size(), with_rows.size(), snapshot_, consistent_lsn_));

  // 3. Pre-data, recorded with the table list in one transaction.
  SchemaDump dump;
  if (!to_create.empty()) {
    SchemaRequest request;
    request.snapshot = snapshot_;
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
    records.push_back({t.source.name, !t.source.partitioned, t.create, t.had_rows});
  }
  {
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
    state.RecordTables(records);
    tx.Commit();
  }
  if (!to_create.empty()) note(fmt::format("initial copy: created {} table(s) on cluster b", to_create.size()));
  if (as_owner) LoadTargetOwners(target, tables);
  for (const auto& line : dump.owner_warnings) warn("initial copy: " + line);
  for (const auto& line : dump.grant_warnings) warn("initial copy: " + line);

  // 4. The data.
  for (auto& t : tables) {
    if (t.source.partitioned || t.source.int_key.empty()) continue;
    if (PartsFor(t.source.EstimatedRows(), sync.copy_workers, sync.copy_split_rows) <= 1) continue;
    std::string key = QuoteIdent(t.source.int_key);
    PgResult r = planner.Exec(fmt::format("SELECT min({}), max({}) FROM ONLY {}", key, key,
                                          QuoteQualified(t.source.name.schema, t.source.name.name)));
    if (!r.IsNull(0, 0)) {
      t.source.key_min = std::stoll(r.Get(0, 0));
      t.source.key_max = std::stoll(r.Get(0, 1));
    }
  }
  std::vector<SourceTable> sources;
  for (const auto& t : tables) sources.push_back(t.source);
  std::vector<CopyTask> tasks = PlanCopyTasks(sources, sync.copy_workers, sync.copy_split_rows);
  std::map<size_t, int> parts;
  for (const auto& task : tasks) parts[task.table] = task.parts;
  for (size_t i = 0; i < tables.size(); ++i) {
    if (tables[i].source.partitioned) continue;
    tables[i].progress = progress.AddTable(tables[i].source.name.Display(), tables[i].source.EstimatedRows(),
                                           parts.count(i) ? parts[i] : 1);
  }

  SharedThrottle throttle(sync.copy_max_rows_per_sec, sync.copy_max_mb_per_sec * kBytesPerMb);
  std::atomic<size_t> next_task{0};
  std::atomic<bool> stop{false};
  std::atomic<uint64_t> skipped{0};
  std::mutex error_mutex;
  std::exception_ptr first_error;
  int workers = std::max(1, std::min<int>(sync.copy_workers, static_cast<int>(tasks.size())));
  progress.Start();
  auto copy_worker = [&](int n) {
    try {
      PgConnection source = SnapshotSession(config_, snapshot_);
      PgConnection sink = PgConnection::Connect(config_.b.conninfo, "b");
      SetupCopySession(sink, CopyOriginName(config_.name, n));
      sink.Exec("SET synchronous_commit = off");
      RoleSwitch roles;  // a key of its own per session
      roles.Setup(sink, run_as, as_owner);
      while (!stop.load()) {
        size_t i = next_task.fetch_add(1);
        if (i >= tasks.size()) break;
        const CopyTask& task = tasks[i];
        PlannedTable& t = tables[task.table];
        CopyJob job;
        job.source = t.source.name;
        job.target = t.source.name;
        job.columns = t.source.columns;
        job.where = task.where;
        job.skip_existing_keys = t.had_rows;
        job.binary = t.create && t.source.builtin_types_only;
        if (t.had_rows) job.after_copy_sql = state.RecordXactSql(t.source.name);
        if (as_owner) {
          job.owner_role = roles.RoleFor(t.target_owner);
          job.owner_name = t.target_owner_name;
          job.switch_role = [&](uint32_t role) { roles.Switch(sink, role); };
        }
        CopyProgress::Table& slot = progress.table(t.progress);
        progress.PartStarted(t.progress);
        CopyResult result = CopyTable(source, sink, job, {&slot.rows, &slot.bytes}, &throttle, stop);
        skipped += result.skipped;
        if (result.skipped > 0) {
          progress.Note(fmt::format("initial copy: {}: kept {} row(s) already on cluster b (same key)",
                                    t.source.name.Display(), result.skipped));
        }
        progress.PartDone(t.progress);
      }
      sink.Exec("SELECT pg_replication_origin_session_reset()");
      source.Exec("COMMIT");
    } catch (...) {
      std::lock_guard<std::mutex> lock(error_mutex);
      if (!first_error) first_error = std::current_exception();
      stop.store(true);
    }
  };
  std::atomic<int> running{workers};
  std::vector<std::thread> threads;
  for (int n = 1; n <= workers; ++n) {
    threads.emplace_back([&, n] {
      copy_worker(n);
      running.fetch_sub(1);
    });
  }
  bool stopped_by_request = false;
  while (running.load() > 0) {
    if (options_.stop && options_.stop->load() && !stop.load()) {
      stopped_by_request = true;
      stop.store(true);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  for (auto& t : threads) t.join();
  progress.Finish();
  if (stopped_by_request) throw StopRequested("initial copy stopped on request; the next run starts it over");
  if (first_error) std::rethrow_exception(first_error);

  // 5. Post-data.
  if (!dump.post_data.empty()) {
    auto post_started = std::chrono::steady_clock::now();
    std::vector<std::unique_ptr<PgConnection>> builders;
    std::vector<PgConnection*> raw;
    for (int n = 0; n < std::max(1, sync.copy_workers); ++n) {
      auto conn = std::make_unique<PgConnection>(PgConnection::Connect(config_.b.conninfo, "b"));
      conn->Exec("SET session_replication_role = replica; SET client_min_messages = warning");
      conn->Exec(fmt::format("SET maintenance_work_mem = '{}MB'", sync.copy_index_memory_mb));
      raw.push_back(conn.get());
      builders.push_back(std::move(conn));
    }
    ApplyPostData(raw, dump.post_data, [&](const std::string& line) { warn("initial copy: " + line); });
    spdlog::info("initial copy: indexes and constraints built on cluster b in {}",
                 FormatDuration(std::chrono::duration<double>(std::chrono::steady_clock::now() - post_started)
                                    .count()));
  }

  // 6. Done: the stream takes over from the consistent point.
  target.Exec("SELECT pg_replication_origin_session_reset()");
  state.Finish(config_.OriginName(Direction::kForward), consistent_lsn_);
  DropCopyOrigins(target, config_.name);
  planner.Exec("COMMIT");
  spdlog::info("initial copy: done in {}; {} origin moved to {}",
               FormatDuration(std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count()),
               config_.OriginName(Direction::kForward), consistent_lsn_);
}

}  // namespace initial_sync
}  // namespace pgduplex
