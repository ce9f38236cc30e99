// The precheck rules about roles and rights: what the worker's role lacks
// (one FAIL per missing privilege, with the GRANT), whether it may act as
// every table owner (apply_as_table_owner), and whether the owners and
// grantees of the synced tables exist on the other cluster.
#include "ops/precheck_rule_families.h"

#include <fmt/format.h>

#include <map>
#include <optional>
#include <set>
#include <string>

#include "common/message_text.h"
#include "common/sql_lexer.h"
#include "ops/grant_script.h"

namespace pgduplex {
namespace precheck {


// One line per missing privilege, with the statement that grants it;
// memberships in owner roles are the "apply as table owner" check's.
void Privileges(const ClusterFacts& f, Results& out) {
  size_t missing = 0;
  for (const auto& held : f.grants) {
    if (held.grant.kind == Grant::Kind::kMembership || held.missing.empty()) continue;
    // Without the extension its tables are not there to grant on: the
    // extension check FAILs already.
    if (!f.extension_version && held.grant.object.rfind("pgduplex.", 0) == 0) continue;
    if (held.grant.kind == Grant::Kind::kRoleAttributes) {
      for (const auto& p : held.missing) {
        ++missing;
        out.push_back(Fail("privileges", f.label,
                           fmt::format("{} lacks {} ({})", f.role, DescribePrivilege(held.grant, p), held.grant.why),
                           GrantStatement(held.grant, f.role, {p})));
      }
      continue;
    }
    ++missing;
    std::string privileges;
    for (const auto& p : held.missing) privileges += (privileges.empty() ? "" : ", ") + p;
    std::string what = DescribePrivilege(held.grant, privileges);
    out.push_back(Fail("privileges", f.label, fmt::format("{} lacks {} ({})", f.role, what, held.grant.why),
                       GrantStatement(held.grant, f.role, held.missing)));
  }
  if (missing == 0) {
    out.push_back(Pass("privileges", f.label,
                       fmt::format("{}{}", f.role, f.superuser ? " is superuser" : " has what is needed")));
  }
}

// Each cluster is the target of one direction: its tables' changes run as
// their owners (sync.apply_as_table_owner), which needs run_as (extension
// 1.1) and a worker role that may act as every owner.
void ApplyAsOwner(const SyncConfig& sync, const ClusterFacts& f, Results& out) {
  const char* check = "apply as table owner";
  if (!sync.apply_as_table_owner) {
    out.push_back(Warn(check, f.label,
                       "sync.apply_as_table_owner = false: triggers, CHECK constraints and index expressions of "
                       "synced tables run with the rights of " + f.role + (f.superuser ? " (superuser)" : "") +
                           ", so every table owner is trusted with them",
                       "set sync.apply_as_table_owner = true (needs extension 1.1) unless you trust every owner"));
    return;
  }
  if (!f.extension_version) return;  // the extension check already FAILs
  if (!VersionAtLeast(*f.extension_version, 1, 1)) {
    out.push_back(Fail(check, f.label,
                       fmt::format("pgduplex {} cannot apply changes as the table owner (the worker refuses to "
                                   "start)",
                                   *f.extension_version),
                       "ALTER EXTENSION pgduplex UPDATE (or set sync.apply_as_table_owner = false)"));
    return;
  }
  // Owners of this cluster's tables, and (grants) those of the peer's tables
  // the initial copy gives their owner here; quoted names.
  std::set<std::string> owners;
  for (const auto& t : f.tables) {
    if (!t.owner.empty() && !t.worker_acts_as_owner) owners.insert(QuoteIdent(t.owner));
  }
  for (const auto& held : f.grants) {
    if (held.grant.kind == Grant::Kind::kMembership && !held.missing.empty()) owners.insert(held.grant.object);
  }
  if (owners.empty()) {
    out.push_back(Pass(check, f.label, f.superuser ? f.role + " is superuser" : f.role + " may act as every owner"));
    return;
  }
  for (const auto& o : owners) {
    out.push_back(Fail(check, f.label,
                       fmt::format("{} is not a member of {}, which owns synced tables (their changes are applied "
                                   "as their owner)",
                                   f.role, o),
                       fmt::format("GRANT {} TO {};", o, QuoteIdent(f.role))));
  }
}

// Initial sync keeps owners and DDL runs as its author: every owner of a
// synced table should exist on the other side.
void TableOwners(const ClusterFacts& a, const ClusterFacts& b, Results& out) {
  std::vector<std::string> missing;
  for (const auto& pair : {std::make_pair(&a, &b), std::make_pair(&b, &a)}) {
    const ClusterFacts& from = *pair.first;
    const ClusterFacts& to = *pair.second;
    std::set<std::string> seen;
    for (const auto& t : from.tables) {
      if (t.owner.empty() || to.roles.count(t.owner) || !seen.insert(t.owner).second) continue;
      missing.push_back(fmt::format("{} (owns {} on {}, missing on {})", t.owner, t.name.Display(), from.label,
                                    to.label));
    }
  }
  if (missing.empty()) {
    out.push_back(Pass("table owners", "a+b", "every owner of a synced table exists on both clusters"));
  } else {
    out.push_back(Warn("table owners", "a+b", "owner missing on the other cluster: " + JoinLimited(missing),
                       "CREATE ROLE on the other cluster (else the initial copy leaves those tables to the "
                       "worker's role and DDL by that role is not applied there)"));
  }
}

// The initial copy grants A's privileges on the tables it creates to the
// roles that exist on B: name the others beforehand.
void TableGrantees(const ClusterFacts& a, const ClusterFacts& b, Results& out) {
  std::map<std::string, std::vector<std::string>> missing;  // role -> tables
  for (const auto& t : a.tables) {
    for (const auto& role : t.grantees) {
      if (!b.roles.count(role)) missing[role].push_back(t.name.Display());
    }
  }
  if (missing.empty()) {
    out.push_back(Pass("table grantees", "a+b", "every role granted privileges on a synced table of a exists on b"));
    return;
  }
  std::string roles;
  for (const auto& [role, tables] : missing) {
    roles += fmt::format("{}{} (on {})", roles.empty() ? "" : "; ", role, JoinLimited(tables, 5));
  }
  out.push_back(Warn("table grantees", "a+b", "granted on a, missing on b: " + roles,
                     "CREATE ROLE on b before the initial copy (it grants a's privileges only to roles that exist "
                     "on b; the others must be granted by hand there)"));
}

}  // namespace precheck
}  // namespace pgduplex
