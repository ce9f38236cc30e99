#include <catch2/catch.hpp>

#include "initial_sync/grant_plan.h"

using namespace pgduplex;

namespace {
AclEntry Entry(const char* table, const char* grantee, const char* privilege, const char* column = "",
               bool grantable = false, bool sequence = false) {
  AclEntry e;
  e.object = {"public", table};
  e.sequence = sequence;
  e.column = column;
  e.grantee = grantee;
  e.privilege = privilege;
  e.grantable = grantable;
  return e;
}
}  // namespace

TEST_CASE("grants_are_grouped_per_object_and_grantee_in_grant_order") {
  GrantPlan plan = PlanGrants({Entry("customers", "app", "INSERT"), Entry("customers", "app", "SELECT"),
                               Entry("customers_id_seq", "app", "USAGE", "", false, true),
                               Entry("customers", "", "SELECT")},
                              {"app"});
  REQUIRE(plan.grants.size() == 3);
  CHECK(plan.grants[0].sql == R"(GRANT SELECT ON TABLE "public"."customers" TO PUBLIC)");
  CHECK(plan.grants[0].role == "PUBLIC");
  CHECK(plan.grants[1].sql == R"(GRANT SELECT, INSERT ON TABLE "public"."customers" TO "app")");
  CHECK(plan.grants[1].object == "public.customers");
  CHECK(plan.grants[2].sql == R"(GRANT USAGE ON SEQUENCE "public"."customers_id_seq" TO "app")");
  CHECK(plan.warnings.empty());
}

TEST_CASE("column_privileges_and_grant_options_are_separate_statements") {
  GrantPlan plan = PlanGrants({Entry("t", "app", "UPDATE", "note"), Entry("t", "app", "UPDATE", "Name"),
                               Entry("t", "app", "SELECT", "note"), Entry("t", "app", "INSERT", "", true),
                               Entry("t", "app", "SELECT")},
                              {"app"});
  REQUIRE(plan.grants.size() == 3);
  CHECK(plan.grants[0].sql == R"(GRANT SELECT ON TABLE "public"."t" TO "app")");
  CHECK(plan.grants[1].sql == R"(GRANT INSERT ON TABLE "public"."t" TO "app" WITH GRANT OPTION)");
  CHECK(plan.grants[2].sql == R"(GRANT SELECT ("note"), UPDATE ("note", "Name") ON TABLE "public"."t" TO "app")");
}

TEST_CASE("grantees_missing_on_the_target_get_one_warning_each_and_no_grant") {
  GrantPlan plan = PlanGrants({Entry("b", "gone", "SELECT"), Entry("a", "gone", "SELECT"),
                               Entry("a", "gone", "UPDATE", "x"), Entry("a", "Other Role", "SELECT"),
                               Entry("a", "app", "SELECT")},
                              {"app"});
  REQUIRE(plan.grants.size() == 1);
  CHECK(plan.grants[0].sql == R"(GRANT SELECT ON TABLE "public"."a" TO "app")");
  REQUIRE(plan.warnings.size() == 2);
  CHECK_THAT(plan.warnings[0], Catch::Contains("\"Other Role\"") && Catch::Contains("public.a"));
  CHECK_THAT(plan.warnings[1], Catch::Contains("\"gone\"") && Catch::Contains("public.a, public.b"));
}
