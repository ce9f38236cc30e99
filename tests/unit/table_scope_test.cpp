#include <catch2/catch.hpp>

#include "common/table_scope.h"

using namespace pgduplex;

TEST_CASE("scope_matches_schema_wildcards_and_exact_tables") {
  TableScope scope({"public.*", "sales.orders"});
  CHECK(scope.Matches("public", "anything"));
  CHECK(scope.Matches("sales", "orders"));
  CHECK_FALSE(scope.Matches("sales", "order_lines"));
  CHECK_FALSE(scope.Matches("publicx", "t"));
  CHECK_FALSE(scope.Matches("pub", "t"));
  CHECK(scope.PluginOption() == "public.*,sales.orders");
}

TEST_CASE("scope_never_matches_its_own_schema") {
  TableScope scope({"pgduplex.*"});
  CHECK_FALSE(scope.Matches("pgduplex", "conflicts"));
}

TEST_CASE("unmatched_patterns_are_reported") {
  TableScope scope({"public.*", "sales.orders", "hr.*"});
  auto unmatched = scope.UnmatchedPatterns({{"public", "t"}, {"hr", "people"}});
  CHECK(unmatched == std::vector<std::string>{"sales.orders"});
}
