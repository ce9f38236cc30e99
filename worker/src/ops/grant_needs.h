// What the sync role is used for on each cluster, from what precheck read
// (precheck_facts.h): the owners it acts as, the tables it writes, the
// schemas the initial copy creates tables in. Pure.
//
// Contract: for A, the owners of the synced tables on A (and of B's synced
// tables, when those roles exist on A). For B, the owners of A's synced
// tables that exist on B (the copy keeps owners) and of B's own; with
// initial = schema+data, each schema of a table missing on B needs CREATE
// (on the schema when B has it, else CREATE on the database), unless the
// table's owner may create there on B (facts.role_creates_in) and the role
// acts as owners: then membership in the owner gives it.
#pragma once

#include "common/config.h"
#include "ops/grant_script.h"
#include "ops/precheck_facts.h"

namespace pgduplex {

// `role`: the sync role on that cluster (its own tables need nothing).
GrantNeeds NeedsOf(const TaskConfig& config, const ClusterFacts& a, const ClusterFacts& b, bool for_b,
                   const std::string& role);

}  // namespace pgduplex
