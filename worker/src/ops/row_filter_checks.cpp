#include "ops/row_filter_checks.h"

#include <fmt/format.h>

#include <algorithm>

#include "common/message_text.h"
#include "common/sql_lexer.h"

namespace pgduplex {

namespace {

constexpr const char* kCheck = "row filter";

std::vector<std::string> ArrayOf(const std::string& text) {
  // A text[] of plain column names as PostgreSQL prints it: {a,"b c"}.
  std::vector<std::string> out;
  std::string item;
  bool quoted = false, any = false;
  for (size_t i = 1; i + 1 < text.size(); ++i) {
    char c = text[i];
    if (c == '"') {
      quoted = !quoted;
      any = true;
    } else if (c == '\\' && quoted && i + 2 < text.size()) {
      item += text[++i];
    } else if (c == ',' && !quoted) {
      out.push_back(item);
      item.clear();
      any = false;
    } else {
      item += c;
      any = true;
    }
  }
  if (any || !item.empty()) out.push_back(item);
  return out;
}

void ReadIdentity(PgConnection& conn, RowFilterFacts& f) {
  std::string relation = QuoteIdent(f.table.schema) + "." + QuoteIdent(f.table.name);
  f.replica_identity = conn.Scalar("SELECT relreplident FROM pg_catalog.pg_class WHERE oid = $1::regclass",
                                   {relation}).value_or("d")[0];
  const char* which = f.replica_identity == 'i' ? "x.indisreplident" : "x.indisprimary";
  PgResult r = conn.ExecParams(
      fmt::format("SELECT a.attname FROM pg_catalog.pg_index x JOIN pg_catalog.pg_attribute a "
                  "ON a.attrelid = x.indrelid AND a.attnum = ANY(x.indkey) "
                  "WHERE x.indrelid = $1::regclass AND {} ORDER BY a.attnum",
                  which),
      {relation});
  for (int i = 0; i < r.rows(); ++i) f.identity_columns.push_back(r.Get(i, 0));
}

}  // namespace

std::vector<RowFilterFacts> GatherRowFilterFacts(PgConnection& conn, const TaskConfig& config, Direction direction) {
  std::vector<RowFilterFacts> out;
  bool have_function =
      conn.Scalar("SELECT pg_catalog.to_regprocedure('pgduplex.row_filter_columns(regclass, text)') IS NOT NULL") ==
      "t";
  for (const auto& options : config.table_options) {
    const DirectionRules& rules = options.For(direction);
    if (rules.row_filter.empty()) continue;
    RowFilterFacts f;
    f.cluster = TaskConfig::SourceLabel(direction);
    f.table = options.table;
    f.key = fmt::format("table.\"{}\".row_filter{}", options.table.Display(),
                        options.forward.row_filter == options.reverse.row_filter
                            ? ""
                            : direction == Direction::kForward ? "_forward" : "_reverse");
    f.filter = rules.row_filter;
    std::string relation = QuoteIdent(f.table.schema) + "." + QuoteIdent(f.table.name);
    f.table_exists = conn.Scalar("SELECT pg_catalog.to_regclass($1) IS NOT NULL", {relation}) == "t";
    f.function_missing = !have_function;
    if (f.table_exists && have_function) {
      try {
        f.columns = ArrayOf(conn.Scalar("SELECT pgduplex.row_filter_columns($1::regclass, $2)::text",
                                        {relation, f.filter}).value_or("{}"));
      } catch (const PgError& e) {
        if (dynamic_cast<const ConnectionError*>(&e)) throw;
        f.error = OneLine(e.what());
      }
      ReadIdentity(conn, f);
    }
    out.push_back(std::move(f));
  }
  return out;
}

std::vector<CheckResult> RowFilterChecks(const std::vector<RowFilterFacts>& facts) {
  std::vector<CheckResult> out;
  std::vector<std::string> passed[2];  // per cluster a, b
  for (const auto& f : facts) {
    std::string name = f.table.Display();
    if (!f.table_exists) {
      out.push_back(Skip(kCheck, f.cluster, fmt::format("{}: no such table yet", name)));
    } else if (f.function_missing) {
      out.push_back(Warn(kCheck, f.cluster, fmt::format("{}: extension pgduplex older than 1.3", name),
                         "ALTER EXTENSION pgduplex UPDATE (row filters need the 1.3 plugin)"));
    } else if (!f.error.empty()) {
      out.push_back(Fail(kCheck, f.cluster, fmt::format("{}: {}", name, f.error),
                         fmt::format("change {}: only the table's own columns and immutable built-in functions",
                                     f.key)));
    } else {
      std::vector<std::string> uncovered;
      for (const auto& c : f.columns) {
        if (f.replica_identity != 'f' &&
            std::find(f.identity_columns.begin(), f.identity_columns.end(), c) == f.identity_columns.end()) {
          uncovered.push_back(c);
        }
      }
      if (uncovered.empty()) {
        passed[f.cluster == "a" ? 0 : 1].push_back(name);
        continue;
      }
      out.push_back(Fail(kCheck, f.cluster,
                         fmt::format("{}: the filter uses {}, which its REPLICA IDENTITY does not cover: "
                                     "UPDATEs and DELETEs would be judged on NULLs",
                                     name, JoinLimited(uncovered)),
                         fmt::format("ALTER TABLE {}.{} REPLICA IDENTITY FULL (or an identity index covering {})",
                                     QuoteIdent(f.table.schema), QuoteIdent(f.table.name),
                                     JoinLimited(uncovered))));
    }
  }
  for (int i = 0; i < 2; ++i) {
    if (!passed[i].empty()) {
      out.push_back(Pass(kCheck, i == 0 ? "a" : "b",
                         fmt::format("parse, columns covered by the replica identity: {}", JoinLimited(passed[i]))));
    }
  }
  return out;
}

}  // namespace pgduplex
