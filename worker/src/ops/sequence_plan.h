// SequencePlan: what `pgduplex sequences` does to one sequence, decided from
// plain numbers so the rules can be tested without a database.
//
// Switchover (PlanSetval): B's sequence must hand out values beyond
// everything A handed out: beyond A's last value and beyond the largest
// value in the columns it feeds on A. It is never moved backwards, and an
// interleaved B keeps its residue class (B stays even).
//
// Interleave (PlanInterleave): with N writable clusters, cluster i gets
// INCREMENT BY N and values congruent to offset i modulo N (A: offset 1 =
// odd, B: offset 0 = even, for N = 2). A side is left alone when it already
// has that increment and residue and its next value is beyond every value
// of its own residue class in the fed columns on every cluster (then no value
// it hands out can exist yet): running it twice changes nothing. Otherwise
// it RESTARTs at the smallest value of its class beyond everything used on
// either side (both sequences and the columns on both clusters).
//
// Contract: pure functions; an impossible plan (beyond MAXVALUE, descending
// sequence) is an action of kind kRefuse with the reason.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "ops/catalog.h"

namespace pgduplex {

struct SequenceAction {
  enum Kind { kNone, kSetval, kAlter, kRefuse };
  Kind kind = kNone;
  int64_t next_value = 0;  // kSetval: setval(seq, next_value, false); kAlter: RESTART WITH
  int64_t increment = 0;   // kAlter: INCREMENT BY
  std::string reason;      // why (also for kNone: "already past ...")
};

// a_column_max: the largest value in the columns the sequence feeds on A.
SequenceAction PlanSetval(const SequenceState& a, std::optional<int64_t> a_column_max, const SequenceState& b);

// column_max_by_residue[r]: the largest value v with v mod modulus = r in the
// fed columns on all clusters (see ColumnMaxByResidue). offset in [0, modulus).
SequenceAction PlanInterleave(const SequenceState& side, int modulus, int offset,
                              const std::vector<std::optional<int64_t>>& column_max_by_residue,
                              std::optional<int64_t> highest_used_anywhere);

// Smallest v > floor with v mod modulus = offset (non-negative residue).
int64_t NextInClass(int64_t floor, int modulus, int offset);

}  // namespace pgduplex
