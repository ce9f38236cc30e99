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

namespace {

// The fix statements, space-separated; past 20, how many more.
std::string Statements(const std::vector<std::string>& statements) {
  std::string out;
  for (size_t i = 0; i < statements.size() && i < 20; ++i) out += (i ? " " : "") + statements[i];
  if (statements.size() > 20) out += fmt::format(" ... ({} more)", statements.size() - 20);
  return out;
}

// Owners missing on the other cluster: "role (owns table on x, missing on
// y)", and the statements that fix them (CREATE ROLE there, then, with
// `alter`, ALTER TABLE ... OWNER TO for the tables that exist there).
void MissingOwners(const ClusterFacts& from, const ClusterFacts& to, bool alter, std::vector<std::string>& missing,
                   std::vector<std::string>& fixes) {
  std::map<TableName, const TableFacts*> there;
  for (const auto& t : to.tables) there[t.name] = &t;
  std::set<std::string> seen;
  for (const auto& t : from.tables) {
    if (t.owner.empty() || to.roles.count(t.owner)) continue;
    if (seen.insert(t.owner).second) {
      missing.push_back(fmt::format("{} (owns {} on {}, missing on {})", t.owner, t.name.Display(), from.label,
                                    to.label));
      fixes.push_back(fmt::format("on {}: CREATE ROLE {};", to.label, QuoteIdent(t.owner)));
    }
    if (alter && there.count(t.name)) {
      fixes.push_back(fmt::format("on {}: ALTER TABLE {} OWNER TO {};", to.label,
                                  QuoteQualified(t.name.schema, t.name.name), QuoteIdent(t.owner)));
    }
  }
}

}  // namespace

// Owners are not copied by DDL, and DDL from a runs on b as its author:
// every owner of a synced table should exist on the other side, and a table
// on both should have the same owner on b as on a (else `must be owner of
// table` stops the DDL there). One WARN for each problem kind, with the
// statements that fix it.
void TableOwners(const ClusterFacts& a, const ClusterFacts& b, Results& out) {
  std::vector<std::string> missing, fixes;
  MissingOwners(a, b, /*alter=*/true, missing, fixes);  // a's owners are the ones DDL runs as
  MissingOwners(b, a, /*alter=*/false, missing, fixes);
  if (!missing.empty()) {
    out.push_back(Warn("table owners", "a+b", "owner missing on the other cluster: " + JoinLimited(missing),
                       Statements(fixes) +
                           " (else the initial copy leaves those tables to the worker's role and DDL by that role "
                           "is not applied there)"));
  }
  std::map<TableName, std::string> owner_on_b;
  for (const auto& t : b.tables) owner_on_b[t.name] = t.owner;
  std::vector<std::string> differ, alter;
  for (const auto& t : a.tables) {
    auto it = owner_on_b.find(t.name);
    if (it == owner_on_b.end() || t.owner.empty() || it->second.empty() || it->second == t.owner) continue;
    if (!b.roles.count(t.owner)) continue;  // reported above
    differ.push_back(fmt::format("{} (owned by {} on a, by {} on b)", t.name.Display(), t.owner, it->second));
    alter.push_back(
        fmt::format("ALTER TABLE {} OWNER TO {};", QuoteQualified(t.name.schema, t.name.name), QuoteIdent(t.owner)));
  }
  if (!differ.empty()) {
    out.push_back(Warn("table owners", "a+b",
                       "owner differs on b: " + JoinLimited(differ) +
                           " (DDL from a runs on b as its author and fails there with \"must be owner of table\")",
                       "on b: " + Statements(alter)));
  }
  if (missing.empty() && differ.empty()) {
    out.push_back(Pass("table owners", "a+b",
                       "every owner of a synced table exists on both clusters, tables on both have the same owner"));
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
