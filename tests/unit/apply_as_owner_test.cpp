// Apply as the table owner (issue 8): the pure parts -- the config key, the
// session key, which role a table's changes run as, how a TRUNCATE is split,
// the extension version gate, the DDL text that reaches logs.
#include <catch2/catch.hpp>

#include <set>

#include "apply/ddl_applier.h"
#include "apply/role_switch.h"
#include "apply/truncate_plan.h"
#include "common/config.h"
#include "ops/check_table.h"
#include "ops/precheck_rules.h"

using namespace pgduplex;

namespace {
const char* kMinimal = R"(
name = "shop"
[a]
conninfo = "host=/tmp port=5432 dbname=shop"
[b]
conninfo = "host=/tmp port=5433 dbname=shop"
)";
}

TEST_CASE("apply_as_table_owner_defaults_to_true_and_can_be_turned_off") {
  CHECK(ParseConfig(kMinimal, "shop.toml").sync.apply_as_table_owner);
  std::string text = std::string(kMinimal) + "[sync]\napply_as_table_owner = false\n";
  CHECK_FALSE(ParseConfig(text, "shop.toml").sync.apply_as_table_owner);
  text = std::string(kMinimal) + "[sync]\napply_as_table_owner = \"no\"\n";
  CHECK_THROWS_WITH(ParseConfig(text, "shop.toml"), Catch::Contains("sync.apply_as_table_owner"));
}

TEST_CASE("run_as_key_is_32_random_hex_characters_per_session") {
  std::set<std::string> keys;
  for (int i = 0; i < 50; ++i) {
    std::string key = RoleSwitch::NewKey();
    CHECK(key.size() == 32);
    CHECK(key.find_first_not_of("0123456789abcdef") == std::string::npos);
    keys.insert(key);
  }
  CHECK(keys.size() == 50);
}

TEST_CASE("extension_version_gate_compares_numerically") {
  CHECK(ExtensionAtLeast("1.1", 1, 1));
  CHECK(ExtensionAtLeast("1.10", 1, 1));
  CHECK(ExtensionAtLeast("2.0", 1, 1));
  CHECK_FALSE(ExtensionAtLeast("1.0", 1, 1));
  CHECK_FALSE(ExtensionAtLeast("", 1, 1));
  CHECK_FALSE(ExtensionAtLeast("dev", 1, 1));
}

TEST_CASE("truncate_of_one_owner_is_one_statement_as_that_owner") {
  auto plan = PlanTruncate({{"public.a", 10, true}, {"public.b", 10, false}}, false, true);
  REQUIRE(plan.size() == 1);
  CHECK(plan[0].role == 10);
  CHECK(plan[0].sql.find("public.a") != std::string::npos);
  CHECK(plan[0].sql.find("public.b") != std::string::npos);
  CHECK(plan[0].sql.find("RESTART IDENTITY") != std::string::npos);
}

TEST_CASE("truncate_of_mixed_owners_without_triggers_runs_as_the_worker") {
  auto plan = PlanTruncate({{"public.a", 10, false}, {"public.b", 11, false}}, false, false);
  REQUIRE(plan.size() == 1);
  CHECK(plan[0].role == 0);
}

TEST_CASE("truncate_of_mixed_owners_with_triggers_is_split_per_owner_in_order") {
  auto plan = PlanTruncate({{"public.a", 11, false}, {"public.b", 10, true}, {"public.c", 11, false}}, true, false);
  REQUIRE(plan.size() == 2);
  CHECK(plan[0].role == 11);
  CHECK(plan[0].sql.find("public.a") != std::string::npos);
  CHECK(plan[0].sql.find("public.c") != std::string::npos);
  CHECK(plan[1].role == 10);
  CHECK(plan[1].sql.find("public.b") != std::string::npos);
}

TEST_CASE("ddl_statement_in_logs_is_one_line_redacted_and_at_most_200_characters") {
  std::string text = DdlStatementForLog("CREATE TABLE t (id int)\n-- host=x password=secret\n" + std::string(400, 'x'));
  CHECK(text.find('\n') == std::string::npos);
  CHECK(text.find("secret") == std::string::npos);
  CHECK(text.size() <= 203);
}

