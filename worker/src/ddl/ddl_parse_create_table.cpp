// Reads CREATE [GLOBAL|LOCAL] [TEMP|TEMPORARY|UNLOGGED] TABLE [IF NOT EXISTS]
// name ... [PARTITION OF parent ...]. CREATE TABLE ... AS (the only AS
// outside parentheses) is read only when the record's tag says so (it is
// then carried as an empty table, ddl_create_table_as.h).
#include "ddl/ddl_parse_families.h"

namespace pgduplex {

namespace {

// PARTITION OF parent, outside any parentheses, in t[from..].
std::optional<WrittenName> PartitionParent(const DdlTokens& t, size_t from) {
  int depth = 0;
  for (size_t k = from; k < t.size(); ++k) {
    if (t[k].IsPunct('(')) ++depth;
    if (t[k].IsPunct(')')) --depth;
    if (depth == 0 && t[k].IsWord("partition") && At(t, k + 1, "of")) {
      size_t p = k + 2;
      return ReadQualifiedName(t, p);
    }
  }
  return std::nullopt;
}

}  // namespace

std::string ReadCreateTable(const DdlTokens& t, ParsedDdl& out) {
  size_t i = 0;
  if (!At(t, i, "create")) return "could not read the statement as CREATE TABLE";
  ++i;
  if (At(t, i, "global") || At(t, i, "local")) ++i;
  if (At(t, i, "temp") || At(t, i, "temporary")) {
    out.temporary = true;
    ++i;
  } else if (At(t, i, "unlogged")) {
    ++i;
  }
  if (!At(t, i, "table")) return "could not read the statement as CREATE TABLE";
  ++i;
  SkipIfExists(t, i);
  auto name = ReadQualifiedName(t, i);
  if (!name) return "could not read the table name of CREATE TABLE";
  // CREATE TABLE name [(columns)] [USING|WITH|ON COMMIT|TABLESPACE ...]
  // AS query | EXECUTE: the only AS outside parentheses.
  if (HasTopLevelWord(t, i, "as") && !out.create_table_as) return "CREATE TABLE ... AS is not carried";
  out.tables.push_back({*name, /*own_object=*/true, ""});
  if (auto parent = PartitionParent(t, i)) out.partition_parent = DdlTable{*parent, false, ""};
  return "";
}

}  // namespace pgduplex
