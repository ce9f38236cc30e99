#include "ops/expected_differences.h"

#include "common/table_options.h"

namespace pgduplex {

namespace {

// The reason a direction's missing operations give, or "" when it carries them.
std::string Missing(unsigned operations, unsigned wanted, const char* to) {
  std::string names;
  for (auto [op, name] : {std::pair{kOpInsert, "inserts"}, std::pair{kOpUpdate, "updates"},
                          std::pair{kOpDelete, "deletes"}, std::pair{kOpTruncate, "truncates"}}) {
    if ((wanted & op) && !(operations & op)) names += (names.empty() ? "" : " and ") + std::string(name);
  }
  return names.empty() ? "" : names + " are not carried to " + to;
}

std::string Either(const std::string& first, const std::string& second) {
  if (first.empty()) return second;
  if (second.empty()) return first;
  return first + "; " + second;
}

}  // namespace

ExpectedSplit TakeExpectedDifferences(RowDiff& diff, unsigned forward_operations, unsigned reverse_operations) {
  ExpectedSplit split;
  split.missing_on_b_reason =
      Either(Missing(forward_operations, kOpInsert, "B"), Missing(reverse_operations, kOpDelete | kOpTruncate, "A"));
  split.extra_on_b_reason =
      Either(Missing(reverse_operations, kOpInsert, "A"), Missing(forward_operations, kOpDelete | kOpTruncate, "B"));
  split.changed_reason =
      Either(Missing(forward_operations, kOpUpdate, "B"), Missing(reverse_operations, kOpUpdate, "A"));
  if (!split.missing_on_b_reason.empty()) split.expected.missing_on_b.swap(diff.missing_on_b);
  if (!split.extra_on_b_reason.empty()) split.expected.extra_on_b.swap(diff.extra_on_b);
  if (!split.changed_reason.empty()) split.expected.changed.swap(diff.changed);
  return split;
}

}  // namespace pgduplex
