#include "initial_sync/grant_plan.h"

#include <fmt/format.h>

#include <map>
#include <tuple>

#include "common/oid_array.h"
#include "common/sql_lexer.h"

namespace pgduplex {

namespace {

// The order GRANT lists privileges in (pg_dump's), whatever aclexplode's.
int PrivilegeRank(const std::string& privilege) {
  static const char* const kOrder[] = {"SELECT", "INSERT",  "UPDATE",  "DELETE", "TRUNCATE",
                                       "REFERENCES", "TRIGGER", "USAGE"};
  for (int i = 0; i < 8; ++i) {
    if (privilege == kOrder[i]) return i;
  }
  return 8;
}

std::string Grantee(const std::string& role) { return role.empty() ? "PUBLIC" : QuoteIdent(role); }

}  // namespace

GrantPlan PlanGrants(const std::vector<AclEntry>& entries, const std::set<std::string>& target_roles) {
  GrantPlan plan;
  // (object, grantee, grantable) -> privilege -> columns ("" = whole object)
  using Key = std::tuple<TableName, std::string, bool>;
  std::map<Key, std::map<int, std::pair<std::string, std::vector<std::string>>>> table_level, column_level;
  std::map<TableName, bool> is_sequence;
  std::map<std::string, std::set<std::string>> missing;  // role -> objects
  for (const auto& e : entries) {
    if (!e.grantee.empty() && !target_roles.count(e.grantee)) {
      missing[e.grantee].insert(e.object.Display());
      continue;
    }
    is_sequence[e.object] = e.sequence;
    Key key{e.object, e.grantee, e.grantable};
    auto& slot = (e.column.empty() ? table_level : column_level)[key][PrivilegeRank(e.privilege)];
    slot.first = e.privilege;
    if (!e.column.empty()) slot.second.push_back(QuoteIdent(e.column));
  }
  auto emit = [&](const Key& key, const std::map<int, std::pair<std::string, std::vector<std::string>>>& privs) {
    const auto& [object, grantee, grantable] = key;
    std::string list;
    for (const auto& [rank, p] : privs) {
      list += (list.empty() ? "" : ", ") + p.first;
      if (!p.second.empty()) {
        std::string columns;
        for (const auto& c : p.second) columns += (columns.empty() ? "" : ", ") + c;
        list += " (" + columns + ")";
      }
    }
    plan.grants.push_back({fmt::format("GRANT {} ON {} {} TO {}{}", list, is_sequence[object] ? "SEQUENCE" : "TABLE",
                                       QuoteQualified(object.schema, object.name), Grantee(grantee),
                                       grantable ? " WITH GRANT OPTION" : ""),
                           object.Display(), grantee.empty() ? "PUBLIC" : grantee});
  };
  for (const auto& [key, privs] : table_level) emit(key, privs);
  for (const auto& [key, privs] : column_level) emit(key, privs);
  for (const auto& [role, objects] : missing) {
    std::string list;
    for (const auto& o : objects) list += (list.empty() ? "" : ", ") + o;
    plan.warnings.push_back(fmt::format(
        "schema: role \"{}\" has privileges on {} on the source but does not exist on the target: not granted "
        "there (create the role, then GRANT them)",
        role, list));
  }
  return plan;
}

std::vector<AclEntry> ReadSourceAcl(PgConnection& source, const std::vector<uint32_t>& object_oids) {
  PgResult r = source.ExecParams(R"SQL(
WITH objects AS (
  SELECT c.oid FROM pg_catalog.pg_class c WHERE c.oid = ANY($1::oid[])
  UNION
  SELECT d.objid FROM pg_catalog.pg_depend d
    JOIN pg_catalog.pg_class s ON s.oid = d.objid AND s.relkind = 'S'
   WHERE d.classid = 'pg_catalog.pg_class'::pg_catalog.regclass
     AND d.refclassid = 'pg_catalog.pg_class'::pg_catalog.regclass
     AND d.refobjid = ANY($1::oid[]) AND d.deptype IN ('a', 'i')
), acl AS (
  SELECT c.oid, c.relkind, c.relowner, ''::text AS col, x.grantee, x.privilege_type, x.is_grantable
    FROM objects o JOIN pg_catalog.pg_class c ON c.oid = o.oid
   CROSS JOIN LATERAL pg_catalog.aclexplode(c.relacl) x
  UNION ALL
  SELECT c.oid, c.relkind, c.relowner, a.attname::text, x.grantee, x.privilege_type, x.is_grantable
    FROM objects o JOIN pg_catalog.pg_class c ON c.oid = o.oid
    JOIN pg_catalog.pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
   CROSS JOIN LATERAL pg_catalog.aclexplode(a.attacl) x
)
SELECT n.nspname, c.relname, acl.relkind = 'S', acl.col,
       CASE WHEN acl.grantee = 0 THEN '' ELSE pg_catalog.pg_get_userbyid(acl.grantee)::text END,
       acl.privilege_type, acl.is_grantable
  FROM acl JOIN pg_catalog.pg_class c ON c.oid = acl.oid
  JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
 WHERE acl.grantee <> acl.relowner
 ORDER BY 1, 2, 4, 5, 6)SQL",
                                 {OidArray(object_oids)});
  std::vector<AclEntry> out;
  for (int i = 0; i < r.rows(); ++i) {
    AclEntry e;
    e.object = {r.Get(i, 0), r.Get(i, 1)};
    e.sequence = r.Get(i, 2) == "t";
    e.column = r.Get(i, 3);
    e.grantee = r.Get(i, 4);
    e.privilege = r.Get(i, 5);
    e.grantable = r.Get(i, 6) == "t";
    out.push_back(std::move(e));
  }
  return out;
}

}  // namespace pgduplex
