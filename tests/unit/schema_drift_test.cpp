#include <catch2/catch.hpp>

#include "apply/schema_drift.h"

using namespace pgduplex;

namespace {
void AddValues(v1::Tuple* tuple, std::initializer_list<const char*> values) {
  for (const char* value : values) {
    if (value) {
      tuple->add_values()->set_text(value);
    } else {
      tuple->add_values()->set_null(true);
    }
  }
}

std::vector<std::string> Texts(const v1::Tuple& tuple) {
  std::vector<std::string> out;
  for (const auto& value : tuple.values()) out.push_back(value.has_null() ? "NULL" : value.text());
  return out;
}
}  // namespace

TEST_CASE("schema_drift_stops_under_fail_and_applies_what_can_be_placed_otherwise") {
  for (bool placeable : {true, false}) {
    CHECK(DecideSchemaDrift(ConflictPolicy::kFail, placeable).action == ConflictAction::kStop);
    CHECK(DecideSchemaDrift(ConflictPolicy::kFail, placeable).resolution == Resolution::kFailed);
  }
  for (ConflictPolicy policy : {ConflictPolicy::kIgnore, ConflictPolicy::kOverwrite, ConflictPolicy::kLastWriteWins}) {
    CHECK(DecideSchemaDrift(policy, true).action == ConflictAction::kApplyRemote);
    CHECK(DecideSchemaDrift(policy, true).resolution == Resolution::kApplied);
    CHECK(DecideSchemaDrift(policy, false).action == ConflictAction::kSkip);
    CHECK(DecideSchemaDrift(policy, false).resolution == Resolution::kSkipped);
  }
}

TEST_CASE("schema_drift_line_names_table_and_columns") {
  CHECK(SchemaDriftLine(ConflictType::kTargetColumnMissing, "public.t", "a", {"v"}, "public.t") ==
        "table public.t on cluster a has no column \"v\" (the source table public.t has it)");
  CHECK(SchemaDriftLine(ConflictType::kTargetColumnMissing, "public.t", "a", {"v", "w"}, "public.t") ==
        "table public.t on cluster a has no columns \"v\", \"w\" (the source table public.t has them)");
  CHECK(SchemaDriftLine(ConflictType::kTargetTableMissing, "public.t", "a", {}, "public.t") ==
        "table public.t does not exist on cluster a");
}

TEST_CASE("project_record_keeps_the_target_columns_of_every_tuple") {
  v1::Record insert;
  insert.mutable_insert()->set_relation_oid(1);
  AddValues(insert.mutable_insert()->mutable_new_tuple(), {"1", "x", "10"});
  ProjectRecord(&insert, {0, 2});
  CHECK(Texts(insert.insert().new_tuple()) == std::vector<std::string>{"1", "10"});

  v1::Record update;
  AddValues(update.mutable_update()->mutable_new_tuple(), {"1", "x", nullptr, "4"});
  update.mutable_update()->set_old_kind(v1::OLD_TUPLE_KEY);
  AddValues(update.mutable_update()->mutable_old_tuple(), {"1", nullptr, nullptr, nullptr});
  ProjectRecord(&update, {0, 2});
  CHECK(Texts(update.update().new_tuple()) == std::vector<std::string>{"1", "NULL"});
  CHECK(Texts(update.update().old_tuple()) == std::vector<std::string>{"1", "NULL"});

  v1::Record remove;
  remove.mutable_delete_()->set_old_kind(v1::OLD_TUPLE_KEY);
  AddValues(remove.mutable_delete_()->mutable_old_tuple(), {"x", "1"});
  ProjectRecord(&remove, {1});
  CHECK(Texts(remove.delete_().old_tuple()) == std::vector<std::string>{"1"});
}
