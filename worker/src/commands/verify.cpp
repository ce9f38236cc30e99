// pgduplex verify [--repair] [--table T] [--max-keys N]: compares every
// table of the task on A and B (ops/table_compare.h), prints one summary
// line per table and the differing keys, then the sequences (informational).
// --repair makes B match A for the differing keys, one transaction per table,
// under session_replication_role = replica and, when it exists and is free,
// the forward direction's replication origin (so the reverse worker does not
// send the repair back to A; if it does, it changes nothing there).
// Exit 0 when identical (or every difference was repaired), 1 otherwise.
// A table with [table] rules compares only the rows both directions' row
// filters pass, and lists the differences its operations explain apart
// ("expected", ops/expected_differences.h): they are neither failures nor
// repaired.
#include <fmt/format.h>

#include <algorithm>
#include <iostream>
#include <optional>
#include <set>

#include "commands/commands.h"
#include "common/message_text.h"
#include "common/sql_lexer.h"
#include "ops/catalog.h"
#include "ops/expected_differences.h"
#include "ops/table_compare.h"

namespace pgduplex {

namespace {

TableName ParseTableArg(const std::string& text) {
  size_t dot = text.find('.');
  if (dot == std::string::npos) return {"public", text};
  return {text.substr(0, dot), text.substr(dot + 1)};
}

bool SlotActive(PgConnection& conn, const std::string& slot) {
  return conn.Scalar("SELECT active FROM pg_replication_slots WHERE slot_name = $1", {slot}) == "t";
}

std::string Plural(int64_t n, const char* word) { return fmt::format("{} {}{}", n, word, n == 1 ? "" : "s"); }

void PrintKeys(const TableComparison& c, int max_keys) {
  int shown = 0;
  size_t total = c.diff.size();
  auto list = [&](const char* label, const std::vector<KeyTuple>& keys) {
    for (const auto& key : keys) {
      if (shown >= max_keys) return;
      std::cout << fmt::format("    {:<13} {}\n", label, DisplayKey(key));
      ++shown;
    }
  };
  list("missing on B", c.diff.missing_on_b);
  list("extra on B", c.diff.extra_on_b);
  list("changed", c.diff.changed);
  if (total > static_cast<size_t>(shown)) {
    std::cout << fmt::format("    ... and {} more (--max-keys {})\n", total - shown, max_keys);
  }
}

void PrintComparison(const TableComparison& c, int max_keys) {
  std::string name = c.table_b == c.table || c.table_b.name.empty()
                         ? c.table.Display()
                         : fmt::format("{} (B: {})", c.table.Display(), c.table_b.Display());
  if (!c.on_a || !c.on_b) {
    std::cout << fmt::format("{}: DIFFERENT: table missing on {}\n", name, !c.on_a && !c.on_b ? "A and B"
                                                                           : !c.on_a              ? "A"
                                                                                                  : "B");
    return;
  }
  std::string counts = fmt::format("A {}, B {}", Plural(c.rows_a, "row"), Plural(c.rows_b, "row"));
  if (c.Identical() && !c.expected.empty()) {
    std::cout << fmt::format("{}: OK apart from expected differences ({})\n", name, counts);
    return;
  }
  if (c.Identical()) {
    std::cout << fmt::format("{}: identical ({}, {})\n", name, Plural(c.rows_a, "row"), Plural(c.chunks, "chunk"));
    return;
  }
  if (!c.content_differs) {
    std::cout << fmt::format("{}: DIFFERENT columns, same rows on the common columns ({})\n", name, counts);
  } else if (c.key_source.empty()) {
    std::cout << fmt::format("{}: DIFFERENT ({}; no key on both sides to narrow down to rows)\n", name, counts);
  } else {
    std::cout << fmt::format("{}: DIFFERENT ({}): {} missing on B, {} extra on B, {} changed\n", name, counts,
                             c.diff.missing_on_b.size(), c.diff.extra_on_b.size(), c.diff.changed.size());
  }
  if (!c.columns_only_on_a.empty() || !c.columns_only_on_b.empty()) {
    std::string only_a, only_b;
    for (const auto& x : c.columns_only_on_a) only_a += (only_a.empty() ? "" : ", ") + x;
    for (const auto& x : c.columns_only_on_b) only_b += (only_b.empty() ? "" : ", ") + x;
    std::cout << fmt::format("    columns only on A: {}; only on B: {}\n", only_a.empty() ? "-" : only_a,
                             only_b.empty() ? "-" : only_b);
  }
  PrintKeys(c, max_keys);
}

// Takes the forward origin on B so repair writes carry it. Returns what to
// tell the operator.
std::string SetUpRepairOrigin(PgConnection& b, const std::string& origin) {
  if (!b.Scalar("SELECT 1 FROM pg_replication_origin WHERE roname = $1", {origin})) {
    return fmt::format("no origin {} on B: repair writes are plain writes (a running reverse worker would send "
                       "them to A, where they change nothing)",
                       origin);
  }
  try {
    b.ExecParams("SELECT pg_replication_origin_session_setup($1)", {origin});
    return fmt::format("repair writes on B carry origin {} (not sent back to A)", origin);
  } catch (const PgError& e) {
    if (dynamic_cast<const ConnectionError*>(&e)) throw;
    return fmt::format("origin {} is busy ({}): repair writes are plain writes (the reverse worker sends them to "
                       "A, where they change nothing)",
                       origin, OneLine(e.what()));
  }
}

void PrintSequences(PgConnection& a, PgConnection& b, const std::vector<TableName>& tables,
                    const NameMapping& mapping) {
  std::vector<SequenceUse> uses = SequencesUsedBy(a, tables);
  std::set<TableName> seen;
  bool header = false;
  for (const auto& use : uses) {
    if (!seen.insert(use.sequence).second) continue;
    if (!header) {
      std::cout << "sequences (not replicated; informational, never a difference):\n";
      header = true;
    }
    auto show = [](const SequenceState& s) {
      if (!s.exists) return std::string("missing");
      return fmt::format("last_value {}{}", s.last_value, s.is_called ? "" : " (not yet used)");
    };
    // On B a sequence lives in B's schema of A's (it moves with its table).
    TableName on_b{mapping.SchemaToB(use.sequence.schema), use.sequence.name};
    std::cout << fmt::format("    {}: A {}, B {}\n", use.sequence.Display(), show(ReadSequence(a, use.sequence)),
                             show(ReadSequence(b, on_b)));
  }
}

// The tables named by --table; nullopt (after a message) when one exists
// on neither side.
std::optional<std::vector<TableName>> NamedTables(PgConnection& a, PgConnection& b,
                                                  const std::vector<std::string>& args, const NameMapping& mapping) {
  std::vector<TableName> tables;
  for (const auto& arg : args) {
    TableName t = ParseTableArg(arg);  // A's name
    if (!RelationExists(a, t) && !RelationExists(b, mapping.ToB(t))) {
      std::cerr << fmt::format("pgduplex verify: table {} exists on neither A nor B\n", t.Display());
      return std::nullopt;
    }
    tables.push_back(t);
  }
  return tables;
}

// The task's tables on A or B, partitioned tables left out.
std::vector<TableName> ScopeTables(const TaskConfig& config, PgConnection& a, PgConnection& b) {
  // By A's names; B's tables under [mapping] are named as A names them.
  TableScope scope(config.sync.tables);
  TableScope scope_b(config.mapping.PatternsOnB(config.sync.tables));
  std::set<TableName> all;
  for (auto& t : scope.Resolve(a)) all.insert(t);
  for (auto& t : scope_b.Resolve(b)) all.insert(config.mapping.ToA(t));
  std::vector<TableName> tables;
  for (const auto& t : all) {
    // A partitioned table holds no rows of its own: its partitions (in
    // scope, or precheck FAILs) are compared one by one instead.
    char kind = RelationKind(a, t);
    if ((kind ? kind : RelationKind(b, config.mapping.ToB(t))) == 'p') {
      std::cout << fmt::format("{}: partitioned, compared through its partitions\n", t.Display());
      continue;
    }
    tables.push_back(t);
  }
  return tables;
}

// Moves the differences the table's operations explain into c.expected.
ExpectedSplit SplitExpected(TableComparison& c, const TableOptions& rules) {
  ExpectedSplit split = TakeExpectedDifferences(c.diff, rules.forward.operations, rules.reverse.operations);
  c.expected = split.expected;
  if (!c.key_source.empty()) c.content_differs = !c.diff.empty();
  return split;
}

// One line per kind of expected difference with its reason, then up to
// max_keys keys.
void PrintExpected(const ExpectedSplit& split, int max_keys) {
  int shown = 0;
  auto list = [&](const char* label, const std::vector<KeyTuple>& keys, const std::string& reason) {
    if (keys.empty()) return;
    std::cout << fmt::format("    expected, not counted: {} {} ({})\n", keys.size(), label, reason);
    for (const auto& key : keys) {
      if (shown++ >= max_keys) break;
      std::cout << fmt::format("      {}\n", DisplayKey(key));
    }
  };
  list("on A only", split.expected.missing_on_b, split.missing_on_b_reason);
  list("on B only", split.expected.extra_on_b, split.extra_on_b_reason);
  list("changed", split.expected.changed, split.changed_reason);
}

// The [table] rules of table, or of its partition root when it has none of
// its own (a partition is compared on its own, by the rules of its tree).
const TableOptions* RulesFor(const TaskConfig& config, PgConnection& a, const TableName& table) {
  if (const TableOptions* rules = FindTableOptions(config.table_options, table)) return rules;
  if (config.table_options.empty()) return nullptr;
  PgResult root = a.ExecParams(
      "SELECT n.nspname, c.relname FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n "
      "ON n.oid = c.relnamespace WHERE c.oid = pg_catalog.pg_partition_root(pg_catalog.to_regclass($1))",
      {QuoteIdent(table.schema) + "." + QuoteIdent(table.name)});
  if (root.rows() == 0) return nullptr;
  return FindTableOptions(config.table_options, {root.Get(0, 0), root.Get(0, 1)});
}

struct Tally {
  size_t with_expected = 0;  // tables with expected differences (any verdict)
  size_t identical = 0;
  size_t different = 0;
  size_t repaired = 0;
};

// Compares one table and prints it; with --repair, repairs what rows can.
// `roles`: the owner switch on B for the repair writes, or null.
// `rules`: the table's [table] options, or null.
void VerifyTable(TableComparer& comparer, const TableOptions* rules, const VerifyOptions& options,
                 RoleSwitch* roles, Tally& tally) {
  TableComparison c = comparer.Compare();
  ExpectedSplit split;
  if (rules && c.on_a && c.on_b) split = SplitExpected(c, *rules);
  PrintComparison(c, options.max_keys_shown);
  PrintExpected(split, options.max_keys_shown);
  if (!split.expected.empty()) ++tally.with_expected;
  if (c.Identical()) {
    ++tally.identical;
    return;
  }
  ++tally.different;
  bool rows_repairable = c.on_a && c.on_b && !c.key_source.empty();
  bool columns_equal = c.columns_only_on_a.empty() && c.columns_only_on_b.empty();
  if (options.repair && rows_repairable && !c.diff.empty()) {
    RepairCounts n = comparer.Repair(c, roles);
    std::cout << fmt::format("    repaired on B: {} inserted, {} updated, {} deleted\n", n.inserted, n.updated,
                             n.deleted);
    if (columns_equal) ++tally.repaired;
  } else if (options.repair) {
    std::cout << "    not repaired: "
              << (!c.on_a || !c.on_b      ? "a missing table needs DDL"
                  : c.key_source.empty()  ? "no key to address rows by"
                                          : "column differences need DDL")
              << "\n";
  }
}

}  // namespace

int CommandVerify(const VerifyOptions& options) {
  TaskConfig config = LoadConfig(options.config_path);
  if (options.max_keys_shown < 0) throw ConfigError("--max-keys must be 0 or more");
  PgConnection a = PgConnection::Connect(config.a.conninfo, "a");
  PgConnection b = PgConnection::Connect(config.b.conninfo, "b");
  SetCanonicalTextOutput(a);
  SetCanonicalTextOutput(b);

  std::vector<TableName> tables;
  if (!options.tables.empty()) {
    auto named = NamedTables(a, b, options.tables, config.mapping);
    if (!named) return kExitUsage;
    tables = std::move(*named);
  } else {
    tables = ScopeTables(config, a, b);
  }

  // While a worker streams, chunks may differ only for a moment: re-read.
  bool settle = SlotActive(a, config.SlotName(Direction::kForward)) ||
                SlotActive(b, config.SlotName(Direction::kReverse));
  if (settle) {
    std::cout << "a worker of the task is streaming: differing chunks are re-read for a moment before they "
                 "count\n";
  }
  if (options.repair) std::cout << SetUpRepairOrigin(b, config.OriginName(Direction::kForward)) << "\n";
  // Repairs write B's rows as each table's owner, as the apply does.
  RoleSwitch roles;
  const bool repair_as_owner = options.repair && config.sync.apply_as_table_owner;
  if (repair_as_owner) {
    try {
      roles.Setup(b, RunAsAvailable(b, true), true);
    } catch (const SetupRefused& e) {
      std::cerr << "verify --repair: " << e.what() << "\n";
      return kExitUsage;
    }
  }

  Tally tally;
  for (const auto& table : tables) {
    TableComparer comparer(a, b, table, settle, &config.mapping);
    const TableOptions* rules = RulesFor(config, a, table);
    if (rules && !rules->CommonFilter().empty()) {
      comparer.SetRowFilter(rules->CommonFilter());
      std::cout << fmt::format("{}: comparing only the rows where {}\n", table.Display(), rules->CommonFilter());
    }
    VerifyTable(comparer, rules, options, repair_as_owner ? &roles : nullptr, tally);
  }
  std::vector<TableName> on_a;
  for (const auto& t : tables) {
    if (RelationExists(a, t)) on_a.push_back(t);
  }
  PrintSequences(a, b, on_a, config.mapping);
  std::cout << fmt::format("summary: {}, {} identical, {} different{}{}\n", Plural(tables.size(), "table"),
                           tally.identical, tally.different,
                           options.repair ? fmt::format(", {} repaired", tally.repaired) : "",
                           tally.with_expected ? fmt::format(", {} with expected differences",
                                                             tally.with_expected)
                                               : "");
  if (tally.different == 0) return kExitOk;
  return options.repair && tally.repaired == tally.different ? kExitOk : kExitFound;
}

}  // namespace pgduplex
