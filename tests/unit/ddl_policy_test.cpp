// DdlPolicy: which commands are carried, and the one reason for the rest.
// The statement's shape (one statement, no query inside) is tested in
// ddl_policy_statement_test.cpp.
#include <catch2/catch.hpp>

#include "ddl_policy_test_support.h"

using namespace pgduplex;
using namespace pgduplex::ddl_test;

// ---- carried ---------------------------------------------------------------

TEST_CASE("create_table_in_scope_is_carried") {
  auto d = Decide(Make("CREATE TABLE", "CREATE TABLE t1 (id int primary key, v text)"));
  RequireApplied(d);
  CHECK(d.statement == "CREATE TABLE t1 (id int primary key, v text)");
  REQUIRE(d.tables.size() == 1);
  CHECK(d.tables[0].Display() == "public.t1");
}

TEST_CASE("create_table_variants_are_carried") {
  RequireApplied(Decide(Make("CREATE TABLE", "create unlogged table if not exists public.t2 (id int)")));
  RequireApplied(Decide(Make("CREATE TABLE", "CREATE TABLE t3 (LIKE t1 INCLUDING ALL)")));
  RequireApplied(Decide(Make("CREATE TABLE", "CREATE TABLE sales.orders (id bigserial primary key)", "sales")));
  RequireApplied(
      Decide(Make("CREATE TABLE", "CREATE TABLE c (id int, pid int REFERENCES p ON DELETE CASCADE ON UPDATE RESTRICT)")));
}

TEST_CASE("create_table_partition_of_in_scope_parent_is_carried") {
  auto d = Decide(Make("CREATE TABLE", "CREATE TABLE m_2024 PARTITION OF m FOR VALUES FROM (1) TO (100)"));
  RequireApplied(d);
  CHECK(d.tables[0].Display() == "public.m_2024");
}

TEST_CASE("drop_table_in_scope_is_carried") {
  RequireApplied(Decide(Make("DROP TABLE", "DROP TABLE public.t1", "")));
  auto ddl = Make("DROP TABLE", "DROP TABLE IF EXISTS t1, t2", "");
  ddl.set_object_identity("public.t1, public.t2");
  auto d = Decide(ddl);
  RequireApplied(d);
  CHECK(d.tables.size() == 2);
}

TEST_CASE("every_supported_alter_table_action_is_carried") {
  const char* statements[] = {
      "ALTER TABLE t RENAME TO t_new",
      "ALTER TABLE t RENAME COLUMN a TO b",
      "ALTER TABLE t RENAME a TO b",
      "ALTER TABLE t RENAME CONSTRAINT c1 TO c2",
      "ALTER TABLE t ADD COLUMN c int",
      "ALTER TABLE t ADD c int",
      "ALTER TABLE t ADD COLUMN IF NOT EXISTS c int",
      "ALTER TABLE t ADD COLUMN c int DEFAULT 7",
      "ALTER TABLE t ADD COLUMN c timestamptz NOT NULL DEFAULT '2020-01-01'",
      "ALTER TABLE t ALTER COLUMN c TYPE bigint",
      "ALTER TABLE t ALTER c SET DATA TYPE numeric(10,2) USING c::numeric",
      "ALTER TABLE t DROP COLUMN c",
      "ALTER TABLE t DROP c",
      "ALTER TABLE t DROP COLUMN IF EXISTS c",
      "ALTER TABLE t ADD CONSTRAINT u UNIQUE (a)",
      "ALTER TABLE t ADD CONSTRAINT pk PRIMARY KEY (id)",
      "ALTER TABLE t ADD CONSTRAINT ck CHECK (a > 0)",
      "ALTER TABLE t ADD CHECK (a > 0)",
      "ALTER TABLE t ADD CONSTRAINT fk FOREIGN KEY (pid) REFERENCES p (id) ON DELETE CASCADE",
      "ALTER TABLE t ALTER COLUMN c DROP DEFAULT",
      "ALTER TABLE t ALTER COLUMN c SET DEFAULT 5",
      "ALTER TABLE t ALTER COLUMN c SET NOT NULL",
      "ALTER TABLE t ALTER COLUMN c DROP NOT NULL",
      "ALTER TABLE t DROP CONSTRAINT ck",
      "ALTER TABLE IF EXISTS ONLY t ADD COLUMN x int, ALTER COLUMN y TYPE text, DROP COLUMN z",
      "ALTER TABLE \"public\".\"t\" ADD COLUMN \"Weird, name\" int",
  };
  for (const char* statement : statements) {
    INFO(statement);
    RequireApplied(Decide(Make("ALTER TABLE", statement)));
  }
}

