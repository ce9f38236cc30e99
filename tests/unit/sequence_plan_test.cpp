#include <catch2/catch.hpp>

#include "ops/sequence_plan.h"

using namespace pgduplex;

namespace {
SequenceState Seq(int64_t last_value, bool is_called, int64_t increment = 1) {
  SequenceState s;
  s.exists = true;
  s.last_value = last_value;
  s.is_called = is_called;
  s.increment = increment;
  s.min_value = 1;
  s.max_value = 2147483647;
  return s;
}
}  // namespace

TEST_CASE("setval_moves_b_past_a_sequence_or_column_max_whichever_is_larger") {
  auto action = PlanSetval(Seq(100, true), 150, Seq(1, false));
  CHECK(action.kind == SequenceAction::kSetval);
  CHECK(action.next_value == 151);
  action = PlanSetval(Seq(200, true), 150, Seq(1, false));
  CHECK(action.next_value == 201);
}

TEST_CASE("setval_never_moves_b_backwards") {
  auto action = PlanSetval(Seq(100, true), 100, Seq(500, true));
  CHECK(action.kind == SequenceAction::kNone);
  CHECK(action.reason.find("already past") != std::string::npos);
  // B's next value exactly one beyond A's: nothing to do either.
  CHECK(PlanSetval(Seq(100, true), std::nullopt, Seq(101, false)).kind == SequenceAction::kNone);
}

TEST_CASE("setval_has_nothing_to_do_when_a_used_no_value") {
  CHECK(PlanSetval(Seq(1, false), std::nullopt, Seq(1, false)).kind == SequenceAction::kNone);
}

TEST_CASE("setval_keeps_an_interleaved_b_on_its_residue") {
  // B hands out even values (next 12, increment 2); A used up to 101.
  auto action = PlanSetval(Seq(101, true, 2), std::nullopt, Seq(10, true, 2));
  CHECK(action.kind == SequenceAction::kSetval);
  CHECK(action.next_value == 102);
}

TEST_CASE("setval_refuses_a_sequence_missing_on_b_or_beyond_maxvalue") {
  CHECK(PlanSetval(Seq(5, true), std::nullopt, SequenceState{}).kind == SequenceAction::kRefuse);
  SequenceState small = Seq(1, false);
  small.max_value = 50;
  CHECK(PlanSetval(Seq(100, true), std::nullopt, small).kind == SequenceAction::kRefuse);
}

TEST_CASE("next_in_class_picks_the_smallest_value_above_floor") {
  CHECK(NextInClass(100, 2, 1) == 101);
  CHECK(NextInClass(100, 2, 0) == 102);
  CHECK(NextInClass(101, 2, 1) == 103);
  CHECK(NextInClass(-3, 2, 0) == -2);
  CHECK(NextInClass(0, 1, 0) == 1);
}

TEST_CASE("interleave_restarts_both_sides_past_everything_used_with_odd_and_even") {
  std::vector<std::optional<int64_t>> maxima = {100, 99};  // even max 100, odd max 99
  auto a = PlanInterleave(Seq(100, true), 2, 1, maxima, 100);
  auto b = PlanInterleave(Seq(3, true), 2, 0, maxima, 100);
  CHECK(a.kind == SequenceAction::kAlter);
  CHECK(a.increment == 2);
  CHECK(a.next_value == 101);
  CHECK(b.kind == SequenceAction::kAlter);
  CHECK(b.next_value == 102);
}

TEST_CASE("interleave_twice_changes_nothing") {
  std::vector<std::optional<int64_t>> maxima = {100, 99};
  SequenceState a = Seq(101, false, 2);  // as left by RESTART WITH 101
  SequenceState b = Seq(102, false, 2);
  CHECK(PlanInterleave(a, 2, 1, maxima, std::nullopt).kind == SequenceAction::kNone);
  CHECK(PlanInterleave(b, 2, 0, maxima, std::nullopt).kind == SequenceAction::kNone);
}

TEST_CASE("interleave_stays_put_after_the_peer_replicated_higher_values_of_its_own_class") {
  // A is at 105 (odd); B's even rows up to 400 arrived on A: no odd row beyond 105.
  std::vector<std::optional<int64_t>> maxima = {400, 105};
  CHECK(PlanInterleave(Seq(105, true, 2), 2, 1, maxima, 400).kind == SequenceAction::kNone);
  // But an odd row beyond A's next value (written by hand) forces a restart.
  maxima = {400, 301};
  auto again = PlanInterleave(Seq(105, true, 2), 2, 1, maxima, 400);
  CHECK(again.kind == SequenceAction::kAlter);
  CHECK(again.next_value == 401);
}

TEST_CASE("interleave_on_empty_tables_starts_at_the_sequence_minimum") {
  std::vector<std::optional<int64_t>> none(2);
  CHECK(PlanInterleave(Seq(1, false), 2, 1, none, std::nullopt).next_value == 1);
  auto b = PlanInterleave(Seq(1, false), 2, 0, none, std::nullopt);
  CHECK(b.kind == SequenceAction::kAlter);
  CHECK(b.next_value == 2);
}

TEST_CASE("copied_sequence_is_interleaved_even_past_a_when_a_is_interleaved") {
  // A after `sequences --interleave`: INCREMENT BY 2, RESTART WITH 101 (odd).
  SequenceState a = Seq(101, false, 2);
  // B as the copy created it from A's definition: START 1 INCREMENT BY 2.
  SequenceState b = Seq(1, false, 2);
  auto action = PlanCopiedSequence(a, 100, b);
  CHECK(action.kind == SequenceAction::kAlter);
  CHECK(action.increment == 2);
  CHECK(action.next_value == 102);
  // A handed out values beyond the copied rows: past those too.
  action = PlanCopiedSequence(Seq(151, true, 2), 100, b);
  CHECK(action.next_value == 152);
  // A column value beyond, of either parity.
  CHECK(PlanCopiedSequence(a, 301, b).next_value == 302);
}

TEST_CASE("copied_sequence_is_moved_past_a_with_a_warning_when_a_is_not_interleaved") {
  auto action = PlanCopiedSequence(Seq(100, true), 100, Seq(1, false));
  CHECK(action.kind == SequenceAction::kSetval);
  CHECK(action.next_value == 101);
  CHECK(action.reason.find("not interleaved") != std::string::npos);
  // INCREMENT BY 2 but on the even values: not A's interleave layout.
  CHECK(!InterleavedAsA(Seq(100, false, 2)));
  CHECK(InterleavedAsA(Seq(99, true, 2)));
}

TEST_CASE("copied_sequence_refuses_a_descending_b") {
  SequenceState b = Seq(-1, false, -2);
  CHECK(PlanCopiedSequence(Seq(101, false, 2), 100, b).kind == SequenceAction::kRefuse);
}
