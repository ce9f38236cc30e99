#include <catch2/catch.hpp>

#include <algorithm>

#include "ops/check_table.h"
#include "common/message_text.h"
#include "ops/grant_script.h"
#include "ops/precheck_rule_families.h"
#include "ops/precheck_rules.h"

using namespace pgduplex;

namespace {

ClusterFacts GoodCluster(const std::string& label) {
  ClusterFacts f;
  f.label = label;
  f.connected = true;
  f.server_version = "15.6";
  f.wal_level = "logical";
  f.track_commit_timestamp = true;
  f.max_replication_slots = 10;
  f.max_wal_senders = 10;
  f.extension_version = "1.2";
  f.extension_available = "1.2";
  f.role = "sync";
  f.superuser = true;
  f.replication_attribute = true;
  TableFacts t;
  t.name = {"public", "orders"};
  t.has_key = true;
  t.replica_identity = 'f';
  f.tables.push_back(t);
  return f;
}

TaskConfig Config(const std::string& extra_sync = "") {
  return ParseConfig("name = \"t\"\n[a]\nconninfo = \"x\"\n[b]\nconninfo = \"y\"\n[sync]\n" + extra_sync, "t.toml");
}

std::vector<CheckResult> Run(const TaskConfig& config, const ClusterFacts& a, const ClusterFacts& b) {
  PrecheckInput input;
  input.config = &config;
  input.a = a;
  input.b = b;
  return EvaluatePrecheck(input);
}

const CheckResult* Find(const std::vector<CheckResult>& results, const std::string& check, const std::string& cluster,
                        CheckStatus status) {
  for (const auto& r : results) {
    if (r.check == check && r.cluster == cluster && r.status == status) return &r;
  }
  return nullptr;
}

}  // namespace

TEST_CASE("precheck_of_a_good_pair_has_no_failure") {
  auto results = Run(Config(), GoodCluster("a"), GoodCluster("b"));
  CHECK(PrecheckExitCode(results) == 0);
  for (const auto& r : results) CHECK(r.status == CheckStatus::kPass);
}

TEST_CASE("precheck_fails_wal_level_replica_and_lww_without_commit_timestamps") {
  auto a = GoodCluster("a");
  a.wal_level = "replica";
  auto b = GoodCluster("b");
  b.track_commit_timestamp = false;
  auto results = Run(Config("conflict_policy = \"last-write-wins\"\n"), a, b);
  CHECK(Find(results, "wal_level", "a", CheckStatus::kFail));
  CHECK(Find(results, "track_commit_timestamp", "b", CheckStatus::kFail));
  CHECK(Find(results, "track_commit_timestamp", "a", CheckStatus::kPass));
  CHECK(PrecheckExitCode(results) == 1);
}

TEST_CASE("precheck_names_an_unmatched_pattern") {
  auto results = Run(Config("tables = [\"public.*\", \"sales.nothing\"]\n"), GoodCluster("a"), GoodCluster("b"));
  const CheckResult* r = Find(results, "table patterns", "a", CheckStatus::kFail);
  REQUIRE(r);
  CHECK(r->detail.find("sales.nothing") != std::string::npos);
}

TEST_CASE("precheck_fails_keyless_tables_expression_indexes_and_open_partitions") {
  auto a = GoodCluster("a");
  TableFacts keyless;
  keyless.name = {"public", "log"};
  keyless.expression_unique_indexes = {"log_lower"};
  a.tables.push_back(keyless);
  TableFacts parent;
  parent.name = {"public", "events"};
  parent.relkind = 'p';
  parent.has_key = true;
  parent.partitions = {"public.events_1", "archive.events_0"};
  a.tables.push_back(parent);
  auto results = Run(Config(), a, GoodCluster("b"));
  REQUIRE(Find(results, "primary keys", "a", CheckStatus::kFail));
  CHECK(Find(results, "primary keys", "a", CheckStatus::kFail)->detail.find("public.log") != std::string::npos);
  CHECK(Find(results, "expression unique indexes", "a", CheckStatus::kFail));
  const CheckResult* p = Find(results, "partitions", "a", CheckStatus::kFail);
  REQUIRE(p);
  CHECK(p->detail.find("archive.events_0") != std::string::npos);
  CHECK(p->detail.find("public.events_1") == std::string::npos);
}

