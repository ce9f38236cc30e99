// pgduplex status: per direction, state, slot lag, apply lag, rates and
// conflicts, read from both clusters (never from the workers themselves, so
// it works for workers started anywhere, and for stopped ones). With
// --check: only the problems against the config's [alerts] thresholds.
#include <fmt/format.h>

#include <chrono>
#include <iostream>
#include <thread>

#include "commands/commands.h"
#include "ops/direction_status.h"
#include "ops/health_check.h"
#include "common/last_error.h"
#include "common/pg_connection.h"

namespace pgduplex {

namespace {

struct Sample {
  double updated_epoch = 0;
  uint64_t transactions = 0;
  uint64_t changes = 0;
};

void ReadSource(PgConnection& source, const std::string& slot, DirectionStatus& s) {
  PgResult r = source.ExecParams(
      "SELECT active, coalesce(pg_wal_lsn_diff(pg_current_wal_lsn(), confirmed_flush_lsn), 0)::bigint, "
      "coalesce(pg_wal_lsn_diff(pg_current_wal_lsn(), restart_lsn), 0)::bigint "
      "FROM pg_replication_slots WHERE slot_name = $1",
      {slot});
  if (r.rows() == 0) return;
  s.slot_exists = true;
  s.slot_active = r.Get(0, 0) == "t";
  s.slot_lag_bytes = std::stoll(r.Get(0, 1));
  s.slot_retained_wal_bytes = std::stoll(r.Get(0, 2));
}

Sample ReadTarget(PgConnection& target, const TaskConfig& config, Direction d, DirectionStatus& s) {
  Sample sample;
  std::string direction = ToString(d);
  PgResult r = target.ExecParams(
      "SELECT state, coalesce(last_error, ''), extract(epoch FROM clock_timestamp() - updated_at), "
      "applied_transactions, applied_changes, "
      "extract(epoch FROM clock_timestamp() - last_heartbeat_source), "
      "extract(epoch FROM last_heartbeat_at - last_heartbeat_source), "
      "conflicts::text, extract(epoch FROM updated_at) "
      "FROM pgduplex.worker_status WHERE task = $1 AND direction = $2",
      {config.name, direction});
  if (r.rows() > 0) {
    s.has_row = true;
    s.row_state = r.Get(0, 0);
    StampedError error = ParseStampedError(r.Get(0, 1));
    s.last_error = error.message;
    s.last_error_at = error.at;
    s.seconds_since_update = std::stod(r.Get(0, 2));
    s.applied_transactions = std::stoull(r.Get(0, 3));
    s.applied_changes = std::stoull(r.Get(0, 4));
    if (!r.IsNull(0, 5)) s.heartbeat_age_sec = std::stod(r.Get(0, 5));
    if (!r.IsNull(0, 6)) s.heartbeat_delay_sec = std::stod(r.Get(0, 6));
    // Named: items() of a temporary would outlive the document it iterates.
    const nlohmann::json conflicts = nlohmann::json::parse(r.Get(0, 7));
    for (auto& [type, count] : conflicts.items()) {
      // A row written by another version may hold anything: count numbers only.
      if (count.is_number_unsigned() && count.get<uint64_t>() > 0) s.conflicts_since_start[type] = count.get<uint64_t>();
    }
    sample = {std::stod(r.Get(0, 8)), s.applied_transactions, s.applied_changes};
  }
  PgResult totals = target.ExecParams(
      "SELECT conflict_type, count(*) FROM pgduplex.conflicts WHERE task = $1 AND direction = $2 GROUP BY 1",
      {config.name, direction});
  for (int i = 0; i < totals.rows(); ++i) s.conflicts_total[totals.Get(i, 0)] = std::stoull(totals.Get(i, 1));
  s.conflicts_last_hour = std::stoull(target.Scalar(
      "SELECT count(*) FROM pgduplex.conflicts WHERE task = $1 AND direction = $2 "
      "AND occurred_at > clock_timestamp() - interval '1 hour'",
      {config.name, direction}).value_or("0"));
  auto progress = target.Scalar(
      "SELECT pg_replication_origin_progress($1, true)::text "
      "FROM pg_replication_origin WHERE roname = $1",
      {config.OriginName(d)});
  s.origin_progress = progress.value_or("");
  return sample;
}

DirectionStatus ReadDirection(const TaskConfig& config, Direction d, Sample* sample) {
  DirectionStatus s;
  s.direction = ToString(d);
  s.source = TaskConfig::SourceLabel(d);
  s.target = TaskConfig::TargetLabel(d);
  try {
    PgConnection source = PgConnection::Connect(config.Source(d).conninfo, s.source);
    source.BoundQueries(config.retry.receive_timeout_sec);
    ReadSource(source, config.SlotName(d), s);
  } catch (const std::exception& e) {
    s.error = e.what();
  }
  try {
    PgConnection target = PgConnection::Connect(config.Target(d).conninfo, s.target);
    target.BoundQueries(config.retry.receive_timeout_sec);
    *sample = ReadTarget(target, config, d, s);
  } catch (const std::exception& e) {
    s.error += (s.error.empty() ? "" : "; ") + std::string(e.what());
  }
  return s;
}

std::string CountsText(const std::map<std::string, uint64_t>& counts) {
  std::string out;
  for (const auto& [type, n] : counts) out += fmt::format("{}{} {}", out.empty() ? "" : ", ", type, n);
  return out.empty() ? "none" : out;
}

void PrintText(const TaskConfig& config, const DirectionStatus& s) {
  auto lag = ApplyLagSeconds(s, config.sync.heartbeat_interval_sec);
  std::cout << fmt::format("{} ({} -> {}): {}\n", s.direction, s.source, s.target, DeriveState(s));
  std::cout << fmt::format("  slot lag        {} bytes\n", s.slot_lag_bytes);
  std::cout << fmt::format("  apply lag       {}\n", lag ? fmt::format("{:.1f} s", *lag) : "unknown (no heartbeat yet)");
  if (s.transactions_per_sec) {
    std::cout << fmt::format("  rate            {:.1f} transactions/s, {:.1f} rows/s\n", *s.transactions_per_sec,
                             *s.changes_per_sec);
  }
  std::cout << fmt::format("  applied         {} transactions, {} rows since start\n", s.applied_transactions,
                           s.applied_changes);
  std::cout << fmt::format("  conflicts       since start: {}; total: {}\n", CountsText(s.conflicts_since_start),
                           CountsText(s.conflicts_total));
  if (!s.origin_progress.empty()) std::cout << fmt::format("  durable at      {}\n", s.origin_progress);
  if (!s.last_error.empty()) std::cout << fmt::format("  last error      {}\n", LastErrorLine(s));
  if (!s.error.empty()) std::cout << fmt::format("  cannot read     {}\n", s.error);
}

// status --check: one line per problem (ops/health_check.h) and exit 1,
// or one OK line and exit 0.
int PrintCheck(const TaskConfig& config, const std::vector<DirectionStatus>& statuses) {
  std::vector<std::string> problems;
  for (const auto& s : statuses) {
    for (auto& line : HealthProblems(s, config.alerts, config.sync.heartbeat_interval_sec)) {
      problems.push_back(std::move(line));
    }
  }
  for (const auto& line : problems) std::cout << fmt::format("PROBLEM task {}: {}\n", config.name, line);
  if (!problems.empty()) return kExitFound;
  std::cout << HealthOkLine(config.name, statuses, config.sync.heartbeat_interval_sec) << "\n";
  return kExitOk;
}

}  // namespace

int CommandStatus(const StatusOptions& options) {
  TaskConfig config = LoadConfig(options.config_path);
  const Direction directions[] = {Direction::kForward, Direction::kReverse};
  std::vector<DirectionStatus> statuses;
  std::vector<Sample> first(2);
  bool any_running = false;
  for (int i = 0; i < 2; ++i) {
    statuses.push_back(ReadDirection(config, directions[i], &first[i]));
    any_running = any_running || statuses.back().slot_active;
  }
  if (options.check) return PrintCheck(config, statuses);  // no rates: one sample is enough
  if (any_running) {
    // Rates need two samples; the worker refreshes its row about once a second.
    std::this_thread::sleep_for(std::chrono::milliseconds(2200));
    for (int i = 0; i < 2; ++i) {
      Sample second;
      DirectionStatus again = ReadDirection(config, directions[i], &second);
      double dt = second.updated_epoch - first[i].updated_epoch;
      if (again.slot_active && dt > 0.2 && second.transactions >= first[i].transactions &&
          second.changes >= first[i].changes) {
        again.transactions_per_sec = (second.transactions - first[i].transactions) / dt;
        again.changes_per_sec = (second.changes - first[i].changes) / dt;
      }
      statuses[i] = std::move(again);
    }
  }
  if (options.json) {
    nlohmann::json out = {{"task", config.name}, {"directions", nlohmann::json::array()}};
    for (const auto& s : statuses) out["directions"].push_back(ToJson(s, config.sync.heartbeat_interval_sec));
    if (!config.mapping.empty()) {
      const NameMappingSpec& m = config.mapping.spec();
      out["mapping"] = {{"schemas", m.schemas}, {"tables", m.tables}, {"columns", m.columns}};
    }
    std::cout << out.dump(2) << "\n";
  } else {
    std::cout << fmt::format("task {}\n", config.name);
    if (!config.mapping.empty()) {
      // B keeps these objects under other names: the tables named in
      // conflicts of the reverse direction are A's, of the forward B's.
      const NameMappingSpec& m = config.mapping.spec();
      std::cout << "mapping (A -> B)\n";
      for (const auto& [a, b] : m.schemas) std::cout << fmt::format("  schema {} -> {}\n", a, b);
      for (const auto& [a, b] : m.tables) std::cout << fmt::format("  table  {} -> {}\n", a, b);
      for (const auto& [a, b] : m.columns) std::cout << fmt::format("  column {} -> {}\n", a, b);
    }
    for (const auto& s : statuses) PrintText(config, s);
  }
  return kExitOk;
}

}  // namespace pgduplex
