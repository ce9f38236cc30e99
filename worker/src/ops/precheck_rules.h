// The rules of `pgduplex precheck`: facts in (precheck_facts.h), one
// CheckResult per check and cluster out, in a fixed order. Pure: no SQL, so
// each rule is unit-tested on hand-made facts.
//
// Checks, in order (cluster a, b, or a+b for those that compare both):
//   connection, config file (a password readable by group or others),
//   wal_level, replication slots, wal senders, extension,
//   extension version, privileges, table patterns, primary keys,
//   expression unique indexes, inheritance, timescaledb, partitions,
//   sequences, replica identity, track_commit_timestamp, target tables,
//   apply as table owner, table owners, table grantees; then
//   commands/precheck.cpp adds "row filter" (ops/row_filter_checks.h).
// A check that needs an unreachable cluster is left out (its connection
// line already FAILs). "privileges" is one FAIL per right of
// ClusterFacts::grants the role lacks (fix: the statement giving exactly the
// missing privileges), or one PASS; memberships in owner roles are "apply as
// table owner" lines, one per owner. Checks of B's tables SKIP while B has
// none of A's tables.
#pragma once

#include <vector>

#include "common/config.h"
#include "ops/check_table.h"
#include "ops/precheck_facts.h"

namespace pgduplex {

struct PrecheckInput {
  const TaskConfig* config = nullptr;
  ClusterFacts a;
  ClusterFacts b;
  std::vector<SequenceFacts> sequences;
};

std::vector<CheckResult> EvaluatePrecheck(const PrecheckInput& input);

}  // namespace pgduplex
