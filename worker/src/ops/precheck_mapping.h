// PrecheckMapping: precheck under [mapping] (common/name_mapping.h). B's
// facts are gathered under B's names (its own table patterns); the rules
// that compare A with B then read them under A's names (NameFactsAsA), and
// MappingChecks reports each mapped table's counterpart on B: present, to
// be created by the initial copy, or missing (FAIL, naming both names).
#pragma once

#include <vector>

#include "common/config.h"
#include "ops/check_table.h"
#include "ops/precheck_facts.h"

namespace pgduplex {

// The facts of A's tables as B names them (for what is checked on B).
ClusterFacts NameFactsAsB(const NameMapping& mapping, ClusterFacts a);
// B's facts with every table under A's name.
void NameFactsAsA(const NameMapping& mapping, ClusterFacts& b);

// `b` still under B's names. Nothing when the mapping is empty.
std::vector<CheckResult> MappingChecks(const TaskConfig& config, const ClusterFacts& a, const ClusterFacts& b);

}  // namespace pgduplex
