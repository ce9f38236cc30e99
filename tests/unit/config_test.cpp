#include <catch2/catch.hpp>

#include <unistd.h>

#include <cstdlib>

#include "common/config.h"

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
  CHECK(config.retry.receive_timeout_sec == 60);
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

namespace {
std::string WithSync(const std::string& lines) { return std::string(kMinimal) + "[sync]\n" + lines + "\n"; }
}  // namespace

TEST_CASE("integer_beyond_32_bits_is_an_error_naming_the_key_and_range") {
  // 2^32 + 4 would be 4 when cut to 32 bits; it must be refused, and the
  // message must say the upper bound, not "must be at least".
  CHECK_THROWS_WITH(ParseConfig(WithSync("copy_split_rows = 4294967300"), "shop.toml"),
                    Catch::Contains("sync.copy_split_rows") && Catch::Contains("between 0 and 2147483647"));
  CHECK_THROWS_WITH(ParseConfig(WithSync("batch_max_changes = 9223372036854775807"), "shop.toml"),
                    Catch::Contains("sync.batch_max_changes") && Catch::Contains("between"));
  std::string retry = std::string(kMinimal) + "[retry]\nconnection_retry_minutes = 4294967296\n";
  CHECK_THROWS_WITH(ParseConfig(retry, "shop.toml"),
                    Catch::Contains("retry.connection_retry_minutes") && Catch::Contains("between"));
}

TEST_CASE("integer_keys_have_upper_bounds") {
  CHECK_THROWS_WITH(ParseConfig(WithSync("copy_workers = 1000000"), "shop.toml"),
                    Catch::Contains("sync.copy_workers") && Catch::Contains("between 1 and 64"));
  CHECK(ParseConfig(WithSync("copy_workers = 64"), "shop.toml").sync.copy_workers == 64);
  CHECK_THROWS_WITH(ParseConfig(WithSync("heartbeat_interval_sec = 86400"), "shop.toml"),
                    Catch::Contains("sync.heartbeat_interval_sec"));
  CHECK_THROWS_WITH(ParseConfig(WithSync("copy_index_memory_mb = 3000000"), "shop.toml"),
                    Catch::Contains("sync.copy_index_memory_mb"));
}

TEST_CASE("rate_keys_refuse_nan_infinity_and_negative") {
  for (const char* key : {"copy_max_rows_per_sec", "copy_max_mb_per_sec", "apply_max_rows_per_sec",
                          "apply_max_mb_per_sec"}) {
    for (const char* value : {"nan", "-nan", "inf", "+inf", "-inf", "-1", "-0.5"}) {
      INFO(key << " = " << value);
      CHECK_THROWS_WITH(ParseConfig(WithSync(std::string(key) + " = " + value), "shop.toml"),
                        Catch::Contains(std::string("sync.") + key));
    }
  }
  CHECK(ParseConfig(WithSync("apply_max_mb_per_sec = 0.5"), "shop.toml").sync.apply_max_mb_per_sec == 0.5);
}

TEST_CASE("invalid_conninfo_is_a_config_error_naming_the_key") {
  std::string text = "name = \"shop\"\n[a]\nconninfo = \"host=/tmp foo=bar\"\n[b]\nconninfo = \"host=/tmp\"\n";
  CHECK_THROWS_AS(ParseConfig(text, "shop.toml"), ConfigError);
  CHECK_THROWS_WITH(ParseConfig(text, "shop.toml"), Catch::Contains("a.conninfo") && Catch::Contains("foo"));
  text = "name = \"shop\"\n[a]\nconninfo = \"host=/tmp\"\n[b]\nconninfo = \"host='/tmp password=x\"\n";
  CHECK_THROWS_WITH(ParseConfig(text, "shop.toml"), Catch::Contains("b.conninfo"));
  text = "name = \"shop\"\n[a]\nconninfo = \"postgresql://u@h:5432/d\"\n[b]\nconninfo = \"host=/tmp\"\n";
  CHECK_NOTHROW(ParseConfig(text, "shop.toml"));
  text = "name = \"shop\"\n[a]\nconninfo = \"shop\"\n[b]\nconninfo = \"host=/tmp\"\n";  // a database name
  CHECK_NOTHROW(ParseConfig(text, "shop.toml"));
}

TEST_CASE("config_file_larger_than_1_mib_is_refused") {
  char path[] = "/tmp/pgduplex-config-test-XXXXXX";
  int fd = mkstemp(path);
  REQUIRE(fd >= 0);
  std::string text = kMinimal;
  std::string comment = "# " + std::string(1000, 'x') + "\n";
  while (text.size() <= (1 << 20)) text += comment;
  REQUIRE(write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size()));
  close(fd);
  CHECK_THROWS_WITH(LoadConfig(path), Catch::Contains(path) && Catch::Contains("1 MiB"));
  unlink(path);
}

TEST_CASE("config_that_is_not_a_regular_file_is_refused_at_once") {
  CHECK_THROWS_WITH(LoadConfig("/dev/zero"), Catch::Contains("/dev/zero") && Catch::Contains("not a regular file"));
  CHECK_THROWS_WITH(LoadConfig("/tmp"), Catch::Contains("not a regular file"));
  CHECK_THROWS_WITH(LoadConfig("/nonexistent/shop.toml"), Catch::Contains("cannot read config file"));
}

TEST_CASE("config_receive_timeout_sec_is_read_and_bounded") {
  std::string ok = std::string(kMinimal) + "[retry]\nreceive_timeout_sec = 15\n";
  CHECK(ParseConfig(ok, "t.toml").retry.receive_timeout_sec == 15);
  std::string low = std::string(kMinimal) + "[retry]\nreceive_timeout_sec = 1\n";
  CHECK_THROWS_WITH(ParseConfig(low, "t.toml"), Catch::Contains("retry.receive_timeout_sec") && Catch::Contains("between"));
}
