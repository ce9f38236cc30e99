#include "common/config.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cmath>
#include <cstring>
#include <regex>
#include <set>
#include <toml++/toml.h>

#include "common/table_options_toml.h"

#include "common/conninfo.h"
#include "common/memory_budget.h"

namespace pgduplex {

const char* ToString(ConflictPolicy policy) {
  switch (policy) {
    case ConflictPolicy::kFail: return "fail";
    case ConflictPolicy::kIgnore: return "ignore";
    case ConflictPolicy::kOverwrite: return "overwrite";
    case ConflictPolicy::kLastWriteWins: return "last-write-wins";
  }
  return "?";
}

const char* ToString(Direction direction) {
  return direction == Direction::kForward ? "forward" : "reverse";
}

const char* ToString(InitialSync initial) {
  switch (initial) {
    case InitialSync::kNone: return "none";
    case InitialSync::kData: return "data";
    case InitialSync::kSchemaAndData: return "schema+data";
  }
  return "?";
}

const char* ToString(ConflictingTables mode) {
  return mode == ConflictingTables::kError ? "error" : "ignore";
}

Direction ParseDirection(const std::string& text) {
  if (text == "forward") return Direction::kForward;
  if (text == "reverse") return Direction::kReverse;
  throw ConfigError(fmt::format("unknown direction \"{}\" (expected forward or reverse)", text));
}

std::string TaskConfig::SlotName(Direction direction) const {
  return fmt::format("pgduplex_{}_{}", name, ToString(direction));
}

const ClusterConfig& TaskConfig::Source(Direction direction) const {
  return direction == Direction::kForward ? a : b;
}

const ClusterConfig& TaskConfig::Target(Direction direction) const {
  return direction == Direction::kForward ? b : a;
}

namespace {
constexpr int kMaxTombstoneRetentionHours = 24 * 366;

// Upper bounds of the numeric keys (README's configuration table).
constexpr int kMaxCopyWorkers = 64;
constexpr int kMaxIndexMemoryMb = 2097151;  // maintenance_work_mem's maximum
constexpr int kMaxBatch = 10000000;
constexpr int kMaxHeartbeatSec = 3600;
constexpr int kMaxRetryMinutes = 525600;  // a year
constexpr double kMaxRate = 1e12;
constexpr int kMaxAlertLagSec = 7 * 24 * 3600;      // a week
constexpr int kMaxAlertRetainedWalMb = 1 << 30;      // 1 PiB
constexpr size_t kMaxConfigBytes = 1 << 20;

// Reads one TOML table against a fixed set of keys; every accessor names the
// file and the dotted key in its error.
class TableReader {
 public:
  TableReader(const toml::table& table, std::string prefix, const std::string& path)
      : table_(table), prefix_(std::move(prefix)), path_(path) {}

  void RejectUnknown(const std::set<std::string>& known) const {
    for (const auto& [key, node] : table_) {
      if (!known.count(std::string(key.str()))) {
        throw Error(Dotted(std::string(key.str())), "unknown key");
      }
    }
  }

  bool Has(const std::string& key) const { return table_.contains(key); }

  std::string String(const std::string& key, const std::string& fallback, bool required = false) const {
    const toml::node* node = table_.get(key);
    if (!node) {
      if (required) throw Error(Dotted(key), "is required");
      return fallback;
    }
    if (!node->is_string()) throw Error(Dotted(key), "must be a string");
    return node->as_string()->get();
  }

  bool Bool(const std::string& key, bool fallback) const {
    const toml::node* node = table_.get(key);
    if (!node) return fallback;
    if (!node->is_boolean()) throw Error(Dotted(key), "must be true or false");
    return node->as_boolean()->get();
  }

  // A finite number in [min, max]; NaN and infinities are refused.
  double Number(const std::string& key, double fallback, double min, double max) const {
    const toml::node* node = table_.get(key);
    if (!node) return fallback;
    double value;
    if (node->is_integer()) {
      value = static_cast<double>(node->as_integer()->get());
    } else if (node->is_floating_point()) {
      value = node->as_floating_point()->get();
    } else {
      throw Error(Dotted(key), "must be a number");
    }
    if (!std::isfinite(value) || value < min || value > max) {
      throw Error(Dotted(key), fmt::format("must be a number between {} and {}", min, max));
    }
    return value;
  }

