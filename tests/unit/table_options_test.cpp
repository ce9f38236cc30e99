#include <catch2/catch.hpp>

#include "common/config.h"
#include "common/table_options.h"

using namespace pgduplex;

namespace {
std::string Config(const std::string& extra) {
  return std::string(R"(
name = "shop"
[a]
conninfo = "host=/tmp port=5432 dbname=shop"
[b]
conninfo = "host=/tmp port=5433 dbname=shop"
[sync]
tables = ["public.*", "sales.orders"]
)") + extra;
}
}  // namespace

TEST_CASE("table_options_default_to_every_row_and_operation") {
  TaskConfig config = ParseConfig(Config(""), "shop.toml");
  CHECK(config.table_options.empty());
  CHECK(FindTableOptions(config.table_options, {"public", "orders"}) == nullptr);
  CHECK(TableRulePluginOptions(config.table_options, Direction::kForward).empty());
}

TEST_CASE("row_filter_applies_to_both_directions_and_per_direction_keys_override_it") {
  TaskConfig config = ParseConfig(Config(R"(
[table."public.orders"]
row_filter = "region = 'eu'"
row_filter_reverse = "region = 'us'"
operations = ["insert", "update", "truncate"]
operations_reverse = []
)"),
                                  "shop.toml");
  const TableOptions* t = FindTableOptions(config.table_options, {"public", "orders"});
  REQUIRE(t != nullptr);
  CHECK(t->forward.row_filter == "region = 'eu'");
  CHECK(t->reverse.row_filter == "region = 'us'");
  CHECK(t->forward.operations == (kOpInsert | kOpUpdate | kOpTruncate));
  CHECK_FALSE(t->forward.Carries(kOpDelete));
  CHECK(t->reverse.operations == 0);
  CHECK(t->CommonFilter() == "(region = 'eu') AND (region = 'us')");
  auto forward = TableRulePluginOptions(config.table_options, Direction::kForward);
  REQUIRE(forward.size() == 2);
  CHECK(forward[0] == std::pair<std::string, std::string>{"row_filter", "\"public\".\"orders\" WHERE region = 'eu'"});
  CHECK(forward[1] == std::pair<std::string, std::string>{"operations", "\"public\".\"orders\" insert,update,truncate"});
  auto reverse = TableRulePluginOptions(config.table_options, Direction::kReverse);
  REQUIRE(reverse.size() == 2);
  CHECK(reverse[1].second == "\"public\".\"orders\" none");
}

TEST_CASE("common_filter_is_the_one_filter_when_both_directions_share_it") {
  TaskConfig config = ParseConfig(Config("[table.\"sales.orders\"]\nrow_filter = \"id > 0\"\n"), "shop.toml");
  CHECK(config.table_options.at(0).CommonFilter() == "id > 0");
  config = ParseConfig(Config("[table.\"sales.orders\"]\nrow_filter_forward = \"id > 0\"\n"), "shop.toml");
  CHECK(config.table_options.at(0).CommonFilter() == "id > 0");
  CHECK(config.table_options.at(0).reverse.row_filter.empty());
}

TEST_CASE("table_options_errors_name_the_key_at_fault") {
  auto error = [](const std::string& extra) {
    try {
      ParseConfig(Config(extra), "shop.toml");
    } catch (const ConfigError& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  CHECK_THAT(error("[table.\"other.t\"]\nrow_filter = \"true\"\n"),
             Catch::Contains("table.\"other.t\"") && Catch::Contains("sync.tables does not include"));
  CHECK_THAT(error("[table.\"orders\"]\nrow_filter = \"true\"\n"),
             Catch::Contains("table.\"orders\"") && Catch::Contains("not schema.table"));
  CHECK_THAT(error("[table.\"public.orders\"]\nrow_fliter = \"true\"\n"),
             Catch::Contains("table.\"public.orders\".row_fliter") && Catch::Contains("unknown key"));
  CHECK_THAT(error("[table.\"public.orders\"]\noperations = [\"insert\", \"upsert\"]\n"),
             Catch::Contains("table.\"public.orders\".operations") && Catch::Contains("unknown operation \"upsert\""));
  CHECK_THAT(error("[table.\"public.orders\"]\noperations_forward = \"insert\"\n"),
             Catch::Contains("operations_forward") && Catch::Contains("must be a list"));
  CHECK_THAT(error("[table.\"public.orders\"]\nrow_filter = \"  \"\n"),
             Catch::Contains("row_filter") && Catch::Contains("must not be empty"));
  CHECK_THAT(error("[table.\"public.orders\"]\nrow_filter_reverse = 1\n"),
             Catch::Contains("row_filter_reverse") && Catch::Contains("must be a string"));
  std::string text = "table = 1\n" + Config("");
  CHECK_THROWS_WITH(ParseConfig(text, "shop.toml"), Catch::Contains("table") && Catch::Contains("must be a set"));
}

TEST_CASE("operations_text_lists_operations_in_a_fixed_order") {
  CHECK(OperationsText(kOpTruncate | kOpInsert) == "insert, truncate");
  CHECK(OperationsText(0) == "none");
  CHECK(OperationsText(kAllOperations) == "insert, update, delete, truncate");
}
