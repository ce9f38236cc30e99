// DdlPolicy: exactly one statement of an allowed kind, read as the source
// read it: several statements, a query inside (CREATE TABLE ... AS, SELECT
// INTO, EXECUTE, a data-modifying WITH), a statement of another kind than
// its tag, or text the lexer would not read as the source did, is refused.
#include <catch2/catch.hpp>

#include "ddl_policy_test_support.h"

using namespace pgduplex;
using namespace pgduplex::ddl_test;

TEST_CASE("create_table_as_with_a_data_modifying_cte_is_not_carried") {
  // The attack of issue 8: only a "CREATE TABLE <name>" prefix was checked.
  auto d = Decide(Make("CREATE TABLE",
                       "CREATE TABLE x AS WITH u AS (UPDATE pg_catalog.pg_authid SET rolsuper = true RETURNING 1) "
                       "SELECT * FROM u"));
  RequireRefused(d, "CREATE TABLE ... AS is not carried");
}

TEST_CASE("create_table_as_in_every_form_is_not_carried") {
  for (const char* s : {
           "CREATE TABLE x AS SELECT 1",
           "create table x as table y with no data",
           "CREATE TABLE x (a) AS SELECT 1",
           "CREATE TABLE x (a, b) WITH (fillfactor = 70) AS VALUES (1, 2)",
           "CREATE UNLOGGED TABLE IF NOT EXISTS public.x USING heap TABLESPACE pg_default AS SELECT 1",
           "CREATE TABLE x AS EXECUTE p(1)",
           "CREATE TEMP TABLE x ON COMMIT DROP AS SELECT 1",
       }) {
    INFO(s);
    RequireRefused(Decide(Make("CREATE TABLE", s)), "CREATE TABLE ... AS is not carried");
  }
}

TEST_CASE("select_into_and_execute_are_not_carried_whatever_the_tag") {
  for (const char* s : {"SELECT 1 AS a INTO x", "select * into unlogged x from y",
                        "WITH u AS (DELETE FROM t RETURNING *) SELECT * INTO x FROM u"}) {
    INFO(s);
    RequireRefused(Decide(Make("CREATE TABLE", s)), "SELECT INTO is not carried");
  }
  RequireRefused(Decide(Make("CREATE TABLE", "EXECUTE make_table(1)")), "EXECUTE is not carried");
  RequireRefused(Decide(Make("ALTER TABLE", "execute p")), "EXECUTE is not carried");
}

TEST_CASE("a_data_modifying_cte_anywhere_is_not_carried") {
  // Not valid PostgreSQL today (no subqueries in DEFAULT or index
  // expressions), but the policy refuses by shape, not by hoping so.
  struct Case {
    const char* tag;
    const char* statement;
  } cases[] = {
      {"ALTER TABLE",
       "ALTER TABLE t ADD COLUMN c int DEFAULT (WITH u AS (UPDATE pg_authid SET rolsuper = true RETURNING 1) "
       "SELECT 1)"},
      {"ALTER TABLE", "ALTER TABLE t ALTER c TYPE int USING (WITH d AS MATERIALIZED (DELETE FROM a RETURNING 1) "
                      "SELECT 1)"},
      {"CREATE INDEX", "CREATE INDEX ON t ((WITH i AS NOT MATERIALIZED (INSERT INTO a VALUES (1) RETURNING 1) "
                       "SELECT 1))"},
      {"CREATE TABLE", "CREATE TABLE t (a int DEFAULT (WITH m AS (MERGE INTO a USING b ON true "
                       "WHEN MATCHED THEN DELETE) SELECT 1))"},
      {"CREATE TABLE", "CREATE TABLE t (a int CHECK (a > (WITH u(x) AS (UPDATE ONLY a SET x = 1 RETURNING x) "
                       "SELECT 1)))"},
  };
  for (const auto& c : cases) {
    INFO(c.statement);
    RequireRefused(Decide(Make(c.tag, c.statement)), "statements with a data-modifying WITH query are not carried");
  }
  // Columns named like DML keywords are fine.
  RequireApplied(Decide(Make("CREATE TABLE", "CREATE TABLE t (update int, insert text, \"delete\" int)")));
  RequireApplied(Decide(Make("ALTER TABLE", "ALTER TABLE t ADD COLUMN g int GENERATED ALWAYS AS (update + 1) STORED")));
}