TEST_CASE("precheck_target_rows_fail_under_error_warn_under_ignore_skip_under_none") {
  auto b = GoodCluster("b");
  b.tables[0].has_rows = true;
  CHECK(Find(Run(Config(), GoodCluster("a"), b), "target tables", "b", CheckStatus::kFail));
  CHECK(Find(Run(Config("conflicting_tables = \"ignore\"\n"), GoodCluster("a"), b), "target tables", "b",
             CheckStatus::kWarn));
  CHECK(Find(Run(Config("initial = \"none\"\n"), GoodCluster("a"), b), "target tables", "b", CheckStatus::kPass));
}

TEST_CASE("precheck_warns_replica_identity_only_where_updates_become_inserts") {
  auto a = GoodCluster("a");
  a.tables[0].replica_identity = 'd';
  CHECK(Find(Run(Config(), a, GoodCluster("b")), "replica identity", "a", CheckStatus::kWarn));
  CHECK(Find(Run(Config("conflict_policy = \"ignore\"\n"), a, GoodCluster("b")), "replica identity", "a",
             CheckStatus::kPass));
}

TEST_CASE("precheck_reports_an_unreachable_cluster_once_and_skips_its_checks") {
  ClusterFacts b;
  b.label = "b";
  b.connect_error = "cluster b: cannot connect";
  auto results = Run(Config(), GoodCluster("a"), b);
  int b_lines = 0;
  for (const auto& r : results) b_lines += r.cluster == "b" ? 1 : 0;
  CHECK(b_lines == 1);
  CHECK(Find(results, "connection", "b", CheckStatus::kFail));
  CHECK(PrecheckExitCode(results) == 1);
}

TEST_CASE("precheck_warns_about_sequences_until_they_are_interleaved") {
  PrecheckInput input;
  TaskConfig config = Config();
  input.config = &config;
  input.a = GoodCluster("a");
  input.b = GoodCluster("b");
  SequenceFacts s;
  s.sequence = {"public", "orders_id_seq"};
  s.columns = {"public.orders.id"};
  s.on_a.exists = s.on_b.exists = true;
  s.on_a.last_value = s.on_b.last_value = 10;
  s.on_a.is_called = s.on_b.is_called = true;
  input.sequences = {s};
  auto results = EvaluatePrecheck(input);
  const CheckResult* w = Find(results, "sequences", "a+b", CheckStatus::kWarn);
  REQUIRE(w);
  CHECK(w->fix.find("--interleave") != std::string::npos);
  input.sequences[0].on_a.increment = input.sequences[0].on_b.increment = 2;
  input.sequences[0].on_a.last_value = 11;  // next 13: odd
  input.sequences[0].on_b.last_value = 12;  // next 14: even
  CHECK(Find(EvaluatePrecheck(input), "sequences", "a+b", CheckStatus::kPass));
}

TEST_CASE("precheck_passes_sequences_missing_on_b_when_a_is_interleaved_and_the_copy_creates_them") {
  // README order: `sequences --interleave` did A's side; B is empty and the
  // initial copy creates B's sequences interleaved (PlanCopiedSequence).
  PrecheckInput input;
  TaskConfig config = Config();
  input.config = &config;
  input.a = GoodCluster("a");
  input.b = GoodCluster("b");
  SequenceFacts s;
  s.sequence = {"public", "orders_id_seq"};
  s.columns = {"public.orders.id"};
  s.on_a.exists = true;
  s.on_a.increment = 2;
  s.on_a.last_value = 101;  // RESTART WITH 101: next 101, odd
  input.sequences = {s};
  std::vector<CheckResult> results = EvaluatePrecheck(input);  // Find points into it
  const CheckResult* p = Find(results, "sequences", "a+b", CheckStatus::kPass);
  REQUIRE(p);
  CHECK(p->detail.find("initial copy") != std::string::npos);
  // Not interleaved on A, or no copy to create them: still a warning.
  input.sequences[0].on_a.increment = 1;
  CHECK(Find(EvaluatePrecheck(input), "sequences", "a+b", CheckStatus::kWarn));
  input.sequences[0].on_a.increment = 2;
  TaskConfig none = Config("initial = \"none\"\n");
  input.config = &none;
  CHECK(Find(EvaluatePrecheck(input), "sequences", "a+b", CheckStatus::kWarn));
}

