#include <catch2/catch.hpp>

#include "common/sql_lexer.h"

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

TEST_CASE("a_dash_comment_ends_at_a_carriage_return_too") {
  // As the server's scanner: newline is [\n\r].
  CHECK(SplitStatements("select 1; -- x\rselect 2").size() == 2);
  CHECK(Values("-- a\rb") == std::vector<std::string>{"b"});
}

TEST_CASE("a_number_does_not_swallow_a_dollar_quote") {
  auto tokens = TokenizeSql("SELECT 1$$;$$");
  REQUIRE(tokens.size() == 3);
  CHECK(tokens[1].kind == SqlToken::Kind::kNumber);
  CHECK(tokens[1].value == "1");
  CHECK(tokens[2].kind == SqlToken::Kind::kString);
  CHECK(SplitStatements("SELECT 1$$;$$").size() == 1);
}

TEST_CASE("dollar_quote_tags_end_only_at_the_same_tag") {
  CHECK(SplitStatements("SELECT $a$ $b$ ; $ab$ ; $a$").size() == 1);
  CHECK(SplitStatements("SELECT $a$ x $a$; SELECT 2").size() == 2);
  // A $ inside an identifier is no quote.
  CHECK(SplitStatements("SELECT a$b$; SELECT $b$").size() == 2);
}

TEST_CASE("backslash_quotes_when_standard_conforming_strings_is_off") {
  auto standard = TokenizeSql("SELECT 'a\\'; SELECT 'z'");
  auto legacy = TokenizeSql("SELECT 'a\\'; SELECT 'z'", /*standard_conforming_strings=*/false);
  CHECK(standard.size() == 5);  // select 'a\' ; select 'z'
  REQUIRE(legacy.size() == 4);  // select 'a\'; SELECT ' z '  (the last literal runs to the end)
  CHECK(legacy[1].value == "'a\\'; SELECT '");
}

TEST_CASE("quote_ident_always_quotes_and_doubles_quotes") {
  CHECK(QuoteIdent("abc") == "\"abc\"");
  CHECK(QuoteIdent("a\"b") == "\"a\"\"b\"");
  CHECK(QuoteQualified("public", "T") == "\"public\".\"T\"");
}