TEST_CASE("create_index_is_carried_and_concurrently_is_removed") {
  auto d = Decide(Make("CREATE INDEX", "CREATE INDEX t_a ON t (a)"));
  RequireApplied(d);
  CHECK(d.tables[0].Display() == "public.t");
  RequireApplied(Decide(Make("CREATE INDEX", "CREATE UNIQUE INDEX IF NOT EXISTS t_b ON ONLY public.t USING btree (b)")));
  RequireApplied(Decide(Make("CREATE INDEX", "CREATE INDEX ON t ((lower(v)))")));
  d = Decide(Make("CREATE INDEX", "CREATE INDEX CONCURRENTLY t_c ON t (c);"));
  RequireApplied(d);
  CHECK(d.statement == "CREATE INDEX  t_c ON t (c);");
}

TEST_CASE("index_on_unqualified_table_takes_the_index_schema") {
  auto d = Decide(Make("CREATE INDEX", "CREATE INDEX o_a ON orders (a)", "sales"));
  RequireApplied(d);
  CHECK(d.tables[0].Display() == "sales.orders");
}

TEST_CASE("leading_comments_and_whitespace_do_not_matter") {
  auto d = Decide(Make("CREATE TABLE", "\n  -- migration 12\n  CREATE TABLE t9 (id int)\n"));
  RequireApplied(d);
  CHECK(d.statement == "CREATE TABLE t9 (id int)");
}

// ---- not carried -----------------------------------------------------------

TEST_CASE("cascade_or_restrict_is_not_carried") {
  for (const char* s : {"DROP TABLE t CASCADE", "DROP TABLE t RESTRICT", "ALTER TABLE t DROP COLUMN c CASCADE",
                        "ALTER TABLE t DROP CONSTRAINT ck RESTRICT"}) {
    INFO(s);
    std::string tag = std::string(s).rfind("DROP", 0) == 0 ? "DROP TABLE" : "ALTER TABLE";
    auto d = Decide(Make(tag, s, tag == "DROP TABLE" ? "" : "public"));
    CHECK_FALSE(d.apply);
    CHECK(d.reason == "statements with CASCADE or RESTRICT are not carried");
  }
}

TEST_CASE("cascade_inside_a_literal_or_quoted_name_is_not_drop_behaviour") {
  RequireApplied(Decide(Make("ALTER TABLE", "ALTER TABLE t ADD COLUMN mode text DEFAULT 'cascade'")));
  RequireApplied(Decide(Make("ALTER TABLE", "ALTER TABLE t ADD COLUMN \"cascade\" int")));
}

TEST_CASE("ddl_inside_functions_is_not_carried") {
  // The statement text is the top-level call, not the command.
  for (const char* call : {"DO $$ BEGIN CREATE TABLE t (id int); END $$", "SELECT make_tables()", "CALL p()",
                           "CREATE TABLE t (id int)"}) {
    INFO(call);
    auto ddl = Make("CREATE TABLE", call);
    ddl.set_in_function(true);
    auto d = Decide(ddl);
    CHECK_FALSE(d.apply);
    CHECK_FALSE(d.quiet);
    CHECK(d.reason == "DDL run inside a function, procedure or DO block is not carried");
  }
}

TEST_CASE("temporary_tables_made_by_functions_are_skipped_quietly") {
  auto ddl = Make("CREATE TABLE", "SELECT report()", "pg_temp");
  ddl.set_in_function(true);
  auto d = Decide(ddl);
  CHECK_FALSE(d.apply);
  CHECK(d.quiet);
}

TEST_CASE("ddl_after_dml_in_one_transaction_is_carried") {
  auto ddl = Make("ALTER TABLE", "ALTER TABLE t ADD COLUMN c int");
  ddl.set_has_dml(true);
  auto d = Decide(ddl);
  CHECK(d.apply);
}

TEST_CASE("objects_outside_the_scope_are_not_carried") {
  auto d = Decide(Make("CREATE TABLE", "CREATE TABLE sales.refunds (id int)", "sales"));
  CHECK_FALSE(d.apply);
  CHECK(d.reason == "table sales.refunds is outside the sync scope");
  d = Decide(Make("CREATE INDEX", "CREATE INDEX ON hr.staff (a)", "hr"));
  CHECK_FALSE(d.apply);
  CHECK(d.reason == "table hr.staff is outside the sync scope");
  d = Decide(Make("DROP TABLE", "DROP TABLE public.a, hr.b", ""));
  CHECK_FALSE(d.apply);
  CHECK(d.reason == "table hr.b is outside the sync scope");
  d = Decide(Make("ALTER TABLE", "ALTER TABLE pgduplex.conflicts ADD COLUMN x int", "pgduplex"));
  CHECK_FALSE(d.apply);
}

