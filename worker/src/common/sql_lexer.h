// SqlLexer: splits PostgreSQL SQL text into tokens, the way the server's
// scanner does for the parts that matter when we reason about a statement
// without parsing it: comments (-- and nested /* */), quoted identifiers,
// string literals ('', E'', B'', X'', U&'', dollar-quoted), numbers,
// parameters, and single-character punctuation.
//
// Statement boundaries (SplitStatements) are where the server's scanner
// puts them: a -- comment ends at \n or \r, block comments nest, a number
// never runs into a following $$, and a dollar quote ends only at its own
// tag.
//
// Contract: Tokenize never throws (std::bad_alloc aside); an unterminated
// literal or comment runs to the end of the text (the server would reject
// it; we only need to not misread what comes before). Unquoted identifiers and keywords are folded
// to lower case in `value` (ASCII only, like the server); quoted identifiers
// keep their exact spelling. `offset`/`length` locate the raw token in the
// input so callers can cut or rewrite statements.
//
// Limitation, stated: SQL-standard function bodies (BEGIN ATOMIC ... END)
// contain unquoted semicolons; SplitStatements treats those as statement
// ends. Neither the DDL we carry nor the pg_dump output we restore (tables,
// sequences, types, indexes, constraints) contains such bodies.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace pgduplex {

struct SqlToken {
  enum class Kind { kWord, kQuotedIdent, kString, kNumber, kParam, kPunct };
  Kind kind;
  std::string value;   // folded word, unescaped identifier, or the raw text
  size_t offset = 0;   // in the input text
  size_t length = 0;

  bool IsWord(std::string_view word) const { return kind == Kind::kWord && value == word; }
  bool IsPunct(char c) const { return kind == Kind::kPunct && value.size() == 1 && value[0] == c; }
  bool IsIdentifier() const { return kind == Kind::kWord || kind == Kind::kQuotedIdent; }
};

// standard_conforming_strings = false reads '...' (and N'...') as the
// server does with that setting off: a backslash escapes the next
// character. Everything else in the program lexes standard strings.
std::vector<SqlToken> TokenizeSql(std::string_view text, bool standard_conforming_strings = true);

// One statement of a script: its tokens (without the closing ';') and the
// raw text from its first token through its closing ';' (if any).
struct SqlStatement {
  std::vector<SqlToken> tokens;
  std::string text;
};

// Splits a script at top-level semicolons; statements with no tokens (empty
// or only comments) are left out.
std::vector<SqlStatement> SplitStatements(std::string_view text);

// Always-quoted identifier: Weird"Name -> "Weird""Name". Pure (no
// connection needed), safe for any name in a UTF-8 or single-byte database.
std::string QuoteIdent(const std::string& identifier);
// A qualified name: "schema"."name".
std::string QuoteQualified(const std::string& schema, const std::string& name);

}  // namespace pgduplex