namespace {
ClusterFacts Cluster(const std::string& label, const std::string& owner) {
  ClusterFacts f;
  f.label = label;
  f.connected = true;
  f.wal_level = "logical";
  f.extension_version = "1.1";
  f.extension_available = "1.1";
  f.role = "sync";
  f.superuser = false;
  f.replication_attribute = true;
  f.roles = {"sync", owner};
  TableFacts t;
  t.name = {"public", "orders"};
  t.has_key = true;
  t.replica_identity = 'f';
  t.owner = owner;
  f.tables.push_back(t);
  return f;
}

std::vector<CheckResult> Precheck(const std::string& sync, const ClusterFacts& a, const ClusterFacts& b) {
  static TaskConfig config;
  config = ParseConfig(std::string(kMinimal) + "[sync]\n" + sync, "t.toml");
  PrecheckInput input;
  input.config = &config;
  input.a = a;
  input.b = b;
  return EvaluatePrecheck(input);
}

const CheckResult* Result(const std::vector<CheckResult>& results, const std::string& check,
                          const std::string& cluster) {
  for (const auto& r : results) {
    if (r.check == check && r.cluster == cluster) return &r;
  }
  return nullptr;
}
}  // namespace

TEST_CASE("precheck_warns_when_apply_as_table_owner_is_off") {
  auto results = Precheck("apply_as_table_owner = false\n", Cluster("a", "app"), Cluster("b", "app"));
  const CheckResult* r = Result(results, "apply as table owner", "b");
  REQUIRE(r);
  CHECK(r->status == CheckStatus::kWarn);
  CHECK(r->detail.find("sync.apply_as_table_owner = false") != std::string::npos);
  results = Precheck("", Cluster("a", "app"), Cluster("b", "app"));
  r = Result(results, "apply as table owner", "b");
  REQUIRE(r);
  CHECK(r->status == CheckStatus::kPass);
}

TEST_CASE("precheck_fails_apply_as_owner_on_extension_1_0_and_on_owners_the_worker_cannot_act_as") {
  auto b = Cluster("b", "app");
  b.extension_version = "1.0";
  auto results = Precheck("", Cluster("a", "app"), b);
  const CheckResult* r = Result(results, "apply as table owner", "b");
  REQUIRE(r);
  CHECK(r->status == CheckStatus::kFail);
  CHECK(r->fix.find("ALTER EXTENSION pgduplex UPDATE") != std::string::npos);
  b = Cluster("b", "app");
  b.tables[0].worker_acts_as_owner = false;
  results = Precheck("", Cluster("a", "app"), b);
  r = Result(results, "apply as table owner", "b");
  REQUIRE(r);
  CHECK(r->status == CheckStatus::kFail);
  CHECK(r->fix == "GRANT \"app\" TO \"sync\";");
}

TEST_CASE("precheck_warns_for_each_table_owner_missing_on_the_other_cluster") {
  auto b = Cluster("b", "app");
  b.roles = {"sync"};
  auto results = Precheck("", Cluster("a", "app"), b);
  const CheckResult* r = Result(results, "table owners", "a+b");
  REQUIRE(r);
  CHECK(r->status == CheckStatus::kWarn);
  CHECK(r->detail.find("app (owns public.orders on a, missing on b)") != std::string::npos);
  // The fix: the role, then the owner of the table b already has.
  CHECK(r->fix.find("on b: CREATE ROLE \"app\"; on b: ALTER TABLE \"public\".\"orders\" OWNER TO \"app\";") == 0);
  results = Precheck("", Cluster("a", "app"), Cluster("b", "app"));
  r = Result(results, "table owners", "a+b");
  REQUIRE(r);
  CHECK(r->status == CheckStatus::kPass);
}

TEST_CASE("precheck_warns_for_a_table_whose_owner_differs_on_b") {
  auto a = Cluster("a", "app");
  auto b = Cluster("b", "other");
  a.roles.insert("other");
  b.roles.insert("app");
  auto results = Precheck("", a, b);
  const CheckResult* r = Result(results, "table owners", "a+b");
  REQUIRE(r);
  CHECK(r->status == CheckStatus::kWarn);
  CHECK(r->detail.find("public.orders (owned by app on a, by other on b)") != std::string::npos);
  CHECK(r->detail.find("must be owner of table") != std::string::npos);
  CHECK(r->fix == "on b: ALTER TABLE \"public\".\"orders\" OWNER TO \"app\";");
}
