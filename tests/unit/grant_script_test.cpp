#include <catch2/catch.hpp>

#include <algorithm>

#include "ops/grant_needs.h"
#include "ops/grant_script.h"

using namespace pgduplex;

namespace {

std::vector<std::string> Statements(const GrantNeeds& needs, const std::string& role) {
  std::vector<std::string> out;
  for (const auto& g : RequiredGrants(needs)) out.push_back(GrantStatement(g, role));
  return out;
}

bool Has(const std::vector<std::string>& statements, const std::string& s) {
  return std::find(statements.begin(), statements.end(), s) != statements.end();
}

TaskConfig Config(const std::string& sync = "") {
  return ParseConfig("name = \"t\"\n[a]\nconninfo = \"x\"\n[b]\nconninfo = \"y\"\n[sync]\n" + sync, "t.toml");
}

ClusterFacts Facts(const std::string& label) {
  ClusterFacts f;
  f.label = label;
  f.role = "sync";
  f.database = "shop";
  f.roles = {"sync", "app"};
  f.schemas = {"public", "pg_catalog", "pgduplex"};
  return f;
}

TableFacts Table(const std::string& schema, const std::string& name, const std::string& owner) {
  TableFacts t;
  t.name = {schema, name};
  t.owner = owner;
  return t;
}

}  // namespace

TEST_CASE("grants_for_a_are_the_reverse_targets_and_nothing_of_the_copy") {
  GrantNeeds needs;
  needs.label = "a";
  needs.database = "shop";
  needs.owners = {"app"};
  auto s = Statements(needs, "sync");
  CHECK(s.front() == "ALTER ROLE \"sync\" LOGIN REPLICATION;");
  CHECK(Has(s, "GRANT SET ON PARAMETER session_replication_role TO \"sync\";"));
  CHECK(Has(s, "GRANT \"app\" TO \"sync\";"));
  CHECK(Has(s, "GRANT EXECUTE ON FUNCTION pg_catalog.pg_replication_origin_session_setup(text) TO \"sync\";"));
  CHECK(!Has(s, "GRANT EXECUTE ON FUNCTION pg_catalog.pg_replication_origin_advance(text, pg_lsn) TO \"sync\";"));
  CHECK(Has(s, "GRANT SELECT, DELETE ON TABLE pgduplex.initial_sync TO \"sync\";"));
  CHECK(Has(s, "GRANT USAGE ON SEQUENCE pgduplex.conflicts_id_seq TO \"sync\";"));
  for (const auto& x : s) CHECK(x.find("CREATE") == std::string::npos);
}

TEST_CASE("grants_for_b_add_the_copy_and_create_on_the_database_only_for_a_missing_schema") {
  GrantNeeds needs;
  needs.label = "b";
  needs.database = "shop";
  needs.forward_target = true;
  needs.create_schemas = {"public"};
  auto s = Statements(needs, "sync");
  CHECK(Has(s, "GRANT EXECUTE ON FUNCTION pg_catalog.pg_replication_origin_advance(text, pg_lsn) TO \"sync\";"));
  CHECK(Has(s, "GRANT SELECT, INSERT, UPDATE, DELETE ON TABLE pgduplex.initial_sync_xacts TO \"sync\";"));
  CHECK(Has(s, "GRANT CREATE ON SCHEMA \"public\" TO \"sync\";"));
  CHECK(!Has(s, "GRANT CREATE ON DATABASE \"shop\" TO \"sync\";"));
  needs.create_on_database = true;
  CHECK(Has(Statements(needs, "sync"), "GRANT CREATE ON DATABASE \"shop\" TO \"sync\";"));
}

TEST_CASE("grants_without_apply_as_owner_are_each_table_privilege_instead_of_membership") {
  GrantNeeds needs;
  needs.label = "a";
  needs.database = "shop";
  needs.apply_as_owner = false;
  needs.owners = {"app"};
  needs.tables = {{"public", "orders"}};
  auto s = Statements(needs, "sync");
  CHECK(!Has(s, "GRANT \"app\" TO \"sync\";"));
  CHECK(Has(s, "GRANT SELECT, INSERT, UPDATE, DELETE, TRUNCATE ON TABLE \"public\".\"orders\" TO \"sync\";"));
}

