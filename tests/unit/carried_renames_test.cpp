// CarriedRenames: renames read from captured statements and replayed over a
// source relation's names.
#include <catch2/catch.hpp>

#include "apply/carried_renames.h"

using namespace pgduplex;

namespace {
SourceRelation Relation(const std::string& name, std::vector<std::string> columns) {
  SourceRelation r;
  r.schema = "public";
  r.name = name;
  r.column_names = std::move(columns);
  r.column_is_key.assign(r.column_names.size(), false);
  return r;
}
}  // namespace

TEST_CASE("rename_statements_are_read") {
  auto r = ReadRenames("ALTER TABLE t RENAME COLUMN v TO w", "public");
  REQUIRE(r.size() == 1);
  CHECK((r[0].schema == "public" && r[0].table == "t" && r[0].column && r[0].old_name == "v" && r[0].new_name == "w"));
  r = ReadRenames("alter table if exists only s.\"T\" rename to \"U\"; ALTER TABLE x RENAME CONSTRAINT a TO b; "
                  "ALTER TABLE y ADD c int; ALTER TABLE z RENAME a TO b",
                  "public");
  REQUIRE(r.size() == 2);
  CHECK((r[0].schema == "s" && r[0].table == "T" && !r[0].column && r[0].new_name == "U"));
  CHECK((r[1].table == "z" && r[1].column && r[1].old_name == "a" && r[1].new_name == "b"));
  CHECK(ReadRenames("DO $$ BEGIN ALTER TABLE t RENAME v TO w; END $$", "public").empty());
}

TEST_CASE("renames_are_replayed_in_capture_order") {
  std::vector<CarriedRename> history = {
      {"public", "t", true, "a", "b"},
      {"public", "t", false, "", "u"},
      {"public", "u", true, "b", "c"},
      {"public", "other", true, "v", "x"},
  };
  auto rel = Relation("t", {"id", "a", "v"});
  REQUIRE(ApplyRenames(history, rel));
  CHECK(rel.name == "u");
  CHECK(rel.column_names == std::vector<std::string>{"id", "c", "v"});
  auto untouched = Relation("q", {"id"});
  CHECK_FALSE(ApplyRenames(history, untouched));
}
