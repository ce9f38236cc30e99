#include "apply/truncate_plan.h"

#include <fmt/format.h>

#include <algorithm>

#include "apply/sql_builder.h"
#include "common/errors.h"

namespace pgduplex {

namespace {

// One TRUNCATE, or one per role (see the header).
std::vector<TruncateStatement> PlanWholeTruncate(const std::vector<TruncateTable>& tables, bool cascade,
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

}  // namespace

std::string TruncatedRows(bool via_root, const std::string& partition_constraint, const std::string& source_display,
                          const std::string& target_display, const std::string& target_label) {
  if (!via_root) return "";
  if (partition_constraint.empty()) {
    throw ApplyError(fmt::format(
        "TRUNCATE of partition {} not applied: cluster {} has no table of that name, and its partition bounds "
        "did not travel (they call functions that are not built in), so the rows of {} that are the partition's "
        "cannot be told apart; pgduplex never empties the whole table in its place. Create the partition on "
        "cluster {} (the TRUNCATE then empties it) and start the direction again",
        source_display, target_label, target_display, target_label));
  }
  return partition_constraint;
}

void RefuseOutsideReferences(const std::vector<TruncateReference>& references, const std::string& target_label) {
  if (references.empty()) return;
  const TruncateReference& r = references.front();
  throw ApplyError(fmt::format(
      "TRUNCATE of {} not applied on cluster {}: foreign key constraint \"{}\" of table {} references it and {} "
      "is not part of this TRUNCATE (pgduplex never truncates with CASCADE){}. Add {} to the sync on both "
      "clusters, or drop that constraint on cluster {}, then start the direction again; nothing was removed",
      r.referenced, target_label, r.constraint, r.referencing, r.referencing,
      references.size() > 1 ? fmt::format(" ({} such foreign keys)", references.size()) : "", r.referencing,
      target_label));
}

std::vector<TruncateStatement> PlanTruncate(const std::vector<TruncateTable>& tables, bool cascade,
                                            bool restart_identity) {
  std::vector<TruncateStatement> out;
  std::vector<TruncateTable> partial;
  for (const auto& t : tables) {
    if (!t.rows.empty()) partial.push_back(t);
  }
  if (partial.size() < tables.size()) {
    std::vector<TruncateTable> whole;
    for (const auto& t : tables) {
      if (t.rows.empty()) whole.push_back(t);
    }
    out = PlanWholeTruncate(whole, cascade, restart_identity);
  }
  for (const auto& t : partial) out.push_back({t.role, fmt::format("DELETE FROM {} WHERE {}", t.quoted_table, t.rows)});
  return out;
}

}  // namespace pgduplex
