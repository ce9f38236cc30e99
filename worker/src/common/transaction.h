// Transaction: one explicit transaction on a PgConnection, rolled back
// unless committed.
//
//   Transaction tx(conn);          // BEGIN (or the given opening statements)
//   conn.Exec(...);
//   tx.Commit();                   // COMMIT; throws PgError like any Exec
//
// Contract: the constructor runs `begin` or throws, having rolled back what
// `begin` may have opened ("BEGIN; SET LOCAL ..." failing half way).
// Leaving the scope without Commit() (an exception unwinding) runs
// ROLLBACK; so does Rollback(), at most once. A failed ROLLBACK is logged
// at debug level and never thrown: the error that is unwinding is the one
// to report, and a connection that cannot roll back is lost anyway (the
// server ends the transaction with it). Not copyable, not movable.
#pragma once

#include <functional>
#include <optional>
#include <string>

#include "common/pg_connection.h"

namespace pgduplex {

class Transaction {
 public:
  explicit Transaction(PgConnection& conn, const std::string& begin = "BEGIN");
  ~Transaction();
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;

  void Commit();
  // Ends the transaction now (idempotent, never throws).
  void Rollback() noexcept;

 private:
  PgConnection& conn_;
  bool open_ = false;
};

// Runs `body` inside SAVEPOINT `name`, for a step whose failure must not
// end the surrounding transaction. On success the savepoint is released
// and nullopt returned; a PgError (not a lost connection, which is thrown)
// rolls back to the savepoint, undoing `body`, releases it, and its message
// is returned.
std::optional<std::string> TryInSavepoint(PgConnection& conn, const std::string& name,
                                          const std::function<void()>& body);

}  // namespace pgduplex
