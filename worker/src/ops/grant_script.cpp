#include "ops/grant_script.h"

#include <fmt/format.h>

#include "common/sql_lexer.h"

namespace pgduplex {

namespace {

// Origin functions the apply session of a target uses (create, setup,
// per-transaction progress), plus status (progress) and drop.
const char* const kTargetOriginFunctions[] = {
    "pg_catalog.pg_replication_origin_create(text)",
    "pg_catalog.pg_replication_origin_drop(text)",
    "pg_catalog.pg_replication_origin_oid(text)",
    "pg_catalog.pg_replication_origin_progress(text, boolean)",
    "pg_catalog.pg_replication_origin_session_progress(boolean)",
    "pg_catalog.pg_replication_origin_session_setup(text)",
    "pg_catalog.pg_replication_origin_xact_reset()",
    "pg_catalog.pg_replication_origin_xact_setup(pg_lsn, timestamp with time zone)",
};
// The initial copy on B also leaves its sessions' origins and advances the
// forward origin to the slot's consistent point.
const char* const kCopyOriginFunctions[] = {
    "pg_catalog.pg_replication_origin_advance(text, pg_lsn)",
    "pg_catalog.pg_replication_origin_session_reset()",
};

std::string Join(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& x : items) out += (out.empty() ? "" : ", ") + x;
  return out;
}

std::string Literal(const std::string& text) {
  std::string out = "'";
  for (char c : text) out += c == '\'' ? std::string("''") : std::string(1, c);
  return out + "'";
}

}  // namespace

std::vector<Grant> RequiredGrants(const GrantNeeds& needs) {
  using K = Grant::Kind;
  std::vector<Grant> out;
  out.push_back({K::kRoleAttributes, "", {"LOGIN", "REPLICATION"}, "connect, create and read replication slots", true});
  out.push_back({K::kParameter, "session_replication_role", {"SET"},
                 "apply and copy sessions run as replica", true});
  if (needs.apply_as_owner) {
    for (const auto& owner : needs.owners) {
      out.push_back({K::kMembership, QuoteIdent(owner), {"MEMBER"},
                     "changes to its tables are applied as their owner", true});
    }
  }
  std::vector<std::string> functions(std::begin(kTargetOriginFunctions), std::end(kTargetOriginFunctions));
  if (needs.forward_target) functions.insert(functions.end(), std::begin(kCopyOriginFunctions), std::end(kCopyOriginFunctions));
  for (const auto& f : functions) out.push_back({K::kFunction, f, {"EXECUTE"}, "replication progress on this target", false});
  out.push_back({K::kTable, "pgduplex.conflicts", {"SELECT", "INSERT"}, "conflict log", false});
  out.push_back({K::kSequence, "pgduplex.conflicts_id_seq", {"USAGE"}, "conflict log ids", false});
  out.push_back({K::kTable, "pgduplex.worker_status", {"SELECT", "INSERT", "UPDATE", "DELETE"}, "status", false});
  std::vector<std::string> bookkeeping = needs.forward_target ? std::vector<std::string>{"SELECT", "INSERT", "UPDATE", "DELETE"}
                                                              : std::vector<std::string>{"SELECT", "DELETE"};
  for (const char* t : {"pgduplex.initial_sync", "pgduplex.initial_sync_xacts"}) {
    out.push_back({K::kTable, t, bookkeeping, needs.forward_target ? "initial copy bookkeeping" : "drop", false});
  }
  if (needs.last_write_wins) {
    out.push_back({K::kFunction, "pgduplex.purge_tombstones(interval)", {"EXECUTE"},
                   "last-write-wins: forget tombstones past their retention", false});
  }
  if (!needs.apply_as_owner) {
    // (As the tables' owners, the worker creates the tombstone triggers
    // under their rights; without that it needs TRIGGER.)
    std::vector<std::string> rights = {"SELECT", "INSERT", "UPDATE", "DELETE", "TRUNCATE"};
    if (needs.last_write_wins) rights.push_back("TRIGGER");
    for (const auto& t : needs.tables) {
      out.push_back({K::kTable, QuoteQualified(t.schema, t.name), rights, "synced table", false});
    }
  }
  for (const auto& s : needs.create_schemas) {
    out.push_back({K::kSchema, QuoteIdent(s), {"CREATE"}, "the initial copy creates tables in it", false});
  }
  if (needs.create_on_database) {
    out.push_back({K::kDatabase, QuoteIdent(needs.database), {"CREATE"},
                   "the initial copy creates schemas missing here", false});
  }
  return out;
}

