#include <catch2/catch.hpp>

#include "ops/key_range.h"

using namespace pgduplex;

TEST_CASE("split_range_covers_the_outer_range_without_gaps_or_overlap") {
  auto ranges = SplitRange(KeyRange{}, {{"10"}, {"20"}, {"30"}});
  REQUIRE(ranges.size() == 4);
  CHECK(ranges[0] == KeyRange{std::nullopt, KeyTuple{"10"}});
  CHECK(ranges[1] == KeyRange{KeyTuple{"10"}, KeyTuple{"20"}});
  CHECK(ranges[2] == KeyRange{KeyTuple{"20"}, KeyTuple{"30"}});
  CHECK(ranges[3] == KeyRange{KeyTuple{"30"}, std::nullopt});
}

TEST_CASE("split_range_without_boundaries_is_the_outer_range") {
  KeyRange outer{KeyTuple{"5"}, KeyTuple{"9"}};
  auto ranges = SplitRange(outer, {});
  REQUIRE(ranges.size() == 1);
  CHECK(ranges[0] == outer);
}

TEST_CASE("split_range_drops_duplicate_and_closing_boundaries") {
  KeyRange outer{KeyTuple{"0"}, KeyTuple{"30"}};
  auto ranges = SplitRange(outer, {{"0"}, {"10"}, {"10"}, {"30"}});
  REQUIRE(ranges.size() == 2);
  CHECK(ranges[0] == KeyRange{KeyTuple{"0"}, KeyTuple{"10"}});
  CHECK(ranges[1] == KeyRange{KeyTuple{"10"}, KeyTuple{"30"}});
}

TEST_CASE("every_nth_key_cuts_chunks_of_the_requested_size") {
  std::vector<KeyTuple> keys;
  for (int i = 1; i <= 25; ++i) keys.push_back({std::to_string(i)});
  auto b = EveryNthKey(keys, 10);
  REQUIRE(b.size() == 2);
  CHECK(b[0] == KeyTuple{"10"});
  CHECK(b[1] == KeyTuple{"20"});
  // 3 chunks: 10, 10 and 5 rows.
  CHECK(SplitRange(KeyRange{}, b).size() == 3);
  CHECK(EveryNthKey(keys, 0).empty());
  CHECK(EveryNthKey(keys, 100).empty());
}

TEST_CASE("range_predicate_casts_parameters_to_this_clusters_key_types") {
  auto cond = RangePredicate({"\"id\""}, {"bigint"}, KeyRange{KeyTuple{"7"}, KeyTuple{"42"}});
  CHECK(cond.sql == "\"id\" > $1::bigint AND \"id\" <= $2::bigint");
  CHECK(cond.params == std::vector<std::string>{"7", "42"});
  CHECK(RangePredicate({"id"}, {"int"}, KeyRange{}).sql == "TRUE");
}

TEST_CASE("range_predicate_compares_composite_keys_as_rows") {
  auto cond = RangePredicate({"a", "b"}, {"integer", "text"}, KeyRange{std::nullopt, KeyTuple{"3", "x"}}, 5);
  CHECK(cond.sql == "(a, b) <= ($5::integer, $6::text)");
  CHECK(cond.params == std::vector<std::string>{"3", "x"});
}

TEST_CASE("key_in_lists_every_key_with_consecutive_parameters") {
  auto cond = KeyIn({"a", "b"}, {"int", "text"}, {{"1", "x"}, {"2", "y"}});
  CHECK(cond.sql == "(a, b) IN (($1::int, $2::text), ($3::int, $4::text))");
  CHECK(cond.params.size() == 4);
  CHECK(KeyIn({"a"}, {"int"}, {}).sql == "FALSE");
  CHECK(KeyEquals({"a"}, {"int"}, {"9"}).sql == "a = $1::int");
}

TEST_CASE("keys_display_plain_or_as_tuples") {
  CHECK(DisplayKey({"42"}) == "42");
  CHECK(DisplayKey({"7", "abc"}) == "(7, abc)");
  CHECK(DisplayRange(KeyRange{std::nullopt, KeyTuple{"5"}}) == "(-inf, 5]");
}