  // An integer in [min, max], compared as the 64-bit value TOML holds (so a
  // value beyond 32 bits is refused, never cut).
  int Integer(const std::string& key, int fallback, int min, int max) const {
    const toml::node* node = table_.get(key);
    if (!node) return fallback;
    if (!node->is_integer()) throw Error(Dotted(key), "must be an integer");
    int64_t value = node->as_integer()->get();
    if (value < min || value > max) throw Error(Dotted(key), fmt::format("must be between {} and {}", min, max));
    return static_cast<int>(value);
  }

  std::vector<std::string> StringList(const std::string& key, std::vector<std::string> fallback) const {
    const toml::node* node = table_.get(key);
    if (!node) return fallback;
    const toml::array* array = node->as_array();
    if (!array) throw Error(Dotted(key), "must be a list of strings");
    std::vector<std::string> out;
    for (const auto& item : *array) {
      if (!item.is_string()) throw Error(Dotted(key), "must be a list of strings");
      out.push_back(item.as_string()->get());
    }
    return out;
  }

  const toml::table* Subtable(const std::string& key, bool required) const {
    const toml::node* node = table_.get(key);
    if (!node) {
      if (required) throw Error(key, "section is required");
      return nullptr;
    }
    if (!node->is_table()) throw Error(key, "must be a [section]");
    return node->as_table();
  }

  ConfigError Error(const std::string& key, const std::string& what) const {
    return ConfigError(fmt::format("{}: {} {}", path_, key, what));
  }

 private:
  std::string Dotted(const std::string& key) const { return prefix_.empty() ? key : prefix_ + "." + key; }

