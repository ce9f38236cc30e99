#include "ops/precheck_rules.h"

#include "common/config_secrets.h"
#include "ops/grant_script.h"
#include "common/sql_lexer.h"

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <optional>
#include <set>

namespace pgduplex {

namespace {

using Results = std::vector<CheckResult>;

bool NeedsFullIdentity(ConflictPolicy policy) {
  return policy == ConflictPolicy::kOverwrite || policy == ConflictPolicy::kLastWriteWins;
}

void Connection(const ClusterFacts& f, Results& out) {
  if (f.connected) {
    out.push_back(Pass("connection", f.label, fmt::format("PostgreSQL {} as {}", f.server_version, f.role)));
  } else {
    out.push_back(Fail("connection", f.label, f.connect_error,
                       fmt::format("check [{}] conninfo, the server and pg_hba.conf", f.label)));
  }
}

void ConfigFile(const TaskConfig& config, Results& out) {
  if (auto warning = ReadablePasswordWarning(config)) {
    out.push_back(Warn("config file", "a+b", *warning, ChmodFix(config)));
  } else {
    out.push_back(Pass("config file", "a+b", "no password readable by other users"));
  }
}

void WalLevel(const ClusterFacts& f, Results& out) {
  if (f.wal_level == "logical") {
    out.push_back(Pass("wal_level", f.label, "logical"));
  } else {
    out.push_back(Fail("wal_level", f.label, fmt::format("wal_level = {}", f.wal_level),
                       "ALTER SYSTEM SET wal_level = logical; then restart the server"));
  }
}

bool ListsPgduplex(const std::string& libraries) {
  size_t start = 0;
  while (start <= libraries.size()) {
    size_t comma = libraries.find(',', start);
    std::string item = libraries.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
    item.erase(0, item.find_first_not_of(" \t\""));
    item.erase(item.find_last_not_of(" \t\"") + 1);
    if (item == "pgduplex") return true;
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  return false;
}

void OutputPluginAllowed(const ClusterFacts& f, Results& out) {
  if (f.output_plugin_libraries_unreadable) {
    out.push_back(Warn("output plugin allowed", f.label,
                       fmt::format("{} may not read output_plugin_libraries (superuser-only): if it does not list "
                                   "pgduplex, creating the slot fails",
                                   f.role),
                       fmt::format("as a superuser: SHOW output_plugin_libraries; (it must list pgduplex), or "
                                   "GRANT pg_read_all_settings TO {}; so that precheck reads it",
                                   QuoteIdent(f.role))));
  } else if (!f.output_plugin_libraries) {
    out.push_back(Pass("output plugin allowed", f.label, "no allow-list on this server"));
  } else if (ListsPgduplex(*f.output_plugin_libraries)) {
    out.push_back(Pass("output plugin allowed", f.label, "pgduplex is in output_plugin_libraries"));
  } else {
    out.push_back(Fail("output plugin allowed", f.label,
                       fmt::format("output_plugin_libraries = '{}' does not list pgduplex",
                                   *f.output_plugin_libraries),
                       fmt::format("ALTER SYSTEM SET output_plugin_libraries = '{}, pgduplex'; "
                                   "SELECT pg_reload_conf();",
                                   *f.output_plugin_libraries)));
  }
}

void Slots(const ClusterFacts& f, const std::string& slot, Results& out) {
  int free_slots = f.max_replication_slots - f.used_replication_slots;
  if (f.task_slot_exists) {
    out.push_back(Pass("replication slots", f.label, fmt::format("slot {} exists ({} of {} used)", slot,
                                                                 f.used_replication_slots, f.max_replication_slots)));
  } else if (free_slots >= 1) {
    out.push_back(Pass("replication slots", f.label,
                       fmt::format("{} free ({} of {} used)", free_slots, f.used_replication_slots,
                                   f.max_replication_slots)));
  } else {
    out.push_back(Fail("replication slots", f.label,
                       fmt::format("no free slot ({} of {} used)", f.used_replication_slots, f.max_replication_slots),
                       "raise max_replication_slots (restart) or drop an unused slot"));
  }
}

void WalSenders(const ClusterFacts& f, Results& out) {
  int free_senders = f.max_wal_senders - f.used_wal_senders;
  std::string detail = fmt::format("{} free ({} of {} used)", free_senders, f.used_wal_senders, f.max_wal_senders);
  if (free_senders >= 1) {
    out.push_back(Pass("wal senders", f.label, detail));
  } else {
    out.push_back(Fail("wal senders", f.label, detail, "raise max_wal_senders (restart)"));
  }
}

void Extension(const ClusterFacts& f, Results& out) {
  if (!f.extension_version) {
    out.push_back(Fail("extension", f.label, "pgduplex is not installed in this database",
                       f.extension_available ? "CREATE EXTENSION pgduplex (or run precheck --fix)"
                                             : "install the pgduplex package on this server (make install), "
                                               "then CREATE EXTENSION pgduplex"));
  } else if (f.extension_available && *f.extension_available != *f.extension_version) {
    out.push_back(Warn("extension", f.label,
                       fmt::format("pgduplex {} installed, {} available", *f.extension_version, *f.extension_available),
                       "ALTER EXTENSION pgduplex UPDATE"));
  } else {
    out.push_back(Pass("extension", f.label, fmt::format("pgduplex {}", *f.extension_version)));
  }
}

void ExtensionVersions(const ClusterFacts& a, const ClusterFacts& b, Results& out) {
  if (!a.extension_version || !b.extension_version) return;  // already FAILed per cluster
  if (*a.extension_version == *b.extension_version) {
    out.push_back(Pass("extension version", "a+b", fmt::format("both {}", *a.extension_version)));
  } else {
    out.push_back(Fail("extension version", "a+b",
                       fmt::format("a has {}, b has {}", *a.extension_version, *b.extension_version),
                       "install the same pgduplex version on both, then ALTER EXTENSION pgduplex UPDATE"));
  }
}

// One line per missing privilege, with the statement that grants it;
// memberships in owner roles are the "apply as table owner" check's.
void Privileges(const ClusterFacts& f, Results& out) {
  size_t missing = 0;
  for (const auto& held : f.grants) {
    if (held.grant.kind == Grant::Kind::kMembership || held.missing.empty()) continue;
    // Without the extension its tables are not there to grant on: the
    // extension check FAILs already.
    if (!f.extension_version && held.grant.object.rfind("pgduplex.", 0) == 0) continue;
    if (held.grant.kind == Grant::Kind::kRoleAttributes) {
      for (const auto& p : held.missing) {
        ++missing;
        out.push_back(Fail("privileges", f.label,
                           fmt::format("{} lacks {} ({})", f.role, DescribePrivilege(held.grant, p), held.grant.why),
                           GrantStatement(held.grant, f.role, {p})));
      }
      continue;
    }
    ++missing;
    std::string privileges;
    for (const auto& p : held.missing) privileges += (privileges.empty() ? "" : ", ") + p;
    std::string what = DescribePrivilege(held.grant, privileges);
    out.push_back(Fail("privileges", f.label, fmt::format("{} lacks {} ({})", f.role, what, held.grant.why),
                       GrantStatement(held.grant, f.role, held.missing)));
  }
  if (missing == 0) {
    out.push_back(Pass("privileges", f.label,
                       fmt::format("{}{}", f.role, f.superuser ? " is superuser" : " has what is needed")));
  }
}

void Patterns(const TaskConfig& config, const ClusterFacts& a, Results& out) {
  std::vector<TableName> names;
  for (const auto& t : a.tables) names.push_back(t.name);
  TableScope scope(config.sync.tables);
  auto unmatched = scope.UnmatchedPatterns(names);
  if (unmatched.empty()) {
    out.push_back(Pass("table patterns", "a", fmt::format("{} table{} selected", names.size(),
                                                          names.size() == 1 ? "" : "s")));
    return;
  }
  for (const auto& pattern : unmatched) {
    out.push_back(Fail("table patterns", "a", fmt::format("\"{}\" matches no table", pattern),
                       "fix the pattern in [sync] tables or create the table on A"));
  }
}

template <typename Pred>
std::vector<std::string> TablesWhere(const ClusterFacts& f, Pred pred) {
  std::vector<std::string> out;
  for (const auto& t : f.tables) {
    if (pred(t)) out.push_back(t.name.Display());
  }
  return out;
}

void PrimaryKeys(const ClusterFacts& f, Results& out) {
  auto keyless = TablesWhere(f, [](const TableFacts& t) { return t.relkind == 'r' && !t.has_key; });
  if (keyless.empty()) {
    out.push_back(Pass("primary keys", f.label, "every table has a primary key or NOT NULL unique index"));
  } else {
    out.push_back(Fail("primary keys", f.label, "no primary key or NOT NULL unique index: " + JoinLimited(keyless),
                       "ALTER TABLE ... ADD PRIMARY KEY (...), or leave the table out of [sync] tables"));
  }
}

void ExpressionIndexes(const ClusterFacts& f, Results& out) {
  std::vector<std::string> found;
  for (const auto& t : f.tables) {
    for (const auto& index : t.expression_unique_indexes) found.push_back(t.name.Display() + " (" + index + ")");
  }
  if (found.empty()) {
    out.push_back(Pass("expression unique indexes", f.label, "none"));
  } else {
    out.push_back(Fail("expression unique indexes", f.label, "unique index on an expression: " + JoinLimited(found),
                       "replace it by a unique index on plain columns (conflicts on it cannot be resolved)"));
  }
}

void Inheritance(const ClusterFacts& f, Results& out) {
  std::set<std::string> links;
  for (const auto& t : f.tables) links.insert(t.cross_schema_inheritance.begin(), t.cross_schema_inheritance.end());
  if (links.empty()) {
    out.push_back(Pass("inheritance", f.label, "no cross-schema inheritance"));
  } else {
    out.push_back(Fail("inheritance", f.label,
                       "inheritance across schemas: " + JoinLimited({links.begin(), links.end()}),
                       "keep parent and children in one schema, or leave them out of [sync] tables"));
  }
}

void Timescale(const ClusterFacts& f, Results& out) {
  if (!f.timescaledb) {
    out.push_back(Pass("timescaledb", f.label, "not installed"));
    return;
  }
  auto hyper = TablesWhere(f, [](const TableFacts& t) { return t.hypertable; });
  if (hyper.empty()) {
    out.push_back(Pass("timescaledb", f.label, "no hypertable in scope"));
  } else {
    out.push_back(Fail("timescaledb", f.label, "hypertables cannot be synced: " + JoinLimited(hyper),
                       "leave them out of [sync] tables"));
  }
}

void Partitions(const TaskConfig& config, const ClusterFacts& f, Results& out) {
  TableScope scope(config.sync.tables);
  std::vector<std::string> outside;
  size_t parents = 0;
  for (const auto& t : f.tables) {
    if (t.relkind != 'p') continue;
    ++parents;
    for (const auto& part : t.partitions) {
      size_t dot = part.find('.');
      if (!scope.Matches(part.substr(0, dot), part.substr(dot + 1))) {
        outside.push_back(fmt::format("{} of {}", part, t.name.Display()));
      }
    }
  }
  if (outside.empty()) {
    out.push_back(Pass("partitions", f.label,
                       parents ? fmt::format("{} partitioned table{} complete", parents, parents == 1 ? "" : "s")
                               : "no partitioned table"));
  } else {
    out.push_back(Fail("partitions", f.label, "partition outside the scope: " + JoinLimited(outside),
                       "add the partitions to [sync] tables (e.g. schema.*)"));
  }
}

// A sequence missing on B is created by the initial copy (when it copies
// the schema), interleaved when A's is (initial_sync/copied_sequences.h).
void Sequences(const std::vector<SequenceFacts>& sequences, bool have_b, bool copy_creates, Results& out) {
  if (sequences.empty()) {
    out.push_back(Pass("sequences", "a+b", "no serial/identity sequence in scope"));
    return;
  }
  std::vector<std::string> plain;
  size_t by_copy = 0;
  for (const auto& s : sequences) {
    bool a_interleaved = s.on_a.exists && s.on_a.increment == 2 && ((s.on_a.NextValue() % 2) + 2) % 2 == 1;
    bool interleaved = have_b && a_interleaved && s.on_b.exists && s.on_b.increment == 2 &&
                       ((s.on_b.NextValue() % 2) + 2) % 2 == 0;
    bool created_interleaved = have_b && a_interleaved && !s.on_b.exists && copy_creates;
    if (created_interleaved) ++by_copy;
    if (!interleaved && !created_interleaved) plain.push_back(s.sequence.Display());
  }
  if (plain.empty()) {
    std::string detail = fmt::format("{} sequence{} interleaved (A odd, B even)", sequences.size(),
                                     sequences.size() == 1 ? "" : "s");
    if (by_copy > 0) detail += fmt::format("; {} missing on B: the initial copy creates them interleaved", by_copy);
    out.push_back(Pass("sequences", "a+b", detail));
  } else {
    out.push_back(Warn("sequences", "a+b",
                       "sequences are not replicated; inserts with default ids on both sides collide: " +
                           JoinLimited(plain),
                       "for writes on both sides run `pgduplex sequences --interleave`; for switchover "
                       "`pgduplex sequences --apply`"));
  }
}

void ReplicaIdentity(ConflictPolicy policy, const ClusterFacts& f, Results& out) {
  if (!NeedsFullIdentity(policy)) {
    out.push_back(Pass("replica identity", f.label, fmt::format("FULL not needed under {}", ToString(policy))));
    return;
  }
  auto not_full = TablesWhere(f, [](const TableFacts& t) { return t.relkind == 'r' && t.replica_identity != 'f'; });
  std::vector<std::string> fixed;
  for (const auto& x : f.fixed) {
    if (x.find("REPLICA IDENTITY") != std::string::npos) fixed.push_back(x);
  }
  if (not_full.empty()) {
    out.push_back(Pass("replica identity", f.label,
                       fixed.empty() ? "FULL on every table"
                                     : fmt::format("FULL on every table (--fix set {} table{})", fixed.size(),
                                                   fixed.size() == 1 ? "" : "s")));
  } else {
    out.push_back(Warn("replica identity", f.label,
                       fmt::format("not FULL, so an update of a row missing on the peer cannot become an insert "
                                   "under {}: {}",
                                   ToString(policy), JoinLimited(not_full)),
                       "pgduplex precheck --fix (ALTER TABLE ... REPLICA IDENTITY FULL on both clusters)"));
  }
}

void CommitTimestamp(ConflictPolicy policy, const ClusterFacts& f, Results& out) {
  if (policy != ConflictPolicy::kLastWriteWins) {
    out.push_back(Pass("track_commit_timestamp", f.label,
                       fmt::format("{} (needed only for last-write-wins)", f.track_commit_timestamp ? "on" : "off")));
  } else if (f.track_commit_timestamp) {
    out.push_back(Pass("track_commit_timestamp", f.label, "on"));
  } else {
    out.push_back(Fail("track_commit_timestamp", f.label, "off, but conflict_policy = last-write-wins",
                       "ALTER SYSTEM SET track_commit_timestamp = on; then restart the server"));
  }
}

void TargetTables(const SyncConfig& sync, const ClusterFacts& a, const ClusterFacts& b, Results& out) {
  std::set<std::string> on_b;
  std::set<std::string> with_rows;
  for (const auto& t : b.tables) {
    on_b.insert(t.name.Display());
    if (t.has_rows) with_rows.insert(t.name.Display());
  }
  std::vector<std::string> missing, populated;
  for (const auto& t : a.tables) {
    std::string name = t.name.Display();
    if (!on_b.count(name)) {
      missing.push_back(name);
    } else if (with_rows.count(name) && t.relkind == 'r') {
      populated.push_back(name);
    }
  }
  if (sync.initial != InitialSync::kSchemaAndData && !missing.empty()) {
    out.push_back(Fail("target tables", "b",
                       fmt::format("missing on B (initial = {} creates no table): {}", ToString(sync.initial),
                                   JoinLimited(missing)),
                       "create them on B (pg_dump --schema-only) or set initial = \"schema+data\""));
  }
  if (sync.initial == InitialSync::kNone) {
    if (missing.empty()) out.push_back(Pass("target tables", "b", "initial = none: no copy, existing rows kept"));
    return;
  }
  if (populated.empty()) {
    out.push_back(Pass("target tables", "b", "no table in scope has rows on B"));
  } else if (sync.conflicting_tables == ConflictingTables::kError) {
    out.push_back(Fail("target tables", "b", "already have rows on B: " + JoinLimited(populated),
                       "empty them on B, or set conflicting_tables = \"ignore\" (keep B's rows, skip A's rows with "
                       "the same key)"));
  } else {
    out.push_back(Warn("target tables", "b",
                       "already have rows on B (conflicting_tables = ignore keeps them): " + JoinLimited(populated),
                       "run `pgduplex verify` after the initial sync"));
  }
}

bool ExtensionHasRunAs(const std::optional<std::string>& version) {
  if (!version) return false;
  size_t dot = version->find('.');
  try {
    int major = std::stoi(version->substr(0, dot));
    int minor = dot == std::string::npos ? 0 : std::stoi(version->substr(dot + 1));
    return major > 1 || (major == 1 && minor >= 1);
  } catch (const std::exception&) {
    return false;
  }
}

// Each cluster is the target of one direction: its tables' changes run as
// their owners (sync.apply_as_table_owner), which needs run_as (extension
// 1.1) and a worker role that may act as every owner.
void ApplyAsOwner(const SyncConfig& sync, const ClusterFacts& f, Results& out) {
  const char* check = "apply as table owner";
  if (!sync.apply_as_table_owner) {
    out.push_back(Warn(check, f.label,
                       "sync.apply_as_table_owner = false: triggers, CHECK constraints and index expressions of "
                       "synced tables run with the rights of " + f.role + (f.superuser ? " (superuser)" : "") +
                           ", so every table owner is trusted with them",
                       "set sync.apply_as_table_owner = true (needs extension 1.1) unless you trust every owner"));
    return;
  }
  if (!f.extension_version) return;  // the extension check already FAILs
  if (!ExtensionHasRunAs(f.extension_version)) {
    out.push_back(Fail(check, f.label,
                       fmt::format("pgduplex {} cannot apply changes as the table owner (the worker refuses to "
                                   "start)",
                                   *f.extension_version),
                       "ALTER EXTENSION pgduplex UPDATE (or set sync.apply_as_table_owner = false)"));
    return;
  }
  // Owners of this cluster's tables, and (grants) those of the peer's tables
  // the initial copy gives their owner here; quoted names.
  std::set<std::string> owners;
  for (const auto& t : f.tables) {
    if (!t.owner.empty() && !t.worker_acts_as_owner) owners.insert(QuoteIdent(t.owner));
  }
  for (const auto& held : f.grants) {
    if (held.grant.kind == Grant::Kind::kMembership && !held.missing.empty()) owners.insert(held.grant.object);
  }
  if (owners.empty()) {
    out.push_back(Pass(check, f.label, f.superuser ? f.role + " is superuser" : f.role + " may act as every owner"));
    return;
  }
  for (const auto& o : owners) {
    out.push_back(Fail(check, f.label,
                       fmt::format("{} is not a member of {}, which owns synced tables (their changes are applied "
                                   "as their owner)",
                                   f.role, o),
                       fmt::format("GRANT {} TO {};", o, QuoteIdent(f.role))));
  }
}

// Initial sync keeps owners and DDL runs as its author: every owner of a
// synced table should exist on the other side.
void TableOwners(const ClusterFacts& a, const ClusterFacts& b, Results& out) {
  std::vector<std::string> missing;
  for (const auto& pair : {std::make_pair(&a, &b), std::make_pair(&b, &a)}) {
    const ClusterFacts& from = *pair.first;
    const ClusterFacts& to = *pair.second;
    std::set<std::string> seen;
    for (const auto& t : from.tables) {
      if (t.owner.empty() || to.roles.count(t.owner) || !seen.insert(t.owner).second) continue;
      missing.push_back(fmt::format("{} (owns {} on {}, missing on {})", t.owner, t.name.Display(), from.label,
                                    to.label));
    }
  }
  if (missing.empty()) {
    out.push_back(Pass("table owners", "a+b", "every owner of a synced table exists on both clusters"));
  } else {
    out.push_back(Warn("table owners", "a+b", "owner missing on the other cluster: " + JoinLimited(missing),
                       "CREATE ROLE on the other cluster (else the initial copy leaves those tables to the "
                       "worker's role and DDL by that role is not applied there)"));
  }
}

// The initial copy grants A's privileges on the tables it creates to the
// roles that exist on B: name the others beforehand.
void TableGrantees(const ClusterFacts& a, const ClusterFacts& b, Results& out) {
  std::map<std::string, std::vector<std::string>> missing;  // role -> tables
  for (const auto& t : a.tables) {
    for (const auto& role : t.grantees) {
      if (!b.roles.count(role)) missing[role].push_back(t.name.Display());
    }
  }
  if (missing.empty()) {
    out.push_back(Pass("table grantees", "a+b", "every role granted privileges on a synced table of a exists on b"));
    return;
  }
  std::string roles;
  for (const auto& [role, tables] : missing) {
    roles += fmt::format("{}{} (on {})", roles.empty() ? "" : "; ", role, JoinLimited(tables, 5));
  }
  out.push_back(Warn("table grantees", "a+b", "granted on a, missing on b: " + roles,
                     "CREATE ROLE on b before the initial copy (it grants a's privileges only to roles that exist "
                     "on b; the others must be granted by hand there)"));
}

// Checks of B's tables cannot apply while B has none of A's tables yet.
std::optional<std::string> AwaitingTables(const SyncConfig& sync, const ClusterFacts& a, const ClusterFacts& f) {
  if (f.label != "b" || !f.tables.empty() || a.tables.empty()) return std::nullopt;
  if (sync.initial == InitialSync::kSchemaAndData) return std::string("n/a: B has no tables yet; the initial copy creates them");
  return std::string("n/a: B has none of the synced tables");
}

}  // namespace

std::vector<CheckResult> EvaluatePrecheck(const PrecheckInput& input) {
  const TaskConfig& config = *input.config;
  const ClusterFacts& a = input.a;
  const ClusterFacts& b = input.b;
  const ConflictPolicy policy = config.sync.conflict_policy;
  Results out;
  Connection(a, out);
  Connection(b, out);
  ConfigFile(config, out);
  for (const ClusterFacts* f : {&a, &b}) {
    if (f->connected) WalLevel(*f, out);
  }
  for (const ClusterFacts* f : {&a, &b}) {
    if (f->connected) OutputPluginAllowed(*f, out);
  }
  if (a.connected) Slots(a, config.SlotName(Direction::kForward), out);
  if (b.connected) Slots(b, config.SlotName(Direction::kReverse), out);
  for (const ClusterFacts* f : {&a, &b}) {
    if (f->connected) WalSenders(*f, out);
  }
  for (const ClusterFacts* f : {&a, &b}) {
    if (f->connected) Extension(*f, out);
  }
  if (a.connected && b.connected) ExtensionVersions(a, b, out);
  if (a.connected) Privileges(a, out);
  if (b.connected) Privileges(b, out);
  if (!a.connected) return out;  // every check below starts from A's tables

  // A check of B's tables, or SKIP while B has none.
  auto per_cluster = [&](const char* check, auto rule) {
    for (const ClusterFacts* f : {&a, &b}) {
      if (!f->connected) continue;
      if (auto why = AwaitingTables(config.sync, a, *f)) {
        out.push_back(Skip(check, f->label, *why));
      } else {
        rule(*f);
      }
    }
  };

  Patterns(config, a, out);
  per_cluster("primary keys", [&](const ClusterFacts& f) { PrimaryKeys(f, out); });
  per_cluster("expression unique indexes", [&](const ClusterFacts& f) { ExpressionIndexes(f, out); });
  per_cluster("inheritance", [&](const ClusterFacts& f) { Inheritance(f, out); });
  for (const ClusterFacts* f : {&a, &b}) {
    if (f->connected) Timescale(*f, out);
  }
  per_cluster("partitions", [&](const ClusterFacts& f) { Partitions(config, f, out); });
  Sequences(input.sequences, b.connected, config.sync.initial == InitialSync::kSchemaAndData, out);
  per_cluster("replica identity", [&](const ClusterFacts& f) { ReplicaIdentity(policy, f, out); });
  for (const ClusterFacts* f : {&a, &b}) {
    if (f->connected) CommitTimestamp(policy, *f, out);
  }
  if (b.connected) TargetTables(config.sync, a, b, out);
  for (const ClusterFacts* f : {&a, &b}) {
    if (f->connected) ApplyAsOwner(config.sync, *f, out);
  }
  if (b.connected) TableOwners(a, b, out);
  if (b.connected) TableGrantees(a, b, out);
  return out;
}

}  // namespace pgduplex
