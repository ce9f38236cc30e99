#include <catch2/catch.hpp>

#include "sql_lexer.h"

using namespace pgduplex;

namespace {
std::vector<std::string> Values(const std::string& sql) {
  std::vector<std::string> out;
  for (const auto& t : TokenizeSql(sql)) out.push_back(t.value);
  return out;
}
}  // namespace

TEST_CASE("words_are_folded_and_quoted_identifiers_kept") {
  auto tokens = TokenizeSql(R"(CREATE TABLE "My""Table" (Id int))");
  REQUIRE(tokens.size() == 7);
  CHECK(tokens[0].IsWord("create"));
  CHECK(tokens[2].kind == SqlToken::Kind::kQuotedIdent);
  CHECK(tokens[2].value == "My\"Table");
  CHECK(tokens[4].value == "id");
}

TEST_CASE("comments_are_skipped_including_nested_block_comments") {
  CHECK(Values("-- drop table x cascade\nSELECT /* a /* nested */ cascade */ 1") ==
        std::vector<std::string>{"select", "1"});
}

TEST_CASE("string_literals_of_every_kind_are_single_tokens") {
  auto tokens = TokenizeSql(R"(SELECT 'it''s; cascade', E'a\';b', $$x; y$$, $fn$ '$$' $fn$, B'101', U&'d\0061t')");
  int strings = 0;
  for (const auto& t : tokens) strings += t.kind == SqlToken::Kind::kString;
  CHECK(strings == 6);
  for (const auto& t : tokens) CHECK_FALSE(t.IsPunct(';'));
}

TEST_CASE("parameters_and_numbers_are_not_dollar_quotes") {
  auto tokens = TokenizeSql("SELECT $1 + 1.5e-3, a.b");
  CHECK(tokens[1].kind == SqlToken::Kind::kParam);
  CHECK(tokens[3].kind == SqlToken::Kind::kNumber);
  CHECK(tokens[3].value == "1.5e-3");
}

TEST_CASE("split_statements_ignores_semicolons_in_literals_and_comments") {
  auto statements = SplitStatements(
      "SET a = 1;\n-- c; d\nCREATE TABLE t (x text DEFAULT 'a;b');\n/* ; */\nCREATE INDEX ON t (x)");
  REQUIRE(statements.size() == 3);
  CHECK(statements[0].text == "SET a = 1;");
  CHECK(statements[1].text == "CREATE TABLE t (x text DEFAULT 'a;b');");
  CHECK(statements[2].text == "CREATE INDEX ON t (x)");
}

TEST_CASE("split_statements_drops_empty_ones") {
  CHECK(SplitStatements(" ; ;-- only a comment\n").empty());
  CHECK(SplitStatements("select 1;;").size() == 1);
}

TEST_CASE("unterminated_literal_runs_to_the_end") {
  auto tokens = TokenizeSql("SELECT 'abc; drop");
  REQUIRE(tokens.size() == 2);
  CHECK(tokens[1].kind == SqlToken::Kind::kString);
}

TEST_CASE("quote_ident_always_quotes_and_doubles_quotes") {
  CHECK(QuoteIdent("abc") == "\"abc\"");
  CHECK(QuoteIdent("a\"b") == "\"a\"\"b\"");
  CHECK(QuoteQualified("public", "T") == "\"public\".\"T\"");
}
