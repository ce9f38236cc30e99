#include "common/pg_connection.h"

#include <fmt/format.h>

#include "common/conninfo.h"

namespace pgduplex {

namespace {
std::string Trimmed(const char* message) {
  std::string text = message ? message : "";
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
  return RedactSecrets(text);
}
}  // namespace

PgConnection PgConnection::Connect(const std::string& conninfo, const std::string& label, bool replication) {
  // Keywords/values form (expand_dbname) so "replication" and a fallback
  // application name can be added without rewriting the user's conninfo.
  std::vector<const char*> keywords = {"dbname", "fallback_application_name"};
  std::vector<const char*> values = {conninfo.c_str(), "pgduplex"};
  if (replication) {
    keywords.push_back("replication");
    values.push_back("database");
  }
  keywords.push_back(nullptr);
  values.push_back(nullptr);
  PGconn* raw = PQconnectdbParams(keywords.data(), values.data(), /*expand_dbname=*/1);
  if (!raw) throw ConnectionError(fmt::format("cluster {}: out of memory connecting", label));
  PgConnection conn(raw, label);
  if (PQstatus(raw) != CONNECTION_OK) {
    throw ConnectionError(fmt::format("cluster {} ({}): cannot connect: {}", label, RedactConninfo(conninfo),
                                      Trimmed(PQerrorMessage(raw))));
  }
  // Pin the search path before anything else runs (this statement itself is
  // fully qualified): a schema on the role's or database's default path may
  // belong to an untrusted role whose functions and operators would
  // otherwise shadow the catalog's in our SQL and run with our rights. As
  // PostgreSQL's own walreceiver does; the simple protocol works on
  // replication connections too.
  conn.Exec("SELECT pg_catalog.set_config('search_path', 'pg_catalog', false)");
  return conn;
}

void PgConnection::ThrowError(const PGresult* result, const std::string& what) const {
  const char* state = result ? PQresultErrorField(result, PG_DIAG_SQLSTATE) : nullptr;
  std::string message = result ? Trimmed(PQresultErrorMessage(result)) : "";
  if (message.empty()) message = Trimmed(PQerrorMessage(conn_.get()));
  std::string text = fmt::format("cluster {}: {}: {}", label_, what, message);
  if (PQstatus(conn_.get()) == CONNECTION_BAD || (state && std::string(state).rfind("08", 0) == 0) ||
      (state && std::string(state) == sqlstate::kAdminShutdown)) {
    throw ConnectionError(text);
  }
  throw PgError(text, state ? state : "");
}

void PgConnection::Check(const PGresult* result, const std::string& what) const {
  ExecStatusType status = result ? PQresultStatus(result) : PGRES_FATAL_ERROR;
  if (status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK || status == PGRES_COPY_OUT ||
      status == PGRES_COPY_IN || status == PGRES_COPY_BOTH || status == PGRES_PIPELINE_SYNC) {
    return;
  }
  ThrowError(result, what);
}

PgResult PgConnection::Exec(const std::string& sql) {
  PgResult result(PQexec(conn_.get(), sql.c_str()));
  Check(result.raw(), sql.size() > 200 ? sql.substr(0, 200) + "..." : sql);
  return result;
}

PgResult PgConnection::Exec(const std::string& sql, const std::string& what) {
  PgResult result(PQexec(conn_.get(), sql.c_str()));
  Check(result.raw(), what);
  return result;
}

PgResult PgConnection::ExecParams(const std::string& sql, const std::vector<SqlParam>& params) {
  std::vector<const char*> values;
  values.reserve(params.size());
  for (const auto& p : params) values.push_back(p ? p->c_str() : nullptr);
  PgResult result(PQexecParams(conn_.get(), sql.c_str(), static_cast<int>(values.size()), nullptr,
                               values.data(), nullptr, nullptr, 0));
  Check(result.raw(), sql.size() > 200 ? sql.substr(0, 200) + "..." : sql);
  return result;
}

std::optional<std::string> PgConnection::Scalar(const std::string& sql, const std::vector<SqlParam>& params) {
  PgResult result = params.empty() ? Exec(sql) : ExecParams(sql, params);
  if (result.rows() == 0 || result.columns() == 0) return std::nullopt;
  return result.GetOptional(0, 0);
}

std::string PgConnection::QuoteIdent(const std::string& identifier) const {
  char* quoted = PQescapeIdentifier(conn_.get(), identifier.data(), identifier.size());
  if (!quoted) ThrowError(nullptr, "quoting identifier");
  std::string out = quoted;
  PQfreemem(quoted);
  return out;
}

std::string PgConnection::QuoteLiteral(const std::string& literal) const {
  char* quoted = PQescapeLiteral(conn_.get(), literal.data(), literal.size());
  if (!quoted) ThrowError(nullptr, "quoting literal");
  std::string out = quoted;
  PQfreemem(quoted);
  return out;
}

}  // namespace pgduplex
