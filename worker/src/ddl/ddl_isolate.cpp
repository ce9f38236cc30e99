#include "ddl/ddl_isolate.h"

#include <cctype>

#include "ddl/ddl_tokens.h"

namespace pgduplex {

namespace {

std::string Upper(std::string s) {
  for (char& c : s) c = static_cast<char>(toupper(static_cast<unsigned char>(c)));
  return s;
}

bool IsModifier(const SqlToken& t) {
  for (const char* word : {"or", "replace", "global", "local", "unique", "trusted", "procedural", "recursive"}) {
    if (t.IsWord(word)) return true;
  }
  return false;
}

bool IsTemporary(const SqlToken& t) { return t.IsWord("temp") || t.IsWord("temporary"); }

// Object kinds named with two words (CREATE MATERIALIZED VIEW, ...).
bool TakesSecondWord(const SqlToken& t) {
  for (const char* word : {"materialized", "foreign", "event", "access", "user", "text", "operator", "default"}) {
    if (t.IsWord(word)) return true;
  }
  return false;
}

bool RunsCode(const std::vector<SqlToken>& t) {
  for (const char* word : {"do", "call", "select", "with", "values", "execute", "table", "explain"}) {
    if (At(t, 0, word)) return true;
  }
  return !t.empty() && t[0].IsPunct('(');
}

bool ControlsTransaction(const std::vector<SqlToken>& t) {
  for (const char* word : {"begin", "start", "commit", "end", "rollback", "abort", "savepoint", "release",
                           "prepare"}) {
    if (At(t, 0, word)) return true;
  }
  return false;
}

// Where the object kind ends: t[1..] past modifiers and the one or two
// words of the kind (CREATE [OR REPLACE] [UNIQUE] INDEX, CREATE MATERIALIZED
// VIEW, ...).
size_t AfterKind(const std::vector<SqlToken>& t, bool* temporary = nullptr) {
  size_t i = 1;
  while (i < t.size() && (IsModifier(t[i]) || IsTemporary(t[i]) || t[i].IsWord("unlogged"))) {
    if (temporary && IsTemporary(t[i])) *temporary = true;
    ++i;
  }
  if (i < t.size() && TakesSecondWord(t[i])) ++i;
  return i + 1;
}

// The first name the statement gives after its tag words (the created,
// altered or dropped object), "" if none.
std::string FirstObjectName(const std::vector<SqlToken>& t) {
  size_t i = AfterKind(t);
  while (At(t, i, "concurrently") || At(t, i, "only") || At(t, i, "if") || At(t, i, "not") || At(t, i, "exists")) {
    ++i;
  }
  if (At(t, i, "on")) return "";  // CREATE INDEX ON t: unnamed
  auto name = ReadQualifiedName(t, i);
  return name ? name->name : std::string();
}

// ALTER TABLE t RENAME TO u: the identity names u.
bool RenamedTo(const std::vector<SqlToken>& t, const std::string& name) {
  for (size_t i = 1; i + 1 < t.size(); ++i) {
    if (t[i].IsWord("to") && t[i + 1].IsIdentifier() && t[i + 1].value == name) return true;
  }
  return false;
}

// The record's object identity names the statement's object (any of its
// dot-separated parts: public.t, public.t.column, public.f(integer)).
bool NamesObject(const v1::Ddl& ddl, const std::vector<SqlToken>& t) {
  if (ddl.object_identity().empty()) return true;
  std::string name = FirstObjectName(t);
  if (name.empty()) return true;  // CREATE INDEX ON t (...): unnamed
  for (const SqlToken& part : TokenizeSql(ddl.object_identity())) {
    if (part.IsIdentifier() && (part.value == name || RenamedTo(t, part.value))) return true;
  }
  return false;
}

}  // namespace

std::string LeadingCommandTag(const std::vector<SqlToken>& t) {
  if (t.empty() || t[0].kind != SqlToken::Kind::kWord) return "";
  std::string tag = Upper(t[0].value);
  bool temporary = false;
  const size_t end = AfterKind(t, &temporary);
  std::string object;
  for (size_t k = end - 1; k < end; --k) {
    if (k == 0 || IsModifier(t[k]) || IsTemporary(t[k]) || t[k].IsWord("unlogged")) break;
    if (k >= t.size() || t[k].kind != SqlToken::Kind::kWord) return tag;
    object = Upper(t[k].value) + (object.empty() ? "" : " " + object);
  }
  if (object.empty()) return tag;
  if (tag == "CREATE" && object == "TABLE") {
    if (temporary) return "CREATE TEMP TABLE";
    if (HasTopLevelWord(t, end, "as")) return "CREATE TABLE AS";
  }
  return tag + " " + object;
}

IsolatedStatement IsolateStatement(const v1::Ddl& ddl, const std::vector<SqlStatement>& statements, size_t from) {
  IsolatedStatement out;
  out.in_function = ddl.in_function();
  if (statements.size() == 1) return out;
  out.several = true;
  for (const auto& s : statements) {
    if (RunsCode(s.tokens)) {
      out.refusal = "several statements were sent in one query string, one of them (" +
                    Upper(s.tokens[0].IsPunct('(') ? "(" : s.tokens[0].value) +
                    ") may run DDL itself, so this one cannot be isolated; send DDL as separate statements";
      return out;
    }
    if (ControlsTransaction(s.tokens)) {
      out.refusal = "several statements with transaction control (" + Upper(s.tokens[0].value) +
                    ") were sent in one query string, so this one cannot be isolated; send DDL as separate "
                    "statements";
      return out;
    }
  }
  for (size_t i = from; i < statements.size(); ++i) {
    if (LeadingCommandTag(statements[i].tokens) != ddl.command_tag()) continue;
    if (!NamesObject(ddl, statements[i].tokens)) continue;
    out.index = i;
    out.in_function = false;
    return out;
  }
  out.refusal = "several statements were sent in one query string and none of them is this " + ddl.command_tag() +
                ", so it cannot be isolated (DDL run by a function or trigger?)";
  return out;
}

}  // namespace pgduplex
