// The precheck rule families, one file each, for EvaluatePrecheck
// (precheck_rules.cpp), which calls them in the documented order:
//   precheck_server_rules.cpp  the servers and the extension
//   precheck_role_rules.cpp    the worker's rights, owners and grantees
//   precheck_table_rules.cpp   the synced tables and sequences
// Each rule appends its CheckResult lines to `out`. Pure, like
// precheck_rules.h says.
#pragma once

#include <string>
#include <vector>

#include "common/config.h"
#include "ops/check_table.h"
#include "ops/precheck_facts.h"

namespace pgduplex {
namespace precheck {

using Results = std::vector<CheckResult>;

// "major.minor" (an extension version) is at least major.minor; false when unreadable.
bool VersionAtLeast(const std::string& version, int major, int minor);

// Servers and extension.
void Connection(const ClusterFacts& f, Results& out);
void ConfigFile(const TaskConfig& config, Results& out);
void WalLevel(const ClusterFacts& f, Results& out);
void OutputPluginAllowed(const ClusterFacts& f, Results& out);
void Slots(const ClusterFacts& f, const std::string& slot, Results& out);
void WalSenders(const ClusterFacts& f, Results& out);
void Extension(const ClusterFacts& f, Results& out);
void ExtensionVersions(const ClusterFacts& a, const ClusterFacts& b, Results& out);
void CommitTimestamp(ConflictPolicy policy, const ClusterFacts& f, Results& out);
void Tombstones(ConflictPolicy policy, const ClusterFacts& f, Results& out);

// Rights, owners, grantees.
void Privileges(const ClusterFacts& f, Results& out);
void ApplyAsOwner(const SyncConfig& sync, const ClusterFacts& f, Results& out);
void TableOwners(const ClusterFacts& a, const ClusterFacts& b, Results& out);
void TableGrantees(const ClusterFacts& a, const ClusterFacts& b, Results& out);

// Tables and sequences.
void Patterns(const TaskConfig& config, const ClusterFacts& a, Results& out);
void PrimaryKeys(const ClusterFacts& f, Results& out);
void ExpressionIndexes(const ClusterFacts& f, Results& out);
void Inheritance(const ClusterFacts& f, Results& out);
void Timescale(const ClusterFacts& f, Results& out);
void Partitions(const TaskConfig& config, const ClusterFacts& f, Results& out);
void Sequences(const std::vector<SequenceFacts>& sequences, bool have_b, bool copy_creates, Results& out);
void IdentityColumns(const std::vector<SequenceFacts>& sequences, Results& out);
void ReplicaIdentity(ConflictPolicy policy, const ClusterFacts& f, Results& out);
void TargetTables(const SyncConfig& sync, const ClusterFacts& a, const ClusterFacts& b, Results& out);

}  // namespace precheck
}  // namespace pgduplex
