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
// Copied (PlanCopiedSequence): a sequence the initial copy has just created
// on B from A's definition (pg_dump copies INCREMENT and START, not the
// value). When A's sequence is interleaved (INCREMENT BY 2, next value odd:
// what `sequences --interleave` made it), B's is interleaved too, on the even
// values beyond everything A used (A's sequence and the fed columns), exactly
// as `sequences --interleave` would have: the README's order (interleave,
// then up with B empty) then hands out no id twice. Otherwise B's is moved
// past A's values (as PlanSetval) so that B does not trip over the copied
// rows; writes on both sides still need `sequences --interleave` then.
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

// The two-cluster interleave: INCREMENT BY 2, A odd, B even.
constexpr int kInterleaveClusters = 2;
constexpr int kInterleaveOffsetA = 1;
constexpr int kInterleaveOffsetB = 0;

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

// True when `a` is laid out as `sequences --interleave` leaves A.
bool InterleavedAsA(const SequenceState& a);

// b: the sequence the copy just created on B; a_column_max: the largest value
// in the columns it feeds on A (as copied). kAlter (interleave), kSetval
// (A not interleaved: past A), kNone or kRefuse.
SequenceAction PlanCopiedSequence(const SequenceState& a, std::optional<int64_t> a_column_max,
                                  const SequenceState& b);

// Smallest v > floor with v mod modulus = offset (non-negative residue).
int64_t NextInClass(int64_t floor, int modulus, int offset);

}  // namespace pgduplex
