// The precheck rules about the synced tables: the [sync] tables patterns,
// keys, expression unique indexes, inheritance, hypertables, partition
// trees, sequences, replica identity, and what B already holds of A's
// tables.
#include "ops/precheck_rule_families.h"

#include <fmt/format.h>

#include <set>
#include <string>

#include "common/message_text.h"
#include "common/table_scope.h"

namespace pgduplex {
namespace precheck {

namespace {

bool NeedsFullIdentity(ConflictPolicy policy) {
  return policy == ConflictPolicy::kOverwrite || policy == ConflictPolicy::kLastWriteWins;
}

template <typename Pred>
std::vector<std::string> TablesWhere(const ClusterFacts& f, Pred pred) {
  std::vector<std::string> out;
  for (const auto& t : f.tables) {
    if (pred(t)) out.push_back(t.name.Display());
  }
  return out;
}

}  // namespace

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

// Identity columns are applied with OVERRIDING SYSTEM VALUE (their value is
// the row's, from the side that wrote it), and their sequences are
// interleaved like any other: informational.
void IdentityColumns(const std::vector<SequenceFacts>& sequences, Results& out) {
  std::vector<std::string> columns;
  for (const auto& s : sequences) {
    if (s.identity) columns.insert(columns.end(), s.columns.begin(), s.columns.end());
  }
  if (columns.empty()) {
    out.push_back(Pass("identity columns", "a", "none"));
    return;
  }
  out.push_back(Pass("identity columns", "a",
                     fmt::format("{} applied with OVERRIDING SYSTEM VALUE; their sequences are in `sequences`: {}",
                                 columns.size() == 1 ? "1 column" : fmt::format("{} columns", columns.size()),
                                 JoinLimited(columns))));
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

}  // namespace precheck
}  // namespace pgduplex
