#include "ddl/ddl_policy.h"

#include <fmt/format.h>

#include "ddl/ddl_redaction.h"

namespace pgduplex {

namespace {

std::string Truncated(const std::string& text, size_t max) {
  std::string flat;
  for (char c : text) flat += (c == '\n' || c == '\r' || c == '\t') ? ' ' : c;
  return flat.size() > max ? flat.substr(0, max) + "..." : flat;
}

// The schema of a named table: settled by the record, else looked up;
// empty when neither tells.
std::string SchemaOf(const DdlTable& table, const SchemaLookups& looked_up) {
  if (!table.schema.empty()) return table.schema;
  auto found = looked_up.find(table.written.name);
  return found == looked_up.end() ? std::string() : found->second;
}

// "table a.b is outside the sync scope" for the tables outside it; "" if none.
std::string OutsideScope(const TableScope& scope, const std::vector<TableName>& tables) {
  std::string list;
  size_t outside = 0;
  for (const auto& table : tables) {
    if (scope.Matches(table.schema, table.name)) continue;
    list += (list.empty() ? "" : ", ") + table.Display();
    ++outside;
  }
  if (outside == 0) return "";
  return fmt::format("{} {} {} outside the sync scope", outside == 1 ? "table" : "tables", list,
                     outside == 1 ? "is" : "are");
}

// PARTITION OF parent: the parent must be in scope too. An unqualified
// parent nobody could place is taken to live with its partition.
std::string ParentOutsideScope(const TableScope& scope, const v1::Ddl& ddl, const DdlTable& parent,
                               const SchemaLookups& looked_up) {
  std::string schema = SchemaOf(parent, looked_up);
  if (schema.empty() && parent.written.schema.empty()) schema = ddl.schema();
  if (schema.empty()) return fmt::format("cannot tell which schema table {} is in", parent.written.name);
  TableName table{schema, parent.written.name};
  if (scope.Matches(table.schema, table.name)) return "";
  return fmt::format("partitioned table {} is outside the sync scope", table.Display());
}

}  // namespace

// CREATE TYPE / DOMAIN / FUNCTION: carried into the schemas of synced tables.
DdlDecision DdlPolicy::DecideObject(const ParsedDdl& parsed, const SchemaLookups& looked_up) const {
  DdlDecision d;
  std::string schema = SchemaOf(*parsed.object, looked_up);
  if (schema.empty()) {
    d.reason = fmt::format("cannot tell which schema {} is in", parsed.object->written.name);
  } else if (IsTemporarySchema(schema)) {
    d.reason = "temporary objects are not synchronized";
    d.quiet = true;
  } else if (!scope_.CoversSchema(schema)) {
    d.reason = fmt::format("schema {} holds no synced table", schema);
  } else {
    d.apply = true;
    d.statement = parsed.statement;
  }
  return d;
}

DdlPolicy::DdlPolicy(TableScope scope) : scope_(std::move(scope)) {}

DdlDecision DdlPolicy::Decide(const v1::Ddl& ddl, const ParsedDdl& parsed,
                              const SchemaLookups& looked_up) const noexcept {
  DdlDecision d;
  auto refuse = [&](std::string reason, bool quiet = false) {
    d.reason = std::move(reason);
    d.quiet = quiet;
    return d;
  };
  const std::string& tag = ddl.command_tag();
  if (parsed.command == DdlCommand::kOther) {
    return refuse(fmt::format("{} is not carried (carried: CREATE TABLE [AS], SELECT INTO, DROP TABLE, ALTER TABLE, CREATE INDEX, "
                              "CREATE TYPE, CREATE DOMAIN, CREATE FUNCTION)",
                              tag.empty() ? std::string("an unknown command") : tag));
  }
  // The statement text of DDL run by a function is the call (DO, SELECT f(),
  // CALL p()), not the command: it was not read.
  if (parsed.in_function) {
    if (IsTemporarySchema(ddl.schema())) return refuse("temporary tables are not synchronized", /*quiet=*/true);
    return refuse("DDL run inside a function, procedure or DO block is not carried");
  }
  // The worker's lexer (and the target, which runs with the default) read
  // '\' as the end of a literal; with the setting off the source did not.
  // The field is absent (false) in DDL from extensions before 1.1.
  if (!ddl.standard_conforming_strings()) {
    return refuse("DDL captured with standard_conforming_strings = off is not carried (its string literals "
                  "would not be read on the target as on the source)");
  }
  if (!parsed.read) return refuse("the statement was not read");
  if (!parsed.refusal.empty()) return refuse(parsed.refusal);
  if (parsed.object) return DecideObject(parsed, looked_up);

  std::string unresolved;
  bool temporary = parsed.temporary;
  for (const auto& table : parsed.tables) {
    std::string schema = SchemaOf(table, looked_up);
    if (schema.empty()) {
      if (unresolved.empty()) unresolved = table.written.name;
      continue;
    }
    temporary = temporary || IsTemporarySchema(schema);
    d.tables.push_back(TableName{schema, table.written.name});
  }
  if (temporary) return refuse("temporary tables are not synchronized", /*quiet=*/true);
  if (parsed.drop_behaviour) return refuse("statements with CASCADE or RESTRICT are not carried");
  if (!parsed.unsupported_action.empty()) {
    return refuse(fmt::format("ALTER TABLE action {} is not carried", parsed.unsupported_action));
  }
  if (!parsed.volatile_default.empty()) {
    return refuse(fmt::format("ADD COLUMN with a default each side would compute on its own ({}) is not carried: "
                              "the values it gives the existing rows are not replicated; add the column without "
                              "that default (or with a constant one) and fill it with an UPDATE",
                              parsed.volatile_default));
  }
  if (!unresolved.empty()) return refuse(fmt::format("cannot tell which schema table {} is in", unresolved));
  if (std::string outside = OutsideScope(scope_, d.tables); !outside.empty()) return refuse(outside);
  if (parsed.partition_parent) {
    std::string outside = ParentOutsideScope(scope_, ddl, *parsed.partition_parent, looked_up);
    if (!outside.empty()) return refuse(outside);
  }
  d.apply = true;
  d.statement = parsed.statement;
  return d;
}

std::string DdlPolicy::WarningLine(const v1::Ddl& ddl, const DdlDecision& decision) {
  return fmt::format("DDL not carried to the target ({}): {}", decision.reason,
                     Truncated(RedactDdlSecrets(ddl.statement()), 300));
}

}  // namespace pgduplex
