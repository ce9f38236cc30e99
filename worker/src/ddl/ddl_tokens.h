// DdlTokens: the token-level reading the DDL parsers share (ddl/ddl_parse*):
// qualified names, IF [NOT] EXISTS, top-level comma lists and words, and the
// shapes that make a statement run a query or cascade whatever its command
// (a data-modifying WITH, CASCADE / RESTRICT as drop behaviour).
//
// "Top level" means outside parentheses and brackets. Tokens come from the
// worker's lexer (common/sql_lexer.h), so quotes and comments cannot move a
// boundary. Contract: pure, never throws (std::bad_alloc aside).
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/sql_lexer.h"

namespace pgduplex {

using DdlTokens = std::vector<SqlToken>;

// A name as written in the statement; schema empty when unqualified.
struct WrittenName {
  std::string schema;
  std::string name;
  bool operator==(const WrittenName& o) const { return schema == o.schema && name == o.name; }
};

inline bool At(const DdlTokens& t, size_t i, std::string_view word) { return i < t.size() && t[i].IsWord(word); }

// Reads [catalog.]schema.name or name at t[i]; advances i past it.
std::optional<WrittenName> ReadQualifiedName(const DdlTokens& t, size_t& i);

// Skips "IF EXISTS" / "IF NOT EXISTS" at t[i].
void SkipIfExists(const DdlTokens& t, size_t& i);

// Splits t[from..] at top-level commas; empty trailing parts are dropped.
std::vector<DdlTokens> SplitTopLevel(const DdlTokens& t, size_t from);

// An unquoted word at the top level of t[from..].
bool HasTopLevelWord(const DdlTokens& t, size_t from, std::string_view word);

// Up to `count` leading words of t[from..], upper-cased and space-joined
// (how a refusal names an action: "SET SCHEMA OTHER").
std::string UpperWords(const DdlTokens& t, size_t from, size_t count);

// CASCADE / RESTRICT used as drop behaviour, not as an ON DELETE / ON
// UPDATE referential action.
bool HasDropBehaviour(const DdlTokens& t);

// A WITH query that changes data: INSERT INTO / DELETE FROM / MERGE INTO /
// UPDATE [ONLY] name [*] [[AS] alias] SET right after "(" or ")".
bool HasDataModifyingWith(const DdlTokens& t);

}  // namespace pgduplex