  const toml::table& table_;
  std::string prefix_;
  const std::string& path_;
};

template <typename Enum, size_t N>
Enum ParseChoice(const TableReader& reader, const std::string& key, const std::string& dotted,
                 const std::pair<const char*, Enum> (&choices)[N], Enum fallback) {
  if (!reader.Has(key)) return fallback;
  std::string text = reader.String(key, "");
  std::string allowed;
  for (const auto& [name, value] : choices) {
    if (text == name) return value;
    allowed += allowed.empty() ? name : std::string(" | ") + name;
  }
  throw reader.Error(dotted, fmt::format("has unknown value \"{}\" (expected {})", text, allowed));
}

void ValidateTablePattern(const TableReader& reader, const std::string& pattern) {
  static const std::regex kPattern(R"(^[^.\s]+\.[^.\s]+$)");
  if (!std::regex_match(pattern, kPattern)) {
    throw reader.Error("sync.tables",
                       fmt::format("entry \"{}\" is not schema.table or schema.*", pattern));
  }
}

// [mapping]: three tables of strings (common/name_mapping.h).
NameMapping ReadMapping(const TableReader& root, const std::vector<std::string>& scope, const std::string& path) {
  const toml::table* section = root.Subtable("mapping", false);
  if (!section) return NameMapping();
  TableReader reader(*section, "mapping", path);
  reader.RejectUnknown({"schemas", "tables", "columns"});
  NameMappingSpec spec;
  for (auto [key, out] : {std::pair{"schemas", &spec.schemas}, {"tables", &spec.tables}, {"columns", &spec.columns}}) {
    const toml::node* node = section->get(key);
    if (!node) continue;
    const std::string dotted = std::string("mapping.") + key;
    if (!node->is_table()) throw reader.Error(dotted, "must be a table of \"A name\" = \"B name\"");
    for (const auto& [from, to] : *node->as_table()) {
      if (!to.is_string()) throw reader.Error(dotted, fmt::format("entry \"{}\" must be a string", from.str()));
      (*out)[std::string(from.str())] = to.as_string()->get();
    }
  }
  try {
    return NameMapping::Build(spec, scope);
  } catch (const ConfigError& e) {
    throw ConfigError(fmt::format("{}: {}", path, e.what()));
  }
}

ClusterConfig ReadCluster(const TableReader& root, const std::string& label, const std::string& path) {
  TableReader reader(*root.Subtable(label, true), label, path);
  reader.RejectUnknown({"conninfo"});
  ClusterConfig cluster;
  cluster.conninfo = reader.String("conninfo", "", true);
  // A conninfo libpq cannot parse is a config error now, not a connection
  // failure retried for retry.connection_retry_minutes.
  if (auto error = ConninfoError(cluster.conninfo)) throw reader.Error(label + ".conninfo", *error);
  return cluster;
}

AlertsConfig ReadAlerts(const TableReader& root, const std::string& path) {
  AlertsConfig alerts;
  const toml::table* table = root.Subtable("alerts", false);
  if (!table) return alerts;
  TableReader reader(*table, "alerts", path);
  reader.RejectUnknown({"max_lag_sec", "max_retained_wal_mb", "max_conflicts_per_hour"});
  alerts.max_lag_sec = reader.Integer("max_lag_sec", alerts.max_lag_sec, 1, kMaxAlertLagSec);
  alerts.max_retained_wal_mb =
      reader.Integer("max_retained_wal_mb", alerts.max_retained_wal_mb, 1, kMaxAlertRetainedWalMb);
  alerts.max_conflicts_per_hour =
      reader.Integer("max_conflicts_per_hour", alerts.max_conflicts_per_hour, 0, INT32_MAX);
  return alerts;
}

}  // namespace

TaskConfig ParseConfig(const std::string& toml_text, const std::string& path) {
  toml::table root_table;
  try {
    root_table = toml::parse(toml_text, path);
  } catch (const toml::parse_error& e) {
    const auto& where = e.source().begin;
    throw ConfigError(fmt::format("{}:{}:{}: {}", path, where.line, where.column, e.description()));
  }

  TaskConfig config;
  config.path = path;
  TableReader root(root_table, "", path);
  root.RejectUnknown({"name", "a", "b", "sync", "retry", "alerts", "table", "mapping"});

  config.name = root.String("name", "", true);
  static const std::regex kName("^[a-z0-9_]{1,40}$");
  if (!std::regex_match(config.name, kName)) {
    throw root.Error("name", "must be 1-40 characters of a-z, 0-9 and _ (it becomes part of slot names)");
  }
  config.a = ReadCluster(root, "a", path);
  config.b = ReadCluster(root, "b", path);

  if (const toml::table* sync_table = root.Subtable("sync", false)) {
    TableReader sync(*sync_table, "sync", path);
    sync.RejectUnknown({"tables", "conflict_policy", "ddl", "initial", "conflicting_tables",
                        "copy_workers", "copy_max_rows_per_sec", "copy_max_mb_per_sec", "copy_split_rows", "copy_index_memory_mb",
                        "apply_max_rows_per_sec", "apply_max_mb_per_sec", "batch_max_transactions",
                        "batch_max_changes", "heartbeat_interval_sec", "apply_as_table_owner",
                        "tombstone_retention_hours", "apply_memory_mb", "streaming", "spool_directory"});
    SyncConfig& s = config.sync;
    s.tables = sync.StringList("tables", s.tables);
    if (s.tables.empty()) throw sync.Error("sync.tables", "must name at least one table pattern");
    for (const auto& pattern : s.tables) ValidateTablePattern(sync, pattern);
    static const std::pair<const char*, ConflictPolicy> kPolicies[] = {
        {"fail", ConflictPolicy::kFail},
        {"ignore", ConflictPolicy::kIgnore},
        {"overwrite", ConflictPolicy::kOverwrite},
        {"last-write-wins", ConflictPolicy::kLastWriteWins}};
    s.conflict_policy = ParseChoice(sync, "conflict_policy", "sync.conflict_policy", kPolicies, s.conflict_policy);
    s.ddl = sync.Bool("ddl", s.ddl);
    static const std::pair<const char*, InitialSync> kInitial[] = {
        {"none", InitialSync::kNone}, {"data", InitialSync::kData}, {"schema+data", InitialSync::kSchemaAndData}};
    s.initial = ParseChoice(sync, "initial", "sync.initial", kInitial, s.initial);
    static const std::pair<const char*, ConflictingTables> kConflicting[] = {
        {"error", ConflictingTables::kError}, {"ignore", ConflictingTables::kIgnore}};
    s.conflicting_tables = ParseChoice(sync, "conflicting_tables", "sync.conflicting_tables", kConflicting,
                                       s.conflicting_tables);
    s.copy_workers = sync.Integer("copy_workers", s.copy_workers, 1, kMaxCopyWorkers);
    s.copy_max_rows_per_sec = sync.Number("copy_max_rows_per_sec", s.copy_max_rows_per_sec, 0, kMaxRate);
    s.copy_max_mb_per_sec = sync.Number("copy_max_mb_per_sec", s.copy_max_mb_per_sec, 0, kMaxRate);
    s.copy_split_rows = sync.Integer("copy_split_rows", s.copy_split_rows, 0, INT32_MAX);
    s.copy_index_memory_mb = sync.Integer("copy_index_memory_mb", s.copy_index_memory_mb, 1, kMaxIndexMemoryMb);
    s.apply_max_rows_per_sec = sync.Number("apply_max_rows_per_sec", s.apply_max_rows_per_sec, 0, kMaxRate);
    s.apply_max_mb_per_sec = sync.Number("apply_max_mb_per_sec", s.apply_max_mb_per_sec, 0, kMaxRate);
    s.batch_max_transactions = sync.Integer("batch_max_transactions", s.batch_max_transactions, 1, kMaxBatch);
    s.batch_max_changes = sync.Integer("batch_max_changes", s.batch_max_changes, 1, kMaxBatch);
    s.apply_memory_mb =
        sync.Integer("apply_memory_mb", s.apply_memory_mb, MemoryBudget::kMinMb, MemoryBudget::kMaxMb);
    s.heartbeat_interval_sec =
        sync.Integer("heartbeat_interval_sec", s.heartbeat_interval_sec, 1, kMaxHeartbeatSec);
    s.apply_as_table_owner = sync.Bool("apply_as_table_owner", s.apply_as_table_owner);
    s.tombstone_retention_hours =
        sync.Integer("tombstone_retention_hours", s.tombstone_retention_hours, 1, kMaxTombstoneRetentionHours);
    s.streaming_explicit = sync.Has("streaming");
    s.streaming = sync.Bool("streaming", s.streaming);
    s.spool_directory = sync.String("spool_directory", s.spool_directory);
    if (sync.Has("spool_directory") && s.spool_directory.empty()) {
      throw sync.Error("sync.spool_directory", "must not be empty (leave it out for the default)");
    }
  }

  config.mapping = ReadMapping(root, config.sync.tables, path);

  if (const toml::table* retry_table = root.Subtable("retry", false)) {
    TableReader retry(*retry_table, "retry", path);
    retry.RejectUnknown({"connection_retry_minutes", "error_retry_minutes", "receive_timeout_sec"});
    config.retry.connection_retry_minutes =
        retry.Integer("connection_retry_minutes", config.retry.connection_retry_minutes, 0, kMaxRetryMinutes);
    config.retry.error_retry_minutes =
        retry.Integer("error_retry_minutes", config.retry.error_retry_minutes, 0, kMaxRetryMinutes);
    config.retry.receive_timeout_sec =
        retry.Integer("receive_timeout_sec", config.retry.receive_timeout_sec, 2, 3600);
  }
  config.alerts = ReadAlerts(root, path);
  config.table_options = ParseTableOptions(root_table, config.sync.tables, path);
  return config;
}

TaskConfig LoadConfig(const std::string& path) {
  // A regular file of at most 1 MiB: /dev/zero, a FIFO or a huge file must
  // fail at once with a message, not read until memory runs out.
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) throw ConfigError(fmt::format("{}: cannot read config file: {}", path, strerror(errno)));
  struct stat st;
  if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    close(fd);
    throw ConfigError(fmt::format("{}: config file is not a regular file", path));
  }
  std::string text;
  char buffer[65536];
  for (;;) {
    ssize_t n = read(fd, buffer, sizeof buffer);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      int error = errno;
      close(fd);
      throw ConfigError(fmt::format("{}: cannot read config file: {}", path, strerror(error)));
    }
    if (n == 0) break;
    text.append(buffer, static_cast<size_t>(n));
    if (text.size() > kMaxConfigBytes) {
      close(fd);
      throw ConfigError(fmt::format("{}: config file is larger than 1 MiB", path));
    }
  }
  close(fd);
  TaskConfig config = ParseConfig(text, path);
  config.file_mode = static_cast<int>(st.st_mode & 07777);
  return config;
}

}  // namespace pgduplex
