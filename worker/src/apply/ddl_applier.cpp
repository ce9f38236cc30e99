#include "apply/ddl_applier.h"

#include <fmt/format.h>

#include "common/conninfo.h"
#include "common/errors.h"
#include "common/sql_lexer.h"
#include "common/message_text.h"

#include "ddl/ddl_redaction.h"

extern "C" const char* pg_encoding_to_char(int encoding);

namespace pgduplex {

namespace {
constexpr const char* kSavepoint = "SAVEPOINT pgduplex_ddl";
constexpr const char* kRollback = "ROLLBACK TO SAVEPOINT pgduplex_ddl";
constexpr const char* kRelease = "RELEASE SAVEPOINT pgduplex_ddl";
constexpr size_t kMaxLogStatement = 200;

void SetParseSettings(PgConnection& target, const v1::Ddl& ddl) {
  if (!ddl.search_path().empty()) {
    target.ExecParams("SELECT pg_catalog.set_config('search_path', $1, false)", {ddl.search_path()});
  }
  target.Exec("SELECT pg_catalog.set_config('standard_conforming_strings', 'on', false)");
}

// Statement texts travel in UTF-8 whatever the databases' encodings.
void ExecUtf8(PgConnection& target, const std::string& statement) {
  std::string encoding = pg_encoding_to_char(PQclientEncoding(target.get()));
  bool switch_encoding = encoding != "UTF8";
  if (switch_encoding) PQsetClientEncoding(target.get(), "UTF8");
  try {
    // Errors name the statement redacted (ddl_redaction.h), never as is.
    PgResult result(PQexec(target.get(), statement.c_str()));
    target.Check(result.raw(), DdlStatementForLog(statement));
  } catch (...) {
    if (switch_encoding) PQsetClientEncoding(target.get(), encoding.c_str());
    throw;
  }
  if (switch_encoding) PQsetClientEncoding(target.get(), encoding.c_str());
}

bool CreatesUsedObject(const v1::Ddl& ddl) {
  const std::string& tag = ddl.command_tag();
  return tag == "CREATE TYPE" || tag == "CREATE DOMAIN" || tag == "CREATE FUNCTION";
}

// "must be owner of table t" on the target, where owners are not copied:
// the reason names the table, its owner there and the fix. At the worker
// identity, outside the statement's savepoint.
std::string NotOwnerReason(PgConnection& target, const v1::Ddl& ddl, const std::string& error) {
  // object_identity: the table, or one of its columns (schema.table.column).
  PgResult found = target.ExecParams(
      "SELECT pg_catalog.format('%I.%I', n.nspname, c.relname), r.rolname FROM pg_catalog.pg_class c "
      "JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace JOIN pg_catalog.pg_roles r ON r.oid = c.relowner "
      "WHERE c.oid = coalesce(pg_catalog.to_regclass($1), "
      "pg_catalog.to_regclass(pg_catalog.regexp_replace($1, '\\.[^.]*$', '')))",
      {ddl.object_identity()});
  if (found.rows() != 1) return fmt::format("as role \"{}\": {}", ddl.role(), error);
  std::string table = found.Get(0, 0);
  std::string owner = found.Get(0, 1);
  return fmt::format("role \"{}\" is not the owner of table {} on cluster {}, \"{}\" is (owners are not copied): "
                     "run ALTER TABLE {} OWNER TO {} on cluster {} (or grant role \"{}\" to \"{}\" there), "
                     "then re-run the DDL there",
                     ddl.role(), table, target.label(), owner, table, QuoteIdent(ddl.role()), target.label(),
                     owner, ddl.role());
}
}  // namespace

std::string DdlStatementForLog(const std::string& statement) {
  std::string text = OneLine(RedactDdlSecrets(statement));
  if (text.size() > kMaxLogStatement) text = text.substr(0, kMaxLogStatement) + "...";
  return text;
}

DdlOutcome ExecuteDdl(PgConnection& target, RoleSwitch& roles, const v1::Ddl& ddl,
                      const std::string& session_search_path) {
  if (!roles.Recheck(target)) {
    return {false, fmt::format("the pgduplex extension on cluster {} is older than 1.1 (no pgduplex.run_as to run "
                               "it as its author): ALTER EXTENSION pgduplex UPDATE there",
                               target.label())};
  }
  if (ddl.role().empty()) return {false, "the DDL record names no role"};
  roles.Switch(target, 0);
  std::optional<std::string> oid =
      target.Scalar("SELECT oid::text FROM pg_catalog.pg_roles WHERE rolname = $1", {ddl.role()});
  if (!oid) return {false, fmt::format("role \"{}\" does not exist on cluster {}", ddl.role(), target.label())};
  const uint32_t author = static_cast<uint32_t>(std::stoul(*oid));
  const bool switched = author != roles.worker();

  target.Exec(kSavepoint);
  // Back to before the savepoint: the worker identity, its settings.
  auto undo = [&] {
    target.Exec(kRollback);
    roles.OnRollback();
    target.Exec(kRelease);
  };
  auto not_applied = [&](const std::string& reason) {
    undo();
    return DdlOutcome{false, OneLine(reason)};
  };
  std::string error;
  if (switched && !roles.TrySwitch(target, author, &error)) return not_applied(error);
  try {
    SetParseSettings(target, ddl);
    ExecUtf8(target, ddl.statement());
  } catch (const ConnectionError&) {
    throw;
  } catch (const PgError& e) {
    const bool duplicate =
        e.sqlstate() == sqlstate::kDuplicateObject || e.sqlstate() == sqlstate::kDuplicateFunction;
    if (duplicate && CreatesUsedObject(ddl)) {
      // Made on both sides by hand: B's stays (it may differ; say so).
      return not_applied(fmt::format("{} already exists on cluster {}: kept as it is there", ddl.object_identity(),
                                     target.label()));
    }
    if (e.sqlstate() != sqlstate::kInsufficientPrivilege) {
      // Leave the session as it was (the rollback also undoes the
      // settings made in the savepoint); the caller retries the batch.
      undo();
      throw;
    }
    if (std::string(e.what()).find("must be owner of") != std::string::npos) {
      undo();
      return DdlOutcome{false, OneLine(NotOwnerReason(target, ddl, e.what()))};
    }
    return not_applied(fmt::format("as role \"{}\": {}", ddl.role(), e.what()));
  }
  if (switched) {
    roles.Switch(target, 0);  // undoes the settings made since the switch
  } else {
    target.ExecParams("SELECT pg_catalog.set_config('search_path', $1, false)", {session_search_path});
    target.Exec("RESET standard_conforming_strings");
  }
  target.Exec(kRelease);
  return {true, ""};
}

}  // namespace pgduplex
