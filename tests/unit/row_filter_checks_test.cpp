#include <catch2/catch.hpp>

#include "ops/row_filter_checks.h"

using namespace pgduplex;

namespace {
RowFilterFacts Facts(std::vector<std::string> columns, char identity, std::vector<std::string> identity_columns) {
  RowFilterFacts f;
  f.cluster = "a";
  f.table = {"public", "orders"};
  f.key = "table.\"public.orders\".row_filter";
  f.filter = "region = 'eu'";
  f.columns = std::move(columns);
  f.replica_identity = identity;
  f.identity_columns = std::move(identity_columns);
  return f;
}
}  // namespace

TEST_CASE("row_filter_on_key_columns_or_under_full_identity_passes") {
  auto results = RowFilterChecks({Facts({"id"}, 'd', {"id"}), Facts({"region"}, 'f', {})});
  REQUIRE(results.size() == 1);
  CHECK(results[0].status == CheckStatus::kPass);
  CHECK(results[0].cluster == "a");
}

TEST_CASE("row_filter_column_outside_the_replica_identity_fails_with_the_fix") {
  auto results = RowFilterChecks({Facts({"region", "id"}, 'd', {"id"})});
  REQUIRE(results.size() == 1);
  CHECK(results[0].status == CheckStatus::kFail);
  CHECK_THAT(results[0].detail, Catch::Contains("public.orders") && Catch::Contains("region") &&
                                    Catch::Contains("REPLICA IDENTITY"));
  CHECK_THAT(results[0].fix, Catch::Contains("ALTER TABLE \"public\".\"orders\" REPLICA IDENTITY FULL"));
}

TEST_CASE("refused_row_filter_fails_naming_the_config_key") {
  RowFilterFacts f = Facts({}, 'd', {"id"});
  f.error = "pgduplex: invalid row filter for table \"public.orders\": function random is not ...";
  auto results = RowFilterChecks({f});
  REQUIRE(results.size() == 1);
  CHECK(results[0].status == CheckStatus::kFail);
  CHECK_THAT(results[0].detail, Catch::Contains("function random"));
  CHECK_THAT(results[0].fix, Catch::Contains("table.\"public.orders\".row_filter"));
}

TEST_CASE("row_filter_of_a_missing_table_is_skipped_and_an_old_extension_warned_about") {
  RowFilterFacts missing = Facts({}, 'd', {});
  missing.table_exists = false;
  RowFilterFacts old = Facts({}, 'd', {});
  old.function_missing = true;
  auto results = RowFilterChecks({missing, old});
  REQUIRE(results.size() == 2);
  CHECK(results[0].status == CheckStatus::kSkip);
  CHECK(results[1].status == CheckStatus::kWarn);
}
