#include "ops/precheck_mapping.h"

#include <fmt/format.h>

#include <set>

namespace pgduplex {

ClusterFacts NameFactsAsB(const NameMapping& mapping, ClusterFacts a) {
  for (auto& t : a.tables) t.name = mapping.ToB(t.name);
  return a;
}

void NameFactsAsA(const NameMapping& mapping, ClusterFacts& b) {
  for (auto& t : b.tables) {
    t.name = mapping.ToA(t.name);
    for (auto& part : t.partitions) {  // "schema.name"
      size_t dot = part.find('.');
      if (dot != std::string::npos) part = mapping.ToA({part.substr(0, dot), part.substr(dot + 1)}).Display();
    }
  }
}

std::vector<CheckResult> MappingChecks(const TaskConfig& config, const ClusterFacts& a, const ClusterFacts& b) {
  std::vector<CheckResult> out;
  const NameMapping& mapping = config.mapping;
  if (mapping.empty() || !a.connected || !b.connected) return out;
  std::set<TableName> on_b;
  for (const auto& t : b.tables) on_b.insert(t.name);
  std::vector<std::string> present, missing;
  for (const auto& t : a.tables) {
    TableName b_name = mapping.ToB(t.name);
    if (b_name == t.name) continue;
    (on_b.count(b_name) ? present : missing).push_back(fmt::format("{} -> {}", t.name.Display(), b_name.Display()));
  }
  if (present.empty() && missing.empty()) {
    out.push_back(Pass("name mapping", "a+b", "[mapping] renames no synchronized table"));
    return out;
  }
  if (!present.empty()) {
    out.push_back(Pass("name mapping", "b", "mapped tables present on B: " + JoinLimited(present)));
  }
  if (missing.empty()) return out;
  if (config.sync.initial == InitialSync::kSchemaAndData) {
    out.push_back(Pass("name mapping", "b",
                       "mapped tables the initial copy creates under B's names: " + JoinLimited(missing)));
  } else {
    out.push_back(Fail("name mapping", "b", "mapped tables missing on B: " + JoinLimited(missing),
                       "create them on B under the mapped names, or correct [mapping]"));
  }
  return out;
}

}  // namespace pgduplex