std::string GrantStatement(const Grant& g, const std::string& role, const std::vector<std::string>& privileges) {
  const std::string r = QuoteIdent(role);
  const std::string what = Join(privileges.empty() ? g.privileges : privileges);
  switch (g.kind) {
    case Grant::Kind::kRoleAttributes: {
      std::string attributes;
      for (const auto& p : privileges.empty() ? g.privileges : privileges) attributes += " " + p;
      return fmt::format("ALTER ROLE {}{};", r, attributes);
    }
    case Grant::Kind::kParameter:
      return fmt::format("GRANT {} ON PARAMETER {} TO {};", what, g.object, r);
    case Grant::Kind::kMembership:
      return fmt::format("GRANT {} TO {};", g.object, r);
    case Grant::Kind::kFunction:
      return fmt::format("GRANT {} ON FUNCTION {} TO {};", what, g.object, r);
    case Grant::Kind::kTable:
      return fmt::format("GRANT {} ON TABLE {} TO {};", what, g.object, r);
    case Grant::Kind::kSequence:
      return fmt::format("GRANT {} ON SEQUENCE {} TO {};", what, g.object, r);
    case Grant::Kind::kSchema:
      return fmt::format("GRANT {} ON SCHEMA {} TO {};", what, g.object, r);
    case Grant::Kind::kDatabase:
      return fmt::format("GRANT {} ON DATABASE {} TO {};", what, g.object, r);
  }
  return "";
}

std::string PrivilegeCheckSql(const Grant& g, const std::string& privilege) {
  const std::string p = Literal(privilege);
  switch (g.kind) {
    case Grant::Kind::kRoleAttributes:
      return fmt::format(
          "coalesce((SELECT {} FROM pg_catalog.pg_roles WHERE rolname = current_user), false)",
          privilege == "LOGIN" ? "rolcanlogin" : "rolreplication OR rolsuper");
    case Grant::Kind::kParameter:
      return fmt::format("coalesce(pg_catalog.has_parameter_privilege({}, {}), false)", Literal(g.object), p);
    case Grant::Kind::kMembership:
      return fmt::format("coalesce((SELECT pg_catalog.pg_has_role(oid, 'USAGE') FROM pg_catalog.pg_roles "
                         "WHERE oid = pg_catalog.to_regrole({})), false)",
                         Literal(g.object));
    case Grant::Kind::kFunction:
      return fmt::format("coalesce(pg_catalog.has_function_privilege(pg_catalog.to_regprocedure({})::oid, {}), false)",
                         Literal(g.object), p);
    case Grant::Kind::kTable:
      return fmt::format("coalesce(pg_catalog.has_table_privilege(pg_catalog.to_regclass({})::oid, {}), false)",
                         Literal(g.object), p);
    case Grant::Kind::kSequence:
      return fmt::format("coalesce(pg_catalog.has_sequence_privilege(pg_catalog.to_regclass({})::oid, {}), false)",
                         Literal(g.object), p);
    case Grant::Kind::kSchema:
      return fmt::format(
          "coalesce(pg_catalog.has_schema_privilege(pg_catalog.to_regnamespace({})::oid, {}), false)",
          Literal(g.object), p);
    case Grant::Kind::kDatabase:
      return fmt::format("pg_catalog.has_database_privilege(pg_catalog.current_database(), {})", p);
  }
  return "false";
}

std::string DescribePrivilege(const Grant& g, const std::string& privilege) {
  switch (g.kind) {
    case Grant::Kind::kRoleAttributes:
      return fmt::format("the {} attribute", privilege);
    case Grant::Kind::kParameter:
      return fmt::format("{} on parameter {}", privilege, g.object);
    case Grant::Kind::kMembership:
      return fmt::format("membership in role {}", g.object);
    case Grant::Kind::kFunction:
      return fmt::format("{} on function {}", privilege, g.object);
    case Grant::Kind::kTable:
      return fmt::format("{} on table {}", privilege, g.object);
    case Grant::Kind::kSequence:
      return fmt::format("{} on sequence {}", privilege, g.object);
    case Grant::Kind::kSchema:
      return fmt::format("{} on schema {}", privilege, g.object);
    case Grant::Kind::kDatabase:
      return fmt::format("{} on database {}", privilege, g.object);
  }
  return privilege;
}

std::string GrantScript(const GrantNeeds& needs, const std::string& role) {
  std::vector<Grant> grants = RequiredGrants(needs);
  std::string out = fmt::format("-- cluster {}: as a superuser. Role-wide first (once per cluster):\n", needs.label);
  bool per_database = false;
  for (const auto& g : grants) {
    if (!g.cluster_wide && !per_database) {
      out += fmt::format("-- in database {} (repeat in each synced database):\n", needs.database);
      per_database = true;
    }
    out += GrantStatement(g, role) + "\n";
  }
  return out;
}

}  // namespace pgduplex
