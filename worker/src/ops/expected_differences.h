// ExpectedDifferences: which of verify's differences a table's operations
// explain, so verify lists them apart and does not count them as failures.
//
// The rule, per kind of difference (A = cluster A, B = cluster B):
//   a row on A only   expected when the forward direction does not carry
//                     INSERT, or the reverse direction does not carry DELETE
//                     or TRUNCATE (B deleted it, A kept it);
//   a row on B only   expected when the reverse direction does not carry
//                     INSERT, or the forward direction does not carry DELETE
//                     or TRUNCATE (the archive case: A deleted it, B keeps it);
//   a changed row     expected when either direction does not carry UPDATE.
// Everything else stays a real difference. The rule cannot tell an omitted
// operation from a lost one of the same kind: it errs on the side of
// "expected" only where an operation was deliberately left out.
//
// Contract: pure.
#pragma once

#include <string>

#include "ops/row_diff.h"

namespace pgduplex {

struct ExpectedSplit {
  RowDiff expected;  // the differences the operations explain
  // Why, per kind ("deletes are not carried to B"), empty when none.
  std::string missing_on_b_reason;
  std::string extra_on_b_reason;
  std::string changed_reason;
};

// Moves the explained differences out of diff into the result.
ExpectedSplit TakeExpectedDifferences(RowDiff& diff, unsigned forward_operations, unsigned reverse_operations);

}  // namespace pgduplex
