#include "ddl/ddl_policy.h"

#include <fmt/format.h>

#include <set>

#include "ddl/ddl_redaction.h"
#include "common/sql_lexer.h"

namespace pgduplex {

namespace {

using Tokens = std::vector<SqlToken>;

// A table name as written in the statement; schema empty when unqualified.
struct WrittenName {
  std::string schema;
  std::string name;
};

bool At(const Tokens& t, size_t i, std::string_view word) { return i < t.size() && t[i].IsWord(word); }

// Parses [catalog.]schema.name or name at t[i]; advances i past it.
std::optional<WrittenName> ParseQualifiedName(const Tokens& t, size_t& i) {
  std::vector<std::string> parts;
  while (i < t.size() && t[i].IsIdentifier()) {
    parts.push_back(t[i].value);
    ++i;
    if (i < t.size() && t[i].IsPunct('.')) {
      ++i;
      continue;
    }
    break;
  }
  if (parts.empty() || parts.size() > 3) return std::nullopt;
  WrittenName out;
  out.name = parts.back();
  if (parts.size() >= 2) out.schema = parts[parts.size() - 2];
  return out;
}

// Skips "IF EXISTS" / "IF NOT EXISTS" at t[i].
void SkipIfExists(const Tokens& t, size_t& i) {
  if (At(t, i, "if") && At(t, i + 1, "exists")) {
    i += 2;
  } else if (At(t, i, "if") && At(t, i + 1, "not") && At(t, i + 2, "exists")) {
    i += 3;
  }
}

// Splits t[from..] at commas outside parentheses.
std::vector<Tokens> SplitTopLevel(const Tokens& t, size_t from) {
  std::vector<Tokens> parts(1);
  int depth = 0;
  for (size_t i = from; i < t.size(); ++i) {
    if (t[i].IsPunct('(') || t[i].IsPunct('[')) ++depth;
    if (t[i].IsPunct(')') || t[i].IsPunct(']')) --depth;
    if (depth == 0 && t[i].IsPunct(',')) {
      parts.emplace_back();
      continue;
    }
    parts.back().push_back(t[i]);
  }
  if (parts.back().empty()) parts.pop_back();
  return parts;
}

// CASCADE / RESTRICT used as drop behaviour, not as an ON DELETE / ON
// UPDATE referential action.
bool HasDropBehaviour(const Tokens& t) {
  for (size_t i = 0; i < t.size(); ++i) {
    if (!t[i].IsWord("cascade") && !t[i].IsWord("restrict")) continue;
    bool referential = i >= 2 && (t[i - 1].IsWord("delete") || t[i - 1].IsWord("update")) && t[i - 2].IsWord("on");
    if (!referential) return true;
  }
  return false;
}

// An unquoted word at parenthesis depth 0.
bool HasTopLevelWord(const Tokens& t, size_t from, std::string_view word) {
  int depth = 0;
  for (size_t i = from; i < t.size(); ++i) {
    if (t[i].IsPunct('(') || t[i].IsPunct('[')) ++depth;
    if (t[i].IsPunct(')') || t[i].IsPunct(']')) --depth;
    if (depth == 0 && t[i].IsWord(word)) return true;
  }
  return false;
}

// INSERT INTO / DELETE FROM / MERGE INTO / UPDATE [ONLY] name [*] [[AS]
// alias] SET starting right after "(" or ")": the body of a WITH query
// (name AS [NOT] [MATERIALIZED] ( ... ), also after a nested WITH list).
// A column named "update" ("(update int, ...") is not one: no SET follows.
bool HasDataModifyingWith(const Tokens& t) {
  for (size_t i = 1; i < t.size(); ++i) {
    if (!t[i - 1].IsPunct('(') && !t[i - 1].IsPunct(')')) continue;
    if ((t[i].IsWord("insert") || t[i].IsWord("merge")) && At(t, i + 1, "into")) return true;
    if (t[i].IsWord("delete") && At(t, i + 1, "from")) return true;
    if (t[i].IsWord("update")) {
      size_t k = i + 1;
      if (At(t, k, "only")) ++k;
      if (!ParseQualifiedName(t, k)) continue;
      if (k < t.size() && t[k].IsPunct('*')) ++k;
      if (At(t, k, "as")) ++k;
      if (At(t, k, "set")) return true;
      if (k < t.size() && t[k].IsIdentifier() && At(t, k + 1, "set")) return true;
    }
  }
  return false;
}

std::string Words(const Tokens& t, size_t from, size_t count) {
  std::string out;
  for (size_t i = from; i < t.size() && i < from + count; ++i) {
    if (t[i].kind != SqlToken::Kind::kWord) break;
    out += (out.empty() ? "" : " ") + t[i].value;
  }
  std::string upper = out;
  for (char& c : upper) c = static_cast<char>(toupper(static_cast<unsigned char>(c)));
  return upper;
}

// Classifies one ALTER TABLE action; returns empty when carried, else a
// short description of the action for the reason.
std::string UnsupportedAlterAction(const Tokens& a) {
  if (a.empty()) return "an empty action";
  size_t i = 0;
  if (a[0].IsWord("rename")) return "";  // RENAME TO / [COLUMN] / CONSTRAINT
  if (a[0].IsWord("add")) {
    return "";  // ADD [COLUMN] ... or ADD [CONSTRAINT x] CHECK/PRIMARY/UNIQUE/FOREIGN/EXCLUDE
  }
  if (a[0].IsWord("drop")) {
    // DROP [COLUMN] [IF EXISTS] x, DROP CONSTRAINT [IF EXISTS] x
    return "";
  }
  if (a[0].IsWord("alter")) {
    i = 1;
    if (At(a, i, "constraint")) return "ALTER CONSTRAINT";
    if (At(a, i, "column")) ++i;
    if (i >= a.size() || !a[i].IsIdentifier()) return "ALTER COLUMN";
    ++i;  // column name
    if (At(a, i, "type")) return "";
    if (At(a, i, "set") && At(a, i + 1, "data") && At(a, i + 2, "type")) return "";
    if (At(a, i, "drop") && At(a, i + 1, "default")) return "";
    if (At(a, i, "set") && At(a, i + 1, "default")) return "";
    if (At(a, i, "set") && At(a, i + 1, "not") && At(a, i + 2, "null")) return "";
    if (At(a, i, "drop") && At(a, i + 1, "not") && At(a, i + 2, "null")) return "";
    return "ALTER COLUMN ... " + Words(a, i, 3);
  }
  return Words(a, 0, 3);
}

bool IsTempSchema(const std::string& schema) {
  return schema == "pg_temp" || schema.rfind("pg_temp_", 0) == 0;
}

std::string Truncated(const std::string& text, size_t max) {
  std::string flat;
  for (char c : text) flat += (c == '\n' || c == '\r' || c == '\t') ? ' ' : c;
  return flat.size() > max ? flat.substr(0, max) + "..." : flat;
}

const std::set<std::string>& SupportedTags() {
  static const std::set<std::string> kTags = {"CREATE TABLE", "DROP TABLE", "ALTER TABLE", "CREATE INDEX"};
  return kTags;
}

}  // namespace

std::vector<std::string> ParseSearchPath(const std::string& setting) {
  std::vector<std::string> out;
  for (const auto& part : SplitTopLevel(TokenizeSql(setting), 0)) {
    if (part.size() == 1 && part[0].IsIdentifier()) out.push_back(part[0].value);
    // "$user" arrives as a quoted identifier and is kept as "$user".
  }
  return out;
}

DdlPolicy::DdlPolicy(TableScope scope, SchemaResolver resolver)
    : scope_(std::move(scope)), resolver_(std::move(resolver)) {}

// Note: exceptions thrown by resolver_ propagate (see the header).
DdlDecision DdlPolicy::Decide(const v1::Ddl& ddl) const {
  DdlDecision d;
  auto refuse = [&](std::string reason, bool quiet = false) {
    d.apply = false;
    d.reason = std::move(reason);
    d.quiet = quiet;
    d.statement.clear();
    return d;
  };
  const std::string& tag = ddl.command_tag();
  if (!SupportedTags().count(tag)) {
    return refuse(fmt::format("{} is not carried (carried: CREATE TABLE, DROP TABLE, ALTER TABLE, CREATE INDEX)",
                              tag.empty() ? std::string("an unknown command") : tag));
  }
  // The statement text of DDL run by a function is the call (DO, SELECT f(),
  // CALL p()), not the command: decide before reading it.
  if (ddl.in_function()) {
    if (IsTempSchema(ddl.schema())) return refuse("temporary tables are not synchronized", /*quiet=*/true);
    return refuse("DDL run inside a function, procedure or DO block is not carried");
  }
  // The worker's lexer (and the target, which runs with the default) read
  // '\' as the end of a literal; with the setting off the source did not.
  // The field is absent (false) in DDL from extensions before 1.1.
  if (!ddl.standard_conforming_strings()) {
    return refuse("DDL captured with standard_conforming_strings = off is not carried (its string literals "
                  "would not be read on the target as on the source)");
  }
  // libpq would cut the text at a NUL byte; no real statement holds one.
  if (ddl.statement().find('\0') != std::string::npos) return refuse("the statement contains a NUL byte");
  std::vector<SqlStatement> statements = SplitStatements(ddl.statement());
  if (statements.size() != 1) {
    return refuse("several statements were sent in one query string, so this one cannot be isolated; "
                  "send DDL as separate statements");
  }
  const Tokens& t = statements[0].tokens;
  std::string statement = statements[0].text;
  // Kinds that can run queries, whatever the tag says.
  if (At(t, 0, "execute")) return refuse("EXECUTE is not carried");
  if ((At(t, 0, "select") || At(t, 0, "with") || At(t, 0, "values") || At(t, 0, "table") ||
       (!t.empty() && t[0].IsPunct('('))) &&
      HasTopLevelWord(t, 0, "into")) {
    return refuse("SELECT INTO is not carried");
  }

  std::vector<std::string> search_path = ParseSearchPath(ddl.search_path());
  // Dropped tables: the capture trigger lists their identities (from
  // sql_drop) in object_identity, comma-separated.
  std::vector<WrittenName> known;
  if (!ddl.object_identity().empty()) {
    for (const auto& part : SplitTopLevel(TokenizeSql(ddl.object_identity()), 0)) {
      size_t k = 0;
      if (auto n = ParseQualifiedName(part, k)) known.push_back(*n);
    }
  }
  // Resolves the schema of a written name. `object_schema`: the schema the
  // trigger reported for the statement's object, used for unqualified
  // names when the object lives with the named table (indexes, columns).
  auto resolve = [&](const WrittenName& n, bool use_object_schema) -> std::optional<TableName> {
    if (!n.schema.empty()) return TableName{n.schema, n.name};
    for (const auto& k : known) {
      if (k.name == n.name && !k.schema.empty()) return TableName{k.schema, n.name};
    }
    if (use_object_schema && !ddl.schema().empty()) return TableName{ddl.schema(), n.name};
    if (resolver_) {
      if (auto schema = resolver_(n.name, search_path)) return TableName{*schema, n.name};
    }
    return std::nullopt;
  };

  bool temporary = false;
  bool rewrite_concurrently = false;
  size_t concurrently_offset = 0, concurrently_length = 0;
  std::string unsupported_action;
  std::vector<std::pair<WrittenName, bool>> written;  // name, may use object schema
  std::optional<WrittenName> partition_parent;

  size_t i = 0;
  if (tag == "CREATE TABLE") {
    if (!At(t, i, "create")) return refuse("could not read the statement as CREATE TABLE");
    ++i;
    if (At(t, i, "global") || At(t, i, "local")) ++i;
    if (At(t, i, "temp") || At(t, i, "temporary")) {
      temporary = true;
      ++i;
    } else if (At(t, i, "unlogged")) {
      ++i;
    }
    if (!At(t, i, "table")) return refuse("could not read the statement as CREATE TABLE");
    ++i;
    SkipIfExists(t, i);
    auto name = ParseQualifiedName(t, i);
    if (!name) return refuse("could not read the table name of CREATE TABLE");
    // CREATE TABLE name [(columns)] [USING|WITH|ON COMMIT|TABLESPACE ...]
    // AS query | EXECUTE: the only AS outside parentheses.
    if (HasTopLevelWord(t, i, "as")) return refuse("CREATE TABLE ... AS is not carried");
    written.push_back({*name, true});
    // PARTITION OF parent, outside any parentheses.
    int depth = 0;
    for (size_t k = i; k < t.size(); ++k) {
      if (t[k].IsPunct('(')) ++depth;
      if (t[k].IsPunct(')')) --depth;
      if (depth == 0 && t[k].IsWord("partition") && At(t, k + 1, "of")) {
        size_t p = k + 2;
        partition_parent = ParseQualifiedName(t, p);
        break;
      }
    }
  } else if (tag == "DROP TABLE") {
    if (!At(t, i, "drop") || !At(t, i + 1, "table")) return refuse("could not read the statement as DROP TABLE");
    i += 2;
    SkipIfExists(t, i);
    for (const auto& part : SplitTopLevel(t, i)) {
      size_t k = 0;
      auto name = ParseQualifiedName(part, k);
      if (!name) return refuse("could not read the table names of DROP TABLE");
      written.push_back({*name, false});
    }
    if (IsTempSchema(ddl.schema())) temporary = true;
  } else if (tag == "ALTER TABLE") {
    if (!At(t, i, "alter") || !At(t, i + 1, "table")) return refuse("could not read the statement as ALTER TABLE");
    i += 2;
    if (At(t, i, "all")) return refuse("ALTER TABLE ALL IN TABLESPACE is not carried");
    SkipIfExists(t, i);
    if (At(t, i, "only")) ++i;
    auto name = ParseQualifiedName(t, i);
    if (!name) return refuse("could not read the table name of ALTER TABLE");
    if (i < t.size() && t[i].IsPunct('*')) ++i;
    written.push_back({*name, true});
    for (const auto& action : SplitTopLevel(t, i)) {
      std::string what = UnsupportedAlterAction(action);
      if (!what.empty()) {
        unsupported_action = what;
        break;
      }
    }
    if (i >= t.size()) unsupported_action = "an ALTER TABLE without action";
  } else {  // CREATE INDEX
    if (!At(t, i, "create")) return refuse("could not read the statement as CREATE INDEX");
    ++i;
    if (At(t, i, "unique")) ++i;
    if (!At(t, i, "index")) return refuse("could not read the statement as CREATE INDEX");
    ++i;
    if (At(t, i, "concurrently")) {
      rewrite_concurrently = true;
      concurrently_offset = t[i].offset;
      concurrently_length = t[i].length;
      ++i;
    }
    SkipIfExists(t, i);
    if (!At(t, i, "on")) {
      size_t k = i;
      if (!ParseQualifiedName(t, k)) return refuse("could not read the index name of CREATE INDEX");
      i = k;
    }
    if (!At(t, i, "on")) return refuse("could not read the table of CREATE INDEX");
    ++i;
    if (At(t, i, "only")) ++i;
    auto name = ParseQualifiedName(t, i);
    if (!name) return refuse("could not read the table of CREATE INDEX");
    written.push_back({*name, true});
  }

  if (HasDataModifyingWith(t)) return refuse("statements with a data-modifying WITH query are not carried");
  if (HasTopLevelWord(t, 0, "execute")) return refuse("EXECUTE is not carried");

  // Resolve every named table.
  std::string unresolved;
  for (const auto& [name, use_object_schema] : written) {
    auto resolved = resolve(name, use_object_schema);
    if (!resolved) {
      if (unresolved.empty()) unresolved = name.name;
      continue;
    }
    d.tables.push_back(*resolved);
  }
  for (const auto& table : d.tables) temporary = temporary || IsTempSchema(table.schema);
  if (temporary) return refuse("temporary tables are not synchronized", /*quiet=*/true);

  if (ddl.has_dml()) return refuse("DDL in a transaction that also changed rows is not carried");
  if (HasDropBehaviour(t)) return refuse("statements with CASCADE or RESTRICT are not carried");
  if (!unsupported_action.empty()) {
    return refuse(fmt::format("ALTER TABLE action {} is not carried", unsupported_action));
  }
  if (!unresolved.empty()) return refuse(fmt::format("cannot tell which schema table {} is in", unresolved));

  std::vector<std::string> outside;
  for (const auto& table : d.tables) {
    if (!scope_.Matches(table.schema, table.name)) outside.push_back(table.Display());
  }
  if (!outside.empty()) {
    std::string list;
    for (const auto& o : outside) list += (list.empty() ? "" : ", ") + o;
    return refuse(fmt::format("{} {} {} outside the sync scope", outside.size() == 1 ? "table" : "tables", list,
                              outside.size() == 1 ? "is" : "are"));
  }
  if (partition_parent) {
    auto parent = resolve(*partition_parent, false);
    if (!parent && !ddl.schema().empty() && partition_parent->schema.empty()) {
      parent = TableName{ddl.schema(), partition_parent->name};
    }
    if (!parent) return refuse(fmt::format("cannot tell which schema table {} is in", partition_parent->name));
    if (!scope_.Matches(parent->schema, parent->name)) {
      return refuse(fmt::format("partitioned table {} is outside the sync scope", parent->Display()));
    }
  }

  if (rewrite_concurrently) {
    size_t base = t.front().offset;
    const std::string& full = ddl.statement();
    statement = full.substr(base, concurrently_offset - base) +
                full.substr(concurrently_offset + concurrently_length,
                            base + statements[0].text.size() - concurrently_offset - concurrently_length);
  }
  d.apply = true;
  d.statement = statement;
  return d;
}

std::string DdlPolicy::WarningLine(const v1::Ddl& ddl, const DdlDecision& decision) {
  return fmt::format("DDL not carried to the target ({}): {}", decision.reason,
                     Truncated(RedactDdlSecrets(ddl.statement()), 300));
}

void MixedTransactionGuard::Begin() {
  held_.clear();
  seen_rows_ = false;
}

std::optional<MixedTransactionGuard::Held> MixedTransactionGuard::Hold(Held held) {
  if (seen_rows_) {
    held.decision.apply = false;
    held.decision.statement.clear();
    held.decision.reason = "DDL in a transaction that also changed rows is not carried";
    return held;
  }
  held_.push_back(std::move(held));
  return std::nullopt;
}

std::vector<MixedTransactionGuard::Held> MixedTransactionGuard::OnRowChange() {
  seen_rows_ = true;
  std::vector<Held> dropped = std::move(held_);
  held_.clear();
  for (auto& h : dropped) {
    h.decision.apply = false;
    h.decision.statement.clear();
    h.decision.reason = "DDL in a transaction that also changed rows is not carried (rows changed after it)";
  }
  return dropped;
}

std::vector<MixedTransactionGuard::Held> MixedTransactionGuard::TakeForApply() {
  std::vector<Held> out = std::move(held_);
  held_.clear();
  return out;
}

}  // namespace pgduplex