TEST_CASE("partition_of_a_parent_outside_the_scope_is_not_carried") {
  auto d = Decide(Make("CREATE TABLE", "CREATE TABLE public.p1 PARTITION OF hr.m FOR VALUES IN (1)"));
  CHECK_FALSE(d.apply);
  CHECK(d.reason == "partitioned table hr.m is outside the sync scope");
  d = Decide(Make("CREATE TABLE", "CREATE TABLE sales.p1 PARTITION OF sales.orders FOR VALUES IN (1)", "sales"));
  CHECK_FALSE(d.apply);
  CHECK(d.reason == "table sales.p1 is outside the sync scope");
}

TEST_CASE("temporary_tables_are_skipped_quietly") {
  auto d = Decide(Make("CREATE TABLE", "CREATE TEMP TABLE scratch (id int)", "pg_temp_3"));
  CHECK_FALSE(d.apply);
  CHECK(d.quiet);
  d = Decide(Make("ALTER TABLE", "ALTER TABLE scratch ADD COLUMN x int", "pg_temp_3"));
  CHECK(d.quiet);
  auto drop = Make("DROP TABLE", "DROP TABLE scratch", "pg_temp_3");
  drop.set_object_identity("pg_temp_3.scratch");
  d = Decide(drop);
  CHECK_FALSE(d.apply);
  CHECK(d.quiet);
}

TEST_CASE("unsupported_commands_are_not_carried") {
  for (const char* tag : {"CREATE VIEW", "ALTER TYPE", "ALTER INDEX", "CREATE SEQUENCE",
                          "COMMENT", "GRANT", "DROP INDEX", "CREATE SCHEMA"}) {
    INFO(tag);
    auto d = Decide(Make(tag, "whatever"));
    CHECK_FALSE(d.apply);
    CHECK_THAT(d.reason, Catch::StartsWith(std::string(tag) + " is not carried"));
  }
}

TEST_CASE("unsupported_alter_table_actions_are_not_carried") {
  struct Case {
    const char* statement;
    const char* action;
  } cases[] = {
      {"ALTER TABLE t SET SCHEMA other", "SET SCHEMA OTHER"},
      {"ALTER TABLE t OWNER TO bob", "OWNER TO BOB"},
      {"ALTER TABLE m ATTACH PARTITION m3 FOR VALUES IN (3)", "ATTACH PARTITION M3"},
      {"ALTER TABLE m DETACH PARTITION m3", "DETACH PARTITION M3"},
      {"ALTER TABLE t ENABLE TRIGGER trg", "ENABLE TRIGGER TRG"},
      {"ALTER TABLE t ALTER COLUMN c SET STATISTICS 100", "ALTER COLUMN ... SET STATISTICS"},
      {"ALTER TABLE t ALTER CONSTRAINT fk DEFERRABLE", "ALTER CONSTRAINT"},
      {"ALTER TABLE t ADD COLUMN x int, SET TABLESPACE fast", "SET TABLESPACE FAST"},
  };
  for (const auto& c : cases) {
    INFO(c.statement);
    auto d = Decide(Make("ALTER TABLE", c.statement));
    CHECK_FALSE(d.apply);
    CHECK(d.reason == std::string("ALTER TABLE action ") + c.action + " is not carried");
  }
}

TEST_CASE("several_statements_in_one_query_string_are_each_isolated") {
  auto ddl = Make("CREATE TABLE", "CREATE TABLE a (id int); CREATE TABLE b (id int);");
  ddl.set_object_identity("public.b");
  auto d = Decide(ddl);
  RequireApplied(d);
  CHECK(d.statement == "CREATE TABLE b (id int);");
}

TEST_CASE("types_domains_and_functions_in_synced_schemas_are_carried") {
  RequireApplied(Decide(Make("CREATE TYPE", "CREATE TYPE mood AS ENUM ('sad', 'ok')")));
  RequireApplied(Decide(Make("CREATE DOMAIN", "CREATE DOMAIN positive AS int CHECK (VALUE > 0)")));
  RequireApplied(Decide(Make("CREATE FUNCTION",
                             "CREATE OR REPLACE FUNCTION public.f(i int) RETURNS int LANGUAGE sql AS $$ SELECT i $$")));
  auto outside = Decide(Make("CREATE TYPE", "CREATE TYPE hr.grade AS ENUM ('a')", "hr"));
  CHECK_FALSE(outside.apply);
  CHECK(outside.reason == "schema hr holds no synced table");
}

