#include <catch2/catch.hpp>

#include <algorithm>

#include "ops/check_table.h"
#include "ops/message_text.h"
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
  f.extension_version = "1.1";
  f.extension_available = "1.1";
  f.role = "sync";
  f.superuser = true;
  f.replication_attribute = true;
  f.can_set_replication_role = true;
  f.can_use_origins = true;
  f.can_create_in_database = true;
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
  const CheckResult* p = Find(EvaluatePrecheck(input), "sequences", "a+b", CheckStatus::kPass);
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
  a.replication_attribute = false;
  auto results = Run(Config(), a, GoodCluster("b"));
  const CheckResult* r = Find(results, "privileges", "a", CheckStatus::kFail);
  REQUIRE(r);
  CHECK_THAT(r->fix, Catch::Contains("ALTER ROLE \"Sync\"\"Bot\" REPLICATION"));
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
