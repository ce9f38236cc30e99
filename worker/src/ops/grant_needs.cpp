#include "ops/grant_needs.h"

#include <set>

namespace pgduplex {

GrantNeeds NeedsOf(const TaskConfig& config, const ClusterFacts& a, const ClusterFacts& b, bool for_b,
                   const std::string& role) {
  const ClusterFacts& here = for_b ? b : a;
  const ClusterFacts& peer = for_b ? a : b;
  GrantNeeds needs;
  needs.label = here.label;
  needs.database = here.database;
  needs.forward_target = for_b;
  needs.apply_as_owner = config.sync.apply_as_table_owner;
  needs.last_write_wins = config.sync.conflict_policy == ConflictPolicy::kLastWriteWins;
  std::set<std::string> owners;
  std::set<TableName> here_tables;
  for (const auto& t : here.tables) {
    here_tables.insert(t.name);
    needs.tables.push_back(t.name);
    if (!t.owner.empty()) owners.insert(t.owner);
  }
  for (const auto& t : peer.tables) {
    if (!t.owner.empty() && here.roles.count(t.owner)) owners.insert(t.owner);
  }
  owners.erase(role);  // its own tables need nothing
  needs.owners.assign(owners.begin(), owners.end());
  if (for_b && config.sync.initial == InitialSync::kSchemaAndData) {
    // A created table gets its owner from A when that role may create in
    // the schema on B (ALTER ... OWNER TO needs it), and the sync role, a
    // member, inherits that; else the sync role creates it on its own right.
    std::set<std::string> schemas;
    for (const auto& t : a.tables) {
      if (here_tables.count(t.name)) continue;
      bool owner_creates = t.owner != role && b.role_creates_in.count({t.owner, t.name.schema});
      if (!owner_creates || !needs.apply_as_owner) schemas.insert(t.name.schema);
    }
    for (const auto& s : schemas) {
      if (b.schemas.count(s)) {
        needs.create_schemas.push_back(s);
      } else {
        needs.create_on_database = true;
      }
    }
  }
  return needs;
}

}  // namespace pgduplex
