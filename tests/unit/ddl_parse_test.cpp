// ParseDdl: what a statement touches, and which names the caller must look
// up before the policy decides.
#include <catch2/catch.hpp>

#include "ddl/ddl_parse.h"

using namespace pgduplex;

namespace {

v1::Ddl Make(const std::string& tag, const std::string& statement, const std::string& schema = "public") {
  v1::Ddl ddl;
  ddl.set_command_tag(tag);
  ddl.set_statement(statement);
  ddl.set_schema(schema);
  ddl.set_search_path("sales, public");
  ddl.set_standard_conforming_strings(true);
  return ddl;
}

}  // namespace

TEST_CASE("parse_names_each_family_and_its_tables_as_written") {
  auto p = ParseDdl(Make("CREATE TABLE", "CREATE TABLE \"S\".t (id int)"));
  CHECK(p.command == DdlCommand::kCreateTable);
  REQUIRE(p.tables.size() == 1);
  CHECK(p.tables[0].written == WrittenName{"S", "t"});
  CHECK(p.tables[0].schema == "S");

  p = ParseDdl(Make("DROP TABLE", "DROP TABLE a, x.b", ""));
  CHECK(p.command == DdlCommand::kDropTable);
  REQUIRE(p.tables.size() == 2);
  CHECK(p.tables[0].written == WrittenName{"", "a"});
  CHECK(p.tables[1].written == WrittenName{"x", "b"});

  p = ParseDdl(Make("ALTER TABLE", "ALTER TABLE ONLY t * SET SCHEMA other, ADD c int"));
  CHECK(p.command == DdlCommand::kAlterTable);
  CHECK(p.unsupported_action == "SET SCHEMA OTHER");

  p = ParseDdl(Make("CREATE INDEX", "CREATE INDEX CONCURRENTLY i ON x.t (a)"));
  CHECK(p.command == DdlCommand::kCreateIndex);
  CHECK(p.statement == "CREATE INDEX  i ON x.t (a)");
  CHECK(p.tables[0].written == WrittenName{"x", "t"});
}

TEST_CASE("parse_settles_schemas_from_the_record_before_any_look_up") {
  // The statement's own object takes the schema the trigger reported.
  auto p = ParseDdl(Make("ALTER TABLE", "ALTER TABLE t ADD c int", "sales"));
  CHECK(p.tables[0].schema == "sales");
  CHECK(p.NamesToLookUp().empty());
  // Not when the trigger reported none.
  p = ParseDdl(Make("ALTER TABLE", "ALTER TABLE t ADD c int", ""));
  CHECK(p.NamesToLookUp() == std::vector<std::string>{"t"});
  // Dropped tables: from object_identity, then a look-up, each name once.
  auto drop = Make("DROP TABLE", "DROP TABLE a, b, \"A\", a", "");
  drop.set_object_identity("hr.b");
  p = ParseDdl(drop);
  CHECK(p.tables[1].schema == "hr");
  CHECK(p.NamesToLookUp() == std::vector<std::string>{"a", "A"});
  CHECK(p.search_path == std::vector<std::string>{"sales", "public"});
  // A partition's parent is not the statement's own object.
  p = ParseDdl(Make("CREATE TABLE", "CREATE TABLE p1 PARTITION OF m FOR VALUES IN (1)"));
  REQUIRE(p.partition_parent.has_value());
  CHECK(p.partition_parent->written == WrittenName{"", "m"});
  CHECK(p.NamesToLookUp() == std::vector<std::string>{"m"});
}

TEST_CASE("parse_does_not_read_text_that_does_not_hold_the_command") {
  auto other = ParseDdl(Make("CREATE VIEW", "CREATE VIEW v AS SELECT 1"));
  CHECK(other.command == DdlCommand::kOther);
  CHECK_FALSE(other.read);

  auto ddl = Make("CREATE TABLE", "SELECT make_tables()");
  ddl.set_in_function(true);
  auto p = ParseDdl(ddl);
  CHECK_FALSE(p.read);
  CHECK(p.NamesToLookUp().empty());

  ddl = Make("ALTER TABLE", "ALTER TABLE t ADD c text DEFAULT 'a\\', ADD b int", "");
  ddl.set_standard_conforming_strings(false);
  p = ParseDdl(ddl);
  CHECK_FALSE(p.read);
  CHECK(p.NamesToLookUp().empty());
}

TEST_CASE("a_refused_parse_names_nothing_to_look_up") {
  for (const char* s : {"DROP TABLE a, 1", "SELECT 1; DROP TABLE b", "DROP TABLE a, (WITH d AS (DELETE FROM x) SELECT 1)"}) {
    INFO(s);
    auto p = ParseDdl(Make("DROP TABLE", s, ""));
    CHECK(p.read);
    CHECK_FALSE(p.refusal.empty());
    CHECK(p.tables.empty());
    CHECK(p.NamesToLookUp().empty());
  }
}

TEST_CASE("parse_reports_temporary_and_drop_behaviour") {
  CHECK(ParseDdl(Make("CREATE TABLE", "CREATE LOCAL TEMP TABLE s (id int)", "pg_temp_3")).temporary);
  CHECK(ParseDdl(Make("DROP TABLE", "DROP TABLE s", "pg_temp_3")).temporary);
  CHECK_FALSE(ParseDdl(Make("DROP TABLE", "DROP TABLE s", "public")).temporary);
  CHECK(ParseDdl(Make("DROP TABLE", "DROP TABLE s CASCADE", "")).drop_behaviour);
  CHECK_FALSE(ParseDdl(Make("ALTER TABLE", "ALTER TABLE c ADD FOREIGN KEY (p) REFERENCES p ON DELETE CASCADE"))
                  .drop_behaviour);
}

TEST_CASE("search_path_parsing") {
  CHECK(ParseSearchPath("\"$user\", public") == std::vector<std::string>{"$user", "public"});
  CHECK(ParseSearchPath("sales,\"My Schema\" , public") ==
        std::vector<std::string>{"sales", "My Schema", "public"});
  CHECK(ParseSearchPath("").empty());
  CHECK(IsTemporarySchema("pg_temp"));
  CHECK(IsTemporarySchema("pg_temp_12"));
  CHECK_FALSE(IsTemporarySchema("pg_toast"));
}
