#include <catch2/catch.hpp>

#include "common/config.h"
#include "common/name_mapping.h"

using namespace pgduplex;

namespace {
NameMapping Sample() {
  NameMappingSpec spec;
  spec.schemas = {{"app", "app_b"}};
  spec.tables = {{"public.orders", "sales.orders_b"}};
  spec.columns = {{"public.orders.note", "remark"}, {"app.items.label", "title"}};
  return NameMapping::Build(spec, {"public.*", "app.*"});
}

std::string BuildError(const NameMappingSpec& spec, const std::vector<std::string>& scope) {
  try {
    NameMapping::Build(spec, scope);
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "";
}
}  // namespace

TEST_CASE("name_mapping_maps_tables_schemas_and_columns_both_ways") {
  NameMapping m = Sample();
  CHECK_FALSE(m.empty());
  CHECK(m.ToB({"public", "orders"}) == TableName{"sales", "orders_b"});
  CHECK(m.ToA({"sales", "orders_b"}) == TableName{"public", "orders"});
  CHECK(m.ToB({"app", "items"}) == TableName{"app_b", "items"});
  CHECK(m.ToA({"app_b", "items"}) == TableName{"app", "items"});
  CHECK(m.ToB({"public", "plain"}) == TableName{"public", "plain"});
  CHECK(m.ColumnToB({"public", "orders"}, "note") == "remark");
  CHECK(m.ColumnToB({"public", "orders"}, "id") == "id");
  CHECK(m.ColumnToA({"public", "orders"}, "remark") == "note");
  CHECK(m.ColumnToTarget(Direction::kForward, {"app", "items"}, "label") == "title");
  CHECK(m.ColumnToTarget(Direction::kReverse, {"app_b", "items"}, "title") == "label");
  CHECK(m.ToTarget(Direction::kReverse, {"sales", "orders_b"}) == TableName{"public", "orders"});
  CHECK(m.ToSource(Direction::kForward, {"sales", "orders_b"}) == TableName{"public", "orders"});
  CHECK(m.DisplayBoth({"public", "orders"}) == "public.orders (sales.orders_b on B)");
  CHECK(m.DisplayBoth({"public", "plain"}) == "public.plain");
}

TEST_CASE("name_mapping_gives_b_its_own_table_patterns") {
  NameMapping m = Sample();
  CHECK(m.PatternsOnB({"public.*", "app.*"}) == std::vector<std::string>{"public.*", "app_b.*", "sales.orders_b"});
  CHECK(m.PatternsOnB({"public.orders"}) == std::vector<std::string>{"sales.orders_b"});
  CHECK(m.PatternsOn("a", {"app.*"}) == std::vector<std::string>{"app.*"});
  CHECK(NameMapping().empty());
  CHECK(NameMapping().PatternsOnB({"public.*"}) == std::vector<std::string>{"public.*"});
}

TEST_CASE("name_mapping_refuses_what_is_not_one_to_one_naming_both") {
  NameMappingSpec two_tables;
  two_tables.tables = {{"public.x", "public.z"}, {"public.y", "public.z"}};
  std::string e = BuildError(two_tables, {"public.x", "public.y"});
  CHECK(e.find("mapping.tables") != std::string::npos);
  CHECK(e.find("public.x") != std::string::npos);
  CHECK(e.find("public.y") != std::string::npos);

  NameMappingSpec onto_synced_schema;
  onto_synced_schema.schemas = {{"app", "public"}};
  e = BuildError(onto_synced_schema, {"public.*", "app.*"});
  CHECK(e.find("\"app\" maps to \"public\"") != std::string::npos);
  // Swapping two schemas is one-to-one.
  NameMappingSpec swap;
  swap.schemas = {{"app", "public"}, {"public", "app"}};
  CHECK(BuildError(swap, {"public.*", "app.*"}).empty());

  NameMappingSpec onto_unmapped_table;
  onto_unmapped_table.tables = {{"public.t", "public.u"}};
  e = BuildError(onto_unmapped_table, {"public.*"});
  CHECK(e.find("public.t") != std::string::npos);
  CHECK(e.find("public.u") != std::string::npos);
  CHECK(BuildError(onto_unmapped_table, {"public.t"}).empty());  // public.u is not synchronized

  NameMappingSpec two_columns;
  two_columns.columns = {{"public.t.a", "c"}, {"public.t.b", "c"}};
  e = BuildError(two_columns, {"public.*"});
  CHECK(e.find("public.t.a") != std::string::npos);
  CHECK(e.find("public.t.b") != std::string::npos);
}

TEST_CASE("name_mapping_refuses_malformed_entries") {
  NameMappingSpec bad_table;
  bad_table.tables = {{"public.t", "nodot"}};
  CHECK(BuildError(bad_table, {"public.*"}).find("\"nodot\" is not schema.table") != std::string::npos);
  NameMappingSpec bad_column;
  bad_column.columns = {{"t.c", "x"}};
  CHECK(BuildError(bad_column, {"public.*"}).find("schema.table.column") != std::string::npos);
  NameMappingSpec bad_schema;
  bad_schema.schemas = {{"a", "b.c"}};
  CHECK(BuildError(bad_schema, {"public.*"}).find("mapping.schemas") != std::string::npos);
}

TEST_CASE("config_reads_the_mapping_section") {
  TaskConfig c = ParseConfig(R"(name = "t"
[a]
conninfo = "dbname=a"
[b]
conninfo = "dbname=b"
[mapping]
schemas = { "app" = "app_b" }
tables = { "public.orders" = "sales.orders_b" }
columns = { "public.orders.note" = "remark" }
)",
                             "t.toml");
  CHECK(c.mapping.ToB({"public", "orders"}) == TableName{"sales", "orders_b"});
  CHECK(c.mapping.ColumnToB({"public", "orders"}, "note") == "remark");
  CHECK_THROWS_WITH(ParseConfig("name = \"t\"\n[a]\nconninfo = \"dbname=a\"\n[b]\nconninfo = \"dbname=b\"\n"
                                "[mapping]\ntables = { \"public.x\" = \"public.z\", \"public.y\" = \"public.z\" }\n",
                                "t.toml"),
                    Catch::Contains("t.toml: mapping.tables is not one-to-one"));
  CHECK_THROWS_WITH(ParseConfig("name = \"t\"\n[a]\nconninfo = \"dbname=a\"\n[b]\nconninfo = \"dbname=b\"\n"
                                "[mapping]\nviews = {}\n",
                                "t.toml"),
                    Catch::Contains("mapping.views unknown key"));
}
