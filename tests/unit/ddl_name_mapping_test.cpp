#include <catch2/catch.hpp>

#include "ddl/ddl_name_mapping.h"
#include "ddl_policy_test_support.h"
#include "initial_sync/mapped_schema.h"

using namespace pgduplex;
using pgduplex::ddl_test::Make;

namespace {
NameMapping Sample() {
  NameMappingSpec spec;
  spec.schemas = {{"app", "app_b"}};
  spec.tables = {{"public.orders", "sales.orders_b"}};
  spec.columns = {{"public.orders.note", "remark"}, {"public.lines.label", "title"}};
  return NameMapping::Build(spec, {"public.*", "app.*"});
}

MappedDdl Map(const std::string& tag, const std::string& statement, const SchemaLookups& looked_up = {},
              const std::string& schema = "public") {
  v1::Ddl ddl = Make(tag, statement, schema);
  return MapDdlNames(statement, ParseDdl(ddl), looked_up, Sample());
}
}  // namespace

TEST_CASE("ddl_names_qualified_and_unqualified_go_to_b") {
  CHECK(Map("ALTER TABLE", "ALTER TABLE public.orders ADD COLUMN status text").statement ==
        "ALTER TABLE \"sales\".\"orders_b\" ADD COLUMN status text");
  CHECK(Map("ALTER TABLE", "ALTER TABLE orders ADD COLUMN status text").statement ==
        "ALTER TABLE \"sales\".\"orders_b\" ADD COLUMN status text");
  CHECK(Map("ALTER TABLE", "ALTER TABLE IF EXISTS ONLY app.items ADD COLUMN c int").statement ==
        "ALTER TABLE IF EXISTS ONLY \"app_b\".\"items\" ADD COLUMN c int");
  CHECK(Map("CREATE TABLE", "CREATE TABLE items2 (id int)", {}, "app").statement ==
        "CREATE TABLE \"app_b\".\"items2\" (id int)");
  CHECK(Map("DROP TABLE", "DROP TABLE public.plain, app.items").statement ==
        "DROP TABLE public.plain, \"app_b\".\"items\"");
  // Unmapped names stay as written.
  CHECK(Map("ALTER TABLE", "ALTER TABLE plain ADD COLUMN x int").statement == "ALTER TABLE plain ADD COLUMN x int");
}

TEST_CASE("ddl_names_renamed_columns_of_the_one_table_go_to_b") {
  CHECK(Map("ALTER TABLE", "ALTER TABLE orders RENAME COLUMN note TO memo").statement ==
        "ALTER TABLE \"sales\".\"orders_b\" RENAME COLUMN \"remark\" TO memo");
  CHECK(Map("CREATE INDEX", "CREATE INDEX orders_note_idx ON orders (lower(note))", {{"orders", "public"}}).statement ==
        "CREATE INDEX orders_note_idx ON \"sales\".\"orders_b\" (lower(\"remark\"))");
  CHECK(Map("ALTER TABLE", "ALTER TABLE public.orders ADD CONSTRAINT c CHECK (\"note\" <> '')").statement ==
        "ALTER TABLE \"sales\".\"orders_b\" ADD CONSTRAINT c CHECK (\"remark\" <> '')");
}

TEST_CASE("ddl_names_refuses_what_it_cannot_rewrite") {
  MappedDdl renamed = Map("ALTER TABLE", "ALTER TABLE public.orders RENAME TO orders2");
  CHECK_THAT(renamed.refusal, Catch::Contains("public.orders is renamed to sales.orders_b"));
  // A renamed schema's table may be renamed: its new name maps by schema.
  CHECK(Map("ALTER TABLE", "ALTER TABLE app.items RENAME TO items2").refusal.empty());
  MappedDdl two = Map("ALTER TABLE", "ALTER TABLE public.lines ADD FOREIGN KEY (o) REFERENCES public.orders (id)");
  CHECK_THAT(two.refusal, Catch::Contains("several tables whose columns are renamed"));
}

TEST_CASE("post_data_qualified_names_go_to_b") {
  NameMapping m = Sample();
  CHECK(initial_sync::MapQualifiedNames(m, "CREATE INDEX orders_note_idx ON public.orders USING btree (note);") ==
        "CREATE INDEX orders_note_idx ON \"sales\".\"orders_b\" USING btree (note);");
  CHECK(initial_sync::MapQualifiedNames(
            m, "ALTER TABLE ONLY app.items ADD CONSTRAINT f FOREIGN KEY (o) REFERENCES public.orders(id);") ==
        "ALTER TABLE ONLY \"app_b\".\"items\" ADD CONSTRAINT f FOREIGN KEY (o) REFERENCES \"sales\".\"orders_b\"(id);");
  CHECK(initial_sync::MapQualifiedNames(m, "SELECT 'public.orders', public.plain;") ==
        "SELECT 'public.orders', public.plain;");
}
