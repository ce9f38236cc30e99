#include <catch2/catch.hpp>

#include "config.h"

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

TEST_CASE("minimal_config_gets_documented_defaults") {
  TaskConfig config = ParseConfig(kMinimal, "shop.toml");
  CHECK(config.name == "shop");
  CHECK(config.sync.tables == std::vector<std::string>{"public.*"});
  CHECK(config.sync.conflict_policy == ConflictPolicy::kOverwrite);
  CHECK(config.sync.ddl);
  CHECK(config.sync.initial == InitialSync::kSchemaAndData);
  CHECK(config.retry.connection_retry_minutes == 720);
  CHECK(config.retry.error_retry_minutes == 10);
  CHECK(config.SlotName(Direction::kForward) == "pgduplex_shop_forward");
  CHECK(&config.Source(Direction::kReverse) == &config.b);
  CHECK(&config.Target(Direction::kReverse) == &config.a);
}

TEST_CASE("unknown_key_is_an_error_naming_the_key") {
  std::string text = std::string(kMinimal) + "[sync]\nconflict_polcy = \"fail\"\n";
  CHECK_THROWS_WITH(ParseConfig(text, "shop.toml"), Catch::Contains("sync.conflict_polcy") &&
                                                          Catch::Contains("unknown key"));
}

TEST_CASE("unknown_policy_value_is_an_error_listing_the_choices") {
  std::string text = std::string(kMinimal) + "[sync]\nconflict_policy = \"newest\"\n";
  CHECK_THROWS_WITH(ParseConfig(text, "shop.toml"),
                    Catch::Contains("newest") && Catch::Contains("last-write-wins"));
}

TEST_CASE("missing_cluster_section_is_an_error") {
  CHECK_THROWS_WITH(ParseConfig("name = \"x\"\n[a]\nconninfo = \"\"\n", "x.toml"), Catch::Contains("b section"));
}

TEST_CASE("toml_syntax_error_reports_line") {
  CHECK_THROWS_WITH(ParseConfig("name = \n", "bad.toml"), Catch::StartsWith("bad.toml:1:"));
}

TEST_CASE("table_patterns_are_validated") {
  std::string text = std::string(kMinimal) + "[sync]\ntables = [\"orders\"]\n";
  CHECK_THROWS_WITH(ParseConfig(text, "shop.toml"), Catch::Contains("\"orders\""));
  text = std::string(kMinimal) + "[sync]\ntables = [\"public.orders\", \"sales.*\"]\n";
  CHECK(ParseConfig(text, "shop.toml").sync.tables.size() == 2);
}
