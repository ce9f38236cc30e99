#include "common/transaction.h"

#include <spdlog/spdlog.h>

namespace pgduplex {

Transaction::Transaction(PgConnection& conn, const std::string& begin) : conn_(conn), open_(true) {
  try {
    conn_.Exec(begin);
  } catch (...) {
    Rollback();  // "BEGIN; SET ..." may have opened it before failing
    throw;
  }
}

Transaction::~Transaction() { Rollback(); }

void Transaction::Commit() {
  open_ = false;  // a failed COMMIT has ended the transaction too
  conn_.Exec("COMMIT");
}

void Transaction::Rollback() noexcept {
  if (!open_) return;
  open_ = false;
  try {
    conn_.Exec("ROLLBACK");
  } catch (const std::exception& e) {
    spdlog::debug("cluster {}: ROLLBACK failed: {}", conn_.label(), e.what());
  }
}

std::optional<std::string> TryInSavepoint(PgConnection& conn, const std::string& name,
                                          const std::function<void()>& body) {
  conn.Exec("SAVEPOINT " + name);
  try {
    body();
    conn.Exec("RELEASE SAVEPOINT " + name);
    return std::nullopt;
  } catch (const ConnectionError&) {
    throw;
  } catch (const PgError& e) {
    conn.Exec("ROLLBACK TO SAVEPOINT " + name);
    conn.Exec("RELEASE SAVEPOINT " + name);
    return std::string(e.what());
  }
}

}  // namespace pgduplex
