#include "apply/truncate_plan.h"

#include <algorithm>

#include "apply/sql_builder.h"

namespace pgduplex {

std::vector<TruncateStatement> PlanTruncate(const std::vector<TruncateTable>& tables, bool cascade,
                                            bool restart_identity) {
  std::vector<TruncateStatement> out;
  if (tables.empty()) return out;
  bool same_role = std::all_of(tables.begin(), tables.end(),
                               [&](const TruncateTable& t) { return t.role == tables.front().role; });
  bool triggers = std::any_of(tables.begin(), tables.end(), [](const TruncateTable& t) { return t.fires_triggers; });
  if (same_role || !triggers) {
    std::vector<std::string> names;
    for (const auto& t : tables) names.push_back(t.quoted_table);
    out.push_back({same_role ? tables.front().role : 0, BuildTruncateSql(names, cascade, restart_identity)});
    return out;
  }
  std::vector<uint32_t> roles;
  for (const auto& t : tables) {
    if (std::find(roles.begin(), roles.end(), t.role) == roles.end()) roles.push_back(t.role);
  }
  for (uint32_t role : roles) {
    std::vector<std::string> names;
    for (const auto& t : tables) {
      if (t.role == role) names.push_back(t.quoted_table);
    }
    out.push_back({role, BuildTruncateSql(names, cascade, restart_identity)});
  }
  return out;
}

}  // namespace pgduplex