TEST_CASE("add_column_with_a_volatile_default_is_refused") {
  auto d = Decide(Make("ALTER TABLE", "ALTER TABLE t ADD COLUMN c timestamptz NOT NULL DEFAULT now()"));
  CHECK_FALSE(d.apply);
  CHECK_THAT(d.reason, Catch::StartsWith("ADD COLUMN with a default each side would compute on its own (now())"));
}

TEST_CASE("a_string_with_a_statement_that_runs_code_is_not_split") {
  auto ddl = Make("CREATE TABLE", "SELECT make_tables(); CREATE TABLE b (id int)");
  ddl.set_in_function(true);  // the trigger's guess: the text starts with SELECT
  auto d = Decide(ddl);
  CHECK_FALSE(d.apply);
  CHECK_THAT(d.reason, Catch::StartsWith("several statements were sent in one query string, one of them (SELECT)"));
}

TEST_CASE("unqualified_drop_uses_dropped_identity_then_look_up") {
  auto drop = Make("DROP TABLE", "DROP TABLE orders", "");
  drop.set_object_identity("sales.orders");
  CHECK(ParseDdl(drop).NamesToLookUp().empty());
  auto d = Decide(drop);
  RequireApplied(d);
  CHECK(d.tables[0].Display() == "sales.orders");

  drop.clear_object_identity();
  ParsedDdl parsed = ParseDdl(drop);
  CHECK(parsed.NamesToLookUp() == std::vector<std::string>{"orders"});
  CHECK(parsed.search_path == std::vector<std::string>{"$user", "public"});
  d = Decide(drop);  // not looked up, or not found: refuse rather than guess
  CHECK_FALSE(d.apply);
  CHECK(d.reason == "cannot tell which schema table orders is in");

  d = Decide(drop, {{"orders", "public"}, {"other", "x"}});
  RequireApplied(d);
  CHECK(d.tables[0].Display() == "public.orders");
}

TEST_CASE("partition_parent_is_looked_up_then_taken_to_live_with_its_partition") {
  auto ddl = Make("CREATE TABLE", "CREATE TABLE p1 PARTITION OF m FOR VALUES IN (1)", "sales");
  CHECK(ParseDdl(ddl).NamesToLookUp() == std::vector<std::string>{"m"});
  // Not found: the parent is taken to be in the partition's schema.
  auto d = Decide(ddl);
  CHECK_FALSE(d.apply);
  CHECK(d.reason == "table sales.p1 is outside the sync scope");
  ddl.set_schema("public");
  RequireApplied(Decide(ddl));
  d = Decide(ddl, {{"m", "hr"}});
  CHECK_FALSE(d.apply);
  CHECK(d.reason == "partitioned table hr.m is outside the sync scope");
}

TEST_CASE("warning_line_names_reason_and_statement") {
  auto ddl = Make("DROP TABLE", "DROP TABLE t\nCASCADE", "");
  auto d = Decide(ddl);
  CHECK(DdlPolicy::WarningLine(ddl, d) ==
        "DDL not carried to the target (statements with CASCADE or RESTRICT are not carried): DROP TABLE t CASCADE");
}

TEST_CASE("warning_line_redacts_passwords") {
  auto ddl = Make("CREATE USER MAPPING",
                  "CREATE USER MAPPING FOR app SERVER remote OPTIONS (user 'app', password 'hunter2')", "");
  auto line = DdlPolicy::WarningLine(ddl, Decide(ddl));
  CHECK(line.find("hunter2") == std::string::npos);
  CHECK_THAT(line, Catch::EndsWith("OPTIONS (user 'app', password '********')"));
}

TEST_CASE("decide_is_noexcept_and_reads_only_what_it_is_given") {
  // The look-ups are the caller's (the applier settles its pipeline for
  // them, which may throw); Decide itself cannot throw.
  auto ddl = Make("DROP TABLE", "DROP TABLE orders", "");
  ParsedDdl parsed = ParseDdl(ddl);
  SchemaLookups looked_up;
  const DdlPolicy policy = Policy();
  static_assert(noexcept(policy.Decide(ddl, parsed, looked_up)));
  // The same inputs give the same decision.
  looked_up["orders"] = "public";
  auto a = Policy().Decide(ddl, parsed, looked_up);
  auto b = Policy().Decide(ddl, parsed, looked_up);
  CHECK(a.apply == b.apply);
  CHECK(a.statement == b.statement);
  // A parse that did not read the text (another record's, a default one)
  // is refused, never carried.
  auto d = Policy().Decide(ddl, ParsedDdl{}, looked_up);
  CHECK_FALSE(d.apply);
  ParsedDdl unread;
  unread.command = DdlCommand::kDropTable;
  RequireRefused(Policy().Decide(ddl, unread, looked_up), "the statement was not read");
}
