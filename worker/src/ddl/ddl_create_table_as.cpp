#include "ddl/ddl_create_table_as.h"

#include "ddl/ddl_tokens.h"

namespace pgduplex {

namespace {

// The text of tokens [from, to) of the statement; "" when empty.
std::string Slice(const SqlStatement& s, size_t from, size_t to) {
  if (from >= to || to > s.tokens.size()) return "";
  const size_t base = s.tokens[0].offset;
  const size_t begin = s.tokens[from].offset - base;
  const size_t end = s.tokens[to - 1].offset + s.tokens[to - 1].length - base;
  return s.text.substr(begin, end - begin);
}

// The index of the first top-level (outside parentheses and brackets)
// occurrence of `word` at or after `from`; t.size() when none.
size_t TopLevelWord(const DdlTokens& t, size_t from, std::string_view word) {
  int depth = 0;
  for (size_t k = 0; k < t.size(); ++k) {
    if (t[k].IsPunct('(') || t[k].IsPunct('[')) ++depth;
    if (t[k].IsPunct(')') || t[k].IsPunct(']')) --depth;
    if (k >= from && depth == 0 && t[k].IsWord(word)) return k;
  }
  return t.size();
}

}  // namespace

std::optional<std::string> CreateTableAsWithNoData(const SqlStatement& statement) {
  const DdlTokens& t = statement.tokens;
  if (TopLevelWord(t, 0, "as") == t.size()) return std::nullopt;
  size_t end = t.size();
  if (end >= 2 && t[end - 1].IsWord("data") && t[end - 2].IsWord("with")) {
    end -= 2;
  } else if (end >= 3 && t[end - 1].IsWord("data") && t[end - 2].IsWord("no") && t[end - 3].IsWord("with")) {
    end -= 3;
  }
  return Slice(statement, 0, end) + " WITH NO DATA";
}

std::optional<std::string> SelectIntoAsCreateTable(const SqlStatement& statement) {
  const DdlTokens& t = statement.tokens;
  const size_t into = TopLevelWord(t, 0, "into");
  if (into == 0 || into == t.size()) return std::nullopt;
  size_t k = into + 1;
  std::string kind;
  if (At(t, k, "global") || At(t, k, "local")) ++k;
  if (At(t, k, "temp") || At(t, k, "temporary")) {
    kind = "TEMP ";
    ++k;
  } else if (At(t, k, "unlogged")) {
    kind = "UNLOGGED ";
    ++k;
  }
  if (At(t, k, "table")) ++k;
  const size_t name_begin = k;
  if (!ReadQualifiedName(t, k)) return std::nullopt;
  std::string rewritten = "CREATE " + kind + "TABLE " + Slice(statement, name_begin, k) + " AS " +
                          Slice(statement, 0, into);
  if (k < t.size()) rewritten += " " + Slice(statement, k, t.size());
  return rewritten;
}

}  // namespace pgduplex
