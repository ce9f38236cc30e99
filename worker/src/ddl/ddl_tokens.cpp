#include "ddl/ddl_tokens.h"

#include <cctype>

namespace pgduplex {

std::optional<WrittenName> ReadQualifiedName(const DdlTokens& t, size_t& i) {
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

void SkipIfExists(const DdlTokens& t, size_t& i) {
  if (At(t, i, "if") && At(t, i + 1, "exists")) {
    i += 2;
  } else if (At(t, i, "if") && At(t, i + 1, "not") && At(t, i + 2, "exists")) {
    i += 3;
  }
}

std::vector<DdlTokens> SplitTopLevel(const DdlTokens& t, size_t from) {
  std::vector<DdlTokens> parts(1);
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

bool HasTopLevelWord(const DdlTokens& t, size_t from, std::string_view word) {
  int depth = 0;
  for (size_t i = from; i < t.size(); ++i) {
    if (t[i].IsPunct('(') || t[i].IsPunct('[')) ++depth;
    if (t[i].IsPunct(')') || t[i].IsPunct(']')) --depth;
    if (depth == 0 && t[i].IsWord(word)) return true;
  }
  return false;
}

std::string UpperWords(const DdlTokens& t, size_t from, size_t count) {
  std::string out;
  for (size_t i = from; i < t.size() && i < from + count; ++i) {
    if (t[i].kind != SqlToken::Kind::kWord) break;
    out += (out.empty() ? "" : " ") + t[i].value;
  }
  for (char& c : out) c = static_cast<char>(toupper(static_cast<unsigned char>(c)));
  return out;
}

bool HasDropBehaviour(const DdlTokens& t) {
  for (size_t i = 0; i < t.size(); ++i) {
    if (!t[i].IsWord("cascade") && !t[i].IsWord("restrict")) continue;
    bool referential = i >= 2 && (t[i - 1].IsWord("delete") || t[i - 1].IsWord("update")) && t[i - 2].IsWord("on");
    if (!referential) return true;
  }
  return false;
}

// The body of a WITH query starts right after "(" (name AS [NOT]
// [MATERIALIZED] ( ... )) or ")" (after a nested WITH list). A column named
// "update" ("(update int, ...") is not one: no SET follows.
bool HasDataModifyingWith(const DdlTokens& t) {
  for (size_t i = 1; i < t.size(); ++i) {
    if (!t[i - 1].IsPunct('(') && !t[i - 1].IsPunct(')')) continue;
    if ((t[i].IsWord("insert") || t[i].IsWord("merge")) && At(t, i + 1, "into")) return true;
    if (t[i].IsWord("delete") && At(t, i + 1, "from")) return true;
    if (t[i].IsWord("update")) {
      size_t k = i + 1;
      if (At(t, k, "only")) ++k;
      if (!ReadQualifiedName(t, k)) continue;
      if (k < t.size() && t[k].IsPunct('*')) ++k;
      if (At(t, k, "as")) ++k;
      if (At(t, k, "set")) return true;
      if (k < t.size() && t[k].IsIdentifier() && At(t, k + 1, "set")) return true;
    }
  }
  return false;
}

}  // namespace pgduplex
