// EvaluatePrecheck: the order of the checks and which clusters each runs
// on; the rules themselves are in the family files of
// precheck_rule_families.h.
#include "ops/precheck_rules.h"

#include <optional>
#include <string>

#include "ops/precheck_rule_families.h"

namespace pgduplex {

using namespace precheck;

namespace {

// Checks of B's tables cannot apply while B has none of A's tables yet.
std::optional<std::string> AwaitingTables(const SyncConfig& sync, const ClusterFacts& a, const ClusterFacts& f) {
  if (f.label != "b" || !f.tables.empty() || a.tables.empty()) return std::nullopt;
  if (sync.initial == InitialSync::kSchemaAndData) return std::string("n/a: B has no tables yet; the initial copy creates them");
  return std::string("n/a: B has none of the synced tables");
}

}  // namespace

std::vector<CheckResult> EvaluatePrecheck(const PrecheckInput& input) {
  const TaskConfig& config = *input.config;
  const ClusterFacts& a = input.a;
  const ClusterFacts& b = input.b;
  const ConflictPolicy policy = config.sync.conflict_policy;
  Results out;
  Connection(a, out);
  Connection(b, out);
  ConfigFile(config, out);
  for (const ClusterFacts* f : {&a, &b}) {
    if (f->connected) WalLevel(*f, out);
  }
  for (const ClusterFacts* f : {&a, &b}) {
    if (f->connected) OutputPluginAllowed(*f, out);
  }
  if (a.connected) Slots(a, config.SlotName(Direction::kForward), out);
  if (b.connected) Slots(b, config.SlotName(Direction::kReverse), out);
  for (const ClusterFacts* f : {&a, &b}) {
    if (f->connected) WalSenders(*f, out);
  }
  for (const ClusterFacts* f : {&a, &b}) {
    if (f->connected) Extension(*f, out);
  }
  if (a.connected && b.connected) ExtensionVersions(a, b, out);
  if (a.connected) Privileges(a, out);
  if (b.connected) Privileges(b, out);
  if (!a.connected) return out;  // every check below starts from A's tables

  // A check of B's tables, or SKIP while B has none.
  auto per_cluster = [&](const char* check, auto rule) {
    for (const ClusterFacts* f : {&a, &b}) {
      if (!f->connected) continue;
      if (auto why = AwaitingTables(config.sync, a, *f)) {
        out.push_back(Skip(check, f->label, *why));
      } else {
        rule(*f);
      }
    }
  };

  Patterns(config, a, out);
  per_cluster("primary keys", [&](const ClusterFacts& f) { PrimaryKeys(f, out); });
  per_cluster("expression unique indexes", [&](const ClusterFacts& f) { ExpressionIndexes(f, out); });
  per_cluster("inheritance", [&](const ClusterFacts& f) { Inheritance(f, out); });
  for (const ClusterFacts* f : {&a, &b}) {
    if (f->connected) Timescale(*f, out);
  }
  per_cluster("partitions", [&](const ClusterFacts& f) { Partitions(config, f, out); });
  Sequences(input.sequences, b.connected, config.sync.initial == InitialSync::kSchemaAndData, out);
  IdentityColumns(input.sequences, out);
  per_cluster("replica identity", [&](const ClusterFacts& f) { ReplicaIdentity(policy, f, out); });
  for (const ClusterFacts* f : {&a, &b}) {
    if (f->connected) CommitTimestamp(policy, *f, out);
    if (f->connected) Tombstones(policy, *f, out);
  }
  if (b.connected) TargetTables(config.sync, a, b, out);
  for (const ClusterFacts* f : {&a, &b}) {
    if (f->connected) ApplyAsOwner(config.sync, *f, out);
  }
  if (b.connected) TableOwners(a, b, out);
  if (b.connected) TableGrantees(a, b, out);
  return out;
}

}  // namespace pgduplex