TEST_CASE("a_second_statement_after_a_quoted_semicolon_is_seen_and_isolated") {
  for (const char* s : {
           "CREATE TABLE t (a text DEFAULT $$;$$); DROP TABLE u",
           "CREATE TABLE t (a text DEFAULT $x$ $$ ; $x$); DROP TABLE u",
           "CREATE TABLE t (a text DEFAULT E'\\';'); DROP TABLE u",
           "CREATE TABLE t (a text DEFAULT 'x'';'); DROP TABLE u",
           "CREATE TABLE t (\"a;\" int) /* ; /* ; */ ; */; DROP TABLE u",
           "CREATE TABLE t (a int); -- ; \n DROP TABLE u",
       }) {
    INFO(s);
    auto create = Decide(Make("CREATE TABLE", s));
    RequireApplied(create);
    CHECK(create.statement.find("DROP TABLE u") == std::string::npos);
    CHECK(create.statement.rfind("CREATE TABLE t (", 0) == 0);
    auto drop_record = Make("DROP TABLE", s);
    drop_record.set_object_identity("public.u");
    auto drop = Decide(drop_record);
    RequireApplied(drop);
    CHECK(drop.statement == "DROP TABLE u");
  }
}

TEST_CASE("a_comment_ended_by_a_carriage_return_does_not_hide_a_statement") {
  // PostgreSQL ends a -- comment at \r as well as \n: this is three
  // statements (CREATE, DROP, SELECT), not one CREATE with a comment.
  RequireRefused(Decide(Make("CREATE TABLE", "CREATE TABLE t (a int) -- x\r; DROP TABLE hr.secret; SELECT\n 1")),
                 "several statements");
}

TEST_CASE("a_semicolon_inside_a_nested_comment_is_not_a_statement_end") {
  auto d = Decide(Make("CREATE TABLE", "CREATE TABLE t (a int) /* /* */ ; DROP TABLE u; */"));
  RequireApplied(d);
  CHECK(d.statement == "CREATE TABLE t (a int)");
}

TEST_CASE("a_trailing_semicolon_and_comments_are_allowed") {
  auto d = Decide(Make("CREATE TABLE", "/* m1 */ CREATE TABLE t (a int) ; -- done\n ; /* really */"));
  RequireApplied(d);
  CHECK(d.statement == "CREATE TABLE t (a int) ;");
}

TEST_CASE("the_statement_must_be_of_the_tagged_kind") {
  RequireRefused(Decide(Make("CREATE INDEX", "CREATE TABLE t (a int)")), "could not read the statement as CREATE INDEX");
  RequireRefused(Decide(Make("DROP TABLE", "DROP VIEW v", "")), "could not read the statement as DROP TABLE");
  RequireRefused(Decide(Make("CREATE TABLE", "CREATE VIEW t AS SELECT 1")), "could not read the statement as CREATE TABLE");
}

TEST_CASE("ddl_captured_without_standard_conforming_strings_is_not_carried") {
  // With standard_conforming_strings = off, '\' does not end a literal on
  // the source, while the worker's lexer (and the target) read it as the
  // end: the two sides would parse different statements.
  auto ddl = Make("ALTER TABLE", "ALTER TABLE t ADD COLUMN c text DEFAULT 'a\\', ADD COLUMN b int DEFAULT 1 -- '");
  ddl.set_standard_conforming_strings(false);
  RequireRefused(Decide(ddl), "DDL captured with standard_conforming_strings = off is not carried");
  ddl.set_standard_conforming_strings(true);
  RequireApplied(Decide(ddl));
}

TEST_CASE("a_statement_with_a_nul_byte_is_not_carried") {
  RequireRefused(Decide(Make("CREATE TABLE", std::string("CREATE TABLE t (a int)\0; DROP TABLE u", 37))),
                 "the statement contains a NUL byte");
}