TEST_CASE("check_table_aligns_columns_and_puts_the_fix_under_the_detail") {
  std::vector<CheckResult> results = {Pass("wal_level", "a", "logical"),
                                      Fail("replication slots", "b", "no free slot", "raise it")};
  std::string text = FormatCheckTable(results);
  CHECK(text.find("wal_level          a        PASS    logical\n") != std::string::npos);
  CHECK(text.find("replication slots  b        FAIL    no free slot\n") != std::string::npos);
  CHECK(text.find("\n" + std::string(36, ' ') + "fix: raise it\n") != std::string::npos);
  CHECK(text.find("1 passed, 0 warnings, 1 failed") != std::string::npos);
}

TEST_CASE("one_line_messages_have_no_newline_and_no_password") {
  std::string text = OneLine("cluster a (password=hunter2 host=x): failed\n\tIs the server running?\n");
  CHECK(text.find('\n') == std::string::npos);
  CHECK(text.find("hunter2") == std::string::npos);
  CHECK(text.find("failed Is the server running?") != std::string::npos);
}

TEST_CASE("precheck_fails_when_the_output_plugin_allow_list_lacks_pgduplex") {
  auto a = GoodCluster("a");
  a.output_plugin_libraries = "pgoutput, test_decoding";
  auto b = GoodCluster("b");
  b.output_plugin_libraries = "pgoutput,\"pgduplex\"";
  auto results = Run(Config(), a, b);
  const CheckResult* r = Find(results, "output plugin allowed", "a", CheckStatus::kFail);
  REQUIRE(r);
  CHECK(r->fix.find("pgoutput, test_decoding, pgduplex") != std::string::npos);
  CHECK(Find(results, "output plugin allowed", "b", CheckStatus::kPass));
  CHECK(PrecheckExitCode(results) == 1);
}

TEST_CASE("precheck_privilege_fixes_quote_the_role_so_they_can_be_pasted") {
  auto a = GoodCluster("a");
  a.role = "Sync\"Bot";
  a.superuser = false;
  Grant attributes{Grant::Kind::kRoleAttributes, "", {"LOGIN", "REPLICATION"}, "slots", true};
  a.grants = {{attributes, {"REPLICATION"}}};
  auto results = Run(Config(), a, GoodCluster("b"));
  const CheckResult* r = Find(results, "privileges", "a", CheckStatus::kFail);
  REQUIRE(r);
  CHECK(r->fix == "ALTER ROLE \"Sync\"\"Bot\" REPLICATION;");
}

namespace {

ClusterFacts SyncRoleCluster(const std::string& label) {
  ClusterFacts f = GoodCluster(label);
  f.superuser = false;
  f.role = "sync";
  GrantNeeds needs;
  needs.label = label;
  needs.database = "shop";
  needs.forward_target = label == "b";
  for (const auto& g : RequiredGrants(needs)) f.grants.push_back({g, {}});
  return f;
}

HeldGrant* GrantOn(ClusterFacts& f, const std::string& object) {
  for (auto& held : f.grants) {
    if (held.grant.object == object) return &held;
  }
  return nullptr;
}

std::vector<const CheckResult*> All(const std::vector<CheckResult>& results, const std::string& check,
                                    const std::string& cluster, CheckStatus status) {
  std::vector<const CheckResult*> out;
  for (const auto& r : results) {
    if (r.check == check && r.cluster == cluster && r.status == status) out.push_back(&r);
  }
  return out;
}

}  // namespace

TEST_CASE("precheck_passes_privileges_when_every_grant_is_held") {
  auto results = Run(Config(), SyncRoleCluster("a"), SyncRoleCluster("b"));
  CHECK(Find(results, "privileges", "a", CheckStatus::kPass));
  CHECK(Find(results, "privileges", "b", CheckStatus::kPass));
}

