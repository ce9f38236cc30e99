#include "ops/sequence_plan.h"

#include <fmt/format.h>

#include <algorithm>

namespace pgduplex {

namespace {
int Residue(int64_t v, int modulus) { return static_cast<int>(((v % modulus) + modulus) % modulus); }

std::optional<int64_t> Max(std::optional<int64_t> x, std::optional<int64_t> y) {
  if (!x) return y;
  if (!y) return x;
  return std::max(*x, *y);
}

// A refusal when the sequence cannot be planned for: it is missing or
// descending. `where` names the side in the reason (" on B", or "").
std::optional<SequenceAction> RefuseUnusable(const SequenceState& s, const char* where) {
  if (s.exists && s.increment >= 0) return std::nullopt;
  SequenceAction action;
  action.kind = SequenceAction::kRefuse;
  action.reason = s.exists ? fmt::format("descending sequence{}: set it by hand", where)
                           : fmt::format("missing{}", where);
  return action;
}
}  // namespace

int64_t NextInClass(int64_t floor, int modulus, int offset) {
  int64_t v = floor + 1;
  int64_t step = (offset - Residue(v, modulus) + modulus) % modulus;
  return v + step;
}

SequenceAction PlanSetval(const SequenceState& a, std::optional<int64_t> a_column_max, const SequenceState& b) {
  if (auto refused = RefuseUnusable(b, " on B")) return *refused;
  SequenceAction action;
  std::optional<int64_t> used_on_a = Max(a.exists ? a.HighestUsed() : std::nullopt, a_column_max);
  if (!used_on_a) {
    action.reason = "A has handed out no value yet";
    return action;
  }
  int modulus = static_cast<int>(std::min<int64_t>(b.increment, 1 << 20));
  int64_t wanted = NextInClass(*used_on_a, modulus, Residue(b.NextValue(), modulus));
  if (b.NextValue() >= wanted) {
    action.reason = fmt::format("already past A (B's next value {} > A's {})", b.NextValue(), *used_on_a);
    return action;
  }
  if (wanted > b.max_value) {
    action.kind = SequenceAction::kRefuse;
    action.reason = fmt::format("{} would exceed B's MAXVALUE {}", wanted, b.max_value);
    return action;
  }
  action.kind = SequenceAction::kSetval;
  action.next_value = wanted;
  action.reason = fmt::format("B's next value {} -> {} (A used up to {})", b.NextValue(), wanted, *used_on_a);
  return action;
}

SequenceAction PlanInterleave(const SequenceState& side, int modulus, int offset,
                              const std::vector<std::optional<int64_t>>& column_max_by_residue,
                              std::optional<int64_t> highest_used_anywhere) {
  if (auto refused = RefuseUnusable(side, "")) return *refused;
  SequenceAction action;
  std::optional<int64_t> own_class_max;
  if (static_cast<size_t>(offset) < column_max_by_residue.size()) own_class_max = column_max_by_residue[offset];
  int64_t next = side.NextValue();
  if (side.increment == modulus && Residue(next, modulus) == offset &&
      (!own_class_max || next > *own_class_max) && next <= side.max_value) {
    action.reason = fmt::format("already interleaved (INCREMENT BY {}, next value {})", modulus, next);
    return action;
  }
  std::optional<int64_t> high = highest_used_anywhere;
  for (const auto& m : column_max_by_residue) high = Max(high, m);
  int64_t floor = high ? *high : side.min_value - 1;
  floor = std::max(floor, side.min_value - 1);
  int64_t restart = NextInClass(floor, modulus, offset);
  if (restart > side.max_value) {
    action.kind = SequenceAction::kRefuse;
    action.reason = fmt::format("{} would exceed MAXVALUE {}", restart, side.max_value);
    return action;
  }
  action.kind = SequenceAction::kAlter;
  action.next_value = restart;
  action.increment = modulus;
  action.reason = fmt::format("INCREMENT BY {} -> {}, next value {} -> {}", side.increment, modulus, next, restart);
  return action;
}

bool InterleavedAsA(const SequenceState& a) {
  return a.exists && a.increment == kInterleaveClusters &&
         Residue(a.NextValue(), kInterleaveClusters) == kInterleaveOffsetA;
}

SequenceAction PlanCopiedSequence(const SequenceState& a, std::optional<int64_t> a_column_max,
                                  const SequenceState& b) {
  if (!InterleavedAsA(a)) {
    SequenceAction action = PlanSetval(a, a_column_max, b);
    if (action.kind != SequenceAction::kRefuse) {
      action.reason += "; A's sequence is not interleaved, so ids written on both sides can collide: run "
                       "`pgduplex sequences --interleave`";
    }
    return action;
  }
  if (auto refused = RefuseUnusable(b, " on B")) return *refused;
  // The overall column maximum stands for both residue classes: B's next
  // value must be beyond every copied value, whatever its parity.
  std::vector<std::optional<int64_t>> by_residue(kInterleaveClusters, a_column_max);
  SequenceAction action = PlanInterleave(b, kInterleaveClusters, kInterleaveOffsetB, by_residue, a.HighestUsed());
  action.reason = "interleaved as A's (B even): " + action.reason;
  return action;
}

}  // namespace pgduplex
