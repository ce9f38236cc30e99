// RowDiff: which keys differ between A's and B's rows of one key range,
// given a (key, row hash) list from each cluster.
//
// Contract: DiffRowHashes is pure and ignores the order of its inputs;
// missing_on_b and changed come out in A's order, extra_on_b in B's order.
// A key listed twice on one side (impossible for a real key) counts once.
#pragma once

#include <string>
#include <vector>

#include "ops/key_range.h"

namespace pgduplex {

struct RowHash {
  KeyTuple key;
  std::string hash;  // any text that is equal iff the rows are equal
};

struct RowDiff {
  std::vector<KeyTuple> missing_on_b;  // on A, not on B
  std::vector<KeyTuple> extra_on_b;    // on B, not on A
  std::vector<KeyTuple> changed;       // on both, different content
  size_t size() const { return missing_on_b.size() + extra_on_b.size() + changed.size(); }
  bool empty() const { return size() == 0; }
  void Append(const RowDiff& other);
};

RowDiff DiffRowHashes(const std::vector<RowHash>& a, const std::vector<RowHash>& b);

// Keeps only the keys present in both diffs with the same verdict: what a
// re-read still shows is not a change in flight.
RowDiff IntersectDiffs(const RowDiff& first, const RowDiff& second);

}  // namespace pgduplex
