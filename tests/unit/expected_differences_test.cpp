#include <catch2/catch.hpp>

#include "common/table_options.h"
#include "ops/expected_differences.h"

using namespace pgduplex;

namespace {
RowDiff OneOfEach() {
  RowDiff diff;
  diff.missing_on_b.push_back({"1"});
  diff.extra_on_b.push_back({"2"});
  diff.changed.push_back({"3"});
  return diff;
}
}  // namespace

TEST_CASE("every_difference_is_real_when_both_directions_carry_everything") {
  RowDiff diff = OneOfEach();
  ExpectedSplit split = TakeExpectedDifferences(diff, kAllOperations, kAllOperations);
  CHECK(split.expected.empty());
  CHECK(diff.size() == 3);
}

TEST_CASE("rows_on_b_only_are_expected_when_forward_does_not_carry_deletes") {
  RowDiff diff = OneOfEach();
  ExpectedSplit split = TakeExpectedDifferences(diff, kOpInsert | kOpUpdate | kOpTruncate, kAllOperations);
  CHECK(split.expected.extra_on_b.size() == 1);
  CHECK(split.extra_on_b_reason == "deletes are not carried to B");
  CHECK(diff.extra_on_b.empty());
  CHECK(diff.missing_on_b.size() == 1);  // still real
  CHECK(diff.changed.size() == 1);
}

TEST_CASE("rows_on_a_only_are_expected_when_forward_skips_inserts_or_reverse_skips_deletes") {
  RowDiff diff = OneOfEach();
  ExpectedSplit split = TakeExpectedDifferences(diff, kAllOperations, kOpInsert | kOpUpdate);
  CHECK(split.missing_on_b_reason == "deletes and truncates are not carried to A");
  CHECK(split.expected.missing_on_b.size() == 1);
  diff = OneOfEach();
  split = TakeExpectedDifferences(diff, kOpUpdate | kOpDelete | kOpTruncate, kAllOperations);
  CHECK(split.missing_on_b_reason == "inserts are not carried to B");
  CHECK(split.extra_on_b_reason.empty());
  CHECK(diff.extra_on_b.size() == 1);
}

TEST_CASE("changed_rows_are_expected_when_either_direction_skips_updates") {
  RowDiff diff = OneOfEach();
  ExpectedSplit split = TakeExpectedDifferences(diff, kAllOperations, kOpInsert);
  CHECK(split.changed_reason == "updates are not carried to A");
  CHECK(split.expected.changed.size() == 1);
  CHECK(split.extra_on_b_reason.empty());  // reverse carries inserts, forward deletes
  CHECK(diff.extra_on_b.size() == 1);
  CHECK(diff.missing_on_b.empty());  // reverse skips deletes and truncates too
}

TEST_CASE("truncate_left_out_alone_explains_rows_on_one_side_only") {
  RowDiff diff = OneOfEach();
  ExpectedSplit split = TakeExpectedDifferences(diff, kOpInsert | kOpUpdate | kOpDelete, kAllOperations);
  CHECK(split.extra_on_b_reason == "truncates are not carried to B");
  CHECK(diff.changed.size() == 1);
}
