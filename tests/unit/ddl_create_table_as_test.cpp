// CREATE TABLE ... AS and SELECT INTO: rewritten to an empty CREATE TABLE
// ... AS ... WITH NO DATA for the target (ddl/ddl_create_table_as.h), and
// carried by the policy under their own tags only.
#include <catch2/catch.hpp>

#include "ddl/ddl_create_table_as.h"
#include "ddl_policy_test_support.h"

using namespace pgduplex;
using namespace pgduplex::ddl_test;

namespace {

SqlStatement One(const std::string& text) {
  auto statements = SplitStatements(text);
  REQUIRE(statements.size() == 1);
  return statements[0];
}

}  // namespace

TEST_CASE("create_table_as_loses_its_data_clause_and_gets_with_no_data") {
  struct Case {
    const char* in;
    const char* out;
  } cases[] = {
      {"CREATE TABLE t2 AS SELECT * FROM t WHERE id > 2", "CREATE TABLE t2 AS SELECT * FROM t WHERE id > 2 WITH NO DATA"},
      {"create table x as table y with data;", "create table x as table y WITH NO DATA"},
      {"CREATE TABLE x AS SELECT 1 WITH NO DATA", "CREATE TABLE x AS SELECT 1 WITH NO DATA"},
      {"CREATE TABLE x (a) AS SELECT 'with data' -- with data\n", "CREATE TABLE x (a) AS SELECT 'with data' WITH NO DATA"},
      {"CREATE TABLE x AS WITH data AS (SELECT 1) SELECT * FROM data", "CREATE TABLE x AS WITH data AS (SELECT 1) SELECT * FROM data WITH NO DATA"},
  };
  for (const auto& c : cases) {
    INFO(c.in);
    auto rewritten = CreateTableAsWithNoData(One(c.in));
    REQUIRE(rewritten);
    CHECK(*rewritten == c.out);
  }
  CHECK_FALSE(CreateTableAsWithNoData(One("CREATE TABLE x (a int, b text DEFAULT 'as')")));
}

TEST_CASE("select_into_becomes_create_table_as") {
  struct Case {
    const char* in;
    const char* out;
  } cases[] = {
      {"SELECT id, v INTO t4 FROM t WHERE id < 3 ORDER BY id",
       "CREATE TABLE t4 AS SELECT id, v FROM t WHERE id < 3 ORDER BY id"},
      {"select 1 as a into unlogged table s.\"X\";", "CREATE UNLOGGED TABLE s.\"X\" AS select 1 as a"},
      {"SELECT * INTO TEMP x FROM y", "CREATE TEMP TABLE x AS SELECT * FROM y"},
      {"WITH w AS (SELECT 1 AS a) SELECT (SELECT a FROM w) INTO z FROM w",
       "CREATE TABLE z AS WITH w AS (SELECT 1 AS a) SELECT (SELECT a FROM w) FROM w"},
  };
  for (const auto& c : cases) {
    INFO(c.in);
    auto rewritten = SelectIntoAsCreateTable(One(c.in));
    REQUIRE(rewritten);
    CHECK(*rewritten == c.out);
  }
  CHECK_FALSE(SelectIntoAsCreateTable(One("SELECT 1")));
  CHECK_FALSE(SelectIntoAsCreateTable(One("SELECT 1 INTO")));
}

TEST_CASE("create_table_as_and_select_into_are_carried_as_empty_tables") {
  auto d = Decide(Make("CREATE TABLE AS", "CREATE TABLE t2 AS SELECT * FROM t WITH DATA"));
  RequireApplied(d);
  CHECK(d.statement == "CREATE TABLE t2 AS SELECT * FROM t WITH NO DATA");
  REQUIRE(d.tables.size() == 1);
  CHECK(d.tables[0].Display() == "public.t2");

  d = Decide(Make("SELECT INTO", "SELECT a INTO sales.orders FROM x"));
  RequireApplied(d);
  CHECK(d.statement == "CREATE TABLE sales.orders AS SELECT a FROM x WITH NO DATA");

  RequireRefused(Decide(Make("CREATE TABLE AS", "CREATE TABLE sales.other AS SELECT 1")),
                 "table sales.other is outside the sync scope");
  d = Decide(Make("SELECT INTO", "SELECT 1 INTO TEMP x"));
  CHECK_FALSE(d.apply);
  CHECK(d.quiet);
}

TEST_CASE("create_table_as_that_runs_more_than_a_query_is_not_carried") {
  RequireRefused(Decide(Make("CREATE TABLE AS", "CREATE TABLE x AS EXECUTE p(1)")), "EXECUTE is not carried");
  RequireRefused(Decide(Make("CREATE TABLE AS", "CREATE TABLE x AS WITH u AS (DELETE FROM t RETURNING *) "
                                                "SELECT * FROM u")),
                 "statements with a data-modifying WITH query are not carried");
  RequireRefused(Decide(Make("SELECT INTO", "WITH u AS (UPDATE t SET a = 1 RETURNING *) SELECT * INTO x FROM u")),
                 "statements with a data-modifying WITH query are not carried");
  RequireRefused(Decide(Make("SELECT INTO", "SELECT 1")), "could not read the statement as SELECT ... INTO");
}
