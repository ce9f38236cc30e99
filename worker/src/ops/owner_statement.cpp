#include "ops/owner_statement.h"

#include <fmt/format.h>

#include "common/transaction.h"

namespace pgduplex {

namespace {

std::string WithSemicolon(std::string sql) {
  if (sql.empty() || sql.back() != ';') sql += ';';
  return sql;
}

}  // namespace

std::string OwnerRefusal::Describe() const {
  return fmt::format("only role \"{}\" (the owner of {}) or a superuser can run: {}", owner, object, statement);
}

std::optional<OwnerRefusal> RunAsOwner(PgConnection& conn, const TableName& object, const std::string& statement) {
  PgResult r = conn.ExecParams(
      "SELECT pg_catalog.pg_get_userbyid(c.relowner), pg_catalog.pg_has_role(c.relowner, 'USAGE'), "
      "pg_catalog.pg_has_role(c.relowner, 'MEMBER') "
      "FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace "
      "WHERE n.nspname = $1 AND c.relname = $2",
      {object.schema, object.name});
  if (r.rows() == 0) throw PgError(fmt::format("cluster {}: {} does not exist", conn.label(), object.Display()), sqlstate::kUndefinedTable);
  OwnerRefusal refusal{r.Get(0, 0), object.Display(), WithSemicolon(statement)};
  bool inherits = r.Get(0, 1) == "t";
  bool member = r.Get(0, 2) == "t";
  if (!member) return refusal;
  try {
    if (inherits) {
      conn.Exec(statement);
      return std::nullopt;
    }
    Transaction tx(conn);
    conn.Exec("SET LOCAL ROLE " + conn.QuoteIdent(refusal.owner));
    conn.Exec(statement);
    tx.Commit();
  } catch (const ConnectionError&) {
    throw;
  } catch (const PgError& e) {
    if (e.sqlstate() == sqlstate::kInsufficientPrivilege) return refusal;
    throw;
  }
  return std::nullopt;
}

}  // namespace pgduplex
