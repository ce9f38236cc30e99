// IsolateStatement: which statement of a multi-statement string a captured
// DDL record is about.
#include <catch2/catch.hpp>

#include "ddl/ddl_isolate.h"

using namespace pgduplex;

namespace {

v1::Ddl Record(const std::string& tag, const std::string& identity, const std::string& text) {
  v1::Ddl ddl;
  ddl.set_command_tag(tag);
  ddl.set_object_identity(identity);
  ddl.set_statement(text);
  return ddl;
}

IsolatedStatement Isolate(const v1::Ddl& ddl, size_t from = 0) {
  return IsolateStatement(ddl, SplitStatements(ddl.statement()), from);
}

}  // namespace

TEST_CASE("leading_words_give_the_command_tag") {
  auto tag = [](const char* s) { return LeadingCommandTag(TokenizeSql(s)); };
  CHECK(tag("create table t (a int)") == "CREATE TABLE");
  CHECK(tag("CREATE UNLOGGED TABLE t (a int)") == "CREATE TABLE");
  CHECK(tag("create temp table t (a int)") == "CREATE TEMP TABLE");
  CHECK(tag("create table t as select 1") == "CREATE TABLE AS");
  CHECK(tag("create unique index concurrently i on t (a)") == "CREATE INDEX");
  CHECK(tag("create or replace function f() returns int as $$ select 1 $$ language sql") == "CREATE FUNCTION");
  CHECK(tag("create materialized view v as select 1") == "CREATE MATERIALIZED VIEW");
  CHECK(tag("alter table t add column c int") == "ALTER TABLE");
  CHECK(tag("insert into t values (1)") == "INSERT INTO");
}

TEST_CASE("each_record_of_a_string_finds_its_own_statement") {
  const std::string text = "CREATE TABLE a (id int); INSERT INTO a VALUES (1); ALTER TABLE b ADD c int; "
                           "CREATE INDEX ON a (id); ALTER TABLE a ADD d int";
  auto alter_b = Isolate(Record("ALTER TABLE", "public.b", text));
  REQUIRE(alter_b.refusal.empty());
  CHECK(alter_b.several);
  CHECK(alter_b.index == 2);
  auto alter_a = Isolate(Record("ALTER TABLE", "public.a", text), 3);
  CHECK(alter_a.index == 4);
  auto index = Isolate(Record("CREATE INDEX", "public.a_id_idx", text));
  CHECK(index.index == 3);
}

TEST_CASE("a_statement_the_trigger_did_not_capture_is_skipped") {
  // The temporary table gives no record: the record of "real" must not be
  // taken for it.
  const std::string text = "DROP TABLE scratch; DROP TABLE real";
  auto drop = Isolate(Record("DROP TABLE", "public.real", text));
  REQUIRE(drop.refusal.empty());
  CHECK(drop.index == 1);
}

TEST_CASE("a_rename_is_found_by_its_new_name") {
  auto r = Isolate(Record("ALTER TABLE", "public.u", "CREATE TABLE x (a int); ALTER TABLE t RENAME TO u"));
  REQUIRE(r.refusal.empty());
  CHECK(r.index == 1);
}

TEST_CASE("the_in_function_guess_is_corrected_for_a_later_statement") {
  auto ddl = Record("ALTER TABLE", "public.t", "CREATE TABLE x (a int); ALTER TABLE t ADD b int");
  ddl.set_in_function(true);  // the trigger compared ALTER with CREATE
  auto r = Isolate(ddl);
  REQUIRE(r.refusal.empty());
  CHECK_FALSE(r.in_function);
}

TEST_CASE("strings_that_can_run_ddl_themselves_or_hold_transaction_control_are_refused") {
  auto runs = Isolate(Record("CREATE TABLE", "public.z", "CALL make_z(); CREATE TABLE y (a int)"));
  CHECK_THAT(runs.refusal, Catch::Contains("(CALL) may run DDL itself"));
  auto tx = Isolate(Record("CREATE TABLE", "public.y", "BEGIN; CREATE TABLE y (a int); COMMIT"));
  CHECK_THAT(tx.refusal, Catch::Contains("transaction control (BEGIN)"));
  auto none = Isolate(Record("CREATE TABLE", "public.z", "INSERT INTO q VALUES (1); CREATE TABLE y (a int)"));
  CHECK_THAT(none.refusal, Catch::Contains("none of them is this CREATE TABLE"));
}

TEST_CASE("a_single_statement_is_itself") {
  auto r = Isolate(Record("CREATE TABLE", "public.t", "CREATE TABLE t (a int);"));
  CHECK(r.refusal.empty());
  CHECK_FALSE(r.several);
  CHECK(r.index == 0);
}