TEST_CASE("precheck_fails_one_line_per_missing_right_with_the_statement_that_grants_it") {
  auto b = SyncRoleCluster("b");
  GrantOn(b, "pg_catalog.pg_replication_origin_advance(text, pg_lsn)")->missing = {"EXECUTE"};
  GrantOn(b, "pgduplex.worker_status")->missing = {"UPDATE", "DELETE"};
  GrantOn(b, "session_replication_role")->missing = {"SET"};
  auto results = Run(Config(), SyncRoleCluster("a"), b);
  auto lines = All(results, "privileges", "b", CheckStatus::kFail);
  REQUIRE(lines.size() == 3);
  CHECK(!Find(results, "privileges", "b", CheckStatus::kPass));
  CHECK(Find(results, "privileges", "a", CheckStatus::kPass));
  std::vector<std::string> fixes;
  for (const auto* r : lines) fixes.push_back(r->fix);
  CHECK(std::count(fixes.begin(), fixes.end(),
                   "GRANT EXECUTE ON FUNCTION pg_catalog.pg_replication_origin_advance(text, pg_lsn) TO \"sync\";") == 1);
  CHECK(std::count(fixes.begin(), fixes.end(), "GRANT UPDATE, DELETE ON TABLE pgduplex.worker_status TO \"sync\";") == 1);
  CHECK(std::count(fixes.begin(), fixes.end(), "GRANT SET ON PARAMETER session_replication_role TO \"sync\";") == 1);
  for (const auto* r : lines) {
    if (r->fix.find("worker_status") != std::string::npos) {
      CHECK_THAT(r->detail, Catch::Contains("UPDATE, DELETE on table pgduplex.worker_status"));
      CHECK_THAT(r->detail, !Catch::Contains("SELECT"));
    }
  }
}

TEST_CASE("precheck_names_the_one_table_privilege_missing_not_all_or_none") {
  // has_table_privilege(t, 'SELECT, INSERT, ...') is true when ANY is held:
  // each privilege is its own fact, so INSERT alone missing is a FAIL.
  auto a = SyncRoleCluster("a");
  Grant table{Grant::Kind::kTable, "\"public\".\"orders\"", {"SELECT", "INSERT", "UPDATE", "DELETE", "TRUNCATE"},
              "synced table", false};
  a.grants.push_back({table, {"INSERT"}});
  auto results = Run(Config("apply_as_table_owner = false\n"), a, SyncRoleCluster("b"));
  const CheckResult* r = Find(results, "privileges", "a", CheckStatus::kFail);
  REQUIRE(r);
  CHECK(r->fix == "GRANT INSERT ON TABLE \"public\".\"orders\" TO \"sync\";");
}

TEST_CASE("precheck_fails_membership_in_an_owner_of_a_table_b_does_not_have_yet") {
  auto a = SyncRoleCluster("a");
  a.tables[0].owner = "app";
  auto b = SyncRoleCluster("b");
  b.tables.clear();
  Grant member{Grant::Kind::kMembership, "\"app\"", {"MEMBER"}, "owner", true};
  b.grants.push_back({member, {"MEMBER"}});
  auto results = Run(Config(), a, b);
  const CheckResult* r = Find(results, "apply as table owner", "b", CheckStatus::kFail);
  REQUIRE(r);
  CHECK(r->fix == "GRANT \"app\" TO \"sync\";");
  CHECK(Find(results, "apply as table owner", "a", CheckStatus::kPass));
  // not also a privileges line
  CHECK(Find(results, "privileges", "b", CheckStatus::kPass));
}

TEST_CASE("precheck_skips_checks_of_b_tables_while_b_has_none") {
  auto b = GoodCluster("b");
  b.tables.clear();
  auto results = Run(Config(), GoodCluster("a"), b);
  for (const char* check : {"primary keys", "expression unique indexes", "inheritance", "partitions",
                            "replica identity"}) {
    const CheckResult* r = Find(results, check, "b", CheckStatus::kSkip);
    REQUIRE(r);
    CHECK_THAT(r->detail, Catch::Contains("the initial copy creates them"));
    CHECK(Find(results, check, "a", CheckStatus::kPass));
  }
  CHECK(PrecheckExitCode(results) == 0);
  CHECK_THAT(FormatCheckTable(results), Catch::Contains("5 skipped"));
}

TEST_CASE("precheck_warns_with_the_grant_when_the_plugin_allow_list_is_unreadable") {
  auto a = GoodCluster("a");
  a.superuser = false;
  a.output_plugin_libraries_unreadable = true;
  auto results = Run(Config(), a, GoodCluster("b"));
  const CheckResult* r = Find(results, "output plugin allowed", "a", CheckStatus::kWarn);
  REQUIRE(r);
  CHECK_THAT(r->fix, Catch::Contains("GRANT pg_read_all_settings TO \"sync\";"));
  CHECK_THAT(r->fix, Catch::Contains("SHOW output_plugin_libraries"));
}

