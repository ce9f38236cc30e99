// PgConnection: a libpq connection to cluster "a" or "b" with errors that
// name the cluster, and never a password in any message.
//
// Contract: Connect() returns an open connection or throws ConnectionError;
// every connection (replication ones included) runs with search_path =
// pg_catalog, so no object outside the catalog is found unqualified;
// Exec*/Query* throw PgError (with the SQLSTATE) on any failed statement.
// ConnectionError is also thrown when the connection was lost during a
// statement, so callers can tell "retry later" from "this is wrong".
// Not copyable; movable.
#pragma once

#include <libpq-fe.h>

#include <chrono>

#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "common/errors.h"

namespace pgduplex {

// Owns one PGresult.
class PgResult {
 public:
  explicit PgResult(PGresult* result) : result_(result, &PQclear) {}
  int rows() const { return PQntuples(result_.get()); }
  int columns() const { return PQnfields(result_.get()); }
  bool IsNull(int row, int column) const { return PQgetisnull(result_.get(), row, column); }
  std::string Get(int row, int column) const { return PQgetvalue(result_.get(), row, column); }
  std::optional<std::string> GetOptional(int row, int column) const {
    if (IsNull(row, column)) return std::nullopt;
    return Get(row, column);
  }
  PGresult* raw() const { return result_.get(); }

 private:
  std::unique_ptr<PGresult, void (*)(PGresult*)> result_;
};

using SqlParam = std::optional<std::string>;  // nullopt = SQL NULL

class PgConnection {
 public:
  // label is "a" or "b" (or any short name for messages).
  static PgConnection Connect(const std::string& conninfo, const std::string& label,
                              bool replication = false);

  PgConnection(PgConnection&&) noexcept = default;
  PgConnection& operator=(PgConnection&&) noexcept = default;
  PgConnection(const PgConnection&) = delete;
  PgConnection& operator=(const PgConnection&) = delete;

  // Runs one or more statements (simple protocol); returns the last result.
  PgResult Exec(const std::string& sql);
  // The same; an error names the statement as `what` instead of its text
  // (a long script, e.g. pg_dump's, would fill the message).
  PgResult Exec(const std::string& sql, const std::string& what);
  // Runs one statement with text parameters (extended protocol).
  PgResult ExecParams(const std::string& sql, const std::vector<SqlParam>& params);
  // First column of the first row, or nullopt when no row / NULL.
  std::optional<std::string> Scalar(const std::string& sql, const std::vector<SqlParam>& params = {});

  // For the worker's own short queries (heartbeat, status, catalog reads;
  // never the apply session): sets statement_timeout to two thirds of
  // `wait_sec` (at most 30 s), and from then on Exec*/Scalar wait at most
  // `wait_sec` for the server's answer, then throw ConnectionError (a
  // half-open connection answers nothing, not even the cancel).
  void BoundQueries(int wait_sec);

  std::string QuoteIdent(const std::string& identifier) const;
  std::string QuoteLiteral(const std::string& literal) const;

  // Throws the right error for a failed result (or connection state).
  [[noreturn]] void ThrowError(const PGresult* result, const std::string& what) const;
  // Checks a result; throws unless its status is one of the ok ones.
  void Check(const PGresult* result, const std::string& what) const;

  PGconn* get() const { return conn_.get(); }
  const std::string& label() const { return label_; }
  int server_version() const { return PQserverVersion(conn_.get()); }

 private:
  PgConnection(PGconn* conn, std::string label) : conn_(conn, &PQfinish), label_(std::move(label)) {}
  // Sends with `send` (PQsendQuery...), waits for the last result (at most
  // wait_sec_ when set), returns it.
  PGresult* Run(bool sent);

  void ThrowIfLost() const;

  int wait_sec_ = 0;  // 0: wait as long as it takes
  bool lost_ = false;  // a bounded wait ran out: the connection is not used again

  std::unique_ptr<PGconn, void (*)(PGconn*)> conn_;
  std::string label_;
};

}  // namespace pgduplex
