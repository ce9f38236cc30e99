#include "ddl/ddl_parse.h"

#include <algorithm>

#include "ddl/ddl_create_table_as.h"
#include "ddl/ddl_isolate.h"
#include "ddl/ddl_parse_families.h"

namespace pgduplex {

namespace {

DdlCommand CommandOf(const std::string& tag) {
  // CREATE TABLE ... AS and SELECT INTO run on the target rewritten as an
  // empty CREATE TABLE (ddl_create_table_as.h).
  if (tag == "CREATE TABLE" || tag == "CREATE TABLE AS" || tag == "SELECT INTO") return DdlCommand::kCreateTable;
  if (tag == "DROP TABLE") return DdlCommand::kDropTable;
  if (tag == "ALTER TABLE") return DdlCommand::kAlterTable;
  if (tag == "CREATE INDEX") return DdlCommand::kCreateIndex;
  if (tag == "CREATE TYPE") return DdlCommand::kCreateType;
  if (tag == "CREATE DOMAIN") return DdlCommand::kCreateDomain;
  if (tag == "CREATE FUNCTION") return DdlCommand::kCreateFunction;
  return DdlCommand::kOther;
}

std::string ReadFamily(DdlCommand command, const DdlTokens& t, ParsedDdl& out) {
  switch (command) {
    case DdlCommand::kCreateTable: return ReadCreateTable(t, out);
    case DdlCommand::kDropTable: return ReadDropTable(t, out);
    case DdlCommand::kAlterTable: return ReadAlterTable(t, out);
    case DdlCommand::kCreateIndex: return ReadCreateIndex(t, out);
    case DdlCommand::kCreateType:
    case DdlCommand::kCreateDomain:
    case DdlCommand::kCreateFunction: return ReadCreateObject(t, out);
    case DdlCommand::kOther: break;
  }
  return "an unknown command is not carried";
}

// Reads the record's text into `out` (statement, tables as written, the
// family's facts); returns why it cannot be carried as read, or "".
std::string ReadStatement(const SqlStatement& statement, const std::string& tag, ParsedDdl& out) {
  const DdlTokens& t = statement.tokens;
  if (tag == "SELECT INTO") {
    auto rewritten = SelectIntoAsCreateTable(statement);
    std::vector<SqlStatement> as_create = rewritten ? SplitStatements(*rewritten) : std::vector<SqlStatement>();
    if (as_create.size() != 1) return "could not read the statement as SELECT ... INTO a table";
    return ReadStatement(as_create[0], "CREATE TABLE AS", out);
  }
  // Kinds that can run queries, whatever the tag says.
  if (At(t, 0, "execute")) return "EXECUTE is not carried";
  if ((At(t, 0, "select") || At(t, 0, "with") || At(t, 0, "values") || At(t, 0, "table") ||
       (!t.empty() && t[0].IsPunct('('))) &&
      HasTopLevelWord(t, 0, "into")) {
    return "SELECT INTO is not carried";
  }
  out.statement = statement.text;
  if (tag == "CREATE TABLE AS") {
    auto empty_table = CreateTableAsWithNoData(statement);
    if (!empty_table) return "could not read the statement as CREATE TABLE ... AS";
    out.statement = *empty_table;
    out.create_table_as = true;
  }
  std::string refusal = ReadFamily(out.command, t, out);
  if (!refusal.empty()) return refusal;
  if (HasDataModifyingWith(t)) return "statements with a data-modifying WITH query are not carried";
  if (HasTopLevelWord(t, 0, "execute")) return "EXECUTE is not carried";
  out.drop_behaviour = HasDropBehaviour(t);
  return "";
}

// The schemas the record settles (see the header).
void SettleSchemas(const v1::Ddl& ddl, ParsedDdl& out) {
  // Dropped tables: the capture trigger lists their identities (from
  // sql_drop) in object_identity, comma-separated.
  std::vector<WrittenName> dropped;
  if (!ddl.object_identity().empty()) {
    for (const auto& part : SplitTopLevel(TokenizeSql(ddl.object_identity()), 0)) {
      size_t k = 0;
      if (auto n = ReadQualifiedName(part, k)) dropped.push_back(*n);
    }
  }
  auto settle = [&](DdlTable& table) {
    if (!table.written.schema.empty()) {
      table.schema = table.written.schema;
      return;
    }
    for (const auto& d : dropped) {
      if (d.name == table.written.name && !d.schema.empty()) {
        table.schema = d.schema;
        return;
      }
    }
    if (table.own_object) table.schema = ddl.schema();
  };
  for (auto& table : out.tables) settle(table);
  if (out.partition_parent) settle(*out.partition_parent);
  if (out.object) settle(*out.object);
}

}  // namespace

std::vector<std::string> ParsedDdl::NamesToLookUp() const {
  std::vector<std::string> names;
  auto add = [&](const DdlTable& table) {
    if (!table.schema.empty()) return;
    if (std::find(names.begin(), names.end(), table.written.name) == names.end()) {
      names.push_back(table.written.name);
    }
  };
  for (const auto& table : tables) add(table);
  if (partition_parent) add(*partition_parent);
  if (object) add(*object);
  return names;
}

ParsedDdl ParseDdl(const v1::Ddl& ddl, size_t from) {
  ParsedDdl out;
  out.command = CommandOf(ddl.command_tag());
  out.in_function = ddl.in_function();
  if (!ddl.standard_conforming_strings()) return out;
  // libpq would cut the text at a NUL byte; no real statement holds one.
  const bool nul = ddl.statement().find('\0') != std::string::npos;
  std::vector<SqlStatement> statements = nul ? std::vector<SqlStatement>() : SplitStatements(ddl.statement());
  IsolatedStatement isolated;
  if (!statements.empty()) isolated = IsolateStatement(ddl, statements, from);
  out.several = isolated.several;
  // A string of several statements: the trigger's in_function guess
  // compared the tag with the first statement's verb; the isolation decides
  // (a refusal there names the statement that may have run it).
  if (isolated.several) out.in_function = isolated.in_function && isolated.refusal.empty();
  if (isolated.several && isolated.refusal.empty()) {
    out.statement_index = isolated.index;
    out.isolated = statements[isolated.index].text;
  }
  if (out.command == DdlCommand::kOther || out.in_function) return out;
  out.read = true;
  std::string refusal = nul ? "the statement contains a NUL byte"
                        : statements.empty() ? "the statement is empty"
                                             : isolated.refusal;
  if (refusal.empty()) refusal = ReadStatement(statements[isolated.index], ddl.command_tag(), out);
  if (!refusal.empty()) {
    ParsedDdl refused;
    refused.command = out.command;
    refused.read = true;
    refused.refusal = std::move(refusal);
    refused.several = out.several;
    refused.statement_index = out.statement_index;
    refused.isolated = out.isolated;
    refused.in_function = out.in_function;
    return refused;
  }
  if (out.command == DdlCommand::kDropTable && IsTemporarySchema(ddl.schema())) out.temporary = true;
  out.search_path = ParseSearchPath(ddl.search_path());
  SettleSchemas(ddl, out);
  return out;
}

std::vector<std::string> ParseSearchPath(const std::string& setting) {
  std::vector<std::string> out;
  for (const auto& part : SplitTopLevel(TokenizeSql(setting), 0)) {
    if (part.size() == 1 && part[0].IsIdentifier()) out.push_back(part[0].value);
    // "$user" arrives as a quoted identifier and is kept as "$user".
  }
  return out;
}

bool IsTemporarySchema(const std::string& schema) {
  return schema == "pg_temp" || schema.rfind("pg_temp_", 0) == 0;
}

}  // namespace pgduplex
