#include "apply/ddl_applier.h"

#include <spdlog/spdlog.h>

#include "ddl/ddl_redaction.h"

extern "C" const char* pg_encoding_to_char(int encoding);

namespace pgduplex {

void ExecuteDdl(PgConnection& target, const v1::Ddl& ddl, const std::string& session_search_path) {
  if (!ddl.search_path().empty()) {
    target.ExecParams("SELECT pg_catalog.set_config('search_path', $1, false)", {ddl.search_path()});
  }
  bool role_set = false;
  if (!ddl.role().empty()) {
    if (target.Scalar("SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = $1", {ddl.role()})) {
      target.Exec("SET ROLE " + target.QuoteIdent(ddl.role()));
      role_set = true;
    } else {
      spdlog::warn("DDL ran as role {} on the source, which does not exist on cluster {}; running it as the "
                   "worker's user",
                   ddl.role(), target.label());
    }
  }
  // Statement texts travel in UTF-8 whatever the databases' encodings.
  std::string encoding = pg_encoding_to_char(PQclientEncoding(target.get()));
  bool switch_encoding = encoding != "UTF8";
  if (switch_encoding) PQsetClientEncoding(target.get(), "UTF8");
  try {
    // Errors name the statement redacted (ddl_redaction.h), never as is.
    PgResult result(PQexec(target.get(), ddl.statement().c_str()));
    std::string shown = RedactDdlSecrets(ddl.statement());
    target.Check(result.raw(), shown.size() > 200 ? shown.substr(0, 200) + "..." : shown);
  } catch (...) {
    if (switch_encoding) PQsetClientEncoding(target.get(), encoding.c_str());
    throw;
  }
  if (switch_encoding) PQsetClientEncoding(target.get(), encoding.c_str());
  if (role_set) target.Exec("RESET ROLE");
  target.ExecParams("SELECT pg_catalog.set_config('search_path', $1, false)", {session_search_path});
}

}  // namespace pgduplex
