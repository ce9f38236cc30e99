#include <catch2/catch.hpp>

#include "apply/change_params.h"

using namespace pgduplex;

namespace {
struct Fixture {
  SourceRelation source;
  TargetRelation target;
  Fixture() {
    source.schema = "public";
    source.name = "t";
    source.column_names = {"id", "body", "n"};
    source.column_is_key = {true, false, false};
    target.source = &source;
    target.display = "public.t";
    target.shape.quoted_table = "\"public\".\"t\"";
    target.shape.columns = {{"\"id\"", "integer", true, false},
                            {"\"body\"", "text", false, false},
                            {"\"n\"", "integer", false, false}};
    target.has_key = true;
  }
};

void Text(v1::Tuple* tuple, const char* text) { tuple->add_values()->set_text(text); }
void Null(v1::Tuple* tuple) { tuple->add_values()->set_null(true); }
void Unchanged(v1::Tuple* tuple) { tuple->add_values()->set_unchanged_toast(true); }
std::string S(const char* p) { return p ? p : "<null>"; }
}  // namespace

TEST_CASE("update_leaves_unchanged_toast_out_and_uses_new_key") {
  Fixture f;
  v1::Update update;
  Text(update.mutable_new_tuple(), "1");
  Unchanged(update.mutable_new_tuple());
  Text(update.mutable_new_tuple(), "5");
  std::string mask, error;
  std::vector<const char*> values;
  REQUIRE(UpdateParams(f.target, update, &mask, &values, &error));
  CHECK(mask == "001");
  REQUIRE(values.size() == 2);
  CHECK(S(values[0]) == "5");
  CHECK(S(values[1]) == "1");
}

TEST_CASE("update_with_old_key_sets_key_and_finds_row_by_old_key") {
  Fixture f;
  v1::Update update;
  Text(update.mutable_new_tuple(), "2");
  Text(update.mutable_new_tuple(), "b");
  Null(update.mutable_new_tuple());
  update.set_old_kind(v1::OLD_TUPLE_KEY);
  Text(update.mutable_old_tuple(), "1");
  Null(update.mutable_old_tuple());
  Null(update.mutable_old_tuple());
  std::string mask, error;
  std::vector<const char*> values;
  REQUIRE(UpdateParams(f.target, update, &mask, &values, &error));
  CHECK(mask == "111");
  REQUIRE(values.size() == 4);
  CHECK(S(values[0]) == "2");
  CHECK(values[2] == nullptr);  // NULL stays NULL
  CHECK(S(values[3]) == "1");   // WHERE id = old id
}

TEST_CASE("delete_needs_an_old_key") {
  Fixture f;
  v1::Delete remove;
  std::vector<const char*> values;
  std::string error;
  CHECK_FALSE(DeleteParams(f.target, remove, &values, &error));
  CHECK(error.find("no old key") != std::string::npos);
  remove.set_old_kind(v1::OLD_TUPLE_KEY);
  Text(remove.mutable_old_tuple(), "9");
  Null(remove.mutable_old_tuple());
  Null(remove.mutable_old_tuple());
  REQUIRE(DeleteParams(f.target, remove, &values, &error));
  REQUIRE(values.size() == 1);
  CHECK(S(values[0]) == "9");
}

TEST_CASE("unknown_key_value_is_an_error_not_a_guess") {
  Fixture f;
  v1::Update update;
  Unchanged(update.mutable_new_tuple());
  Text(update.mutable_new_tuple(), "b");
  Text(update.mutable_new_tuple(), "1");
  std::string mask, error;
  std::vector<const char*> values;
  CHECK_FALSE(UpdateParams(f.target, update, &mask, &values, &error));
  CHECK(error.find("unchanged TOAST") != std::string::npos);
}

TEST_CASE("tables_without_any_key_cannot_take_updates") {
  Fixture f;
  f.target.has_key = false;
  v1::Update update;
  Text(update.mutable_new_tuple(), "1");
  Text(update.mutable_new_tuple(), "b");
  Text(update.mutable_new_tuple(), "1");
  std::string mask, error;
  std::vector<const char*> values;
  CHECK_FALSE(UpdateParams(f.target, update, &mask, &values, &error));
  CHECK(error.find("no primary key") != std::string::npos);
}

TEST_CASE("whole_row_comes_from_full_old_image") {
  Fixture f;
  v1::Update update;
  Text(update.mutable_new_tuple(), "1");
  Unchanged(update.mutable_new_tuple());
  Text(update.mutable_new_tuple(), "7");
  std::vector<const char*> row;
  CHECK_FALSE(WholeNewRow(f.target, update, &row));  // no old image: body unknown
  update.set_old_kind(v1::OLD_TUPLE_FULL);
  Text(update.mutable_old_tuple(), "1");
  Text(update.mutable_old_tuple(), "long body");
  Text(update.mutable_old_tuple(), "6");
  REQUIRE(WholeNewRow(f.target, update, &row));
  CHECK(S(row[1]) == "long body");
  CHECK(S(row[2]) == "7");
}

TEST_CASE("wrong_tuple_width_is_reported") {
  Fixture f;
  v1::Update update;
  Text(update.mutable_new_tuple(), "1");
  std::string mask, error;
  std::vector<const char*> values;
  CHECK_FALSE(UpdateParams(f.target, update, &mask, &values, &error));
  CHECK(error.find("1 values") != std::string::npos);
}

TEST_CASE("short_tuple_gives_no_key_instead_of_reading_past_it") {
  Fixture f;
  std::vector<const char*> key;
  std::string error;
  v1::Record update;
  Text(update.mutable_update()->mutable_new_tuple(), "1");
  update.mutable_update()->set_old_kind(v1::OLD_TUPLE_FULL);
  Text(update.mutable_update()->mutable_old_tuple(), "1");
  CHECK_FALSE(ChangeKey(f.target, update, &key, &error));
  CHECK(error.find("1 values") != std::string::npos);
  v1::Record remove;
  remove.mutable_delete_()->set_old_kind(v1::OLD_TUPLE_KEY);
  CHECK_FALSE(ChangeKey(f.target, remove, &key, &error));
  v1::Record insert;
  Text(insert.mutable_insert()->mutable_new_tuple(), "1");
  CHECK_FALSE(ChangeKey(f.target, insert, &key, &error));
  CHECK(DescribeKey(f.target, insert) == "(key unknown)");
}

TEST_CASE("key_is_described_for_messages") {
  Fixture f;
  v1::Record record;
  Text(record.mutable_insert()->mutable_new_tuple(), "42");
  Text(record.mutable_insert()->mutable_new_tuple(), "x");
  Text(record.mutable_insert()->mutable_new_tuple(), "1");
  CHECK(DescribeKey(f.target, record) == "(id)=(42)");
}
