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

TEST_CASE("initial_sync_keys_have_defaults_and_are_validated") {
  TaskConfig config = ParseConfig(kMinimal, "shop.toml");
  CHECK(config.sync.copy_workers == 4);
  CHECK(config.sync.copy_split_rows == 1000000);
  CHECK(config.sync.copy_index_memory_mb == 1024);
  CHECK(config.sync.conflicting_tables == ConflictingTables::kError);
  std::string text = std::string(kMinimal) +
                     "[sync]\ninitial = \"data\"\nconflicting_tables = \"ignore\"\ncopy_workers = 2\n"
                     "copy_split_rows = 0\ncopy_max_rows_per_sec = 5000\ncopy_max_mb_per_sec = 1.5\n"
                     "copy_index_memory_mb = 64\n";
  config = ParseConfig(text, "shop.toml");
  CHECK(config.sync.initial == InitialSync::kData);
  CHECK(config.sync.conflicting_tables == ConflictingTables::kIgnore);
  CHECK(config.sync.copy_workers == 2);
  CHECK(config.sync.copy_split_rows == 0);
  CHECK(config.sync.copy_max_rows_per_sec == 5000);
  CHECK(config.sync.copy_max_mb_per_sec == 1.5);
  CHECK(config.sync.copy_index_memory_mb == 64);
  CHECK_THROWS_WITH(ParseConfig(std::string(kMinimal) + "[sync]\ncopy_index_memory_mb = 0\n", "shop.toml"),
                    Catch::Contains("sync.copy_index_memory_mb"));
  CHECK_THROWS_WITH(ParseConfig(std::string(kMinimal) + "[sync]\ncopy_split_rows = -1\n", "shop.toml"),
                    Catch::Contains("sync.copy_split_rows"));
  CHECK_THROWS_WITH(ParseConfig(std::string(kMinimal) + "[sync]\ncopy_workers = 0\n", "shop.toml"),
                    Catch::Contains("sync.copy_workers"));
  CHECK_THROWS_WITH(ParseConfig(std::string(kMinimal) + "[sync]\ninitial = \"schema\"\n", "shop.toml"),
                    Catch::Contains("schema+data"));
}