TEST_CASE("last_write_wins_adds_the_tombstone_purge_and_without_owners_trigger_rights") {
  GrantNeeds needs;
  needs.label = "b";
  needs.database = "shop";
  needs.tables = {{"public", "orders"}};
  auto plain = Statements(needs, "sync");
  CHECK(!Has(plain, "GRANT EXECUTE ON FUNCTION pgduplex.purge_tombstones(interval) TO \"sync\";"));
  needs.last_write_wins = true;
  CHECK(Has(Statements(needs, "sync"), "GRANT EXECUTE ON FUNCTION pgduplex.purge_tombstones(interval) TO \"sync\";"));
  needs.apply_as_owner = false;
  CHECK(Has(Statements(needs, "sync"),
            "GRANT SELECT, INSERT, UPDATE, DELETE, TRUNCATE, TRIGGER ON TABLE \"public\".\"orders\" TO \"sync\";"));
  CHECK(NeedsOf(Config("conflict_policy = \"last-write-wins\"\n"), Facts("a"), Facts("b"), true, "sync").last_write_wins);
}

TEST_CASE("grant_checks_test_one_privilege_and_treat_a_missing_object_as_not_held") {
  Grant table{Grant::Kind::kTable, "pgduplex.conflicts", {"SELECT", "INSERT"}, "", false};
  CHECK(PrivilegeCheckSql(table, "INSERT") ==
        "coalesce(pg_catalog.has_table_privilege(pg_catalog.to_regclass('pgduplex.conflicts')::oid, 'INSERT'), false)");
  Grant function{Grant::Kind::kFunction, "pg_catalog.pg_replication_origin_oid(text)", {"EXECUTE"}, "", false};
  CHECK_THAT(PrivilegeCheckSql(function, "EXECUTE"), Catch::Contains("to_regprocedure('pg_catalog.pg_replication_origin_oid(text)')"));
  Grant member{Grant::Kind::kMembership, "\"o'k\"", {"MEMBER"}, "", true};
  CHECK_THAT(PrivilegeCheckSql(member, "MEMBER"), Catch::Contains("to_regrole('\"o''k\"')"));
}

TEST_CASE("grant_script_puts_role_wide_statements_first_then_the_database") {
  GrantNeeds needs;
  needs.label = "b";
  needs.database = "shop";
  needs.owners = {"app"};
  std::string script = GrantScript(needs, "sync");
  size_t member = script.find("GRANT \"app\" TO \"sync\";");
  size_t database = script.find("-- in database shop");
  size_t origin = script.find("pg_replication_origin_create");
  REQUIRE(member != std::string::npos);
  CHECK(member < database);
  CHECK(database < origin);
  CHECK(script.rfind("-- cluster b:", 0) == 0);
}

TEST_CASE("grant_needs_take_owners_from_a_for_b_and_create_where_b_lacks_tables") {
  auto a = Facts("a");
  a.tables = {Table("public", "orders", "app"), Table("sales", "leads", "sync")};
  auto b = Facts("b");
  b.tables = {};
  auto needs = NeedsOf(Config(), a, b, true, "sync");
  CHECK(needs.forward_target);
  CHECK(needs.owners == std::vector<std::string>{"app"});  // its own tables need nothing
  CHECK(needs.create_schemas == std::vector<std::string>{"public"});
  CHECK(needs.create_on_database);  // schema sales is missing on B
  b.tables = {Table("public", "orders", "app"), Table("sales", "leads", "sync")};
  needs = NeedsOf(Config(), a, b, true, "sync");
  CHECK(needs.create_schemas.empty());
  CHECK(!needs.create_on_database);
  needs = NeedsOf(Config("initial = \"data\"\n"), a, Facts("b"), true, "sync");
  CHECK(needs.create_schemas.empty());
  auto for_a = NeedsOf(Config(), a, b, false, "sync");
  CHECK(!for_a.forward_target);
  CHECK(for_a.owners == std::vector<std::string>{"app"});
}

TEST_CASE("grant_needs_no_create_on_a_schema_where_every_new_tables_owner_may_create") {
  // The copy gives each created table its owner, which needs CREATE on the
  // schema; the sync role, a member of that owner, then inherits it.
  auto a = Facts("a");
  a.tables = {Table("public", "orders", "app"), Table("public", "notes", "app")};
  auto b = Facts("b");
  b.role_creates_in = {{"app", "public"}};
  CHECK(NeedsOf(Config(), a, b, true, "sync").create_schemas.empty());
  a.tables.push_back(Table("public", "mine", "sync"));  // stays the sync role's: it creates it itself
  CHECK(NeedsOf(Config(), a, b, true, "sync").create_schemas == std::vector<std::string>{"public"});
  a.tables.pop_back();
  b.role_creates_in.clear();  // the owner may not create there: the table stays the sync role's
  CHECK(NeedsOf(Config(), a, b, true, "sync").create_schemas == std::vector<std::string>{"public"});
}
