#include "common/pg_connection.h"

#include <fmt/format.h>
#include <poll.h>

#include <algorithm>
#include <cerrno>

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
  // Our defaults (keepalives, connect_timeout) come before the expanded
  // conninfo, so a setting of the operator's overrides them either way.
  const auto defaults = ConnectionDefaults(conninfo);
  std::vector<const char*> keywords;
  std::vector<const char*> values;
  for (const auto& [keyword, value] : defaults) {
    keywords.push_back(keyword.c_str());
    values.push_back(value.c_str());
  }
  keywords.insert(keywords.end(), {"dbname", "fallback_application_name"});
  values.insert(values.end(), {conninfo.c_str(), "pgduplex"});
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

void PgConnection::BoundQueries(int wait_sec) {
  int timeout_ms = std::min(30000, wait_sec * 2000 / 3);
  Exec(fmt::format("SELECT pg_catalog.set_config('statement_timeout', '{}', false)", timeout_ms));
  wait_sec_ = wait_sec;
}

PGresult* PgConnection::Run(bool sent) {
  PGconn* conn = conn_.get();
  if (!sent) return nullptr;  // the caller reports PQerrorMessage
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(wait_sec_);
  PGresult* last = nullptr;
  for (;;) {
    while (PQisBusy(conn)) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
      pollfd pfd{PQsocket(conn), POLLIN, 0};
      int ready = left.count() > 0 ? poll(&pfd, 1, static_cast<int>(left.count())) : 0;
      if (ready < 0 && errno == EINTR) continue;
      if (ready == 0) {
        if (last) PQclear(last);
        // The connection is unusable now (a result may still come): the
        // caller's next statement fails as a lost connection too.
        lost_ = true;
        throw ConnectionError(fmt::format("cluster {}: no answer from the server in {} s: connection taken as lost",
                                          label_, wait_sec_));
      }
      if (ready < 0 || !PQconsumeInput(conn)) break;  // PQgetResult reports the broken connection
    }
    PGresult* next = PQgetResult(conn);
    if (!next) return last;
    if (last) PQclear(last);
    last = next;
    ExecStatusType status = PQresultStatus(last);
    if (status == PGRES_COPY_IN || status == PGRES_COPY_OUT || status == PGRES_COPY_BOTH) return last;
    if (PQstatus(conn) == CONNECTION_BAD) return last;
  }
}

void PgConnection::ThrowIfLost() const {
  if (lost_) throw ConnectionError(fmt::format("cluster {}: connection taken as lost", label_));
}

PgResult PgConnection::Exec(const std::string& sql) {
  ThrowIfLost();
  PgResult result(wait_sec_ ? Run(PQsendQuery(conn_.get(), sql.c_str())) : PQexec(conn_.get(), sql.c_str()));
  Check(result.raw(), sql.size() > 200 ? sql.substr(0, 200) + "..." : sql);
  return result;
}

PgResult PgConnection::Exec(const std::string& sql, const std::string& what) {
  ThrowIfLost();
  PgResult result(wait_sec_ ? Run(PQsendQuery(conn_.get(), sql.c_str())) : PQexec(conn_.get(), sql.c_str()));
  Check(result.raw(), what);
  return result;
}

PgResult PgConnection::ExecParams(const std::string& sql, const std::vector<SqlParam>& params) {
  ThrowIfLost();
  std::vector<const char*> values;
  values.reserve(params.size());
  for (const auto& p : params) values.push_back(p ? p->c_str() : nullptr);
  PgResult result(wait_sec_ ? Run(PQsendQueryParams(conn_.get(), sql.c_str(), static_cast<int>(values.size()),
                                                    nullptr, values.data(), nullptr, nullptr, 0))
                            : PQexecParams(conn_.get(), sql.c_str(), static_cast<int>(values.size()), nullptr,
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
