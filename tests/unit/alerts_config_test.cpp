#include <catch2/catch.hpp>

#include <string>

#include "common/config.h"

using namespace pgduplex;

namespace {
const std::string kBase = R"(
name = "shop"
[a]
conninfo = "host=/tmp port=5432 dbname=shop"
[b]
conninfo = "host=/tmp port=5433 dbname=shop"
)";
}

TEST_CASE("alerts_section_defaults_match_the_shipped_prometheus_rules") {
  TaskConfig config = ParseConfig(kBase, "shop.toml");
  CHECK(config.alerts.max_lag_sec == 300);
  CHECK(config.alerts.max_retained_wal_mb == 5120);
  CHECK(config.alerts.max_conflicts_per_hour == 100);
}

TEST_CASE("alerts_section_reads_every_threshold") {
  TaskConfig config = ParseConfig(
      kBase + "[alerts]\nmax_lag_sec = 30\nmax_retained_wal_mb = 2048\nmax_conflicts_per_hour = 0\n", "shop.toml");
  CHECK(config.alerts.max_lag_sec == 30);
  CHECK(config.alerts.max_retained_wal_mb == 2048);
  CHECK(config.alerts.max_conflicts_per_hour == 0);
}

TEST_CASE("alerts_section_rejects_unknown_keys_and_values_out_of_range_naming_them") {
  CHECK_THROWS_WITH(ParseConfig(kBase + "[alerts]\nmax_lag = 30\n", "shop.toml"),
                    Catch::Contains("alerts.max_lag") && Catch::Contains("shop.toml"));
  CHECK_THROWS_WITH(ParseConfig(kBase + "[alerts]\nmax_lag_sec = 0\n", "shop.toml"),
                    Catch::Contains("alerts.max_lag_sec") && Catch::Contains("between 1 and"));
  CHECK_THROWS_WITH(ParseConfig(kBase + "[alerts]\nmax_retained_wal_mb = -1\n", "shop.toml"),
                    Catch::Contains("alerts.max_retained_wal_mb"));
  CHECK_THROWS_WITH(ParseConfig(kBase + "[alerts]\nmax_conflicts_per_hour = \"10\"\n", "shop.toml"),
                    Catch::Contains("alerts.max_conflicts_per_hour") && Catch::Contains("integer"));
  CHECK_THROWS_WITH(ParseConfig(kBase + "alerts = 3\n", "shop.toml"), Catch::Contains("alerts"));
}
