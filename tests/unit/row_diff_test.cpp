#include <catch2/catch.hpp>

#include "ops/row_diff.h"

using namespace pgduplex;

TEST_CASE("row_diff_finds_missing_extra_and_changed_keys") {
  std::vector<RowHash> a = {{{"1"}, "h1"}, {{"2"}, "h2"}, {{"3"}, "h3"}, {{"5"}, "h5"}};
  std::vector<RowHash> b = {{{"1"}, "h1"}, {{"3"}, "other"}, {{"4"}, "h4"}, {{"5"}, "h5"}};
  RowDiff d = DiffRowHashes(a, b);
  CHECK(d.missing_on_b == std::vector<KeyTuple>{{"2"}});
  CHECK(d.extra_on_b == std::vector<KeyTuple>{{"4"}});
  CHECK(d.changed == std::vector<KeyTuple>{{"3"}});
  CHECK(d.size() == 3);
}

TEST_CASE("row_diff_of_equal_lists_is_empty_whatever_the_order") {
  std::vector<RowHash> a = {{{"1"}, "x"}, {{"2"}, "y"}};
  std::vector<RowHash> b = {{{"2"}, "y"}, {{"1"}, "x"}};
  CHECK(DiffRowHashes(a, b).empty());
}

TEST_CASE("row_diff_keeps_composite_key_parts_apart") {
  // ("ab", "c") and ("a", "bc") concatenate the same: they are different keys.
  std::vector<RowHash> a = {{{"ab", "c"}, "h"}};
  std::vector<RowHash> b = {{{"a", "bc"}, "h"}};
  RowDiff d = DiffRowHashes(a, b);
  CHECK(d.missing_on_b.size() == 1);
  CHECK(d.extra_on_b.size() == 1);
}

TEST_CASE("row_diff_lists_missing_in_a_order_and_extra_in_b_order") {
  std::vector<RowHash> a = {{{"9"}, "h"}, {{"3"}, "h"}};
  std::vector<RowHash> b = {{{"8"}, "h"}, {{"1"}, "h"}};
  RowDiff d = DiffRowHashes(a, b);
  CHECK(d.missing_on_b == std::vector<KeyTuple>{{"9"}, {"3"}});
  CHECK(d.extra_on_b == std::vector<KeyTuple>{{"8"}, {"1"}});
}

TEST_CASE("intersect_keeps_only_differences_seen_twice_with_the_same_verdict") {
  RowDiff first;
  first.missing_on_b = {{"1"}, {"2"}};
  first.changed = {{"3"}};
  RowDiff second;
  second.missing_on_b = {{"2"}};
  second.extra_on_b = {{"7"}};
  second.changed = {{"1"}, {"3"}};  // 1 moved from missing to changed: in flight
  RowDiff both = IntersectDiffs(first, second);
  CHECK(both.missing_on_b == std::vector<KeyTuple>{{"2"}});
  CHECK(both.extra_on_b.empty());
  CHECK(both.changed == std::vector<KeyTuple>{{"3"}});
}
