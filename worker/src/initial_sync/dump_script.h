// DumpScript: pg_dump's plain SQL output read as statements. Meta-commands
// of psql (\connect, \restrict, \unrestrict) are dropped; statements that
// only set up the session (SET ..., SELECT pg_catalog.set_config(...)) are
// marked, so a statement run on its own can be preceded by them.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

namespace pgduplex {

// One statement of a pg_dump script; `session` statements (SET ...,
// SELECT pg_catalog.set_config(...)) set up the session for what follows.
struct ScriptStatement {
  std::string text;
  bool session = false;
};

// The script without psql meta-commands.
std::string RemoveMetaCommands(const std::string& script);

// Splits pg_dump output into statements, dropping psql meta-commands
// (\connect, \restrict, \unrestrict) and comments.
std::vector<ScriptStatement> ParseDumpScript(const std::string& script);

// The session statements before statements[upto], one per line.
std::string SessionPrefix(const std::vector<ScriptStatement>& statements, size_t upto);

// Post-data statements that may run in parallel (index and key builds)
// versus the rest.
bool IsParallelPostDataStatement(const std::string& statement);

}  // namespace pgduplex