TEST_CASE("precheck_does_not_list_pgduplex_tables_where_the_extension_is_missing") {
  auto b = SyncRoleCluster("b");
  b.extension_version.reset();
  GrantOn(b, "pgduplex.conflicts")->missing = {"SELECT", "INSERT"};
  GrantOn(b, "pg_catalog.pg_replication_origin_oid(text)")->missing = {"EXECUTE"};
  auto results = Run(Config(), SyncRoleCluster("a"), b);
  CHECK(Find(results, "extension", "b", CheckStatus::kFail));
  auto lines = All(results, "privileges", "b", CheckStatus::kFail);
  REQUIRE(lines.size() == 1);
  CHECK_THAT(lines[0]->fix, Catch::Contains("pg_replication_origin_oid"));
}

TEST_CASE("grantees_of_a_tables_missing_on_b_are_a_warning") {
  TaskConfig config = Config();
  ClusterFacts a = GoodCluster("a"), b = GoodCluster("b");
  a.tables[0].grantees = {"app", "reporting"};
  a.roles = {"sync", "app", "reporting"};
  b.roles = {"sync", "app", "reporting"};
  auto results = Run(config, a, b);
  CHECK(Find(results, "table grantees", "a+b", CheckStatus::kPass));
  b.roles.erase("reporting");
  results = Run(config, a, b);
  const CheckResult* warn = Find(results, "table grantees", "a+b", CheckStatus::kWarn);
  REQUIRE(warn);
  CHECK_THAT(warn->detail, Catch::Contains("reporting (on public.orders)"));
  CHECK_THAT(warn->detail, !Catch::Contains("app"));
  CHECK_THAT(warn->fix, Catch::Contains("CREATE ROLE"));
  // Grants on B's tables are not copied anywhere: only A's grantees count.
  b.tables[0].grantees = {"only_on_b"};
  a.tables[0].grantees.clear();
  CHECK(Find(Run(config, a, b), "table grantees", "a+b", CheckStatus::kPass));
}

TEST_CASE("precheck_lists_identity_columns_as_applied_with_overriding_system_value") {
  PrecheckInput input;
  TaskConfig config = Config();
  input.config = &config;
  input.a = GoodCluster("a");
  input.b = GoodCluster("b");
  std::vector<CheckResult> none = EvaluatePrecheck(input);
  REQUIRE(Find(none, "identity columns", "a", CheckStatus::kPass));
  CHECK(Find(none, "identity columns", "a", CheckStatus::kPass)->detail == "none");
  SequenceFacts s;
  s.sequence = {"public", "t_id_seq"};
  s.columns = {"public.t.id"};
  s.identity = true;
  input.sequences = {s};
  std::vector<CheckResult> results = EvaluatePrecheck(input);  // Find points into it
  const CheckResult* p = Find(results, "identity columns", "a", CheckStatus::kPass);
  REQUIRE(p);
  CHECK(p->detail.find("1 column applied with OVERRIDING SYSTEM VALUE") != std::string::npos);
  CHECK(p->detail.find("public.t.id") != std::string::npos);
}

TEST_CASE("precheck_fails_lww_on_an_extension_without_tombstones") {
  auto a = GoodCluster("a");
  a.extension_version = "1.1";
  a.extension_available = "1.2";
  auto b = GoodCluster("b");
  b.extension_version = "1.2";
  b.extension_available = "1.2";
  auto results = Run(Config("conflict_policy = \"last-write-wins\"\n"), a, b);
  const CheckResult* r = Find(results, "tombstones", "a", CheckStatus::kFail);
  REQUIRE(r);
  CHECK(r->fix == "ALTER EXTENSION pgduplex UPDATE");
  CHECK(Find(results, "tombstones", "b", CheckStatus::kPass));
  auto overwrite = Run(Config(), a, b);
  CHECK_FALSE(Find(overwrite, "tombstones", "a", CheckStatus::kFail));
}

TEST_CASE("extension_versions_compare_by_number") {
  CHECK(precheck::VersionAtLeast("1.2", 1, 2));
  CHECK(precheck::VersionAtLeast("1.10", 1, 2));
  CHECK(precheck::VersionAtLeast("2.0", 1, 2));
  CHECK_FALSE(precheck::VersionAtLeast("1.1", 1, 2));
  CHECK_FALSE(precheck::VersionAtLeast("x", 1, 1));
}
